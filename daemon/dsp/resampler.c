/* resampler.c - libsamplerate driven for fixed output with exact position
 * accounting (see resampler.h for threads).
 *
 * libsamplerate takes interleaved floats and copies every input frame it
 * is given into its own buffer (as many as fit); it emits an output frame
 * once the input reaches half the filter's length past that frame's
 * position.  Output frame j sits at input position X_j = sum of 1/ratio
 * over the frames before it, starting at 0 with zeros before the first
 * input (src_reset): so "input frames held" is exactly frames given minus
 * X.  The ratio is changed with src_set_ratio() (a step, not libsamplerate's
 * linear ramp over a call), which keeps X exact. */
#include "resampler.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#define REBASE_FRAMES 1048576.0 /* keep the position small and exact */
#define MAX_LOOKAHEAD 65536     /* frames; libsamplerate needs a few hundred */
#define WORST_ADJUST 1.01       /* the ratio probed: rate_adjust.max_ppm at most 1 % */
#define MAX_CHANNELS 64

struct resampler {
	SRC_STATE *src;
	unsigned channels;
	double nominal;         /* out_rate / in_rate */
	double ratio;           /* nominal / (1 + adjust) */
	uint32_t max_push, max_pull;
	uint32_t delay;         /* look-ahead, queued as silence at reset */
	float *in;              /* interleaved queue: frames [in_pos, in_len) */
	uint32_t in_len, in_pos;
	float *out;             /* interleaved scratch for one pull */
	double given;           /* frames handed to libsamplerate, rebased */
	double position;        /* X of the next output frame, rebased */
};

static int converter_type(enum rs_quality q)
{
	switch (q) {
	case RS_FAST: return SRC_SINC_FASTEST;
	case RS_BEST: return SRC_SINC_BEST_QUALITY;
	case RS_MEDIUM: break;
	}
	return SRC_SINC_MEDIUM_QUALITY;
}

const char *rs_quality_name(enum rs_quality q)
{
	switch (q) {
	case RS_FAST: return "fast";
	case RS_BEST: return "best";
	case RS_MEDIUM: break;
	}
	return "medium";
}

/* How many input frames the converter takes before its first output, at
 * the lowest ratio the correction may reach (a lower ratio widens the
 * filter).  One silent frame at a time into a scratch state. */
static int probe_delay(struct resampler *rs)
{
	const float zeros[MAX_CHANNELS] = { 0 };
	double ratio = rs->nominal / WORST_ADJUST;

	src_reset(rs->src);
	src_set_ratio(rs->src, ratio);
	for (uint32_t n = 1; n <= MAX_LOOKAHEAD; n++) {
		SRC_DATA d = {
			.data_in = zeros, .input_frames = 1,
			.data_out = rs->out, .output_frames = 1, .src_ratio = ratio,
		};

		if (src_process(rs->src, &d) != 0)
			return -EINVAL;
		if (d.output_frames_gen > 0) {
			rs->delay = n;
			return 0;
		}
	}
	return -EINVAL;
}

int resampler_create(struct resampler **ret, unsigned channels, double in_rate,
                     double out_rate, enum rs_quality quality, uint32_t max_push)
{
	struct resampler *rs;
	int err = 0;

	if (channels == 0 || channels > MAX_CHANNELS || max_push == 0 || !(in_rate > 0) || !(out_rate > 0) ||
	    !src_is_valid_ratio(out_rate / in_rate * 1.1) ||
	    !src_is_valid_ratio(out_rate / in_rate / 1.1))
		return -EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->channels = channels;
	rs->nominal = rs->ratio = out_rate / in_rate;
	rs->max_push = max_push;
	rs->max_pull = 1;
	/* one push may give up to (max_push + the filter) * ratio frames */
	rs->out = calloc(channels, sizeof(float));
	rs->src = src_new(converter_type(quality), (int)channels, &err);
	if (!rs->out || !rs->src || (err = probe_delay(rs)) < 0) {
		resampler_free(rs);
		return err < 0 ? err : -ENOMEM;
	}
	free(rs->out);
	rs->max_pull = (uint32_t)ceil((max_push + rs->delay) * rs->nominal * 1.1) + 1;
	rs->in = calloc((size_t)(max_push > rs->delay ? max_push : rs->delay) * channels,
	                sizeof(float));
	rs->out = calloc((size_t)rs->max_pull * channels, sizeof(float));
	if (!rs->in || !rs->out) {
		resampler_free(rs);
		return -ENOMEM;
	}
	resampler_reset(rs);
	*ret = rs;
	return 0;
}

void resampler_free(struct resampler *rs)
{
	if (!rs)
		return;
	if (rs->src)
		src_delete(rs->src);
	free(rs->in);
	free(rs->out);
	free(rs);
}

void resampler_reset(struct resampler *rs)
{
	src_reset(rs->src);
	src_set_ratio(rs->src, rs->ratio);
	memset(rs->in, 0, (size_t)rs->delay * rs->channels * sizeof(float));
	rs->in_len = rs->delay;
	rs->in_pos = 0;
	rs->given = rs->position = 0.0;
}

void resampler_set_adjust(struct resampler *rs, double adjust)
{
	double ratio = rs->nominal / (1.0 + adjust);

	if (ratio != rs->ratio) {
		rs->ratio = ratio;
		src_set_ratio(rs->src, ratio);
	}
}

int resampler_push(struct resampler *rs, const float *const *in, uint32_t n)
{
	float *dst;

	if (rs->in_pos < rs->in_len || n > rs->max_push)
		return -ENOSPC;
	dst = rs->in;
	for (uint32_t i = 0; i < n; i++)
		for (unsigned ch = 0; ch < rs->channels; ch++)
			*dst++ = in[ch][i];
	rs->in_len = n;
	rs->in_pos = 0;
	return 0;
}

uint32_t resampler_pull(struct resampler *rs, float *const *out,
                        uint32_t offset, uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		uint32_t want = n - done > rs->max_pull ? rs->max_pull : n - done;
		SRC_DATA d = {
			.data_in = rs->in + (size_t)rs->in_pos * rs->channels,
			.input_frames = rs->in_len - rs->in_pos,
			.data_out = rs->out,
			.output_frames = want,
			.src_ratio = rs->ratio,
		};
		const float *src;

		if (src_process(rs->src, &d) != 0 ||
		    (d.output_frames_gen == 0 && d.input_frames_used == 0))
			break;
		rs->in_pos += (uint32_t)d.input_frames_used;
		rs->given += (double)d.input_frames_used;
		rs->position += (double)d.output_frames_gen / rs->ratio;
		src = rs->out;
		for (long i = 0; i < d.output_frames_gen; i++, done++)
			for (unsigned ch = 0; ch < rs->channels; ch++)
				out[ch][offset + done] = *src++;
	}
	if (rs->in_pos == rs->in_len)
		rs->in_len = rs->in_pos = 0;
	if (rs->position >= REBASE_FRAMES) {
		double whole = floor(rs->position);

		rs->position -= whole;
		rs->given -= whole;
	}
	return done;
}

double resampler_held(const struct resampler *rs)
{
	return rs->given - rs->position + (double)(rs->in_len - rs->in_pos);
}

uint32_t resampler_delay(const struct resampler *rs)
{
	return rs->delay;
}

double resampler_ratio(const struct resampler *rs)
{
	return rs->ratio;
}
