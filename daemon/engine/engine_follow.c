/* engine_follow.c - the control thread's side of parking (engine_park.c
 * is the RT side): asking the RT thread to let go of a stream, opening it
 * again (the capture at a followed source's new rate, with its converter
 * rebuilt; the playback after it was released) and handing it back.  Also
 * the "pitch" correction the clocks' loop wants written.
 *
 * A stream's handle, buffers and converter are touched here only while
 * the RT thread has it ENG_PARKED (see engine_internal.h).  Control
 * thread only. */
#include "engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int engine_park(struct engine *e, int dir)
{
	int live = ENG_LIVE;

	if (!atomic_compare_exchange_strong(&e->park[dir], &live, ENG_PARK_WANTED))
		return -EALREADY;
	/* a capture read waiting for a source that stalled gives up now */
	atomic_store_explicit(&e->interrupt[dir], true, memory_order_relaxed);
	return 0;
}

void engine_stream_state(struct engine *e, int dir, struct eng_stream_state *out)
{
	out->state = atomic_load_explicit(&e->park[dir], memory_order_acquire);
	out->error = atomic_load_explicit(&e->park_error[dir], memory_order_relaxed);
	out->parked_ns = atomic_load_explicit(&e->parked_ns[dir], memory_order_relaxed);
	out->resumed_ns = atomic_load_explicit(&e->resumed_ns[dir], memory_order_acquire);
	out->dropped = atomic_load_explicit(&e->park_dropped[dir], memory_order_relaxed);
	out->open = (dir == 0 ? e->capture.handle : e->playback.handle) != NULL;
}

static bool parked(struct engine *e, int dir)
{
	return atomic_load_explicit(&e->park[dir], memory_order_acquire) == ENG_PARKED;
}

/* The converter, its planes and the raw buffer for a capture at rate. */
static int capture_buffers(struct engine *e, const struct pcm_stream *s,
                           struct resampler **rs, unsigned char **raw,
                           float **mem, float **planes)
{
	size_t stride = ((size_t)s->period_frames + 15) & ~(size_t)15;
	int r;

	r = resampler_create(rs, s->channels, s->rate, e->cfg.rate,
	                     (enum rs_quality)e->cfg.resampler.quality,
	                     (uint32_t)s->period_frames);
	if (r < 0)
		return r;
	*raw = malloc(s->period_frames * s->frame_bytes);
	if (posix_memalign((void **)mem, 64, stride * s->channels * sizeof(float)) != 0)
		*mem = NULL;
	if (!*raw || !*mem) {
		free(*raw);
		free(*mem);
		resampler_free(*rs);
		return -ENOMEM;
	}
	memset(*mem, 0, stride * s->channels * sizeof(float));
	for (unsigned ch = 0; ch < s->channels; ch++)
		planes[ch] = *mem + ch * stride;
	return 0;
}

int engine_reopen_capture(struct engine *e, unsigned rate, char *err, size_t err_len)
{
	struct pcm_stream s = { .handle = NULL };
	struct resampler *rs = NULL;
	unsigned char *raw = NULL;
	float *mem = NULL, *planes[METER_MAX_CHANNELS];
	unsigned period = (unsigned)(((uint64_t)e->cfg.period_frames * rate +
	                              e->cfg.rate / 2) / e->cfg.rate);
	int r;

	if (!parked(e, 0)) {
		snprintf(err, err_len, "the capture is not parked");
		return -EBUSY;
	}
	if (!e->rs && rate != e->cfg.rate) {
		snprintf(err, err_len, "a capture at %u Hz needs the engine restarted "
		         "at that rate (the pipeline runs at %u Hz without a resampler)",
		         rate, e->cfg.rate);
		return -EINVAL;
	}
	/* the old one first: a Loopback subdevice opens only once */
	pcm_close(&e->capture);
	r = pcm_open(&s, SND_PCM_STREAM_CAPTURE, &e->cfg.capture, rate, period,
	             e->cfg.periods, err, err_len);
	if (r < 0)
		return r;
	if (s.channels != e->capture_channels) {
		snprintf(err, err_len, "the capture came back with %u channels, not %u",
		         s.channels, e->capture_channels);
		pcm_close(&s);
		return -EPROTO;
	}
	if (e->rs && (r = capture_buffers(e, &s, &rs, &raw, &mem, planes)) < 0) {
		snprintf(err, err_len, "cannot convert %u Hz to %u Hz: %s", rate,
		         e->cfg.rate, strerror(-r));
		pcm_close(&s);
		return r;
	}
	if (e->rs) {
		resampler_free(e->rs);
		free(e->capture_raw);
		free(e->capture_mem);
		e->rs = rs;
		e->capture_raw = raw;
		e->capture_mem = mem;
		memcpy(e->capture_planes, planes, sizeof(planes[0]) * s.channels);
		e->resampler_delay = resampler_delay(rs) * resampler_ratio(rs);
		e->clocks.p.target = config_target_level(&e->cfg) + e->resampler_delay;
	}
	e->capture = s;
	return 0;
}

void engine_close_playback(struct engine *e)
{
	if (parked(e, 1))
		pcm_close(&e->playback);
}

int engine_open_playback(struct engine *e, char *err, size_t err_len)
{
	struct pcm_stream s = { .handle = NULL };
	int r;

	if (!parked(e, 1)) {
		snprintf(err, err_len, "the playback is not parked");
		return -EBUSY;
	}
	if (e->playback.handle)
		return 0;
	r = pcm_open(&s, SND_PCM_STREAM_PLAYBACK, &e->cfg.playback, e->cfg.rate,
	             e->cfg.period_frames, e->cfg.periods, err, err_len);
	if (r < 0)
		return r;
	if (!engine_same_stream(&s, &e->playback)) {
		snprintf(err, err_len, "the playback came back with other parameters "
		         "(format, period or buffer)");
		pcm_close(&s);
		return -EPROTO;
	}
	/* only the handle changes: the RT thread reads the rest throughout */
	e->playback.handle = s.handle;
	return 0;
}

int engine_resume(struct engine *e, int dir)
{
	int expected = ENG_PARKED;

	if (!(dir == 0 ? e->capture.handle : e->playback.handle))
		return -EBADFD;
	if (!atomic_compare_exchange_strong(&e->park[dir], &expected, ENG_RESUME_WANTED))
		return -EALREADY;
	return 0;
}

double engine_pitch_adjust(struct engine *e)
{
	return atomic_load_explicit(&e->pitch_adjust, memory_order_relaxed);
}
