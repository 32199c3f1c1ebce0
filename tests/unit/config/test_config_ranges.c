/* test_config_ranges.c - unit tests for config.c, the documented ranges as
 * behaviour: each value just inside a bound is accepted and lands in the
 * result, each value just outside is refused (-EINVAL, one error), whatever
 * the messages say (their text is test_config_errors.c's business).
 * dspd.conf(5): periods 2..64; rate_adjust.target_level 0 (auto) or
 * 3 periods..(periods - 1) periods.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "config_test.h"

static void expect_refused(const char *text)
{
	int r = load_text(text);

	if (r != -EINVAL || errs.count != 1) {
		print_error("expected one error for:\n%s\n", text);
		dump_errors(&errs);
	}
	assert_int_equal(r, -EINVAL);
	assert_int_equal(errs.count, 1);
}

static void test_periods_range(void **state)
{
	static const struct {
		unsigned periods;
		bool ok;
	} cases[] = {
		{ 0, false }, { 1, false }, { 2, true }, { 3, true },
		{ 64, true }, { 65, false },
	};
	char text[96];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"period_frames\": 64, \"periods\": %u}",
		         cases[i].periods);
		if (!cases[i].ok) {
			expect_refused(text);
			continue;
		}
		expect_ok(text);
		assert_int_equal(cfg.periods, cases[i].periods);
		assert_int_equal(cfg.period_frames, 64);
	}
}

/* periods 1 is refused however else the buffer is sized, also when the
 * total would be small enough and nothing resamples. */
static void test_periods_one_refused_everywhere(void **state)
{
	(void)state;
	expect_refused("{\"periods\": 1}");
	expect_refused("{\"period_frames\": 65536, \"periods\": 1}");
	expect_refused("{\"period_frames\": 16, \"periods\": 1}");
	expect_refused("{\"periods\": 1.0}");
}

static void test_target_level_range(void **state)
{
	static const struct {
		unsigned periods, target;
		bool ok;
	} cases[] = {
		/* period 256: 3 periods = 768; periods - 1 periods */
		{ 8, 767, false }, { 8, 768, true }, { 8, 1792, true },
		{ 8, 1793, false }, { 8, 100000, false },
		{ 4, 768, true }, { 4, 769, false }, { 4, 767, false },
		{ 64, 16128, true }, { 64, 16129, false },
	};
	char text[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"period_frames\": 256, \"periods\": %u,"
		         " \"rate_adjust\": {\"enabled\": true, \"target_level\": %u}}",
		         cases[i].periods, cases[i].target);
		if (!cases[i].ok) {
			expect_refused(text);
			continue;
		}
		expect_ok(text);
		assert_int_equal(cfg.rate_adjust.target_level, cases[i].target);
		assert_int_equal(config_target_level(&cfg), cases[i].target);
	}
}

/* 0 is auto: periods - 1 periods, the latency without resampling. */
static void test_target_level_auto(void **state)
{
	(void)state;
	expect_ok("{\"period_frames\": 256, \"periods\": 8,"
	          " \"rate_adjust\": {\"enabled\": true, \"target_level\": 0}}");
	assert_int_equal(config_target_level(&cfg), 7 * 256);
}

/* A fixed ratio resamples too: the same bounds hold without rate_adjust. */
static void test_target_level_range_fixed_ratio(void **state)
{
	(void)state;
	expect_ok("{\"period_frames\": 256, \"periods\": 6, \"capture\": {\"rate\": 44100},"
	          " \"rate_adjust\": {\"target_level\": 1280}}");
	assert_int_equal(config_target_level(&cfg), 1280);
	expect_refused("{\"period_frames\": 256, \"periods\": 6, \"capture\": {\"rate\": 44100},"
	               " \"rate_adjust\": {\"target_level\": 1281}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods_range),
		cmocka_unit_test(test_periods_one_refused_everywhere),
		cmocka_unit_test(test_target_level_range),
		cmocka_unit_test(test_target_level_auto),
		cmocka_unit_test(test_target_level_range_fixed_ratio),
	};

	return cmocka_run_group_tests_name("config_ranges", tests, NULL, NULL);
}
