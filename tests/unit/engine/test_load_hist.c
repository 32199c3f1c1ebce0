/* test_load_hist.c - the per-period processing time distribution: bucket
 * edges, percentiles that never understate, the 10 s window sliding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load_hist.h"

static struct load_hist hist;

static void test_buckets(void **state)
{
	(void)state;
	assert_int_equal(load_hist_bucket(0), 0);
	assert_int_equal(load_hist_bucket(999), 0);
	assert_int_equal(load_hist_bucket(1000), 1);
	/* every value lies below its bucket's upper edge and at or above the
	 * previous bucket's, within 25 % */
	for (uint64_t ns = 1000; ns < 100000000; ns = ns * 21 / 20 + 1) {
		unsigned b = load_hist_bucket(ns);

		assert_true((double)ns < load_hist_upper_ns(b));
		assert_true((double)ns >= load_hist_upper_ns(b - 1));
		assert_true(load_hist_upper_ns(b) <= 1.25 * (double)ns + 1.0);
	}
	assert_int_equal(load_hist_bucket(UINT64_MAX / 8), LOAD_HIST_BUCKETS - 1);
}

static void test_percentiles(void **state)
{
	struct load_percentiles p;

	(void)state;
	load_hist_init(&hist);
	/* 980 periods of 50 us, 19 of 400 us, 1 of 3 ms */
	for (int i = 0; i < 980; i++)
		load_hist_add(&hist, 50000);
	for (int i = 0; i < 19; i++)
		load_hist_add(&hist, 400000);
	load_hist_add(&hist, 3000000);
	load_hist_read(&hist, &p);
	assert_int_equal(p.periods, 1000);
	assert_true(p.p50_ns > 50000 && p.p50_ns <= 62500);
	assert_true(p.p99_ns > 400000 && p.p99_ns <= 500000);
	assert_true(p.max_ns == 3000000);
}

/* The demo: every period took about 41 us, the bucket's upper edge
 * is 48 us; p99 (and p50) must not exceed the max (41 us). */
static void test_percentile_never_above_max(void **state)
{
	struct load_percentiles p;

	(void)state;
	load_hist_init(&hist);
	assert_true(load_hist_upper_ns(load_hist_bucket(41000)) > 41000.0);
	for (int i = 0; i < 1000; i++)
		load_hist_add(&hist, 38000 + (uint64_t)(i % 4) * 1000);   /* 38..41 us */
	load_hist_read(&hist, &p);
	assert_true(p.max_ns == 41000);
	assert_true(p.p99_ns <= p.max_ns);
	assert_true(p.p50_ns <= p.max_ns);
	assert_true(p.p99_ns >= 41000);          /* still never understates */
	/* the same across a sampled second, and with the window full */
	for (int s = 0; s < LOAD_HIST_WINDOW + 2; s++) {
		load_hist_sample(&hist);
		for (int i = 0; i < 100; i++)
			load_hist_add(&hist, 20500 + (uint64_t)(i % 7) * 100);
		load_hist_read(&hist, &p);
		assert_true(p.p99_ns <= p.max_ns);
		assert_true(p.p50_ns <= p.p99_ns);
	}
	assert_true(p.max_ns == 21100);
}

static void test_window_slides(void **state)
{
	struct load_percentiles p;

	(void)state;
	load_hist_init(&hist);
	for (int i = 0; i < 100; i++)
		load_hist_add(&hist, 2000000);      /* a slow second ... */
	load_hist_sample(&hist);
	for (int s = 0; s < LOAD_HIST_WINDOW; s++) {  /* ... then quiet ones */
		for (int i = 0; i < 100; i++)
			load_hist_add(&hist, 20000);
		load_hist_sample(&hist);
	}
	load_hist_read(&hist, &p);
	assert_int_equal(p.periods, 100 * LOAD_HIST_WINDOW);
	assert_true(p.p99_ns <= 25000);
	assert_true(p.max_ns == 20000);    /* the slow second left the window */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_percentile_never_above_max),
		cmocka_unit_test(test_window_slides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
