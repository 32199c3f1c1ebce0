/* volume_sync.c - the pure half of the volume link: which way a change
 * goes between the element and the master gain (no echo, no oscillation),
 * the element's dB to a gain, the volume ceiling.  Rules in
 * volume_sync.h.  Control thread only. */
#include "volume_sync.h"

#include <errno.h>

void vsync_init(struct vsync *s, long elem_value, double gain_db, bool mute)
{
	s->known = true;
	s->elem_value = elem_value;
	s->gain_db = gain_db;
	s->mute = mute;
	s->switch_known = false;
	s->switch_value = 1;
}

void vsync_init_switch(struct vsync *s, long switch_value)
{
	s->switch_known = true;
	s->switch_value = switch_value != 0;
}

bool vsync_element_changed(struct vsync *s, long value)
{
	if (s->known && value == s->elem_value)
		return false;           /* our own write coming back, or nothing */
	s->known = true;
	s->elem_value = value;
	return true;
}

bool vsync_switch_changed(struct vsync *s, long value)
{
	value = value != 0;
	if (s->switch_known && value == s->switch_value)
		return false;
	s->switch_known = true;
	s->switch_value = value;
	return true;
}

bool vsync_gain_changed(struct vsync *s, double gain_db, long nearest)
{
	s->gain_db = gain_db;
	if (s->known && nearest == s->elem_value)
		return false;           /* the element already says this */
	s->known = true;
	s->elem_value = nearest;
	return true;
}

bool vsync_mute_changed(struct vsync *s, bool mute)
{
	long want = !mute;

	s->mute = mute;
	if (s->switch_known && want == s->switch_value)
		return false;
	s->switch_known = true;
	s->switch_value = want;
	return true;
}

void vsync_gain_set(struct vsync *s, double gain_db, bool mute)
{
	s->gain_db = gain_db;
	s->mute = mute;
}

double vsync_gain_for(double elem_db, double mute_db, double min_db, double max_db)
{
	if (elem_db <= mute_db || elem_db < min_db)
		return min_db;
	return elem_db > max_db ? max_db : elem_db;
}

int vsync_ceiling(double db, double max_db, bool clamp, double *out)
{
	*out = db;
	if (db <= max_db)
		return 0;
	if (!clamp)
		return -ERANGE;
	*out = max_db;
	return 1;
}
