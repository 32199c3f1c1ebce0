/* bench_biquad.c - throughput of a 10-band peq block (built from a config
 * text, as dspd builds it) on 2 and 8 channels, in frames per second, and
 * as a ratio against an anchor measured in the same run: a plain float copy
 * loop over the same buffers.  The ratio travels between machines better
 * than the raw figure.  Single-threaded; prints one line per case.
 *   bench_biquad [SECONDS_PER_CASE]   (default 1) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fx.h"

#define PERIOD 256
#define RATE 48000

static const char peq_text[] =
	"{\"rate\": 48000, \"pipeline\": [{\"type\": \"peq\", \"name\": \"eq\","
	" \"bands\": ["
	" {\"kind\": \"highpass\", \"freq\": 20},"
	" {\"kind\": \"lowshelf\", \"freq\": 80, \"gain_db\": 3},"
	" {\"kind\": \"peaking\", \"freq\": 120, \"q\": 4, \"gain_db\": -6},"
	" {\"kind\": \"peaking\", \"freq\": 300, \"q\": 1.4, \"gain_db\": 2},"
	" {\"kind\": \"peaking\", \"freq\": 700, \"q\": 2, \"gain_db\": -1.5},"
	" {\"kind\": \"peaking\", \"freq\": 1500, \"q\": 1, \"gain_db\": 1},"
	" {\"kind\": \"notch\", \"freq\": 3000, \"q\": 10},"
	" {\"kind\": \"peaking\", \"freq\": 6000, \"q\": 3, \"gain_db\": -3},"
	" {\"kind\": \"highshelf\", \"freq\": 10000, \"gain_db\": -2},"
	" {\"kind\": \"lowpass\", \"freq\": 20000}]}]}";

static float bufs_mem[FX_MAX_CHANNELS][PERIOD], src_mem[FX_MAX_CHANNELS][PERIOD];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(unsigned channels)
{
	for (unsigned ch = 0; ch < channels; ch++)
		for (unsigned i = 0; i < PERIOD; i++)
			src_mem[ch][i] = bufs_mem[ch][i] =
				(float)(0.5 * sin(0.01 * (i + 37 * ch)));
}

/* The anchor: copy every channel's period, as a block that does nothing
 * but touch its samples would. */
static double copy_frames_per_s(unsigned channels, double seconds)
{
	double t0 = now(), t;
	unsigned long long frames = 0;

	do {
		for (int rep = 0; rep < 64; rep++) {
			for (unsigned ch = 0; ch < channels; ch++) {
				const float *s = src_mem[ch];
				float *d = bufs_mem[ch];

				for (unsigned i = 0; i < PERIOD; i++)
					d[i] = s[i];
			}
			__asm__ volatile("" ::: "memory");
			frames += PERIOD;
		}
		t = now() - t0;
	} while (t < seconds);
	return frames / t;
}

static double peq_frames_per_s(struct fx *fx, unsigned channels, double seconds)
{
	float *bufs[FX_MAX_CHANNELS];
	unsigned long long frames = 0;
	double t0, t;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = bufs_mem[ch];
	t0 = now();
	do {
		for (int rep = 0; rep < 64; rep++) {
			fx->ops->process(fx, bufs, PERIOD);
			frames += PERIOD;
		}
		t = now() - t0;
	} while (t < seconds);
	return frames / t;
}

static int run_case(const struct dspd_config *cfg, unsigned channels,
                    double seconds)
{
	struct fx_env env = { RATE, PERIOD, channels, NULL, 0 };
	double copy, peq;
	struct fx *fx;
	char err[256];

	if (fx_create(&cfg->blocks[0], &env, &fx, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_biquad: %s\n", err);
		return -1;
	}
	fill(channels);
	copy = copy_frames_per_s(channels, seconds);
	peq = peq_frames_per_s(fx, channels, seconds);
	printf("peq10 %u ch: %.3g frames/s (%.0fx realtime at %u Hz); "
	       "copy anchor %.3g frames/s; peq/copy %.4f\n", channels, peq,
	       peq / RATE, RATE, copy, peq / copy);
	fx->ops->destroy(fx);
	return 0;
}

int main(int argc, char **argv)
{
	static struct dspd_config cfg;
	struct cfg_errors errs;
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;

	if (seconds <= 0)
		seconds = 1.0;
	if (config_load_string(peq_text, strlen(peq_text), "bench", &cfg,
	                       &errs) < 0) {
		fprintf(stderr, "bench_biquad: %s\n", errs.msg[0]);
		return 1;
	}
	if (run_case(&cfg, 2, seconds) < 0 || run_case(&cfg, 8, seconds) < 0)
		return 1;
	return 0;
}
