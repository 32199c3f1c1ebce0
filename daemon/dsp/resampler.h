/* resampler.h - the sample-rate converter between the capture clock and
 * the playback clock: libsamplerate's sinc converters, driven so that the
 * caller asks for exactly the output frames it needs and feeds input only
 * when the converter runs short, with the converter's position accounted
 * exactly (so the frames it holds are known to the frame, see
 * resampler_held()).
 *
 * The ratio is nominal (capture rate to processing rate) times a
 * correction set by the rate controller (rate_ctl.h).  A changed
 * correction takes effect at the next output frame as a step of the
 * position's increment: the phase stays continuous.
 *
 * resampler_create/resampler_free: control thread (they allocate).
 * Everything else: the RT thread; no allocation, no syscall. */
#ifndef DSPD_RESAMPLER_H
#define DSPD_RESAMPLER_H

#include <stdbool.h>
#include <stdint.h>

/* resampler.quality: libsamplerate's SRC_SINC_FASTEST / MEDIUM / BEST */
enum rs_quality { RS_FAST, RS_MEDIUM, RS_BEST };

struct resampler;

/* A converter for channels channels from in_rate to out_rate, accepting
 * pushes of up to max_push frames at a time.  0 or -errno (-EINVAL for a
 * ratio libsamplerate cannot do, -ENOMEM). */
int resampler_create(struct resampler **ret, unsigned channels, double in_rate,
                     double out_rate, enum rs_quality quality, uint32_t max_push);
void resampler_free(struct resampler *rs);

/* Forget everything held (after a re-sync) and queue the converter's
 * delay in silence, so that the first output period needs only the first
 * input period (not one more for the filter's look-ahead).  The
 * correction stays. */
void resampler_reset(struct resampler *rs);

/* Input frames consumed per output frame = in_rate / out_rate * (1 + adjust);
 * adjust > 0 when the capture clock runs fast against the playback clock.
 * |adjust| < 0.1. */
void resampler_set_adjust(struct resampler *rs, double adjust);

/* Queue n (<= max_push) planar input frames; only when resampler_pull()
 * said it needs more (the queue is then empty).  0 or -ENOSPC. */
int resampler_push(struct resampler *rs, const float *const *in, uint32_t n);

/* Write up to n output frames to out[ch][offset...]; returns how many were
 * written: fewer than n means every queued frame is used up and the next
 * output needs more input (push, then pull the rest). */
uint32_t resampler_pull(struct resampler *rs, float *const *out,
                        uint32_t offset, uint32_t n);

/* Input frames pushed but not yet passed by the output position (queued
 * or inside the converter's filter memory), fractional: the converter's
 * share of the capture -> playback latency, in input frames. */
double resampler_held(const struct resampler *rs);

/* The converter's delay: input frames of look-ahead its filter needs at
 * the lowest ratio rate_adjust may reach, queued as silence at reset. */
uint32_t resampler_delay(const struct resampler *rs);

/* The ratio in use, output frames per input frame. */
double resampler_ratio(const struct resampler *rs);

const char *rs_quality_name(enum rs_quality q);

#endif
