/* test_plugins_json.c - the "plugins" listing (view_plugins.c over the
 * walk of ladspa_host.c) on the plugins of ladspa-sdk (amp.so) and
 * swh-plugins: ports, bounds times the rate, hinted defaults.  Skips
 * (saying why) when amp.so is not installed.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "views.h"

#define RATE 48000
#define AMP_SO "/usr/lib/ladspa/amp.so"

static json_object *find_by_key(json_object *array, const char *key,
                                const char *value)
{
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *o = json_object_array_get_idx(array, i), *v;

		if (json_object_object_get_ex(o, key, &v) &&
		    strcmp(json_object_get_string(v), value) == 0)
			return o;
	}
	return NULL;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_list_amp_mono(void **state)
{
	json_object *list = plugins_json(RATE, "amp_mono"), *plugins, *p, *gain;

	assert_non_null(list);
	assert_false(json_object_get_boolean(member(list, "truncated")));
	plugins = member(list, "plugins");
	assert_int_equal(json_object_array_length(plugins), 1);
	p = json_object_array_get_idx(plugins, 0);
	assert_string_equal(json_object_get_string(member(p, "library")), "amp.so");
	assert_string_equal(json_object_get_string(member(p, "name")), "Mono Amplifier");
	assert_int_equal(json_object_get_int(member(p, "unique_id")), 1048);
	assert_true(json_object_get_boolean(member(p, "hard_rt")));
	assert_int_equal(json_object_get_int(member(p, "audio_inputs")), 1);
	assert_int_equal(json_object_get_int(member(p, "audio_outputs")), 1);
	gain = find_by_key(member(p, "controls"), "name", "Gain");
	assert_non_null(gain);
	assert_string_equal(json_object_get_string(member(gain, "direction")), "input");
	assert_true(json_object_get_double(member(gain, "lower")) == 0);
	assert_false(json_object_object_get_ex(gain, "upper", NULL));
	assert_true(json_object_get_double(member(gain, "default")) == 1);
	assert_true(json_object_get_boolean(member(gain, "logarithmic")));
	json_object_put(list);
}

/* Bounds times the rate; DEFAULT_LOW of a logarithmic port interpolated on
 * the log scale (buttlow_iir's cutoff: 0.0001..0.45 x rate). */
static void test_list_rate_and_log_default(void **state)
{
	json_object *list = plugins_json(44100, NULL), *p, *cutoff;
	double lower = 0.0001f * 44100.0, upper = 0.45f * 44100.0;
	double expected = exp(log(lower) * 0.75 + log(upper) * 0.25);

	assert_non_null(list);
	assert_true(json_object_array_length(member(list, "plugins")) > 50);
	p = find_by_key(member(list, "plugins"), "label", "buttlow_iir");
	assert_non_null(p);
	cutoff = find_by_key(member(p, "controls"), "name", "Cutoff Frequency (Hz)");
	assert_non_null(cutoff);
	assert_true(fabs(json_object_get_double(member(cutoff, "lower")) - lower) < 1e-4);
	assert_true(fabs(json_object_get_double(member(cutoff, "upper")) - upper) < 1e-2);
	assert_true(fabs(json_object_get_double(member(cutoff, "default")) -
	                 expected) < 1e-4 * expected);
	/* DEFAULT_440 is 440 Hz, not 440 times the rate */
	p = find_by_key(member(list, "plugins"), "label", "singlePara");
	if (p) {
		cutoff = find_by_key(member(p, "controls"), "name", "Frequency (Hz)");
		assert_non_null(cutoff);
		assert_true(json_object_get_double(member(cutoff, "default")) == 440);
		assert_true(fabs(json_object_get_double(member(cutoff, "upper")) -
		                 0.4f * 44100.0) < 1e-2);
	}
	p = find_by_key(member(list, "plugins"), "label", "decimator");
	if (p)
		assert_false(json_object_get_boolean(member(p, "hard_rt")));
	json_object_put(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_amp_mono),
		cmocka_unit_test(test_list_rate_and_log_default),
	};

	/* the default search path, whatever the caller's environment says */
	unsetenv("LADSPA_PATH");
	if (access(AMP_SO, R_OK) != 0) {
		printf("plugins_json: skipped: %s is not installed "
		       "(apt-get install ladspa-sdk swh-plugins)\n", AMP_SO);
		return 0;
	}
	return cmocka_run_group_tests_name("plugins_json", tests, NULL, NULL);
}
