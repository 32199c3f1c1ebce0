/* pcm.h - one ALSA PCM stream: explicit negotiation and the I/O helpers the
 * RT loop uses.
 *
 * pcm_open/pcm_close/pcm_describe (pcm.c): control thread (they allocate,
 * and fill an error text for the caller to log).  pcm_read/pcm_write/
 * pcm_reset (pcm_io.c): RT thread; they only call alsa-lib on this PCM. */
#ifndef DSPD_PCM_H
#define DSPD_PCM_H

#include <alsa/asoundlib.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "format.h"

/* What the hardware side of a plug PCM runs (pcm_open, from its dump). */
struct pcm_slave {
	bool plug;                         /* the device is a plug layer */
	bool known;                        /* format, rate, channels read */
	char format[32];
	unsigned rate, channels;
};

struct pcm_stream {
	snd_pcm_t *handle;
	snd_pcm_stream_t direction;
	const char *name;                  /* "capture" / "playback" */
	char device[CFG_DEVICE_MAX];
	unsigned channels;
	unsigned rate;
	const struct fmt_codec *codec;     /* the negotiated format */
	snd_pcm_uframes_t period_frames;
	snd_pcm_uframes_t buffer_frames;
	size_t frame_bytes;
	struct pcm_slave slave;            /* plug: what it converts to */
};

/* Open `cfg->device` and negotiate exactly rate, channels, format (or the
 * best native one for "auto"), period and buffer.  A plug layer the user
 * names (plughw:, plug:, a `type plug` PCM: snd_pcm_type() PLUG) is opened
 * again with its automatic conversions allowed, and what its slave runs
 * is read back into s->slave.  Anything the device
 * cannot do exactly is an error whose text (err) says what it supports.
 * Returns 0 or -errno. */
int pcm_open(struct pcm_stream *s, snd_pcm_stream_t direction,
             const struct cfg_pcm *cfg, unsigned rate, unsigned period_frames,
             unsigned periods, char *err, size_t err_len);
void pcm_close(struct pcm_stream *s);
/* The hardware side's format, rate and channels from a plug PCM's
 * snd_pcm_dump() text (exported for tests). */
void pcm_parse_slave(const char *dump, struct pcm_slave *out);

/* Read/write exactly `frames` frames (the handle is non-blocking; waits in
 * snd_pcm_wait with timeout_ms slices while *keep_going is true and
 * *interrupt, when given, is false: -EINTR then).  A read
 * starts only once all `frames` have arrived, so the read pointer stays on
 * period boundaries and the wait never costs a period more.
 * Returns 0, -EPIPE/-ESTRPIPE/other alsa errors, -ETIMEDOUT when nothing
 * moved for timeout_ms, or -ECANCELED when *keep_going turned false. */
int pcm_read(struct pcm_stream *s, void *buf, snd_pcm_uframes_t frames,
             int timeout_ms, const _Atomic bool *keep_going,
             const _Atomic bool *interrupt);
int pcm_write(struct pcm_stream *s, const void *buf, snd_pcm_uframes_t frames,
              int timeout_ms, const _Atomic bool *keep_going);

/* Resume from suspend if needed, then drop and prepare (RT thread). */
int pcm_reset(struct pcm_stream *s);

/* The human summary of what was negotiated, e.g.
 * "hw:0 capture: S32_LE 2 ch 48000 Hz, period 256 frames (5.33 ms), buffer 1024 frames (21.33 ms)" */
void pcm_describe(const struct pcm_stream *s, char *out, size_t len);

#endif
