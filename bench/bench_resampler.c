/* bench_resampler.c - the capture resampler (resampler.c) measured the way
 * the engine drives it (pull one period, push a capture period only when
 * the pull ran short): for each quality and conversion, THD+N of a 1 kHz
 * -6 dBFS tone, passband ripple and the -3 dB edge from tones (every tone
 * fitted by least squares at its known output frequency), and speed as x
 * realtime for stereo plus the ratio against an anchor measured in the same
 * run: a plain interleave + copy back of the same input frames, the least
 * any converter fed planar periods does.  Single-threaded; one table row
 * per case.
 *   bench_resampler [SECONDS_PER_SPEED_CASE]   (default 0.4) */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resampler.h"
#include "../tests/unit/tone_fit.h"

#define PERIOD 256
#define CHANNELS 2
#define AMP 0.5                 /* -6 dBFS */
#define TONE_HZ 1000.0
#define RIPPLE_TONES 30
#define THD_SECONDS 1.0
#define TONE_SECONDS 0.3        /* ripple and edge tones */
#define SPEED_INPUT_SECONDS 1   /* looped */
#define MAX_SECONDS 2.0         /* longest signal, settling included */

struct conversion {
	double in_rate, out_rate, adjust;
	const char *name;
};

static const struct conversion conversions[] = {
	{ 48000, 48000, 300e-6, "48000->48000 +300ppm" },
	{ 44100, 48000, 0.0, "44100->48000" },
	{ 48000, 44100, 0.0, "48000->44100" },
	{ 96000, 48000, 0.0, "96000->48000" },
};

static const enum rs_quality qualities[] = { RS_FAST, RS_MEDIUM, RS_BEST };

static float *in_planes[CHANNELS], *out_planes[CHANNELS];
static size_t in_cap, out_cap;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int alloc_buffers(void)
{
	in_cap = (size_t)(96000 * MAX_SECONDS) + PERIOD;
	out_cap = (size_t)(48000 * MAX_SECONDS) + PERIOD;
	for (int ch = 0; ch < CHANNELS; ch++) {
		in_planes[ch] = calloc(in_cap, sizeof(float));
		out_planes[ch] = calloc(out_cap, sizeof(float));
		if (!in_planes[ch] || !out_planes[ch])
			return -1;
	}
	return 0;
}

static void make_tone(double freq, double rate, size_t frames)
{
	double w = 2.0 * M_PI * freq / rate;

	for (int ch = 0; ch < CHANNELS; ch++)
		for (size_t i = 0; i < frames; i++)
			in_planes[ch][i] = (float)(AMP * sin(w * (double)i + ch));
}

/* Output frames [0, frames) from the input planes, one period at a time
 * the engine's way; the input wraps at in_len (a multiple of PERIOD). */
static void convert(struct resampler *rs, size_t in_len, size_t frames)
{
	size_t fed = 0;

	for (size_t out = 0; out < frames; out += PERIOD) {
		uint32_t want = frames - out < PERIOD ? (uint32_t)(frames - out) : PERIOD;
		uint32_t done = 0;

		while ((done += resampler_pull(rs, out_planes, (uint32_t)out + done,
		                               want - done)) < want) {
			const float *in[CHANNELS];

			if (fed + PERIOD > in_len)
				fed = 0;
			for (int ch = 0; ch < CHANNELS; ch++)
				in[ch] = in_planes[ch] + fed;
			resampler_push(rs, in, PERIOD);
			fed += PERIOD;
		}
	}
}

struct tone_result {
	double gain_db, thdn_db;
};

/* One tone through a fresh converter: its gain and THD+N over `seconds`
 * of output after the filter settled. */
static int measure_tone(const struct conversion *cv, enum rs_quality q,
                        double freq, double seconds, struct tone_result *res)
{
	struct resampler *rs;
	double ratio, w, amp, resid;
	size_t settle, window, in_len;

	if (resampler_create(&rs, CHANNELS, cv->in_rate, cv->out_rate, q, PERIOD) < 0)
		return -1;
	resampler_set_adjust(rs, cv->adjust);
	ratio = resampler_ratio(rs);
	settle = (size_t)ceil(resampler_delay(rs) * ratio) + 4 * PERIOD;
	window = (size_t)(seconds * cv->out_rate);
	in_len = (size_t)((settle + window) / ratio) + 4 * PERIOD;
	in_len -= in_len % PERIOD;
	if (in_len > in_cap || settle + window > out_cap) {
		resampler_free(rs);
		return -1;
	}
	make_tone(freq, cv->in_rate, in_len);
	convert(rs, in_len, settle + window);
	/* the output rate sees the input clock's frequency times (1 + adjust) */
	w = 2.0 * M_PI * freq * (1.0 + cv->adjust) / cv->out_rate;
	fit_tone(out_planes[0] + settle, window, w, &amp, &resid);
	res->gain_db = 20.0 * log10(amp / AMP);
	res->thdn_db = 20.0 * log10(resid / (amp / sqrt(2.0)));
	resampler_free(rs);
	return 0;
}

/* Where ripple is measured: 20 Hz to 16 kHz, the band every converter
 * here must keep flat at 44.1 kHz (the -3 dB edge is printed apart). */
static double top_frequency(const struct conversion *cv, enum rs_quality q)
{
	(void)cv;
	(void)q;
	return 16000.0;
}

/* max - min of the gain over RIPPLE_TONES log-spaced tones, 20 Hz up */
static int ripple_db(const struct conversion *cv, enum rs_quality q, double *ripple)
{
	double top = top_frequency(cv, q), lo = INFINITY, hi = -INFINITY;
	struct tone_result t;

	for (int i = 0; i < RIPPLE_TONES; i++) {
		double f = 20.0 * pow(top / 20.0, i / (RIPPLE_TONES - 1.0));

		if (measure_tone(cv, q, f, TONE_SECONDS, &t) < 0)
			return -1;
		lo = fmin(lo, t.gain_db);
		hi = fmax(hi, t.gain_db);
	}
	*ripple = hi - lo;
	return 0;
}

/* The highest frequency still within 3 dB of the 1 kHz gain, by bisection
 * between 1 kHz and just under the lower rate's Nyquist. */
static int edge_3db(const struct conversion *cv, enum rs_quality q,
                    double ref_db, double *edge)
{
	double low_rate = cv->in_rate < cv->out_rate ? cv->in_rate : cv->out_rate;
	double pass = TONE_HZ, stop = 0.4995 * low_rate;
	struct tone_result t;

	if (measure_tone(cv, q, stop, TONE_SECONDS, &t) < 0)
		return -1;
	if (t.gain_db > ref_db - 3.0) {
		*edge = stop;
		return 0;
	}
	while (stop - pass > 5.0) {
		double mid = 0.5 * (pass + stop);

		if (measure_tone(cv, q, mid, TONE_SECONDS, &t) < 0)
			return -1;
		if (t.gain_db > ref_db - 3.0)
			pass = mid;
		else
			stop = mid;
	}
	*edge = 0.5 * (pass + stop);
	return 0;
}

/* x realtime of the stereo conversion, looping one second of input */
static double convert_speed(const struct conversion *cv, enum rs_quality q,
                            double seconds)
{
	size_t in_len = (size_t)cv->in_rate * SPEED_INPUT_SECONDS;
	size_t chunk = (size_t)cv->out_rate / 4;
	struct resampler *rs;
	double t0, t, audio = 0.0;

	in_len -= in_len % PERIOD;
	if (resampler_create(&rs, CHANNELS, cv->in_rate, cv->out_rate, q, PERIOD) < 0)
		return -1.0;
	resampler_set_adjust(rs, cv->adjust);
	make_tone(TONE_HZ, cv->in_rate, in_len);
	t0 = now();
	do {
		convert(rs, in_len, chunk);
		audio += (double)chunk / cv->out_rate;
		t = now() - t0;
	} while (t < seconds);
	resampler_free(rs);
	return audio / t;
}

/* The anchor: interleave each input period and copy it back out planar,
 * x realtime at the input rate. */
static double copy_speed(const struct conversion *cv, double seconds)
{
	static float interleaved[PERIOD * CHANNELS];
	size_t in_len = (size_t)cv->in_rate * SPEED_INPUT_SECONDS;
	unsigned long long frames = 0;
	double t0 = now(), t;

	in_len -= in_len % PERIOD;
	do {
		for (size_t pos = 0; pos + PERIOD <= in_len; pos += PERIOD) {
			float *d = interleaved;

			for (unsigned i = 0; i < PERIOD; i++)
				for (int ch = 0; ch < CHANNELS; ch++)
					*d++ = in_planes[ch][pos + i];
			__asm__ volatile("" ::: "memory");
			d = interleaved;
			for (unsigned i = 0; i < PERIOD; i++)
				for (int ch = 0; ch < CHANNELS; ch++)
					out_planes[ch][i] = *d++;
			__asm__ volatile("" ::: "memory");
			frames += PERIOD;
		}
		t = now() - t0;
	} while (t < seconds);
	return (double)frames / cv->in_rate / t;
}

static int run_case(const struct conversion *cv, enum rs_quality q, double seconds)
{
	struct tone_result thd;
	double ripple, edge, speed, anchor;

	if (measure_tone(cv, q, TONE_HZ, THD_SECONDS, &thd) < 0 ||
	    ripple_db(cv, q, &ripple) < 0 ||
	    edge_3db(cv, q, thd.gain_db, &edge) < 0)
		return -1;
	speed = convert_speed(cv, q, seconds);
	anchor = copy_speed(cv, seconds / 2);
	if (speed < 0)
		return -1;
	printf("%-7s %-22s %9.1f %10.5f %10.0f %10.0f %11.0f %9.4f\n",
	       rs_quality_name(q), cv->name, thd.thdn_db, ripple, top_frequency(cv, q),
	       edge, speed, speed / anchor);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0.4;

	if (seconds <= 0)
		seconds = 0.4;
	if (alloc_buffers() < 0) {
		fprintf(stderr, "bench_resampler: out of memory\n");
		return 1;
	}
	printf("stereo, period %d, 1 kHz at -6 dBFS; ripple over %d tones 20 Hz..16 kHz;"
	       " speed in x realtime, anchor: interleave+copy\n", PERIOD, RIPPLE_TONES);
	printf("%-7s %-22s %9s %10s %10s %10s %11s %9s\n", "quality", "conversion",
	       "THD+N dB", "ripple dB", "top Hz", "-3dB Hz", "x realtime", "rs/copy");
	for (size_t q = 0; q < sizeof(qualities) / sizeof(qualities[0]); q++)
		for (size_t c = 0; c < sizeof(conversions) / sizeof(conversions[0]); c++)
			if (run_case(&conversions[c], qualities[q], seconds) < 0) {
				fprintf(stderr, "bench_resampler: %s %s failed\n",
				        rs_quality_name(qualities[q]), conversions[c].name);
				return 1;
			}
	return 0;
}
