/* engine_positions.c - where both devices are, for the control thread
 * to measure a followed capture's real rate against the playback clock
 * (source.c): read with the meters every ~10 ms, and published on their
 * own at each park and resume (engine_park.c), so that a run's end is
 * seen however short it was.  RT thread only: two alsa-lib calls on the
 * live PCMs, no allocation. */
#include "engine_internal.h"

#include <string.h>

/* Both devices' positions, for the control thread to measure a followed
 * capture's real rate (source.c): only when following a source. */
void engine_read_positions(struct engine *e, struct eng_positions *p)
{
	snd_pcm_sframes_t avail, queued;

	memset(p, 0, sizeof(*p));
	p->epoch = e->epoch;
	if (!e->park_on_error || !engine_live(e, 0) || !engine_live(e, 1))
		return;
	if ((avail = snd_pcm_avail(e->capture.handle)) < 0 ||
	    (snd_pcm_uframes_t)avail > e->capture.buffer_frames ||
	    snd_pcm_delay(e->playback.handle, &queued) < 0 || queued < 0 ||
	    (uint64_t)queued > e->written_total)
		return;
	p->ns = clock_ns(CLOCK_MONOTONIC);
	p->capture = e->read_total + (uint64_t)avail;
	p->playback = e->written_total - (uint64_t)queued;
	p->valid = true;
}

void engine_publish_positions(struct engine *e)
{
	struct eng_event ev = { .type = ENG_EVENT_POSITIONS };

	engine_read_positions(e, &ev.positions);
	if (ev.positions.valid)
		publish(e, &ev);
}
