/* bench_pipeline.c - the reference pipeline's per-period cost off the
 * device: stereo, 256-frame periods at 48 kHz, a 10-band PEQ, a 16384-tap
 * FIR (non-uniform partitions, the default), a limiter and a meter, built
 * by pipeline_build exactly as the daemon builds it.
 *
 * The anchor, measured in the same run, is the blocks' own process()
 * calls in a row with nothing around them; pipeline_process adds the graph
 * walk and the non-finite guard after every block, and its ratio to the
 * anchor is what the graph itself costs.  Each block alone is printed too,
 * to show where the time goes.  Medians of 7 runs of 4096 periods (a
 * whole number of the FIR's 16-period cycle), after a warm-up.
 *
 * The daemon's thread sleeps between periods while other processes run,
 * so its caches are colder than a loop's: the last figure is the pipeline
 * with L1 and L2 evicted before every period (an 8 MiB buffer written),
 * which is what a cache-friendlier layout of the graph could win back.
 *
 * usage: bench_pipeline [IR_FILE]   (default: a temporary file) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pipeline.h"
#include "bench_util.h"

#define FRAMES 256
#define CHANNELS 2
#define TAPS 16384
#define PERIODS 4096
#define RUNS 7

static float rows[FX_MAX_CHANNELS][FRAMES];
static float *bufs[FX_MAX_CHANNELS];
static float input[CHANNELS][FRAMES * 64];
static unsigned char evict_mem[8 << 20];

static uint32_t rng = 9;

static float noise(void)
{
	return noise_next(&rng);
}

/* A room-like IR: a direct sound at -6 dB and a decaying noise tail. */
static int write_ir(const char *path)
{
	FILE *fp = fopen(path, "wb");
	double env = 0.05;

	if (!fp)
		return -1;
	for (unsigned i = 0; i < TAPS; i++, env *= 0.9995) {
		float v = i == 0 ? 0.5f : (float)(2.0 * noise() * env);

		fwrite(&v, sizeof(v), 1, fp);
	}
	return fclose(fp);
}

static struct pipeline *build(const char *ir)
{
	static struct dspd_config cfg;
	struct cfg_errors errs;
	struct pipeline *p;
	char text[4096], err[512];

	snprintf(text, sizeof(text),
	         "{ \"rate\": 48000, \"period_frames\": %d, \"pipeline\": [\n"
	         " { \"type\": \"peq\", \"name\": \"eq\", \"bands\": [\n"
	         "  { \"kind\": \"highpass\", \"freq\": 20 },\n"
	         "  { \"kind\": \"lowshelf\", \"freq\": 80, \"gain_db\": 3 },\n"
	         "  { \"kind\": \"peaking\", \"freq\": 120, \"q\": 4, \"gain_db\": -6 },\n"
	         "  { \"kind\": \"peaking\", \"freq\": 300, \"q\": 1.4, \"gain_db\": 2 },\n"
	         "  { \"kind\": \"peaking\", \"freq\": 700, \"q\": 2, \"gain_db\": -1.5 },\n"
	         "  { \"kind\": \"peaking\", \"freq\": 1500, \"q\": 1, \"gain_db\": 1 },\n"
	         "  { \"kind\": \"notch\", \"freq\": 3000, \"q\": 10 },\n"
	         "  { \"kind\": \"peaking\", \"freq\": 6000, \"q\": 3, \"gain_db\": -3 },\n"
	         "  { \"kind\": \"highshelf\", \"freq\": 10000, \"gain_db\": -2 },\n"
	         "  { \"kind\": \"lowpass\", \"freq\": 20000 } ] },\n"
	         " { \"type\": \"fir\", \"name\": \"room\", \"path\": \"%s\", \"format\": \"f32le\" },\n"
	         " { \"type\": \"limiter\", \"name\": \"guard\", \"ceiling_db\": -0.5 },\n"
	         " { \"type\": \"meter\", \"name\": \"out\" } ] }", FRAMES, ir);
	if (config_load_string(text, strlen(text), "bench", &cfg, &errs) < 0) {
		fprintf(stderr, "bench_pipeline: %s\n", errs.msg[0]);
		exit(1);
	}
	if (pipeline_build(&cfg, CHANNELS, FRAMES, NULL, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		exit(1);
	}
	return p;
}

/* The next period of input: noise at about -12 dBFS, cycling through a
 * precomputed stretch (generating it would be timed too). */
static void feed(unsigned long period)
{
	size_t at = (period % 64) * FRAMES;

	for (unsigned c = 0; c < CHANNELS; c++)
		memcpy(rows[c], &input[c][at], FRAMES * sizeof(float));
}

enum what { ALL_BLOCKS, PIPELINE, ONE_BLOCK };

static double run(struct pipeline *p, enum what what, unsigned block)
{
	double t0 = now_s();

	for (unsigned long n = 0; n < PERIODS; n++) {
		feed(n);
		if (what == PIPELINE)
			pipeline_process(p, bufs, FRAMES);
		else if (what == ONE_BLOCK)
			p->fx[block]->ops->process(p->fx[block], bufs, FRAMES);
		else
			for (unsigned i = 0; i < p->n_fx; i++)
				p->fx[i]->ops->process(p->fx[i], bufs, FRAMES);
		__asm__ volatile("" : : "r"(rows) : "memory");
	}
	return (now_s() - t0) / PERIODS;
}

/* The feed alone, subtracted from every figure. */
static double run_feed(void)
{
	double t0 = now_s();

	for (unsigned long n = 0; n < PERIODS; n++) {
		feed(n);
		__asm__ volatile("" : : "r"(rows) : "memory");
	}
	return (now_s() - t0) / PERIODS;
}

static void evict_caches(void)
{
	for (size_t i = 0; i < sizeof(evict_mem); i += 64)
		evict_mem[i]++;
	__asm__ volatile("" : : "r"(evict_mem) : "memory");
}

/* pipeline_process (block < 0) or one block alone, timed period by
 * period with cold caches. */
static double run_cold(struct pipeline *p, int block)
{
	double sum = 0.0;

	for (unsigned long n = 0; n < PERIODS / 4; n++) {
		double t0;

		feed(n);
		evict_caches();
		t0 = now_s();
		if (block < 0)
			pipeline_process(p, bufs, FRAMES);
		else
			p->fx[block]->ops->process(p->fx[block], bufs, FRAMES);
		sum += now_s() - t0;
		__asm__ volatile("" : : "r"(rows) : "memory");
	}
	return sum / (PERIODS / 4);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t)
{
	qsort(t, RUNS, sizeof(t[0]), compare_double);
	return t[RUNS / 2];
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/dspd-bench-pipeline-XXXXXX";
	const char *ir = argc > 1 ? argv[1] : tmp;
	const double budget = (double)FRAMES / 48000.0;
	double t_all[RUNS], t_pipe[RUNS], t_feed[RUNS], feed_s, all, pipe;
	struct pipeline *p;

	if (argc == 1) {
		int fd = mkstemp(tmp);

		if (fd < 0 || close(fd) < 0 || write_ir(tmp) < 0) {
			perror("bench_pipeline: IR file");
			return 1;
		}
	}
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		bufs[c] = rows[c];
	for (unsigned c = 0; c < CHANNELS; c++)
		for (size_t i = 0; i < FRAMES * 64; i++)
			input[c][i] = 0.5f * noise();
	p = build(ir);
	if (argc == 1)
		unlink(tmp);
	run(p, PIPELINE, 0);                     /* warm caches and the FIR */
	for (int r = 0; r < RUNS; r++) {         /* interleaved: same noise */
		t_feed[r] = run_feed();
		t_all[r] = run(p, ALL_BLOCKS, 0);
		t_pipe[r] = run(p, PIPELINE, 0);
	}
	feed_s = median(t_feed);
	all = median(t_all) - feed_s;
	pipe = median(t_pipe) - feed_s;
	printf("reference pipeline, %d frames x %d ch at 48 kHz (budget %.0f us)\n",
	       FRAMES, CHANNELS, budget * 1e6);
	for (unsigned i = 0; i < p->n_fx; i++) {
		double t[RUNS], cold[RUNS];

		for (int r = 0; r < RUNS; r++) {
			t[r] = run(p, ONE_BLOCK, i);
			cold[r] = run_cold(p, (int)i);
		}
		printf("  block %-6s %-8s %7.2f us  %5.2f %% of budget  (caches "
		       "evicted first: %6.2f us)\n", p->fx[i]->name, p->fx[i]->ops->type,
		       (median(t) - feed_s) * 1e6,
		       100.0 * (median(t) - feed_s) / budget, median(cold) * 1e6);
	}
	printf("  anchor: the blocks' process() in a row  %7.2f us  %5.2f %% of budget\n",
	       all * 1e6, 100.0 * all / budget);
	printf("  pipeline_process (graph walk + guards)  %7.2f us  %5.2f %% of budget  "
	       "ratio %.3fx\n", pipe * 1e6, 100.0 * pipe / budget, pipe / all);
	for (int r = 0; r < RUNS; r++)
		t_pipe[r] = run_cold(p, -1);
	printf("  pipeline_process, L1+L2 evicted first   %7.2f us  %5.2f %% of budget  "
	       "ratio %.3fx\n", median(t_pipe) * 1e6, 100.0 * median(t_pipe) / budget,
	       median(t_pipe) / all);
	pipeline_free(p);
	return 0;
}
