/* test_check_rates.c - unit tests for ctl_check_pipeline() (check_rates.c):
 * the pipeline and its FIR files checked at every rate of source.rates when
 * "rate" is "follow", else at the one rate; each error names its rates and
 * points at the block (and its "path").  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "change.h"
#include "rate_files.h"

static struct dspd_config cfg;
static struct cfg_errors errs;

static void dump(void)
{
	for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
		print_message("    %s\n", errs.msg[i]);
}

/* Error i holds needle. */
static void expect_msg(unsigned i, const char *needle)
{
	if (i >= errs.count || !strstr(errs.msg[i], needle)) {
		print_error("error %u lacks \"%s\"\n", i, needle);
		dump();
		fail();
	}
}

static int setup(void **state)
{
	if (rate_dir_make(state) < 0)
		return -1;
	rate_wav("room-44100.wav", 64, 44100);
	rate_wav("room-48000.wav", 64, 48000);
	rate_wav("room-88200.wav", 64, 48000);  /* sampled at the wrong rate */
	return 0;
}

static void test_every_rate_ok(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": \"follow\", \"source\": {\"rates\": "
	            "[44100, 48000]}, \"pipeline\": [{\"type\": \"fir\", "
	            "\"name\": \"room\", \"path\": \"@/room-{rate}.wav\"}, "
	            "{\"type\": \"fir\", \"name\": \"map\", \"path\": {\"44100\": "
	            "\"@/room-44100.wav\", \"48000\": \"@/room-48000.wav\"}}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), 0);
	assert_int_equal(errs.count, 0);
}

static void test_missing_file_names_its_rate(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": \"follow\", \"source\": {\"rates\": "
	            "[44100, 48000, 96000]}, \"pipeline\": [{\"type\": \"fir\", "
	            "\"name\": \"room\", \"path\": \"@/room-{rate}.wav\"}, "
	            "{\"type\": \"fir\", \"name\": \"map\", \"path\": {\"44100\": "
	            "\"@/room-44100.wav\", \"48000\": \"@/room-48000.wav\"}}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), -ENOENT);
	assert_int_equal(errs.count, 2);
	expect_msg(0, "t.conf: /pipeline/0/path: at 96000 Hz: block \"room\": "
	           "IR file \"");
	expect_msg(0, "/room-96000.wav\": No such file or directory");
	expect_msg(1, "t.conf: /pipeline/1/path: at 96000 Hz: block \"map\": "
	           "\"path\" names no IR file for 96000 Hz (its map has no "
	           "\"96000\")");
}

static void test_file_at_the_wrong_rate(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": \"follow\", \"source\": {\"rates\": "
	            "[48000, 88200]}, \"pipeline\": [{\"type\": \"fir\", "
	            "\"name\": \"room\", \"path\": \"@/room-{rate}.wav\"}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_msg(0, "t.conf: /pipeline/0/path: at 88200 Hz: block \"room\": "
	           "IR file \"");
	expect_msg(0, "is sampled at 48000 Hz, dspd runs at 88200 Hz");
}

static void test_biquad_at_each_rate(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": \"follow\", \"source\": {\"rates\": "
	            "[44100, 48000, 96000]}, \"pipeline\": [{\"type\": \"gain\", "
	            "\"name\": \"g\"}, {\"type\": \"biquad\", \"name\": \"hp\", "
	            "\"kind\": \"highpass\", \"freq\": 23000, \"q\": 0.7}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), -EINVAL);
	assert_int_equal(errs.count, 1);     /* 23 kHz is fine at 48 kHz */
	expect_msg(0, "t.conf: /pipeline/1: at 44100 Hz: block \"hp\"");
	expect_msg(0, "(22050 Hz)");
}

/* An error of every rate is said once. */
static void test_same_error_merged(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": \"follow\", \"source\": {\"rates\": "
	            "[44100, 48000]}, \"pipeline\": [{\"type\": \"biquad\", "
	            "\"name\": \"hp\", \"kind\": \"highpass\", \"freq\": 30000, "
	            "\"q\": 0.7}, {\"type\": \"fir\", \"name\": \"f\", \"path\": "
	            "\"@/none.wav\"}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), -ENOENT);
	/* both blocks' errors, each once (a missing file no longer hides
	 * the blocks after it) */
	assert_int_equal(errs.count, 3);
	expect_msg(0, "t.conf: /pipeline/1/path: at 44100, 48000 Hz (every rate "
	           "of source.rates): block \"f\": IR file \"");
	/* the biquad's message names the Nyquist of each rate */
	expect_msg(1, "t.conf: /pipeline/0: at 44100 Hz: block \"hp\"");
	expect_msg(2, "t.conf: /pipeline/0: at 48000 Hz: block \"hp\"");
}

static void test_fixed_rate_checks_one_rate(void **state)
{
	(void)state;
	rate_config(&cfg, "{\"rate\": 96000, \"pipeline\": [{\"type\": \"fir\", "
	            "\"name\": \"room\", \"path\": \"@/room-{rate}.wav\"}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), -ENOENT);
	assert_int_equal(errs.count, 1);
	expect_msg(0, "t.conf: /pipeline/0/path: at 96000 Hz: block \"room\"");
	rate_config(&cfg, "{\"rate\": 44100, \"source\": {\"rates\": [48000]}, "
	            "\"pipeline\": [{\"type\": \"fir\", \"name\": \"room\", "
	            "\"path\": \"@/room-{rate}.wav\"}]}");
	assert_int_equal(ctl_check_pipeline(&cfg, "t.conf", &errs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rate_ok),
		cmocka_unit_test(test_missing_file_names_its_rate),
		cmocka_unit_test(test_file_at_the_wrong_rate),
		cmocka_unit_test(test_biquad_at_each_rate),
		cmocka_unit_test(test_same_error_merged),
		cmocka_unit_test(test_fixed_rate_checks_one_rate),
	};

	return cmocka_run_group_tests(tests, setup, rate_dir_remove);
}
