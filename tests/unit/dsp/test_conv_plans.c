/* test_conv_plans.c - the FFT plans, and so the output bits, of the
 * convolver are fixed by the planning mode and FFTW's wisdom: estimated
 * plans are the same after the wisdom is forgotten (a new process); a
 * measured plan, exported as the wisdom file would keep it and imported
 * into an empty planner, is taken again (counted as from the wisdom, not
 * measured) and gives the same output bit for bit; two filters of one
 * size in one process share the plan.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conv_filter.h"

#include <stdlib.h>
#include <string.h>

#define TAPS 3000
#define PARTITION 128               /* FFTs of 256 points, and 1024 */
#define FRAMES 4096

static float ir[TAPS], input[FRAMES];

static void fill(void)
{
	uint32_t x = 12345;

	for (unsigned i = 0; i < TAPS; i++) {
		x = x * 1664525u + 1013904223u;
		ir[i] = ((float)(x >> 8) / (float)(1u << 24) - 0.5f) / (1.0f + i / 300.0f);
	}
	for (unsigned i = 0; i < FRAMES; i++) {
		x = x * 1664525u + 1013904223u;
		input[i] = (float)(x >> 8) / (float)(1u << 24) - 0.5f;
	}
}

/* Make a filter (non-uniform: two FFT sizes), convolve the input in
 * periods of 100 frames into out. */
static void render(float *out)
{
	struct conv_filter *f = NULL;
	struct conv_state *s = NULL;

	assert_int_equal(conv_filter_create(ir, TAPS, PARTITION, false, &f), 0);
	assert_true(f->n_levels >= 2);
	assert_int_equal(conv_state_create(f, &s), 0);
	memcpy(out, input, sizeof(input));
	for (unsigned i = 0; i < FRAMES; i += 100)
		conv_process(f, s, out + i, FRAMES - i < 100 ? FRAMES - i : 100);
	conv_state_free(s);
	conv_filter_free(f);
}

static struct conv_plan_stats since(const struct conv_plan_stats *a)
{
	struct conv_plan_stats b;

	conv_get_plan_stats(&b);
	b.from_wisdom -= a->from_wisdom;
	b.measured -= a->measured;
	b.estimated -= a->estimated;
	return b;
}

static void test_estimate_is_the_same_plan_every_time(void **state)
{
	static float a[FRAMES], b[FRAMES], c[FRAMES];
	struct conv_plan_stats t0, d;

	(void)state;
	fftwf_forget_wisdom();
	conv_set_planning(CONV_PLAN_ESTIMATE);
	conv_get_plan_stats(&t0);
	render(a);
	d = since(&t0);
	assert_int_equal(d.estimated, 4);      /* r2c and c2r, two sizes */
	assert_int_equal(d.measured, 0);
	render(b);                              /* a second block, same sizes */
	d = since(&t0);
	assert_int_equal(d.from_wisdom, 4);
	assert_int_equal(d.estimated, 4);
	assert_memory_equal(a, b, sizeof(a));
	fftwf_forget_wisdom();                  /* as a new process */
	render(c);
	assert_memory_equal(a, c, sizeof(a));
}

static void test_measured_plan_comes_back_from_wisdom(void **state)
{
	static float a[FRAMES], b[FRAMES], c[FRAMES];
	struct conv_plan_stats t0, d;
	char *wisdom;

	(void)state;
	fftwf_forget_wisdom();
	conv_set_planning(CONV_PLAN_MEASURE);
	conv_get_plan_stats(&t0);
	render(a);
	d = since(&t0);
	assert_int_equal(d.measured, 4);
	assert_int_equal(d.estimated, 0);
	render(b);                              /* same process: same plan */
	assert_int_equal(since(&t0).measured, 4);
	assert_memory_equal(a, b, sizeof(a));
	wisdom = fftwf_export_wisdom_to_string();
	assert_non_null(wisdom);
	/* the next run: an empty planner that reads the file's wisdom; in
	 * estimate mode too, the measured plan is the one taken */
	for (int mode = 0; mode < 2; mode++) {
		fftwf_forget_wisdom();
		assert_int_not_equal(fftwf_import_wisdom_from_string(wisdom), 0);
		conv_set_planning(mode ? CONV_PLAN_ESTIMATE : CONV_PLAN_MEASURE);
		conv_get_plan_stats(&t0);
		render(c);
		d = since(&t0);
		assert_int_equal(d.from_wisdom, 4);
		assert_int_equal(d.measured + d.estimated, 0);
		assert_memory_equal(a, c, sizeof(a));
	}
	fftwf_free(wisdom);
	conv_set_planning(CONV_PLAN_ESTIMATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate_is_the_same_plan_every_time),
		cmocka_unit_test(test_measured_plan_comes_back_from_wisdom),
	};

	fill();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
