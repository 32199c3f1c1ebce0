/* loudness.c - R128 loudness from a sample tap (see loudness.h).  Control
 * thread only. */
#include "loudness.h"

#include <ebur128.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "gain.h"

struct loudness {
	ebur128_state *state;
	struct engine *engine;
	int tap;
	unsigned channels, rate;
	unsigned long long frames;
};

static ebur128_state *new_state(unsigned channels, unsigned rate)
{
	return ebur128_init(channels, rate, EBUR128_MODE_M | EBUR128_MODE_S |
	                    EBUR128_MODE_I | EBUR128_MODE_LRA |
	                    EBUR128_MODE_SAMPLE_PEAK);
}

int loudness_start(struct loudness **ret, struct engine *e, int tap)
{
	const struct dspd_config *cfg = engine_config(e);
	struct loudness *l;

	*ret = NULL;
	if (tap < 0)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->engine = e;
	l->tap = tap;
	l->rate = cfg->rate;
	l->channels = engine_tap_channels(e, (enum meter_tap)tap);
	l->state = new_state(l->channels, l->rate);
	if (!l->state) {
		free(l);
		return -ENOMEM;
	}
	engine_tap_start(e, (enum meter_tap)tap);
	*ret = l;
	return 0;
}

void loudness_stop(struct loudness *l)
{
	if (!l)
		return;
	engine_tap_stop(l->engine, (enum meter_tap)l->tap);
	ebur128_destroy(&l->state);
	free(l);
}

int loudness_tap(const struct loudness *l)
{
	return l ? l->tap : -1;
}

void loudness_feed(struct loudness *l, const float *interleaved, size_t frames)
{
	if (frames == 0)
		return;
	ebur128_add_frames_float(l->state, interleaved, frames);
	l->frames += frames;
}

int loudness_reset(struct loudness *l)
{
	ebur128_state *fresh = new_state(l->channels, l->rate);

	if (!fresh)
		return -ENOMEM;
	ebur128_destroy(&l->state);
	l->state = fresh;
	l->frames = 0;
	return 0;
}

static double lufs(int r, double v)
{
	return r != EBUR128_SUCCESS || !isfinite(v) || v < LOUDNESS_FLOOR_LUFS ?
	       LOUDNESS_FLOOR_LUFS : v;
}

void loudness_read(struct loudness *l, struct loudness_reading *ret)
{
	double v = 0.0;
	int r;

	ret->tap = l->tap;
	r = ebur128_loudness_momentary(l->state, &v);
	ret->momentary_lufs = lufs(r, v);
	r = ebur128_loudness_shortterm(l->state, &v);
	ret->short_term_lufs = lufs(r, v);
	r = ebur128_loudness_global(l->state, &v);
	ret->integrated_lufs = lufs(r, v);
	r = ebur128_loudness_range(l->state, &v);
	ret->range_lu = r == EBUR128_SUCCESS && isfinite(v) ? v : 0.0;
	ret->channels = l->channels;
	for (unsigned ch = 0; ch < l->channels; ch++) {
		double peak = 0.0;

		ebur128_sample_peak(l->state, ch, &peak);
		ret->sample_peak_dbfs[ch] = gain_linear_to_db(peak);
	}
	ret->seconds = (double)l->frames / l->rate;
}
