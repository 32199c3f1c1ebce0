/* test_conv_estimate.c - conv_filter_estimate() (the filter budget's
 * figure, computed before anything is allocated) equals what a filter
 * and a state of the same sizes really hold, uniform and non-uniform.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conv_filter.h"

#include <errno.h>
#include <stdlib.h>

static void check_one(size_t taps, unsigned partition, bool uniform)
{
	float *ir = calloc(taps, sizeof(float));
	struct conv_filter *f = NULL;
	size_t filter_bytes = 0, state_bytes = 0;

	assert_non_null(ir);
	ir[0] = 1.0f;
	assert_int_equal(conv_filter_estimate(taps, partition, uniform,
	                                      &filter_bytes, &state_bytes), 0);
	assert_int_equal(conv_filter_create(ir, taps, partition, uniform, &f), 0);
	assert_int_equal(filter_bytes, conv_filter_bytes(f));
	assert_int_equal(state_bytes, conv_state_bytes(f));
	/* about 8 bytes a tap for the spectra, as dspd.conf(5) says */
	assert_true(filter_bytes >= taps * 8 && filter_bytes < taps * 8 * 2 + 65536 * 8);
	conv_filter_free(f);
	free(ir);
}

static void test_estimate_matches(void **state)
{
	(void)state;
	check_one(1, 64, false);
	check_one(4096, 256, false);
	check_one(65536, 64, false);
	check_one(65536, 64, true);
	check_one(100000, 1024, false);
	check_one(65536, 4096, false);
}

static void test_estimate_refuses_bad_sizes(void **state)
{
	size_t a, b;

	(void)state;
	assert_int_equal(conv_filter_estimate(0, 64, false, &a, &b), -EINVAL);
	assert_int_equal(conv_filter_estimate(64, 0, false, &a, &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate_matches),
		cmocka_unit_test(test_estimate_refuses_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
