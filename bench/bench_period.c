/* bench_period.c - cost of the RT thread's per-period work (decode, meters,
 * gain ramp, encode) for each sample format, stereo, 256-frame periods,
 * against an anchor measured in the same run: a plain memcpy of the same
 * capture bytes to the playback buffer (the least any loop must do).
 *
 * Prints per format: ns per period, the share of a 48 kHz period's time
 * budget, and the ratio to the anchor.  Median of 7 runs of 20000 periods. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "gain.h"
#include "meter.h"
#include "bench_util.h"

#define FRAMES 256
#define CHANNELS 2
#define PERIODS 20000
#define RUNS 7

static unsigned char in_raw[FRAMES * CHANNELS * 8], out_raw[FRAMES * CHANNELS * 8];
static float work_mem[CHANNELS][FRAMES];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_ns_per_period(void (*run)(const struct fmt_codec *),
                                   const struct fmt_codec *c)
{
	double t[RUNS];

	for (int r = 0; r < RUNS; r++) {
		double t0 = now_s();

		run(c);
		t[r] = (now_s() - t0) * 1e9 / PERIODS;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

static void run_memcpy(const struct fmt_codec *c)
{
	size_t bytes = (size_t)FRAMES * CHANNELS * c->bytes;

	for (int p = 0; p < PERIODS; p++) {
		in_raw[p % bytes] ^= 1;
		memcpy(out_raw, in_raw, bytes);
		__asm__ volatile("" : : "r"(out_raw) : "memory");
	}
}

static void run_chain(const struct fmt_codec *c)
{
	float *work[CHANNELS] = { work_mem[0], work_mem[1] };
	uint64_t clips[CHANNELS];
	struct meter_block m;
	struct gain_ramp g;

	gain_ramp_init(&g, 1.0f);
	gain_ramp_set(&g, 0.5f, 48000 * 3600);   /* a ramp running all along */
	meter_block_reset(&m, CHANNELS, CHANNELS);
	for (int p = 0; p < PERIODS; p++) {
		c->decode(in_raw, work, CHANNELS, FRAMES);
		meter_block_add(&m, METER_TAP_CAPTURE, (const float *const *)work, FRAMES, c->clip_level);
		gain_ramp_process(&g, work, CHANNELS, 3, FRAMES);
		memset(clips, 0, sizeof(clips));
		c->encode((const float *const *)work, out_raw, CHANNELS, FRAMES, clips);
		meter_block_add(&m, METER_TAP_PLAYBACK, (const float *const *)work, FRAMES, 0.0f);
		__asm__ volatile("" : : "r"(out_raw) : "memory");
	}
}

int main(void)
{
	static const char *const names[] = { "S16_LE", "S24_LE", "S24_3LE", "S32_LE", "FLOAT_LE", "FLOAT64_LE", "U8" };
	const double budget_ns = 1e9 * FRAMES / 48000.0;

	for (size_t i = 0; i < sizeof(in_raw); i++)
		in_raw[i] = (unsigned char)(rand() >> 7);
	/* keep float inputs finite and in range */
	printf("per-period RT work, %d frames x %d ch (budget at 48 kHz: %.0f ns)\n",
	       FRAMES, CHANNELS, budget_ns);
	printf("%-11s %12s %12s %10s %14s\n", "format", "anchor ns", "dspd ns", "ratio", "share of budget");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct fmt_codec *c = fmt_codec_by_name(names[i]);
		double anchor, chain;

		if (c->format == SND_PCM_FORMAT_FLOAT_LE || c->format == SND_PCM_FORMAT_FLOAT64_LE)
			memset(in_raw, 0, sizeof(in_raw));
		anchor = median_ns_per_period(run_memcpy, c);
		chain = median_ns_per_period(run_chain, c);
		printf("%-11s %12.0f %12.0f %9.1fx %13.3f%%\n", names[i], anchor, chain,
		       chain / anchor, 100.0 * chain / budget_ns);
	}
	return 0;
}
