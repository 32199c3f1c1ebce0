/* test_ladspa.c - the "ladspa" block hosting the plugins of ladspa-sdk
 * (amp.so) and swh-plugins: exact gains through one instance per channel
 * group, a Butterworth lowpass measured with sines, recovery after NaN,
 * every refusal (unknown label, paths, unknown controls, out-of-range and
 * non-integer values, inputs != outputs, channel groups, non-realtime
 * plugins) and the search path (the listing's JSON: control/
 * test_plugins_json.c).  Skips (saying why) when
 * ladspa-sdk's amp.so is not installed.  Single-threaded. */
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
#include <unistd.h>

#include "config.h"
#include "fx.h"
#include "block_test.h"
#include "ladspa_host.h"

#define RATE 48000
#define MAX_FRAMES 256
#define AMP_SO "/usr/lib/ladspa/amp.so"
#define SWH_BUTTERWORTH_SO "/usr/lib/ladspa/butterworth_1902.so"

static float rows[FX_MAX_CHANNELS][MAX_FRAMES];
static float *bufs[FX_MAX_CHANNELS];

static int point_rows(void **state)
{
	(void)state;
	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	return 0;
}

static struct fx *create(unsigned channels, const char *block)
{
	return bt_create(RATE, MAX_FRAMES, channels, channels, block, NULL);
}

/* The constructor's refusal of a block the config accepts: its message. */
static const char *create_fails(unsigned channels, const char *block)
{
	static char err[512];
	struct fx_env env = { RATE, MAX_FRAMES, channels, NULL, 0 };
	struct fx *fx = NULL;

	if (bt_load(RATE, channels, channels, block) != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	err[0] = '\0';
	assert_int_equal(fx_create(&cfg.blocks[0], &env, &fx, err, 256), -EINVAL);
	assert_null(fx);
	assert_true(strlen(err) > 0 && strlen(err) < 256);
	return err;
}

static void expect_in(const char *text, const char *needle)
{
	if (!strstr(text, needle)) {
		print_error("\"%s\"\n  lacks \"%s\"\n", text, needle);
		fail();
	}
}

static float test_signal(unsigned ch, unsigned i)
{
	return (float)sin(0.001 * (ch + 1) * i + ch) * 0.8f;
}

/* ---- processing -------------------------------------------------------- */

static void test_amp_mono_two_instances(void **state)
{
	struct fx *fx = create(2, "{\"type\": \"ladspa\", \"name\": \"a\", "
	                       "\"label\": \"amp_mono\", \"controls\": "
	                       "{\"Gain\": 0.5}}");

	for (unsigned period = 0; period < 4; period++) {
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < MAX_FRAMES; i++)
				rows[ch][i] = test_signal(ch, period * MAX_FRAMES + i);
		fx->ops->process(fx, bufs, MAX_FRAMES);
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < MAX_FRAMES; i++)
				assert_true(rows[ch][i] ==
				            test_signal(ch, period * MAX_FRAMES + i) * 0.5f);
	}
	assert_int_equal(fx->latency_frames, 0);
	assert_int_equal(fx->warmup_frames, RATE / 5);
	fx->ops->destroy(fx);
}

static void test_amp_mono_only_listed_channels(void **state)
{
	struct fx *fx = create(3, "{\"type\": \"ladspa\", \"name\": \"a\", "
	                       "\"label\": \"amp_mono\", \"channels\": [1], "
	                       "\"controls\": {\"Gain\": 4}}");

	for (unsigned ch = 0; ch < 3; ch++)
		for (unsigned i = 0; i < 100; i++)
			rows[ch][i] = test_signal(ch, i);
	fx->ops->process(fx, bufs, 100);
	for (unsigned i = 0; i < 100; i++) {
		assert_true(rows[0][i] == test_signal(0, i));
		assert_true(rows[1][i] == test_signal(1, i) * 4.0f);
		assert_true(rows[2][i] == test_signal(2, i));
	}
	fx->ops->destroy(fx);
}

static void test_amp_stereo_one_instance(void **state)
{
	struct fx *fx = create(2, "{\"type\": \"ladspa\", \"name\": \"s\", "
	                       "\"label\": \"amp_stereo\", \"library\": "
	                       "\"amp.so\", \"controls\": {\"Gain\": 2}}");

	/* periods of varying length: outputs are re-pointed each call */
	for (unsigned frames = 1; frames <= MAX_FRAMES; frames += 51) {
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < frames; i++)
				rows[ch][i] = test_signal(ch, i + frames);
		fx->ops->process(fx, bufs, frames);
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < frames; i++)
				assert_true(rows[ch][i] == test_signal(ch, i + frames) * 2.0f);
	}
	fx->ops->destroy(fx);
}

static void test_amp_default_gain_is_unity(void **state)
{
	struct fx *fx = create(1, "{\"type\": \"ladspa\", \"name\": \"a\", "
	                       "\"label\": \"amp_mono\"}");

	for (unsigned i = 0; i < MAX_FRAMES; i++)
		rows[0][i] = test_signal(0, i);
	fx->ops->process(fx, bufs, MAX_FRAMES);
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		assert_true(rows[0][i] == test_signal(0, i));
	fx->ops->destroy(fx);
}

/* RMS gain in dB of fx for a sine of freq, after a second of settling. */
static double sine_gain_db(struct fx *fx, double freq)
{
	const unsigned settle = RATE, measure = RATE / 2;
	double in_sq = 0, out_sq = 0;

	for (unsigned done = 0; done < settle + measure; done += MAX_FRAMES) {
		for (unsigned i = 0; i < MAX_FRAMES; i++)
			rows[0][i] = (float)(0.5 * sin(2 * M_PI * freq * (done + i) / RATE));
		for (unsigned i = 0; done >= settle && i < MAX_FRAMES; i++)
			in_sq += (double)rows[0][i] * rows[0][i];
		fx->ops->process(fx, bufs, MAX_FRAMES);
		for (unsigned i = 0; done >= settle && i < MAX_FRAMES; i++)
			out_sq += (double)rows[0][i] * rows[0][i];
	}
	return 10 * log10(out_sq / in_sq);
}

static const char *butterworth_lowpass =
	"{\"type\": \"ladspa\", \"name\": \"lp\", \"label\": \"buttlow_iir\", "
	"\"library\": \"butterworth_1902.so\", \"controls\": "
	"{\"Cutoff Frequency (Hz)\": 1000, \"Resonance\": 0.7071}}";

static void test_butterworth_lowpass(void **state)
{
	struct fx *fx;
	double pass, stop;

	if (access(SWH_BUTTERWORTH_SO, R_OK) != 0) {
		print_message("skipped: %s (swh-plugins) is not installed\n",
		              SWH_BUTTERWORTH_SO);
		skip();
	}
	fx = create(1, butterworth_lowpass);
	pass = sine_gain_db(fx, 100);
	fx->ops->destroy(fx);
	fx = create(1, butterworth_lowpass);
	stop = sine_gain_db(fx, 5000);
	fx->ops->destroy(fx);
	print_message("    buttlow_iir at 1 kHz: 100 Hz %+.3f dB, 5 kHz %+.2f dB\n",
	              pass, stop);
	assert_true(fabs(pass) < 0.5);
	assert_true(stop < -20);
}

/* NaN in, reset (deactivate/activate), then finite output again: swh's
 * singlePara keeps biquad state that activate() clears.  (Not buttlow_iir:
 * its activate() allocates again each time and leaks the previous filter.) */
static void test_reset_after_nan(void **state)
{
	struct fx *fx;
	bool finite = true;

	if (access("/usr/lib/ladspa/single_para_1203.so", R_OK) != 0)
		skip();
	fx = create(1, "{\"type\": \"ladspa\", \"name\": \"p\", \"label\": "
	            "\"singlePara\", \"controls\": {\"Gain (dB)\": 6, "
	            "\"Frequency (Hz)\": 1000}}");
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		rows[0][i] = i == 10 ? NAN : 0.25f;
	fx->ops->process(fx, bufs, MAX_FRAMES);
	assert_false(isfinite(rows[0][MAX_FRAMES - 1]));
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		rows[0][i] = 0.25f;
	fx->ops->process(fx, bufs, MAX_FRAMES);
	assert_false(isfinite(rows[0][MAX_FRAMES - 1]));   /* state is NaN */
	fx->ops->reset(fx);
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		rows[0][i] = 0.25f;
	fx->ops->process(fx, bufs, MAX_FRAMES);
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		finite = finite && isfinite(rows[0][i]);
	assert_true(finite);
	fx->ops->destroy(fx);
}

/* A plugin with a "latency" output port: what it reports (swh's
 * artificialLatency reports its "Delay (ms)" and adds none) is the block's
 * latency, for the pipeline to count and align to. */
static void test_latency_port_is_the_latency(void **state)
{
	struct fx *fx;

	if (access("/usr/lib/ladspa/latency_1914.so", R_OK) != 0)
		skip();
	fx = create(1, "{\"type\": \"ladspa\", \"name\": \"l\", \"label\": "
	            "\"artificialLatency\", \"controls\": {\"Delay (ms)\": 10}}");
	assert_int_equal(fx->latency_frames, RATE / 100);
	fx->ops->process(fx, bufs, MAX_FRAMES);
	fx->ops->destroy(fx);
}

/* ---- refusals ---------------------------------------------------------- */

static void test_unknown_label(void **state)
{
	const char *err = create_fails(2, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                               "\"label\": \"no_such_plugin\"}");

	expect_in(err, "block \"x\": no LADSPA plugin labelled \"no_such_plugin\"");
	expect_in(err, "\"plugins\" control method");
}

static void test_library_errors(void **state)
{
	const char *err;

	err = create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": "
	                   "\"buttlow_iir\", \"library\": \"amp.so\"}");
	expect_in(err, "amp.so has no usable plugin labelled \"buttlow_iir\" "
	          "(its labels: amp_mono, amp_stereo)");
	err = create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": "
	                   "\"amp_mono\", \"library\": \"nothing_here.so\"}");
	expect_in(err, "no LADSPA library nothing_here.so in the search path");
}

static void test_unknown_control(void **state)
{
	const char *err = create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                               "\"label\": \"buttlow_iir\", \"controls\": "
	                               "{\"Cutoff\": 100}}");

	expect_in(err, "plugin buttlow_iir has no control input \"Cutoff\" (its "
	          "control inputs: \"Cutoff Frequency (Hz)\", \"Resonance\")");
}

struct range_case {
	const char *controls;
	const char *needle;
};

static void test_out_of_range(void **state)
{
	static const struct range_case cases[] = {
		{ "{\"Resonance\": 2}", "control \"Resonance\" = 2 is out of "
		  "range: the plugin allows 0.1 to 1.41" },
		/* bounds are multiples of the rate: 0.0001 and 0.45 x 48000 */
		{ "{\"Cutoff Frequency (Hz)\": 22000}", "control \"Cutoff Frequency "
		  "(Hz)\" = 22000 is out of range: the plugin allows 4.8 to 21600" },
		{ "{\"Cutoff Frequency (Hz)\": 1}", "allows 4.8 to 21600" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char block[256];

		snprintf(block, sizeof(block), "{\"type\": \"ladspa\", \"name\": "
		         "\"x\", \"label\": \"buttlow_iir\", \"controls\": %s}",
		         cases[i].controls);
		expect_in(create_fails(1, block), cases[i].needle);
	}
}

static void test_bound_itself_is_allowed(void **state)
{
	struct fx *fx = create(1, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                       "\"label\": \"buttlow_iir\", \"controls\": "
	                       "{\"Cutoff Frequency (Hz)\": 21600, "
	                       "\"Resonance\": 0.1}}");

	fx->ops->destroy(fx);
	fx = create(1, "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": "
	            "\"amp_mono\", \"controls\": {\"Gain\": 0}}");
	fx->ops->destroy(fx);
	expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                       "\"label\": \"amp_mono\", \"controls\": "
	                       "{\"Gain\": -0.5}}"),
	          "control \"Gain\" = -0.5 is out of range: the plugin allows "
	          "at least 0");
}

static void test_integer_port(void **state)
{
	struct fx *fx;

	if (access("/usr/lib/ladspa/divider_1186.so", R_OK) != 0)
		skip();
	expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"d\", "
	                       "\"label\": \"divider\", \"controls\": "
	                       "{\"Denominator\": 2.5}}"),
	          "control \"Denominator\" takes whole numbers, not 2.5");
	fx = create(1, "{\"type\": \"ladspa\", \"name\": \"d\", \"label\": "
	            "\"divider\", \"controls\": {\"Denominator\": 3}}");
	fx->ops->destroy(fx);
}

static void test_inputs_must_equal_outputs(void **state)
{
	expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                       "\"label\": \"bwxover_iir\"}"),
	          "plugin bwxover_iir has 1 audio input and 2 outputs: only "
	          "plugins with as many outputs as inputs");
	if (access("/usr/lib/ladspa/sine.so", R_OK) == 0)
		expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"x\", "
		                       "\"label\": \"sine_fcac\"}"),
		          "has 0 audio inputs and 1 output");
}

static void test_channels_not_a_multiple(void **state)
{
	expect_in(create_fails(3, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                       "\"label\": \"amp_stereo\"}"),
	          "plugin amp_stereo takes 2 channels at a time (one instance "
	          "each): the block's 3 channels are not a multiple of 2");
	expect_in(create_fails(2, "{\"type\": \"ladspa\", \"name\": \"x\", "
	                       "\"label\": \"amp_stereo\", \"channels\": [1]}"),
	          "the block's 1 channel are not a multiple of 2");
}

/* swh's decimator is not hard-RT capable (Environment: Normal). */
static void test_non_realtime_refused_unless_allowed(void **state)
{
	struct fx *fx;

	if (access("/usr/lib/ladspa/decimator_1202.so", R_OK) != 0)
		skip();
	expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"dec\", "
	                       "\"label\": \"decimator\"}"),
	          "block \"dec\": plugin decimator (decimator_1202.so) is not "
	          "hard realtime capable");
	expect_in(create_fails(1, "{\"type\": \"ladspa\", \"name\": \"dec\", "
	                       "\"label\": \"decimator\"}"),
	          "stall the audio thread; set \"allow_non_realtime\": true");
	fx = create(1, "{\"type\": \"ladspa\", \"name\": \"dec\", \"label\": "
	            "\"decimator\", \"allow_non_realtime\": true}");
	fx->ops->process(fx, bufs, MAX_FRAMES);
	fx->ops->destroy(fx);
}

/* ---- the search path --------------------------------------------------- */

static void test_search_path(void **state)
{
	struct ladspa_plugin plugin;
	char err[256];

	setenv("LADSPA_PATH", "relative/dir::/nonexistent:/usr/lib/ladspa", 1);
	assert_string_equal(ladspa_search_path(),
	                    "relative/dir::/nonexistent:/usr/lib/ladspa");
	assert_int_equal(ladspa_load("amp_mono", NULL, &plugin, err,
	                             sizeof(err)), 0);
	assert_string_equal(plugin.library, "amp.so");
	assert_string_equal(plugin.desc->Label, "amp_mono");
	ladspa_unload(&plugin);
	assert_int_equal(ladspa_load("amp_mono", "../ladspa/amp.so", &plugin,
	                             err, sizeof(err)), -EINVAL);
	setenv("LADSPA_PATH", "/nonexistent", 1);
	assert_int_equal(ladspa_load("amp_mono", NULL, &plugin, err,
	                             sizeof(err)), -ENOENT);
	expect_in(err, "in the search path /nonexistent");
	unsetenv("LADSPA_PATH");
	assert_string_equal(ladspa_search_path(), LADSPA_DEFAULT_PATH);
}

/* ---- configuration ----------------------------------------------------- */

struct error_case {
	const char *block;
	const char *needles[3];
};

static const struct error_case error_cases[] = {
	{ "{\"type\": \"ladspa\", \"name\": \"x\"}",
	  { "/pipeline/0: missing required key \"label\"" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp mono\"}",
	  { "/pipeline/0/label: must not contain white space" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"library\": \"/usr/lib/ladspa/amp.so\"}",
	  { "/pipeline/0/library: must be a library file name", "not a path" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"library\": \"../amp.so\"}", { "not a path" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"library\": \"amp\"}", { "ending in \".so\"" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"library\": \".so\"}", { "ending in \".so\"" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"controls\": [1]}", { "/pipeline/0/controls: must be an object" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"controls\": {\"Gain\": \"loud\"}}",
	  { "/pipeline/0/controls/Gain: must be a number" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"controls\": {\"Gain\": 1e39}}", { "controls/Gain: must be a number between" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"controls\": {\"\": 1}}", { "controls/: is not a control port name" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"allow_non_realtime\": 1}", { "/pipeline/0/allow_non_realtime:" } },
	{ "{\"type\": \"ladspa\", \"name\": \"x\", \"label\": \"amp_mono\", "
	  "\"gain\": 1}", { "/pipeline/0/gain: unknown key" } },
};

static void test_config_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		if (bt_load(RATE, 2, 2, c->block) != -EINVAL || errs.count != 1) {
			print_error("case %zu: %s\n", i, c->block);
			bt_dump_errors();
			fail();
		}
		for (int k = 0; k < 3 && c->needles[k]; k++)
			expect_in(errs.msg[0], c->needles[k]);
	}
}

static void test_too_many_controls(void **state)
{
	char block[4096];
	size_t len;

	len = (size_t)snprintf(block, sizeof(block), "{\"type\": \"ladspa\", "
	                       "\"name\": \"x\", \"label\": \"hermesFilter\", "
	                       "\"controls\": {");
	for (int i = 0; i <= CFG_LADSPA_MAX_CONTROLS; i++)
		len += (size_t)snprintf(block + len, sizeof(block) - len,
		                        "%s\"p%d\": 1", i ? ", " : "", i);
	snprintf(block + len, sizeof(block) - len, "}}");
	assert_int_equal(bt_load(RATE, 2, 2, block), -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_in(errs.msg[0], "/pipeline/0/controls/p24: is one control too many");
}

static void test_config_values(void **state)
{
	const struct cfg_ladspa *l = &cfg.blocks[0].u.ladspa;

	assert_int_equal(bt_load(RATE, 2, 2, "{\"type\": \"ladspa\", \"name\": "
	                         "\"x\", \"label\": \"amp_mono\"}"), 0);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_LADSPA);
	assert_string_equal(l->label, "amp_mono");
	assert_string_equal(l->library, "");
	assert_false(l->allow_non_realtime);
	assert_int_equal(l->n_controls, 0);
	assert_int_equal(cfg.blocks[0].channel_mask, UINT32_MAX);
	assert_int_equal(bt_load(RATE, 2, 2, "{\"type\": \"ladspa\", \"name\": "
	                         "\"x\", \"label\": \"amp_mono\", \"library\": "
	                         "\"amp.so\", \"allow_non_realtime\": true, "
	                         "\"controls\": {\"Gain\": 0.25, \"On\": true}}"), 0);
	assert_string_equal(l->library, "amp.so");
	assert_true(l->allow_non_realtime);
	assert_int_equal(l->n_controls, 2);
	assert_string_equal(l->controls[0].port, "Gain");
	assert_true(l->controls[0].value == 0.25);
	assert_string_equal(l->controls[1].port, "On");
	assert_true(l->controls[1].value == 1.0);
}

int main(void)
{
	const struct CMUnitTest plugin_tests[] = {
		cmocka_unit_test_setup(test_amp_mono_two_instances, point_rows),
		cmocka_unit_test_setup(test_amp_mono_only_listed_channels, point_rows),
		cmocka_unit_test_setup(test_amp_stereo_one_instance, point_rows),
		cmocka_unit_test_setup(test_amp_default_gain_is_unity, point_rows),
		cmocka_unit_test_setup(test_butterworth_lowpass, point_rows),
		cmocka_unit_test_setup(test_reset_after_nan, point_rows),
		cmocka_unit_test_setup(test_latency_port_is_the_latency, point_rows),
		cmocka_unit_test_setup(test_unknown_label, point_rows),
		cmocka_unit_test_setup(test_library_errors, point_rows),
		cmocka_unit_test_setup(test_unknown_control, point_rows),
		cmocka_unit_test_setup(test_out_of_range, point_rows),
		cmocka_unit_test_setup(test_bound_itself_is_allowed, point_rows),
		cmocka_unit_test_setup(test_integer_port, point_rows),
		cmocka_unit_test_setup(test_inputs_must_equal_outputs, point_rows),
		cmocka_unit_test_setup(test_channels_not_a_multiple, point_rows),
		cmocka_unit_test_setup(test_non_realtime_refused_unless_allowed, point_rows),
		cmocka_unit_test_setup(test_search_path, point_rows),
	};
	const struct CMUnitTest config_tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_too_many_controls),
		cmocka_unit_test(test_config_values),
	};
	int failed;

	/* the default search path, whatever the caller's environment says */
	unsetenv("LADSPA_PATH");
	failed = cmocka_run_group_tests_name("ladspa_config", config_tests,
	                                     NULL, NULL);
	if (access(AMP_SO, R_OK) != 0) {
		printf("ladspa: plugin tests skipped: %s is not installed "
		       "(apt-get install ladspa-sdk swh-plugins)\n", AMP_SO);
		return failed;
	}
	return failed + cmocka_run_group_tests_name("ladspa", plugin_tests,
	                                            NULL, NULL);
}
