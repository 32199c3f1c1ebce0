/* pcm_io.c - a stream's I/O for the RT loop: whole periods read and
 * written with a timeout, and the reset after an xrun or a suspend (see
 * pcm.h).  RT thread: only alsa-lib calls on this PCM. */
#include "pcm.h"
#include "clock.h"

#include <errno.h>
#include <time.h>

typedef snd_pcm_sframes_t (*pcm_io_fn)(snd_pcm_t *, void *, snd_pcm_uframes_t);

static snd_pcm_sframes_t write_adapter(snd_pcm_t *h, void *buf,
                                       snd_pcm_uframes_t frames)
{
	return snd_pcm_writei(h, buf, frames);
}

/* A capture is read only once all of frames have arrived.  Reading the
 * few frames that came in while the period was being processed would move
 * the read pointer off the period boundary, and snd_pcm_wait (avail_min =
 * one period) would then wait for a whole period more: the read would
 * complete up to a period late, eating the playback's margin - one period
 * of buffering lost for nothing (at 256 x 3 periods that was several
 * underruns a second).  0: go ahead; -EAGAIN: wait; or an alsa error. */
static snd_pcm_sframes_t whole_periods_only(struct pcm_stream *s,
                                            snd_pcm_uframes_t frames)
{
	snd_pcm_sframes_t avail;

	if (s->direction != SND_PCM_STREAM_CAPTURE)
		return 0;
	/* a capture the device stopped (snd-aloop's player changed its rate)
	 * will never fill the period: take what is left, then the error */
	if (snd_pcm_state(s->handle) == SND_PCM_STATE_DRAINING)
		return 0;
	avail = snd_pcm_avail_update(s->handle);
	if (avail < 0)
		return avail;
	return (snd_pcm_uframes_t)avail >= frames ? 0 : -EAGAIN;
}

static int transfer(struct pcm_stream *s, pcm_io_fn io, unsigned char *buf,
                    snd_pcm_uframes_t frames, int timeout_ms,
                    const _Atomic bool *keep_going, const _Atomic bool *interrupt)
{
	/* how often a stop request is noticed; never past the timeout */
	const int slice_ms = timeout_ms < 50 ? (timeout_ms > 0 ? timeout_ms : 1) : 50;
	uint64_t idle_since = 0;

	while (frames > 0) {
		snd_pcm_sframes_t n;
		int r;

		n = whole_periods_only(s, frames);
		if (n == 0)
			n = io(s->handle, buf, frames);
		if (n == -EAGAIN || n == 0) {
			/* A stop is honoured only where we would wait: a period
			 * already processed still goes out when there is room,
			 * so processed == played holds at exit. */
			if (!atomic_load_explicit(keep_going, memory_order_relaxed))
				return -ECANCELED;
			if (interrupt && atomic_load_explicit(interrupt, memory_order_relaxed))
				return -EINTR;
			/* by the clock: a device that says "ready" and then has
			 * nothing must time out too, not spin */
			if (!idle_since)
				idle_since = clock_ns(CLOCK_MONOTONIC);
			else if (clock_ns(CLOCK_MONOTONIC) - idle_since >= (uint64_t)timeout_ms * 1000000u)
				return -ETIMEDOUT;
			r = snd_pcm_wait(s->handle, slice_ms);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return (int)n;
		idle_since = 0;
		buf += (size_t)n * s->frame_bytes;
		frames -= (snd_pcm_uframes_t)n;
	}
	return 0;
}

int pcm_read(struct pcm_stream *s, void *buf, snd_pcm_uframes_t frames,
             int timeout_ms, const _Atomic bool *keep_going,
             const _Atomic bool *interrupt)
{
	return transfer(s, snd_pcm_readi, buf, frames, timeout_ms, keep_going, interrupt);
}

int pcm_write(struct pcm_stream *s, const void *buf, snd_pcm_uframes_t frames,
              int timeout_ms, const _Atomic bool *keep_going)
{
	return transfer(s, write_adapter, (unsigned char *)buf, frames,
	                timeout_ms, keep_going, NULL);
}

int pcm_reset(struct pcm_stream *s)
{
	if (snd_pcm_state(s->handle) == SND_PCM_STATE_SUSPENDED) {
		const struct timespec pause = { 0, 100 * 1000 * 1000 };
		int r, tries = 50;

		while ((r = snd_pcm_resume(s->handle)) == -EAGAIN && tries-- > 0)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &pause, NULL);
	}
	snd_pcm_drop(s->handle);
	return snd_pcm_prepare(s->handle);
}
