/* bench_fir.c - the driver behind bench/bench_fir.sh: dspd's "fir" block
 * (built from a config text through fx_create, exactly as the daemon
 * builds it) run over files as fast as it goes, and the per-period cost of
 * uniform against non-uniform partitioning.
 *
 *   bench_fir noise FILE FRAMES CHANNELS   white noise, float32 LE,
 *                                          interleaved (-0.5..0.5)
 *   bench_fir ir FILE TAPS                 decaying noise IR (gain about
 *                                          0 dB), float32 LE
 *   bench_fir render IR IN OUT PARTITION uniform|non_uniform [KERNEL]
 *                                          stereo f32le IN -> OUT; prints
 *                                          the seconds spent (after setup);
 *                                          KERNEL: conv_kernel_use() name
 *   bench_fir periods IR PERIOD CYCLES     per-period cost, both layouts,
 *                                          CYCLES times 1024 periods
 *
 * Single-threaded; the whole program is the "RT" side plus its setup. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "conv_filter.h"
#include "conv_kernel.h"
#include "fx.h"
#include "bench_util.h"

#define CHANNELS 2
#define MAX_PERIOD 65536

static float rows[FX_MAX_CHANNELS][MAX_PERIOD];
static float frames_buf[MAX_PERIOD * CHANNELS];

static uint32_t rng = 1;

static float noise(void)
{
	return noise_next(&rng);
}

static int write_noise(const char *path, size_t frames, unsigned channels,
                       double level, double decay)
{
	FILE *fp = fopen(path, "wb");
	double env = level;

	if (!fp)
		return -errno;
	for (size_t i = 0; i < frames; i++, env *= decay)
		for (unsigned c = 0; c < channels; c++) {
			float v = (float)(noise() * env);

			fwrite(&v, sizeof(v), 1, fp);
		}
	return fclose(fp) == 0 ? 0 : -errno;
}

/* The fir block of the config text, stereo, `period` frames per call. */
static struct fx *make_block(const char *ir, unsigned period,
                             const char *partitioning)
{
	static struct dspd_config cfg;
	struct fx_env env = { 48000, period, CHANNELS, NULL, 0 };
	struct cfg_errors errs;
	struct fx *fx;
	char text[1024], err[512];

	snprintf(text, sizeof(text), "{ \"rate\": 48000, \"pipeline\": [ { "
	         "\"type\": \"fir\", \"name\": \"fir\", \"path\": \"%s\", "
	         "\"format\": \"f32le\", \"partition\": %u, \"partitioning\": "
	         "\"%s\" } ] }", ir, period, partitioning);
	if (config_load_string(text, strlen(text), "bench", &cfg, &errs) < 0) {
		fprintf(stderr, "bench_fir: %s\n", errs.msg[0]);
		exit(1);
	}
	if (fx_create(&cfg.blocks[0], &env, &fx, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_fir: %s\n", err);
		exit(1);
	}
	return fx;
}

static int render(const char *ir, const char *in, const char *out,
                  unsigned period, const char *partitioning)
{
	struct fx *fx = make_block(ir, period, partitioning);
	float *bufs[FX_MAX_CHANNELS];
	FILE *fi = fopen(in, "rb"), *fo = fopen(out, "wb");
	size_t n;
	double t0;

	if (!fi || !fo) {
		perror("bench_fir");
		return 1;
	}
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		bufs[c] = rows[c];
	t0 = now_s();
	while ((n = fread(frames_buf, CHANNELS * sizeof(float), period, fi)) > 0) {
		for (size_t i = 0; i < n; i++)
			for (unsigned c = 0; c < CHANNELS; c++)
				rows[c][i] = frames_buf[i * CHANNELS + c];
		fx->ops->process(fx, bufs, (uint32_t)n);
		for (size_t i = 0; i < n; i++)
			for (unsigned c = 0; c < CHANNELS; c++)
				frames_buf[i * CHANNELS + c] = rows[c][i];
		if (fwrite(frames_buf, CHANNELS * sizeof(float), n, fo) != n) {
			perror("bench_fir: write");
			return 1;
		}
	}
	printf("%.6f\n", now_s() - t0);
	fclose(fi);
	fclose(fo);
	fx->ops->destroy(fx);
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Per-period time of one layout.  The work of a non-uniform layout repeats
 * every (largest block / period) periods, a divisor of CYCLE; the median
 * over the cycles of each position in the cycle takes the scheduler's
 * noise out, and its maximum is the structural worst period.  Raw 99.9th
 * percentile and maximum include this VM's jitter. */
#define CYCLE 1024

static double median_of_phase(const double *t, unsigned cycles, unsigned phase,
                              double *scratch)
{
	for (unsigned c = 0; c < cycles; c++)
		scratch[c] = t[(size_t)c * CYCLE + phase];
	qsort(scratch, cycles, sizeof(double), compare_double);
	return scratch[cycles / 2];
}

static void period_costs(const char *ir, unsigned period, unsigned cycles,
                         const char *partitioning)
{
	struct fx *fx = make_block(ir, period, partitioning);
	size_t count = (size_t)cycles * CYCLE;
	double *t = malloc(count * sizeof(double)), *scratch = malloc(cycles * sizeof(double));
	double sum = 0.0, worst_phase = 0.0;
	float *bufs[FX_MAX_CHANNELS];

	if (!t || !scratch)
		exit(1);
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		bufs[c] = rows[c];
	for (size_t p = 0; p < count; p++) {
		double t0;

		for (unsigned i = 0; i < period; i++)
			for (unsigned c = 0; c < CHANNELS; c++)
				rows[c][i] = noise();
		t0 = now_s();
		fx->ops->process(fx, bufs, period);
		t[p] = now_s() - t0;
		sum += t[p];
	}
	for (unsigned ph = 0; ph < CYCLE; ph++) {
		double m = median_of_phase(t, cycles, ph, scratch);

		worst_phase = m > worst_phase ? m : worst_phase;
	}
	qsort(t, count, sizeof(double), compare_double);
	printf("%-12s period %u: mean %6.1f us, worst period (median over %u "
	       "cycles) %6.1f us, raw p99.9 %6.1f us, raw max %7.1f us; budget "
	       "%.0f us at 48 kHz\n", partitioning, period, sum / count * 1e6,
	       cycles, worst_phase * 1e6, t[(size_t)(count * 0.999)] * 1e6,
	       t[count - 1] * 1e6, period / 48000.0 * 1e6);
	free(scratch);
	free(t);
	fx->ops->destroy(fx);
}

static unsigned arg_unsigned(const char *s, unsigned max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v == 0 || v > max) {
		fprintf(stderr, "bench_fir: bad number \"%s\"\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	/* the plans of a daemon with an fftw_wisdom file (the packaged
	 * configuration), as before the estimate default (#19) */
	conv_set_planning(CONV_PLAN_MEASURE);
	if (argc == 5 && strcmp(argv[1], "noise") == 0)
		return write_noise(argv[2], arg_unsigned(argv[3], UINT32_MAX),
		                   arg_unsigned(argv[4], 64), 1.0, 1.0) < 0;
	if (argc == 4 && strcmp(argv[1], "ir") == 0)
		return write_noise(argv[2], arg_unsigned(argv[3], 1u << 24), 1,
		                   0.01, 0.9999) < 0;
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "render") == 0) {
		if (argc == 8 && conv_kernel_use(argv[7]) < 0) {
			fprintf(stderr, "bench_fir: kernel \"%s\" unavailable\n",
			        argv[7]);
			return 2;
		}
		return render(argv[2], argv[3], argv[4],
		              arg_unsigned(argv[5], MAX_PERIOD), argv[6]);
	}
	if (argc == 5 && strcmp(argv[1], "periods") == 0) {
		unsigned period = arg_unsigned(argv[3], MAX_PERIOD);
		unsigned cycles = arg_unsigned(argv[4], 1000);

		period_costs(argv[2], period, cycles, "uniform");
		period_costs(argv[2], period, cycles, "non_uniform");
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of bench/bench_fir.c\n");
	return 2;
}
