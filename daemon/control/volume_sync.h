/* volume_sync.h - the pure half of the volume link (volume_sync.c): which
 * way a change goes between an ALSA volume element and the master gain,
 * so that neither side ever echoes the other, and the mapping of the
 * element's dB to a gain under the volume ceiling.  No ALSA, no I/O: the
 * caller reads and writes the element (volume_link.c) and the unit tests
 * drive it with a simulated one.  Control thread only. */
#ifndef DSPD_VOLUME_SYNC_H
#define DSPD_VOLUME_SYNC_H

#include <stdbool.h>

/* What the link last knew of both sides.  The rule: a side moves only
 * when the other side's value differs from what the link last knew of it.
 * Our own write makes the element's value the known one, so its event
 * finds nothing new and changes nothing (no echo); a write never follows
 * an element event, and a gain change never follows our own write, so
 * nothing can oscillate.  Whichever side changed last wins. */
struct vsync {
	bool known;             /* elem_value holds the element's value */
	long elem_value;        /* the volume element as last read or written */
	double gain_db;         /* the master gain as last seen or set */
	bool switch_known;
	long switch_value;      /* the mute switch (1 = sound on), same rule */
	bool mute;              /* the master mute as last seen or set */
};

/* Start from the element's value (read at link time) and the gain. */
void vsync_init(struct vsync *s, long elem_value, double gain_db, bool mute);
void vsync_init_switch(struct vsync *s, long switch_value);

/* The volume element reads value (after one of its events).  True when
 * the gain must follow it (the element changed from what we knew); the
 * caller then maps its dB (vsync_gain_for) and calls vsync_gain_set with
 * what the engine took. */
bool vsync_element_changed(struct vsync *s, long value);
/* The same for the mute switch: true when mute must become !value. */
bool vsync_switch_changed(struct vsync *s, long value);

/* The master gain is now gain_db; nearest is the element's value nearest
 * to it.  True when the element must be written to nearest (it is then
 * known to hold it).  The gain itself is never quantized. */
bool vsync_gain_changed(struct vsync *s, double gain_db, long nearest);
/* The mute is now mute: true when the switch must be written to !mute. */
bool vsync_mute_changed(struct vsync *s, bool mute);
/* Note the gain the engine took after following the element. */
void vsync_gain_set(struct vsync *s, double gain_db, bool mute);

/* The master gain for an element at elem_db: the mute step
 * (ACTL_DB_MUTE, any value <= mute_db) is the quietest gain, min_db; the
 * rest clamped to min_db..max_db (max_db: the volume ceiling). */
double vsync_gain_for(double elem_db, double mute_db, double min_db, double max_db);

/* A requested gain against the ceiling: 0 when db <= max_db; else, with
 * clamp, *out = max_db and 1; without, -ERANGE (the caller refuses). */
int vsync_ceiling(double db, double max_db, bool clamp, double *out);

#endif
