/* dspdtest_check.c - the playback checker: decodes the frame counter in
 * every frame dspd plays and counts silent frames, gaps (lost or repeated
 * frames), mismatches (altered samples) and latency (capture to playback,
 * in frames).
 *
 * Runs in the playback transfer callback on the application's thread.  The
 * checker state is shared.playback: playback_check() takes shared.lock,
 * pending_commit()'s caller holds it.  The rules are documented for users
 * in tests/alsa/README.md ("Playback checker"). */
#include <math.h>

#include "dspdtest.h"

static void checker_gap(struct playback_stats *s, int64_t k)
{
	s->gaps++;
	if (s->gap_list_len < GAP_LIST_MAX) {
		s->gap_list[s->gap_list_len].at = s->expected;
		s->gap_list[s->gap_list_len].missing = k - s->expected;
		s->gap_list_len++;
	}
}

static void checker_latency(struct playback_stats *s, int64_t latency)
{
	if (!s->have_latency || latency < s->latency_min)
		s->latency_min = latency;
	if (!s->have_latency || latency > s->latency_max)
		s->latency_max = latency;
	s->latency_last = latency;
	s->have_latency = true;
}

static void pending_add(struct pending_latency *p, int64_t relative)
{
	if (!p->any || relative < p->min)
		p->min = relative;
	if (!p->any || relative > p->max)
		p->max = relative;
	p->last = relative;
	p->any = true;
}

void pending_commit(struct pending_latency *p, struct playback_stats *s,
		    int64_t origin)
{
	if (!p->any)
		return;
	checker_latency(s, origin + p->min);
	checker_latency(s, origin + p->max);
	checker_latency(s, origin + p->last);
	p->any = false;
}

/* k = ref + wrap(v0 - ref): the counter congruent to v0 nearest to ref. */
static int64_t counter_near(int64_t ref, int64_t v0, unsigned int bits,
			    uint64_t *distance)
{
	int64_t delta = wrap_bits(v0 - ref, bits);

	*distance = (uint64_t)(delta < 0 ? -delta : delta);
	return ref + delta;
}

/* The counter a frame most likely carries, given ch0 = v0 (which only
 * tells k modulo 2^bits): the candidate nearest to one of these
 * predictions, earlier ones winning ties: the next expected counter;
 * right after silence (an xrun re-sync) the counter that keeps the last
 * latency; when the capture restarted (or resumed) since the last counter
 * frame, the first counter of its newest run (or resumed part).  So even 8-bit counters measure
 * re-sync gaps exactly. */
static int64_t checker_decode(const struct playback_stats *s, int64_t v0,
			      const int64_t *played_at, unsigned int bits)
{
	uint64_t best_distance, distance;
	int64_t best = counter_near(s->expected, v0, bits, &best_distance);
	int64_t k;

	if (played_at && s->have_latency && s->after_silence) {
		k = counter_near(*played_at - s->latency_last, v0, bits, &distance);
		if (distance < best_distance) {
			best = k;
			best_distance = distance;
		}
	}
	if (shared.capture.segments != s->capture_segments_seen) {
		k = counter_near(shared.capture.run_origin, v0, bits, &distance);
		if (distance < best_distance)
			best = k;
	}
	return best;
}

/* Check one frame (decoded samples) that t will play at run position p. */
static void checker_frame(struct playback_stats *s, struct dspdtest *t,
			  const double *x, int64_t p)
{
	unsigned int channels = t->io.channels;
	unsigned int bits = t->fmt->bits;
	int64_t played_at = t->run_origin + p;
	bool silent = true;
	int64_t k;

	for (unsigned int c = 0; c < channels; c++)
		silent = silent && x[c] == 0.0;
	if (silent && !(channels == 1 && s->have_counter &&
			wrap_bits(s->expected, bits) == 0)) {
		s->silent_frames++;
		s->after_silence = true;
		return;
	}
	k = checker_decode(s, (int64_t)nearbyint(x[0]),
			   t->origin_known ? &played_at : NULL, bits);
	for (unsigned int c = 0; c < channels; c++) {
		if (x[c] != (double)counter_value(k, c, bits)) {
			s->mismatches++;        /* present but altered */
			s->expected++;
			return;
		}
	}
	if (s->have_counter && k != s->expected)
		checker_gap(s, k);
	if (!s->have_counter)
		s->first_counter = k;
	s->have_counter = true;
	s->after_silence = false;
	s->capture_segments_seen = shared.capture.segments;
	s->last_counter = k;
	s->expected = k + 1;
	if (t->origin_known)
		checker_latency(s, played_at - k);
	else
		pending_add(&t->pending, p - k);
	s->counter_frames++;
}

void playback_check(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
		    snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	struct record_batch rec;
	double x[MAX_CHANNELS];
	unsigned int channels = t->io.channels;

	record_batch_init(&rec, t);
	pthread_mutex_lock(&shared.lock);
	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		for (unsigned int c = 0; c < channels; c++)
			x[c] = sample_decode(t->fmt, area_frame(&areas[c], offset + i));
		checker_frame(&shared.playback, t, x, (int64_t)(t->run_frames + i));
		record_frame(t, &rec, x);
	}
	shared.playback.frames += size;
	pthread_mutex_unlock(&shared.lock);
	record_flush(t, &rec);
}
