/* test_schedule.c - the parallel pipeline (pipeline_schedule.h, workers.h):
 * random graphs run on 1, 2, 3 and 4 workers give the same output bit for
 * bit, and the same as every block's own process() called in graph order;
 * the plan keeps a small graph on the caller and spreads independent
 * filter chains; a stalled worker makes a late run (-ETIMEDOUT, then
 * -EBUSY) that names the block, never a hang, and the pipeline recovers.
 * Runs worker threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "pipeline.h"
#include "workers.h"

#define PERIOD 128
#define PERIODS 12
#define LATE_PERIOD 2048

static float rows[FX_MAX_CHANNELS][PERIOD];
static float *bufs[FX_MAX_CHANNELS];

static uint32_t rng_state;
static char tmpdir[64];
static unsigned n_files;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static unsigned rnd_below(unsigned n)
{
	return rnd() % n;
}

static void append(char *out, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *out, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, size - *len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < size - *len);
	*len += (size_t)n;
}

/* A raw f32le IR of taps decaying taps in tmpdir; its path in out. */
static void ir_file(char *path, size_t size, unsigned taps, float scale)
{
	float *h = malloc(taps * sizeof(float));
	FILE *fp;

	assert_non_null(h);
	for (unsigned t = 0; t < taps; t++)
		h[t] = scale * ((int)(rnd() % 2001) - 1000) / 1000.0f *
		       (float)exp(-(double)t / (taps / 4.0 + 1.0));
	snprintf(path, size, "%s/ir%u.raw", tmpdir, n_files++);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(h, sizeof(float), taps, fp), taps);
	fclose(fp);
	free(h);
}

/* "channels": a random non-empty subset of 0..channels-1 */
static void channels_key(char *out, size_t size, size_t *len, unsigned channels)
{
	uint32_t mask = 0;
	bool first = true;

	while (!mask)
		mask = rnd() & ((1u << channels) - 1);
	append(out, size, len, ", \"channels\": [");
	for (unsigned ch = 0; ch < channels; ch++) {
		if (!(mask & (1u << ch)))
			continue;
		append(out, size, len, "%s%u", first ? "" : ", ", ch);
		first = false;
	}
	append(out, size, len, "]");
}

/* A random pipeline: filter chains, join points (gain ramps, linked
 * dynamics, mixers that change the channel count) in random order. */
static void mixer(char *out, size_t size, size_t *len, unsigned i,
                  unsigned from, unsigned to)
{
	append(out, size, len, "%s{\"name\": \"b%u\", \"type\": \"mixer\", "
	       "\"channels_in\": %u, \"channels_out\": %u, \"routes\": [",
	       i ? ", " : "", i, from, to);
	for (unsigned o = 0; o < to; o++)
		append(out, size, len, "%s{\"out\": %u, \"in\": %u, \"gain_db\": -%u}",
		       o ? ", " : "", o, rnd_below(from), rnd_below(6));
	append(out, size, len, "]}");
}

/* Capture and playback of 1..8 channels; mixers in between keep to the
 * larger of the two (the configuration's rule), the last one ends on the
 * playback's count. */
static unsigned random_graph(char *out, size_t size, unsigned *ret_in)
{
	unsigned channels = 1 + rnd_below(8), play = 1 + rnd_below(8);
	unsigned most = channels > play ? channels : play, n = 3 + rnd_below(10), i;
	size_t len = 0;

	*ret_in = channels;
	append(out, size, &len, "{\"capture\": {\"channels\": %u}, \"playback\": "
	       "{\"channels\": %u}, \"period_frames\": %u, \"pipeline\": [",
	       channels, play, PERIOD);
	for (i = 0; i < n; i++) {
		unsigned kind = rnd_below(9);

		if (kind == 8) {
			unsigned to = 1 + rnd_below(most);

			mixer(out, size, &len, i, channels, to);
			channels = to;
			continue;
		}

		append(out, size, &len, "%s{\"name\": \"b%u\", ", i ? ", " : "", i);
		switch (kind) {
		case 0:
		case 1: {
			char path[128];

			ir_file(path, sizeof(path), 1 + rnd_below(3000), 0.3f);
			append(out, size, &len, "\"type\": \"fir\", \"partition\": %u, "
			       "\"partitioning\": \"%s\", \"path\": \"%s\", "
			       "\"format\": \"f32le\"", 16u << rnd_below(4),
			       rnd_below(2) ? "uniform" : "non_uniform", path);
			break;
		}
		case 2:
			append(out, size, &len, "\"type\": \"biquad\", \"kind\": \"peaking\", "
			       "\"freq\": %u, \"q\": 2, \"gain_db\": %d", 100 + rnd_below(9000),
			       (int)rnd_below(13) - 6);
			break;
		case 3:
			append(out, size, &len, "\"type\": \"linkwitz_riley\", \"kind\": "
			       "\"lowpass\", \"freq\": %u, \"order\": 4", 200 + rnd_below(5000));
			break;
		case 4:
			append(out, size, &len, "\"type\": \"delay\", \"value\": %u, "
			       "\"unit\": \"samples\"", 1 + rnd_below(300));
			break;
		case 5:
			append(out, size, &len, "\"type\": \"gain\", \"db\": %d",
			       (int)rnd_below(13) - 9);
			break;
		case 6:
			append(out, size, &len, "\"type\": \"dither\", \"bits\": 16");
			break;
		case 7:
			append(out, size, &len, "\"type\": \"limiter\", \"lookahead_ms\": 1, "
			       "\"ceiling_db\": -3");
			break;
		default:
			append(out, size, &len, "\"type\": \"limiter\", \"lookahead_ms\": 1, "
			       "\"ceiling_db\": -3");
			break;
		}
		if (kind != 7 || rnd_below(2))
			channels_key(out, size, &len, channels);
		append(out, size, &len, "}");
	}
	/* a pipeline with a mixer must end on the playback's channels */
	if (channels != play || (strstr(out, "mixer") && channels != play))
		mixer(out, size, &len, i, channels, play);
	append(out, size, &len, "]}");
	return play;
}

static void load(const char *text, unsigned threads, struct dspd_config *cfg)
{
	struct cfg_errors errs;

	if (config_load_string(text, strlen(text), "t.conf", cfg, &errs) != 0) {
		for (unsigned i = 0; i < errs.count; i++)
			print_error("%s\n", errs.msg[i]);
		fail_msg("config: %s", text);
	}
	cfg->realtime.threads = threads;
}

static void fill_input(unsigned period, unsigned channels)
{
	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		for (unsigned i = 0; i < PERIOD; i++)
			rows[ch][i] = ch < channels
			              ? (float)sin((period * PERIOD + i) * (0.01 + 0.013 * ch)) * 0.8f
			              : 0.0f;
}

/* Every block's whole process() in graph order: how the pipeline ran
 * before it had tasks. */
static void process_blocks(struct pipeline *p)
{
	for (unsigned i = 0; i < p->n_fx; i++)
		if (!p->fx[i]->bypass)
			p->fx[i]->ops->process(p->fx[i], bufs, PERIOD);
}

enum how { TASKS, DEALT, BLOCKWISE };

static float *run_graph(const char *text, unsigned threads, enum how how,
                        unsigned *ret_out)
{
	static struct dspd_config cfg;
	struct workers_config wc = { .threads = threads };
	struct workers *pool = NULL;
	unsigned in = 0;
	struct pipeline *p;
	char err[256];
	float *out;
	int rt_err;

	load(text, threads, &cfg);
	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	in = cfg.capture.channels;
	if (pipeline_build(&cfg, in, PERIOD, NULL, &p, err, sizeof(err)) != 0)
		fail_msg("build: %s\n%s", err, text);
	if (threads > 1)
		assert_int_equal(workers_create(&wc, &pool, &rt_err, err, sizeof(err)), 0);
	if (how == DEALT)
		pipeline_schedule_deal(&p->sched);
	out = calloc((size_t)PERIODS * PERIOD * FX_MAX_CHANNELS, sizeof(float));
	for (unsigned k = 0; k < PERIODS; k++) {
		fill_input(k, in);
		if (how == BLOCKWISE)
			process_blocks(p);
		else
			assert_int_equal(pipeline_run(p, pool, bufs, PERIOD, 0), 0);
		for (unsigned ch = 0; ch < p->channels_out; ch++)
			memcpy(out + ((size_t)k * FX_MAX_CHANNELS + ch) * PERIOD, rows[ch],
			       PERIOD * sizeof(float));
	}
	*ret_out = p->channels_out;
	workers_destroy(pool);
	pipeline_free(p);
	return out;
}

static void test_random_graphs_bit_exact(void **state)
{
	static char text[1 << 17];

	(void)state;
	rng_state = 0x9e3779b9u;
	for (unsigned g = 0; g < 40; g++) {
		unsigned channels, n;
		float *ref, *whole;

		random_graph(text, sizeof(text), &channels);
		ref = run_graph(text, 1, TASKS, &n);
		whole = run_graph(text, 1, BLOCKWISE, &n);
		if (memcmp(ref, whole, (size_t)PERIODS * PERIOD * FX_MAX_CHANNELS * sizeof(float)))
			fail_msg("graph %u: tasks differ from whole blocks:\n%s", g, text);
		free(whole);
		for (unsigned threads = 2; threads <= 4; threads++) {
			for (int how = TASKS; how <= DEALT; how++) {
				float *par = run_graph(text, threads, how, &n);

				if (memcmp(ref, par, (size_t)PERIODS * PERIOD *
				           FX_MAX_CHANNELS * sizeof(float)))
					fail_msg("graph %u: %u threads (%s) differ from 1:\n%s",
					         g, threads, how == DEALT ? "dealt" : "planned", text);
				free(par);
			}
		}
		free(ref);
	}
}

/* 8 long filters in parallel lanes, then a mixer: the lanes spread over
 * both workers; a stereo EQ stays on the caller (waking a worker costs
 * more than it saves). */
static void test_plan(void **state)
{
	static char text[1 << 14];
	static struct dspd_config cfg;
	struct pipeline *p;
	size_t len = 0;
	char err[256];

	(void)state;
	append(text, sizeof(text), &len, "{\"capture\": {\"channels\": 8}, "
	       "\"playback\": {\"channels\": 2}, \"pipeline\": [");
	for (unsigned ch = 0; ch < 8; ch++) {
		char path[128];

		ir_file(path, sizeof(path), 16384, 0.01f);
		append(text, sizeof(text), &len, "{\"type\": \"fir\", \"name\": \"f%u\", "
		       "\"channels\": [%u], \"path\": \"%s\", \"format\": \"f32le\"}, ",
		       ch, ch, path);
	}
	append(text, sizeof(text), &len, "{\"type\": \"mixer\", \"name\": \"m\", "
	       "\"channels_in\": 8, \"channels_out\": 2, \"routes\": [{\"out\": 0, "
	       "\"in\": 0}, {\"out\": 1, \"in\": 1}]}]}");
	load(text, 2, &cfg);
	assert_int_equal(pipeline_build(&cfg, 8, 1024, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p->sched.n_tasks, 9);      /* 8 lanes and the mixer */
	assert_true(p->sched.parallel);
	/* the lanes are even: 4 each (the mixer joins them on one side) */
	assert_in_range(p->sched.first[1] - p->sched.first[0], 4, 5);
	assert_in_range(p->sched.first[2] - p->sched.first[1], 4, 5);
	assert_int_equal(p->sched.tasks[8].n_deps, 8);
	pipeline_free(p);

	len = 0;
	append(text, sizeof(text), &len, "{\"capture\": {\"channels\": 2}, "
	       "\"playback\": {\"channels\": 2}, \"pipeline\": [{\"type\": \"peq\", "
	       "\"name\": \"eq\", \"bands\": [{\"kind\": \"peaking\", \"freq\": 100, "
	       "\"q\": 1, \"gain_db\": 3}]}]}");
	load(text, 2, &cfg);
	assert_int_equal(pipeline_build(&cfg, 2, 256, NULL, &p, err, sizeof(err)), 0);
	assert_false(p->sched.parallel);
	pipeline_free(p);
}

/* Worker 1 sleeps 300 ms in a period with a 20 ms deadline: the run is
 * late and names a block on worker 1; the next run cannot start until the
 * worker is back; then runs are whole again and the output is what an
 * unhurried pipeline gives for the same input from there on.  Nothing
 * waits longer than the deadline. */
static float late_rows[4][LATE_PERIOD];

static void fill_late(unsigned k)
{
	for (unsigned ch = 0; ch < 4; ch++) {
		bufs[ch] = late_rows[ch];
		for (unsigned i = 0; i < LATE_PERIOD; i++)
			late_rows[ch][i] = (float)sin((k * LATE_PERIOD + i) * 0.01 * (ch + 1));
	}
}

static void test_late_worker(void **state)
{
	static char text[1 << 14];
	static struct dspd_config cfg;
	struct workers_config wc = { .threads = 2 };
	struct workers *pool;
	struct pipeline *p;
	uint64_t t0, took;
	size_t len = 0;
	char err[256];
	int rt_err, r;

	(void)state;
	append(text, sizeof(text), &len, "{\"capture\": {\"channels\": 4}, "
	       "\"playback\": {\"channels\": 4}, \"pipeline\": [");
	for (unsigned ch = 0; ch < 4; ch++) {
		char path[128];

		ir_file(path, sizeof(path), 8192, 0.01f);
		append(text, sizeof(text), &len, "%s{\"type\": \"fir\", \"name\": \"lane%u\", "
		       "\"channels\": [%u], \"path\": \"%s\", \"format\": \"f32le\"}",
		       ch ? ", " : "", ch, ch, path);
	}
	append(text, sizeof(text), &len, "]}");
	load(text, 2, &cfg);
	assert_int_equal(pipeline_build(&cfg, 4, LATE_PERIOD, NULL, &p, err, sizeof(err)), 0);
	assert_true(p->sched.parallel);
	assert_int_equal(workers_create(&wc, &pool, &rt_err, err, sizeof(err)), 0);
	fill_late(0);
	assert_int_equal(pipeline_run(p, pool, bufs, LATE_PERIOD, 0), 0);

	workers_stall(pool, 1, 300000000u, 1);
	t0 = monotonic_ns();
	r = pipeline_run(p, pool, bufs, LATE_PERIOD, t0 + 20000000u);
	took = monotonic_ns() - t0;
	assert_int_equal(r, -ETIMEDOUT);
	assert_true(took < 200000000u);          /* the deadline, not the stall */
	assert_true(strncmp(pipeline_late_block(p), "lane", 4) == 0);
	assert_false(workers_idle(pool));
	assert_int_equal(pipeline_run(p, pool, bufs, LATE_PERIOD, monotonic_ns() + 1000000u),
	                 -EBUSY);
	t0 = monotonic_ns();
	while (!workers_idle(pool))
		assert_true(monotonic_ns() - t0 < 5000000000u);
	for (unsigned k = 0; k < 4; k++) {
		fill_late(k);
		assert_int_equal(pipeline_run(p, pool, bufs, LATE_PERIOD,
		                              monotonic_ns() + 2000000000u), 0);
		for (unsigned ch = 0; ch < 4; ch++)
			for (unsigned i = 0; i < LATE_PERIOD; i++)
				assert_true(isfinite(late_rows[ch][i]));
	}
	workers_destroy(pool);
	pipeline_free(p);
}

/* The pool alone: every worker runs the job once per run; busy time adds
 * up; an idle pool takes a job at once. */
static _Atomic unsigned calls[WORKERS_MAX];

static void count_job(void *arg, unsigned k)
{
	(void)arg;
	atomic_fetch_add(&calls[k], 1);
}

static void test_pool(void **state)
{
	struct workers_config wc = { .threads = 3 };
	struct workers *pool;
	char err[128];
	int rt_err;

	(void)state;
	assert_int_equal(workers_create(&wc, &pool, &rt_err, err, sizeof(err)), 0);
	assert_int_equal(workers_count(pool), 3);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(workers_run(pool, count_job, NULL, 0), 0);
	for (unsigned k = 0; k < 3; k++)
		assert_int_equal(atomic_load(&calls[k]), 1000);
	assert_true(workers_idle(pool));
	workers_destroy(pool);
	wc.threads = 0;
	assert_int_equal(workers_create(&wc, &pool, &rt_err, err, sizeof(err)), -EINVAL);
	wc.threads = WORKERS_MAX + 1;
	assert_int_equal(workers_create(&wc, &pool, &rt_err, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_random_graphs_bit_exact),
		cmocka_unit_test(test_late_worker),
	};

	char cmd[96];
	int r;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_schedule.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		r |= 1;
	return r;
}
