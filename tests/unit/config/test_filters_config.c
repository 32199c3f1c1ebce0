/* test_filters_config.c - the filter blocks' keys in dspd.conf: what is
 * accepted and where each rejected key is reported (JSON pointer and
 * reason), whatever the order of the keys.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "biquad_design.h"
#include "config.h"

static struct dspd_config cfg;
static struct cfg_errors errs;

static int load_block(const char *block_json)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"pipeline\": [%s]}", block_json);
	return config_load_string(text, strlen(text), "t.conf", &cfg, &errs);
}

static void dump_errors(void)
{
	for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
		print_message("    %s\n", errs.msg[i]);
}

static void test_accepted(void **state)
{
	assert_int_equal(load_block(
		"{\"type\": \"biquad\", \"name\": \"a\", \"gain_db\": -3, "
		"\"kind\": \"highshelf\", \"slope\": 6, \"freq\": 4000}"), 0);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_BIQUAD);
	assert_int_equal(cfg.blocks[0].u.biquad.kind, BQ_HIGHSHELF);
	assert_true(cfg.blocks[0].u.biquad.param[BQK_SLOPE] == 6.0);
	assert_true(cfg.blocks[0].u.biquad.param[BQK_Q] == M_SQRT1_2);
	assert_int_equal(cfg.blocks[0].u.biquad.given,
	                 (1u << BQK_GAIN_DB) | (1u << BQK_SLOPE) | (1u << BQK_FREQ));
	assert_int_equal(load_block(
		"{\"type\": \"linkwitz_riley\", \"name\": \"x\", \"kind\": "
		"\"highpass\", \"freq\": 80, \"order\": 8}"), 0);
	assert_int_equal(cfg.blocks[0].u.xover.kind, BQ_HIGHPASS);
	assert_int_equal(cfg.blocks[0].u.xover.order, 8);
	assert_int_equal(load_block(
		"{\"type\": \"peq\", \"name\": \"eq\", \"channels\": [1], \"bands\": ["
		"{\"kind\": \"peaking\", \"freq\": 100, \"q\": 2, \"gain_db\": 3},"
		"{\"kind\": \"lowpass1\", \"freq\": 9000}]}"), 0);
	assert_int_equal(cfg.blocks[0].u.peq.n_bands, 2);
	assert_int_equal(cfg.blocks[0].u.peq.bands[1].kind, BQ_LOWPASS1);
	assert_int_equal(cfg.blocks[0].channel_mask, 2);
	/* an EQ file, relative to the config's directory, and a preamp */
	assert_int_equal(load_block(
		"{\"type\": \"peq\", \"name\": \"eq\", \"preamp_db\": -6.3, "
		"\"file\": \"/etc/dspd/hd600.txt\"}"), 0);
	assert_string_equal(cfg.blocks[0].u.peq.file, "/etc/dspd/hd600.txt");
	assert_true(cfg.blocks[0].u.peq.preamp_db == -6.3);
	assert_int_equal(cfg.blocks[0].u.peq.n_bands, 0);
	assert_int_equal(load_block(
		"{\"type\": \"fir\", \"name\": \"g\", \"gain_db\": -2, "
		"\"graphic_eq\": [[20, -0.2], [1000.5, 3], [19871, -16.6]]}"), 0);
	assert_int_equal(cfg.blocks[0].u.fir.n_geq_points, 3);
	assert_true(cfg.blocks[0].u.fir.geq_points[1][0] == 1000.5f);
	assert_true(cfg.blocks[0].u.fir.geq_points[2][1] == -16.6f);
	assert_int_equal(load_block(
		"{\"type\": \"fir\", \"name\": \"g\", \"graphic_eq\": "
		"\"/etc/dspd/geq.txt\"}"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.geq_file, "/etc/dspd/geq.txt");
	assert_int_equal(cfg.blocks[0].u.fir.n_geq_points, 0);
	assert_int_equal(load_block(
		"{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
		"[1, 2, 3, 4, 5, -5, -4, -3, -2, -1.5]}"), 0);
	assert_int_equal(cfg.blocks[0].u.geq.resolution, GEQ_OCTAVE);
	assert_true(cfg.blocks[0].u.geq.gain_db[9] == -1.5);
}

struct error_case {
	const char *block;
	const char *needles[3];
};

static const struct error_case error_cases[] = {
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"lowpas\"}",
	  { "t.conf: /pipeline/0/kind: unknown value \"lowpas\"",
	    "lowpass, highpass, bandpass" } },
	/* a key that does not fit the kind, after and before "kind" */
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"lowpass\", "
	  "\"freq\": 100, \"gain_db\": 3}",
	  { "/pipeline/0/gain_db: does not apply to kind lowpass "
	    "(its keys: freq, q)" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"slope\": 6, \"freq\": 100, "
	  "\"kind\": \"peaking\", \"gain_db\": 3}",
	  { "/pipeline/0/slope: does not apply to kind peaking "
	    "(its keys: freq, q, gain_db)" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"free\", \"freq\": 1,"
	  " \"b0\": 1, \"b1\": 0, \"b2\": 0, \"a1\": 0, \"a2\": 0}",
	  { "/pipeline/0/freq: does not apply to kind free",
	    "b0, b1, b2, a1, a2" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"lowshelf\", "
	  "\"freq\": 100, \"gain_db\": 3, \"q\": 1, \"slope\": 6}",
	  { "/pipeline/0/slope: give either q or slope, not both" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"lowpass\", "
	  "\"frequency\": 100}",
	  { "/pipeline/0/frequency: unknown key", "freq, q, gain_db" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"lowpass\", "
	  "\"freq\": 0}",
	  { "/pipeline/0/freq: must be a number between 1 and 384000, got 0" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"kind\": \"peaking\", "
	  "\"freq\": 100, \"gain_db\": 3, \"q\": 0}",
	  { "/pipeline/0/q: must be a number between 0.05 and 100" } },
	{ "{\"type\": \"biquad\", \"name\": \"b\", \"freq\": 100}",
	  { "/pipeline/0: missing required key \"kind\"" } },
	{ "{\"type\": \"butterworth\", \"name\": \"b\", \"kind\": \"lowpass\", "
	  "\"freq\": 100, \"order\": 9}",
	  { "/pipeline/0/order: must be an integer between 1 and 8, got 9" } },
	{ "{\"type\": \"butterworth\", \"name\": \"b\", \"kind\": \"bandpass\", "
	  "\"freq\": 100, \"order\": 2}",
	  { "/pipeline/0/kind: unknown value \"bandpass\" (one of: lowpass, "
	    "highpass)" } },
	{ "{\"type\": \"linkwitz_riley\", \"name\": \"b\", \"kind\": \"lowpass\","
	  " \"freq\": 100, \"order\": 3}",
	  { "/pipeline/0/order: must be even", "got 3" } },
	{ "{\"type\": \"linkwitz_riley\", \"name\": \"b\", \"kind\": \"lowpass\","
	  " \"order\": 4}",
	  { "/pipeline/0: missing required key \"freq\"" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": [{\"kind\": "
	  "\"notch\", \"freq\": 50}, {\"kind\": \"peaking\", \"freq\": 100}]}",
	  { "/pipeline/0/bands/1: kind peaking needs gain_db" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": [{\"kind\": "
	  "\"free\"}]}",
	  { "/pipeline/0/bands/0/kind: kind free is not available in a peq "
	    "band" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": [{\"gain_db\": 1, "
	  "\"kind\": \"notch\", \"freq\": 50}]}",
	  { "/pipeline/0/bands/0/gain_db: does not apply to kind notch" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": []}",
	  { "/pipeline/0/bands: has 0 bands, must have 1 to 32" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": {}}",
	  { "/pipeline/0/bands: must be an array of band objects, got object" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"file\": \"/x.txt\", "
	  "\"bands\": [{\"kind\": \"notch\", \"freq\": 50}]}",
	  { "/pipeline/0/bands: give either \"bands\" or \"file\", not both" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"bands\": [{\"kind\": "
	  "\"notch\", \"freq\": 50}], \"file\": \"/x.txt\"}",
	  { "/pipeline/0/file: give either \"bands\" or \"file\", not both" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"file\": 3}",
	  { "/pipeline/0/file: must be a path string" } },
	{ "{\"type\": \"peq\", \"name\": \"e\", \"file\": \"/x.txt\", "
	  "\"preamp_db\": 41}",
	  { "/pipeline/0/preamp_db: must be a number between -150 and 40" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", \"values\": [1], "
	  "\"graphic_eq\": [[20, 0], [30, 1]]}",
	  { "/pipeline/0/graphic_eq: give one of \"path\", \"values\" and "
	    "\"graphic_eq\"" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", "
	  "\"graphic_eq\": [[20, 0], [20, 1]]}",
	  { "/pipeline/0/graphic_eq/1: frequency 20 Hz must be above 0 and "
	    "above the previous point's" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", "
	  "\"graphic_eq\": [[20, 0], [30]]}",
	  { "/pipeline/0/graphic_eq/1: must be a [frequency in Hz, gain in dB] "
	    "pair" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", "
	  "\"graphic_eq\": [[20, 0], [30, -101]]}",
	  { "/pipeline/0/graphic_eq/1: gain -101 dB must be between -100 and 40" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", \"graphic_eq\": \"/g.txt\", "
	  "\"path\": \"/x.wav\"}",
	  { "/pipeline/0/path: give one of \"path\", \"values\" and "
	    "\"graphic_eq\"" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", \"graphic_eq\": 5}",
	  { "/pipeline/0/graphic_eq: must be an array of [frequency, gain_db] "
	    "points or the path of a GraphicEQ file, got" } },
	{ "{\"type\": \"fir\", \"name\": \"f\", \"graphic_eq\": [[20, 0]]}",
	  { "/pipeline/0/graphic_eq: has 1 points, 2 to 256 are allowed" } },
	{ "{\"type\": \"geq\", \"name\": \"g\", \"bands\": [0, 0, 0]}",
	  { "/pipeline/0/bands: has 3 gains, must have 31" } },
	{ "{\"type\": \"geq\", \"name\": \"g\", \"resolution\": \"octave\", "
	  "\"bands\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	  "0,0,0]}",
	  { "/pipeline/0/bands: \"resolution\" octave has 10 bands, \"bands\" "
	    "has 31" } },
	{ "{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
	  "[0,0,0,0,0,0,0,0,0,0], \"resolution\": \"third\"}",
	  { "/pipeline/0/resolution: \"resolution\" third has 31 bands" } },
	{ "{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
	  "[0,0,0,0,0,0,0,0,0,31]}",
	  { "/pipeline/0/bands/9: must be a number between -30 and 30, got 31" } },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		int r = load_block(c->block);

		if (r != -EINVAL || errs.count != 1) {
			print_error("case %zu: %s\n", i, c->block);
			dump_errors();
		}
		assert_int_equal(r, -EINVAL);
		assert_int_equal(errs.count, 1);
		for (size_t n = 0; n < 3 && c->needles[n]; n++)
			if (!strstr(errs.msg[0], c->needles[n]))
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
				         errs.msg[0], c->needles[n]);
	}
}

/* Two foreign keys before "kind": both reported, each at its own key. */
static void test_every_foreign_key_reported(void **state)
{
	assert_int_equal(load_block(
		"{\"type\": \"biquad\", \"name\": \"b\", \"a1\": 0.5, \"gain_db\": 2,"
		" \"kind\": \"notch\", \"freq\": 300}"), -EINVAL);
	assert_int_equal(errs.count, 2);
	assert_non_null(strstr(errs.msg[0], "/pipeline/0/gain_db: does not apply"));
	assert_non_null(strstr(errs.msg[1], "/pipeline/0/a1: does not apply"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_foreign_key_reported),
	};

	return cmocka_run_group_tests_name("filters_config", tests, NULL, NULL);
}
