/* test_source_config.c - unit tests for the keys of issue 17: "rate" and
 * capture.rate "follow", "source", rate_adjust's "pitch" method, "silence",
 * volume.max_db and the volume link (config_source.c, config_volume.c),
 * per-rate FIR paths and config_fir_path(), the derived rates and
 * resampling (config_derived.c), and how a change of each is classified
 * (config_diff.c).  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_diff.h"
#include "config_test.h"

/* Exactly one error, every needle in it. */
static void expect_error(const char *text, const char *n1, const char *n2)
{
	int r = load_text(text);

	if (r != -EINVAL || errs.count != 1) {
		print_error("expected one error for:\n%s\n", text);
		dump_errors(&errs);
	}
	assert_int_equal(r, -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_in(0, n1);
	if (n2)
		expect_in(0, n2);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
	static const unsigned rates[] = { 44100, 48000, 88200, 96000, 176400, 192000 };

	(void)state;
	expect_ok("{}");
	assert_false(cfg.rate_follow);
	assert_false(cfg.capture.follow);
	assert_int_equal(cfg.rate, 48000);
	assert_int_equal(cfg.source.kind, CFG_SOURCE_STREAM);
	assert_string_equal(cfg.source.control, "");
	assert_int_equal(cfg.source.subdevice, 0);
	assert_int_equal(cfg.source.device, 1);
	assert_int_equal(cfg.source.n_rates, 6);
	assert_memory_equal(cfg.source.rates, rates, sizeof(rates));
	assert_int_equal(cfg.source.initial_rate, 48000);
	assert_int_equal(cfg.rate_adjust.method, CFG_ADJUST_RESAMPLE);
	assert_string_equal(cfg.rate_adjust.control, "");
	assert_string_equal(cfg.rate_adjust.element, "");
	assert_int_equal(cfg.rate_adjust.scale, 0);
	assert_true(cfg.silence.threshold_db == -80.0);
	assert_true(cfg.silence.seconds == 0.0);
	assert_false(cfg.silence.release_playback);
	assert_true(cfg.silence.fade_in_ms == 50.0);
	assert_true(cfg.volume.max_db == CFG_VOLUME_DB_MAX);
	assert_string_equal(cfg.volume.control, "");
	assert_string_equal(cfg.volume.element, "");
	assert_string_equal(cfg.volume.mute_element, "");
	assert_true(cfg.volume.create);
	assert_true(cfg.volume.create_min_db == -60.0);
	assert_true(cfg.volume.create_max_db == 0.0);
	assert_false(config_resamples(&cfg));
}

/* ---- rate following -------------------------------------------------------- */

static void test_rate_follow_mode_a(void **state)
{
	unsigned rates[CFG_MAX_RATES];

	(void)state;
	expect_ok("{\"rate\": \"follow\"}");
	assert_true(cfg.rate_follow);
	assert_int_equal(cfg.rate, 48000);
	assert_false(config_resamples(&cfg));
	assert_int_equal(config_pipeline_rates(&cfg, rates), 6);
	assert_int_equal(rates[0], 44100);
	assert_int_equal(rates[5], 192000);

	expect_ok("{\"rate\": \"follow\", \"source\": {\"rates\": [44100, 96000], "
	          "\"initial_rate\": 96000}}");
	assert_int_equal(cfg.rate, 96000);
	assert_int_equal(config_pipeline_rates(&cfg, rates), 2);
	assert_int_equal(rates[1], 96000);
	assert_true(config_source_has_rate(&cfg, 44100));
	assert_false(config_source_has_rate(&cfg, 48000));

	/* 48000 not allowed and no initial_rate: the first rate */
	expect_ok("{\"rate\": \"follow\", \"source\": {\"rates\": [88200, 44100]}}");
	assert_int_equal(cfg.rate, 88200);
	assert_int_equal(cfg.source.initial_rate, 88200);
}

static void test_rate_fixed_has_one_rate(void **state)
{
	unsigned rates[CFG_MAX_RATES];

	(void)state;
	expect_ok("{\"rate\": 96000}");
	assert_false(cfg.rate_follow);
	assert_int_equal(config_pipeline_rates(&cfg, rates), 1);
	assert_int_equal(rates[0], 96000);
}

static void test_capture_follow_mode_b(void **state)
{
	(void)state;
	expect_ok("{\"rate\": 96000, \"capture\": {\"rate\": \"follow\"}}");
	assert_false(cfg.rate_follow);
	assert_true(cfg.capture.follow);
	assert_int_equal(cfg.rate, 96000);
	assert_int_equal(cfg.capture.rate, 96000);   /* cfg.rate initially */
	assert_int_equal(config_capture_rate(&cfg), 96000);
	assert_true(config_resamples(&cfg));          /* mode b resamples */

	expect_ok("{\"capture\": {\"rate\": \"follow\"}, "
	          "\"source\": {\"initial_rate\": 44100}}");
	assert_int_equal(cfg.rate, 48000);
	assert_int_equal(cfg.capture.rate, 44100);
}

static void test_follow_errors(void **state)
{
	(void)state;
	expect_error("{\"rate\": \"follow\", \"capture\": {\"rate\": \"follow\"}}",
	             "t.conf: /capture/rate: \"follow\" together with \"rate\": "
	             "\"follow\"", "choose one");
	expect_error("{\"rate\": \"follow\", \"capture\": {\"rate\": 44100}}",
	             "/capture/rate: must not be set when \"rate\" is \"follow\"",
	             NULL);
	expect_error("{\"rate\": \"fallow\"}", "/rate: must be a rate in Hz "
	             "between 8000 and 768000, or \"follow\", got \"fallow\"", NULL);
	expect_error("{\"capture\": {\"rate\": \"auto\"}}", "/capture/rate: must be "
	             "a rate in Hz", "got \"auto\"");
	expect_error("{\"rate\": \"follow\", \"source\": {\"rates\": [44100], "
	             "\"initial_rate\": 48000}}", "/source/initial_rate: 48000 Hz "
	             "is not one of source.rates (44100)", NULL);
	expect_error("{\"rate\": 8000, \"capture\": {\"rate\": \"follow\"}, "
	             "\"source\": {\"rates\": [8000, 192000]}}",
	             "/source/rates: 192000 Hz (entry 1) is more than 16 times "
	             "away from the rate 8000 Hz", NULL);
}

/* ---- source ---------------------------------------------------------------- */

static void test_source_keys(void **state)
{
	(void)state;
	expect_ok("{\"source\": {\"kind\": \"loopback\", \"control\": \"hw:Loopback\", "
	          "\"subdevice\": 3, \"device\": 0, \"rates\": [48000, 96000], "
	          "\"initial_rate\": 96000}}");
	assert_int_equal(cfg.source.kind, CFG_SOURCE_LOOPBACK);
	assert_string_equal(cfg.source.control, "hw:Loopback");
	assert_int_equal(cfg.source.subdevice, 3);
	assert_int_equal(cfg.source.device, 0);
	assert_int_equal(cfg.source.n_rates, 2);
	assert_int_equal(cfg.source.initial_rate, 96000);
	expect_ok("{\"source\": {\"kind\": \"gadget\", \"control\": \"hw:UAC2Gadget\"}}");
	assert_int_equal(cfg.source.kind, CFG_SOURCE_GADGET);
	expect_ok("{\"source\": {\"kind\": \"stream\", \"control\": \"\"}}");
	assert_int_equal(cfg.source.kind, CFG_SOURCE_STREAM);
}

static void test_source_errors(void **state)
{
	(void)state;
	expect_error("{\"source\": {\"kind\": \"spdif\"}}", "/source/kind: unknown "
	             "value \"spdif\" (one of: stream, loopback, gadget)", NULL);
	expect_error("{\"source\": {\"kind\": \"loopback\"}}", "t.conf: /source: "
	             "missing required key \"control\"", "\"loopback\"");
	expect_error("{\"source\": {\"kind\": \"gadget\", \"control\": \"\"}}",
	             "/source: missing required key \"control\"", "\"gadget\"");
	expect_error("{\"source\": {\"subdevice\": 32}}", "/source/subdevice: must be "
	             "an integer between 0 and 31, got 32", NULL);
	expect_error("{\"source\": {\"device\": -1}}", "/source/device: must be an "
	             "integer between 0 and 31", NULL);
	expect_error("{\"source\": {\"rates\": []}}", "/source/rates: has 0 rates, "
	             "1 to 16 are allowed", NULL);
	expect_error("{\"source\": {\"rates\": 48000}}", "/source/rates: must be an "
	             "array of rates in Hz, got number", NULL);
	expect_error("{\"source\": {\"rates\": [48000, 7000]}}", "/source/rates/1: "
	             "must be an integer between 8000 and 768000", NULL);
	expect_error("{\"source\": {\"rates\": [48000, 44100, 48000]}}",
	             "/source/rates/2: 48000 Hz is listed twice (also at "
	             "/source/rates/0)", NULL);
	expect_error("{\"source\": {\"rates\": [8000, 8000, 8000, 8000, 8000, 8000, "
	             "8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, "
	             "8000]}}", "/source/rates: has 17 rates", NULL);
	expect_error("{\"source\": {\"control\": 1}}", "/source/control: must be a "
	             "string naming an ALSA control device", NULL);
	expect_error("{\"source\": {\"colour\": 1}}", "/source/colour: unknown key "
	             "(known: kind, control, subdevice, device, rates, initial_rate)",
	             NULL);
}

/* ---- rate_adjust.method "pitch" --------------------------------------------- */

static void test_pitch_defaults_by_kind(void **state)
{
	(void)state;
	expect_ok("{\"rate_adjust\": {\"enabled\": true, \"method\": \"pitch\"}, "
	          "\"source\": {\"kind\": \"loopback\", \"control\": \"hw:Loopback\"}}");
	assert_int_equal(cfg.rate_adjust.method, CFG_ADJUST_PITCH);
	assert_string_equal(cfg.rate_adjust.control, "hw:Loopback");
	assert_string_equal(cfg.rate_adjust.element, "PCM Rate Shift 100000");
	assert_int_equal(cfg.rate_adjust.scale, 100000);
	assert_false(config_resamples(&cfg));         /* bit-perfect */

	expect_ok("{\"rate_adjust\": {\"enabled\": true, \"method\": \"pitch\"}, "
	          "\"source\": {\"kind\": \"gadget\", \"control\": \"hw:UAC2Gadget\"}}");
	assert_string_equal(cfg.rate_adjust.element, "Capture Pitch 1000000");
	assert_int_equal(cfg.rate_adjust.scale, 1000000);

	/* mode a keeps it bit-perfect too */
	expect_ok("{\"rate\": \"follow\", \"rate_adjust\": {\"enabled\": true, "
	          "\"method\": \"pitch\"}, \"source\": {\"kind\": \"loopback\", "
	          "\"control\": \"hw:Loopback\"}}");
	assert_false(config_resamples(&cfg));

	/* "resample" with rate_adjust on resamples */
	expect_ok("{\"rate_adjust\": {\"enabled\": true, \"method\": \"resample\"}}");
	assert_true(config_resamples(&cfg));
}

static void test_pitch_explicit(void **state)
{
	(void)state;
	expect_ok("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:2\", "
	          "\"element\": \"Clock Trim\", \"scale\": 65536}}");
	assert_string_equal(cfg.rate_adjust.control, "hw:2");
	assert_string_equal(cfg.rate_adjust.element, "Clock Trim");
	assert_int_equal(cfg.rate_adjust.scale, 65536);
	/* the explicit element's trailing number is its scale */
	expect_ok("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:2\", "
	          "\"element\": \"Trim 1000\"}}");
	assert_int_equal(cfg.rate_adjust.scale, 1000);
	/* an explicit control wins over source.control */
	expect_ok("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:3\"}, "
	          "\"source\": {\"kind\": \"loopback\", \"control\": \"hw:Loopback\"}}");
	assert_string_equal(cfg.rate_adjust.control, "hw:3");
}

static void test_pitch_errors(void **state)
{
	(void)state;
	expect_error("{\"rate_adjust\": {\"method\": \"speed\"}}",
	             "/rate_adjust/method: unknown value \"speed\" (one of: "
	             "resample, pitch)", NULL);
	expect_error("{\"rate_adjust\": {\"method\": \"pitch\", \"element\": \"X 10\"}}",
	             "t.conf: /rate_adjust: method \"pitch\" needs \"control\"", NULL);
	expect_error("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:1\"}}",
	             "/rate_adjust: method \"pitch\" needs \"element\"",
	             "source.kind \"stream\" has no default");
	expect_error("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:1\", "
	             "\"element\": \"Clock Trim\"}}", "/rate_adjust: method \"pitch\" "
	             "needs \"scale\"", "\"Clock Trim\"");
	expect_error("{\"rate\": 48000, \"capture\": {\"rate\": 44100}, \"periods\": 4, "
	             "\"rate_adjust\": {\"method\": \"pitch\"}, \"source\": "
	             "{\"kind\": \"loopback\", \"control\": \"hw:Loopback\"}}",
	             "/rate_adjust/method: \"pitch\" trims the source's clock "
	             "without resampling, but capture.rate 44100 Hz differs from "
	             "rate 48000 Hz", NULL);
	expect_error("{\"capture\": {\"rate\": \"follow\"}, \"rate_adjust\": "
	             "{\"method\": \"pitch\"}, \"source\": {\"kind\": \"loopback\", "
	             "\"control\": \"hw:Loopback\"}}", "/rate_adjust/method: "
	             "\"pitch\" cannot be used with capture.rate \"follow\"", NULL);
	expect_error("{\"rate_adjust\": {\"scale\": 0}}", "/rate_adjust/scale: must "
	             "be an integer between 1 and 1000000000, got 0", NULL);
	expect_error("{\"rate_adjust\": {\"element\": \"01234567890123456789012345"
	             "678901234567890123\"}}", "/rate_adjust/element: is too long: "
	             "44 bytes, at most 43 allowed", NULL);
}

/* ---- silence ---------------------------------------------------------------- */

static void test_silence(void **state)
{
	(void)state;
	expect_ok("{\"silence\": {\"threshold_db\": -90.5, \"seconds\": 30, "
	          "\"release_playback\": true, \"fade_in_ms\": 0}}");
	assert_true(cfg.silence.threshold_db == -90.5);
	assert_true(cfg.silence.seconds == 30.0);
	assert_true(cfg.silence.release_playback);
	assert_true(cfg.silence.fade_in_ms == 0.0);
	expect_ok("{\"silence\": {\"seconds\": 0}}");
	assert_true(cfg.silence.seconds == 0.0);
	expect_ok("{\"silence\": {\"seconds\": 0.1}}");
	expect_ok("{\"silence\": {\"seconds\": 86400, \"threshold_db\": -200}}");

	expect_error("{\"silence\": {\"threshold_db\": 1}}", "/silence/threshold_db: "
	             "must be a number between -200 and 0, got 1", NULL);
	expect_error("{\"silence\": {\"seconds\": 0.05}}", "/silence/seconds: must be "
	             "a number between 0.1 and 86400, got 0.05", NULL);
	expect_error("{\"silence\": {\"seconds\": 86401}}", "/silence/seconds", NULL);
	expect_error("{\"silence\": {\"release_playback\": 1}}",
	             "/silence/release_playback: must be true or false", NULL);
	expect_error("{\"silence\": {\"fade_in_ms\": 5001}}", "/silence/fade_in_ms: "
	             "must be a number between 0 and 5000", NULL);
	expect_error("{\"silence\": {\"after\": 1}}", "/silence/after: unknown key",
	             NULL);
}

/* ---- volume ceiling and link --------------------------------------------- */

static void test_volume_link(void **state)
{
	(void)state;
	expect_ok("{\"volume\": {\"db\": -10, \"max_db\": -6, \"control\": "
	          "\"hw:Loopback\", \"element\": \"Master Playback Volume\", "
	          "\"mute_element\": \"Master Playback Switch\", \"create\": false, "
	          "\"create_min_db\": -50, \"create_max_db\": 6}}");
	assert_true(cfg.volume.max_db == -6.0);
	assert_string_equal(cfg.volume.control, "hw:Loopback");
	assert_string_equal(cfg.volume.element, "Master Playback Volume");
	assert_string_equal(cfg.volume.mute_element, "Master Playback Switch");
	assert_false(cfg.volume.create);
	assert_true(cfg.volume.create_min_db == -50.0);
	assert_true(cfg.volume.create_max_db == 6.0);
	expect_ok("{\"volume\": {\"control\": \"\", \"mute_element\": \"\"}}");
	assert_string_equal(cfg.volume.control, "");
}

static void test_volume_errors(void **state)
{
	(void)state;
	expect_error("{\"volume\": {\"db\": 0, \"max_db\": -6}}", "t.conf: /volume/db: "
	             "0 dB is above volume.max_db -6 dB", NULL);
	expect_error("{\"volume\": {\"max_db\": 41}}", "/volume/max_db: must be a "
	             "number between -150 and 40, got 41", NULL);
	expect_error("{\"volume\": {\"control\": \"hw:Loopback\"}}", "/volume: "
	             "missing required key \"element\"", NULL);
	expect_error("{\"volume\": {\"element\": \"PCM\"}}", "/volume/control: is "
	             "needed by volume.element and volume.mute_element", NULL);
	expect_error("{\"volume\": {\"element\": \"\"}}", "/volume/element: must be "
	             "a non-empty string", NULL);
	expect_error("{\"volume\": {\"create\": \"yes\"}}", "/volume/create: must be "
	             "true or false", NULL);
	expect_error("{\"volume\": {\"create_min_db\": 0, \"create_max_db\": 0.25}}",
	             "/volume/create_max_db: 0.25 dB must be at least 0.5 dB above "
	             "volume.create_min_db 0 dB", NULL);
}

/* ---- per-rate FIR paths -------------------------------------------------- */

static void test_fir_path_placeholder(void **state)
{
	char out[CFG_FIR_PATH_MAX];
	const struct cfg_fir *fir;

	(void)state;
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"room\", "
	          "\"path\": \"/x/{rate}/room-{rate}.wav\"}]}");
	fir = &cfg.blocks[0].u.fir;
	assert_string_equal(fir->path, "/x/{rate}/room-{rate}.wav");
	assert_int_equal(config_fir_path(fir, 44100, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/44100/room-44100.wav");
	assert_int_equal(config_fir_path(fir, 192000, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/192000/room-192000.wav");
	assert_int_equal(config_fir_path(fir, 48000, out, 10), -ENAMETOOLONG);
	/* a plain path is the same at every rate */
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"room\", "
	          "\"path\": \"/x/room.wav\"}]}");
	assert_int_equal(config_fir_path(&cfg.blocks[0].u.fir, 96000, out,
	                                 sizeof(out)), 0);
	assert_string_equal(out, "/x/room.wav");
}

static void test_fir_path_map(void **state)
{
	char out[CFG_FIR_PATH_MAX];
	const struct cfg_fir *fir;

	(void)state;
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"room\", \"path\": "
	          "{\"44100\": \"/x/a.wav\", \"48000\": \"/x/b.wav\"}}]}");
	fir = &cfg.blocks[0].u.fir;
	assert_string_equal(fir->path, "");
	assert_int_equal(fir->n_rate_paths, 2);
	assert_int_equal(config_fir_path(fir, 44100, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/a.wav");
	assert_int_equal(config_fir_path(fir, 48000, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/b.wav");
	assert_int_equal(config_fir_path(fir, 96000, out, sizeof(out)), -ENOENT);
	/* inline values: no file at any rate */
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"f\", "
	          "\"values\": [1]}]}");
	assert_int_equal(config_fir_path(&cfg.blocks[0].u.fir, 48000, out,
	                                 sizeof(out)), -ENOENT);
}

static void test_fir_path_errors(void **state)
{
	(void)state;
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"48k\": \"/x/a.wav\"}}]}", "t.conf: /pipeline/0/path/48k: the "
	             "key \"48k\" is not a rate", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"048000\": \"/x/a.wav\"}}]}", "/pipeline/0/path/048000: the "
	             "key \"048000\" is not a rate", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"7999\": \"/x/a.wav\"}}]}", "is not a rate", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"48000\": \"x.wav\"}}]}", "/pipeline/0/path/48000: a relative "
	             "path needs a config file", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"48000\": \"/x/{rate}.wav\"}}]}", "/pipeline/0/path/48000: a "
	             "map's paths name one rate each", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{}}]}", "/pipeline/0/path: maps 0 rates to files, 1 to 16 are "
	             "allowed", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": 5}]}",
	             "/pipeline/0/path: must be a path string (\"{rate}\" stands "
	             "for the rate) or an object mapping rates to paths, got number",
	             NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	             "{\"48000\": \"/a\"}, \"values\": [1]}]}", "/pipeline/0/values: "
	             "give either \"path\" or \"values\", not both", NULL);
	expect_error("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"values\": "
	             "[1], \"path\": {\"48000\": \"/a\"}}]}", "/pipeline/0/path: give "
	             "either \"path\" or \"values\", not both", NULL);
}

static void test_fir_path_map_limit(void **state)
{
	char text[2048];
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "{\"pipeline\": "
	                        "[{\"type\": \"fir\", \"name\": \"r\", \"path\": {");
	for (unsigned i = 0; i < 17; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s\"%u\": \"/x/%u.wav\"", i ? ", " : "",
		                        8000 + i, i);
	snprintf(text + len, sizeof(text) - len, "}}]}");
	expect_error(text, "/pipeline/0/path: maps 17 rates to files, 1 to 16", NULL);
}

/* ---- what a change needs ---------------------------------------------------- */

static void test_diff(void **state)
{
	static struct dspd_config a;
	char keys[200];

	(void)state;
	expect_ok("{}");
	a = cfg;
	expect_ok("{\"rate\": \"follow\"}");
	assert_true(config_diff(&a, &cfg) & CFG_CHANGE_RESTART);
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "rate");
	expect_ok("{\"capture\": {\"rate\": \"follow\"}}");
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "capture");
	expect_ok("{\"source\": {\"rates\": [48000]}}");
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "source");
	expect_ok("{\"silence\": {\"seconds\": 10}}");
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "silence");
	expect_ok("{\"rate_adjust\": {\"method\": \"pitch\", \"control\": \"hw:1\", "
	          "\"element\": \"T 10\"}}");
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "rate_adjust");
	expect_ok("{\"volume\": {\"control\": \"hw:1\", \"element\": \"PCM\"}}");
	config_restart_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "volume link");
	expect_ok("{\"volume\": {\"max_db\": -3}}");
	assert_true(cfg.volume.db == -3.0);          /* the default, capped */
	assert_int_equal(config_diff(&a, &cfg), CFG_CHANGE_VOLUME);
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	          "\"/x/{rate}.wav\"}]}");
	a = cfg;
	expect_ok("{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", \"path\": "
	          "{\"48000\": \"/x/48000.wav\"}}]}");
	assert_int_equal(config_diff(&a, &cfg), CFG_CHANGE_PARAMETERS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_rate_follow_mode_a),
		cmocka_unit_test(test_rate_fixed_has_one_rate),
		cmocka_unit_test(test_capture_follow_mode_b),
		cmocka_unit_test(test_follow_errors),
		cmocka_unit_test(test_source_keys),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_pitch_defaults_by_kind),
		cmocka_unit_test(test_pitch_explicit),
		cmocka_unit_test(test_pitch_errors),
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_volume_link),
		cmocka_unit_test(test_volume_errors),
		cmocka_unit_test(test_fir_path_placeholder),
		cmocka_unit_test(test_fir_path_map),
		cmocka_unit_test(test_fir_path_errors),
		cmocka_unit_test(test_fir_path_map_limit),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
