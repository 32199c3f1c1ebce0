/* test_config.c - unit tests for config.c: every documented key round-trips,
 * defaults fill omitted keys, comments are accepted, and each kind of error
 * is reported with its position (line:column or JSON pointer) and reason,
 * all of them together.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ORIGIN "t.conf"

static struct dspd_config cfg;
static struct cfg_errors errs;

static void dump_errors(const struct cfg_errors *e)
{
	print_message("  %u error(s):\n", e->count);
	for (unsigned i = 0; i < e->count && i < CFG_MAX_ERRORS; i++)
		print_message("    %s\n", e->msg[i]);
}

static int load_text(const char *text)
{
	return config_load_string(text, strlen(text), ORIGIN, &cfg, &errs);
}

static void expect_ok(const char *text)
{
	int r = load_text(text);

	if (r != 0 || errs.count != 0) {
		print_error("expected success for:\n%s\n", text);
		dump_errors(&errs);
	}
	assert_int_equal(r, 0);
	assert_int_equal(errs.count, 0);
}

static void expect_in(unsigned index, const char *needle)
{
	assert_true(index < errs.count && index < CFG_MAX_ERRORS);
	if (!strstr(errs.msg[index], needle)) {
		print_error("error %u lacks \"%s\"\n", index, needle);
		dump_errors(&errs);
		fail();
	}
}

/* Exactly one error, with the origin first and every needle in it. */
static void expect_one_error(int r, const char *const *needles, size_t n)
{
	if (r != -EINVAL || errs.count != 1)
		dump_errors(&errs);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(errs.count, 1);
	assert_memory_equal(errs.msg[0], ORIGIN, strlen(ORIGIN));
	for (size_t i = 0; i < n; i++)
		expect_in(0, needles[i]);
}

#define EXPECT_ONE_ERROR(r, ...)                                              \
	do {                                                                  \
		const char *const needles_[] = { __VA_ARGS__ };               \
		expect_one_error((r), needles_,                               \
		                 sizeof(needles_) / sizeof(needles_[0]));     \
	} while (0)

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- valid configurations ------------------------------------------------ */

static void test_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0x5a, sizeof(cfg));
	config_defaults(&cfg);
	assert_int_equal(cfg.rate, 48000);
	assert_int_equal(cfg.period_frames, 256);
	assert_int_equal(cfg.periods, 4);
	assert_string_equal(cfg.capture.device, "hw:0");
	assert_int_equal(cfg.capture.channels, 2);
	assert_int_equal(cfg.capture.format, CFG_FORMAT_AUTO);
	assert_string_equal(cfg.playback.device, "hw:0");
	assert_int_equal(cfg.playback.channels, 2);
	assert_int_equal(cfg.playback.format, CFG_FORMAT_AUTO);
	assert_string_equal(cfg.socket_path, "/run/dspd/control.sock");
	assert_true(cfg.realtime.enabled);
	assert_int_equal(cfg.realtime.priority, 70);
	assert_true(cfg.realtime.mlock);
	assert_true(cfg.volume.db == 0.0);
	assert_false(cfg.volume.mute);
	assert_true(cfg.volume.ramp_ms == 20.0);
	assert_int_equal(cfg.n_blocks, 0);
}

static void test_empty_object_is_all_defaults(void **state)
{
	struct dspd_config defaults;

	(void)state;
	config_defaults(&defaults);
	memset(&cfg, 0xa5, sizeof(cfg));
	expect_ok("{}");
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

static const char full_config[] =
	"{\n"
	"  \"rate\": 96000, \"period_frames\": 128, \"periods\": 3,\n"
	"  \"capture\": {\"device\": \"hw:CARD=In,DEV=1\", \"channels\": 4,\n"
	"               \"format\": \"S24_3LE\"},\n"
	"  \"playback\": {\"device\": \"plughw:1\", \"channels\": 6,\n"
	"                \"format\": \"s16_le\"},\n"
	"  \"control\": {\"socket\": \"/tmp/dspd-test.sock\"},\n"
	"  \"realtime\": {\"enabled\": false, \"priority\": 12, \"mlock\": false},\n"
	"  \"volume\": {\"db\": -12.5, \"mute\": true, \"ramp_ms\": 150},\n"
	"  \"pipeline\": [\n"
	"    {\"type\": \"gain\", \"name\": \"left-trim\", \"db\": -3.25,\n"
	"     \"mute\": false, \"invert\": true, \"channels\": [0, 2]},\n"
	"    {\"type\": \"gain\", \"name\": \"master\", \"db\": 6, \"mute\": true},\n"
	"    {\"type\": \"gain\", \"name\": \"sub.1\", \"channels\": [5]}\n"
	"  ]\n"
	"}\n";

static void test_full_round_trip(void **state)
{
	(void)state;
	expect_ok(full_config);
	assert_int_equal(cfg.rate, 96000);
	assert_int_equal(cfg.period_frames, 128);
	assert_int_equal(cfg.periods, 3);
	assert_string_equal(cfg.capture.device, "hw:CARD=In,DEV=1");
	assert_int_equal(cfg.capture.channels, 4);
	assert_int_equal(cfg.capture.format, SND_PCM_FORMAT_S24_3LE);
	assert_string_equal(cfg.playback.device, "plughw:1");
	assert_int_equal(cfg.playback.channels, 6);
	assert_int_equal(cfg.playback.format, SND_PCM_FORMAT_S16_LE);
	assert_string_equal(cfg.socket_path, "/tmp/dspd-test.sock");
	assert_false(cfg.realtime.enabled);
	assert_int_equal(cfg.realtime.priority, 12);
	assert_false(cfg.realtime.mlock);
	assert_true(cfg.volume.db == -12.5);
	assert_true(cfg.volume.mute);
	assert_true(cfg.volume.ramp_ms == 150.0);

	assert_int_equal(cfg.n_blocks, 3);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_GAIN);
	assert_string_equal(cfg.blocks[0].name, "left-trim");
	assert_true(cfg.blocks[0].db == -3.25);
	assert_false(cfg.blocks[0].mute);
	assert_true(cfg.blocks[0].invert);
	assert_int_equal(cfg.blocks[0].channel_mask, 0x5);
	assert_string_equal(cfg.blocks[1].name, "master");
	assert_true(cfg.blocks[1].db == 6.0);
	assert_true(cfg.blocks[1].mute);
	assert_false(cfg.blocks[1].invert);
	assert_int_equal(cfg.blocks[1].channel_mask, UINT32_MAX);
	assert_string_equal(cfg.blocks[2].name, "sub.1");
	assert_true(cfg.blocks[2].db == 0.0);
	assert_int_equal(cfg.blocks[2].channel_mask, 1u << 5);
}

/* Every byte of the result is written: two differently poisoned targets
 * end up identical. */
static void test_result_fully_written(void **state)
{
	static struct dspd_config other;

	(void)state;
	memset(&cfg, 0xaa, sizeof(cfg));
	expect_ok(full_config);
	memcpy(&other, &cfg, sizeof(cfg));
	memset(&cfg, 0x55, sizeof(cfg));
	expect_ok(full_config);
	assert_memory_equal(&cfg, &other, sizeof(cfg));
}

static void test_comments_accepted(void **state)
{
	(void)state;
	expect_ok("// dspd test config\n"
	          "/* a block comment\n   over two lines */\n"
	          "{\n"
	          "  \"rate\": 44100, // trailing comment\n"
	          "  /* before a key */ \"periods\": /* inside */ 8,\n"
	          "  \"capture\": { // nested\n"
	          "    \"channels\": 1 /* last member */ }\n"
	          "}\n"
	          "// after the object\n"
	          "/* and a block one */\n");
	assert_int_equal(cfg.rate, 44100);
	assert_int_equal(cfg.periods, 8);
	assert_int_equal(cfg.capture.channels, 1);
}

static void test_omitted_keys_take_defaults(void **state)
{
	struct dspd_config defaults;

	(void)state;
	config_defaults(&defaults);
	expect_ok("{\"capture\": {\"channels\": 8}, \"realtime\": {\"priority\": 50},"
	          " \"pipeline\": [{\"type\": \"gain\", \"name\": \"g\"}]}");
	assert_int_equal(cfg.capture.channels, 8);
	assert_string_equal(cfg.capture.device, defaults.capture.device);
	assert_int_equal(cfg.capture.format, CFG_FORMAT_AUTO);
	assert_memory_equal(&cfg.playback, &defaults.playback, sizeof(cfg.playback));
	assert_int_equal(cfg.realtime.priority, 50);
	assert_true(cfg.realtime.enabled);
	assert_true(cfg.realtime.mlock);
	assert_int_equal(cfg.rate, defaults.rate);
	assert_int_equal(cfg.period_frames, defaults.period_frames);
	assert_int_equal(cfg.periods, defaults.periods);
	assert_string_equal(cfg.socket_path, defaults.socket_path);
	assert_memory_equal(&cfg.volume, &defaults.volume, sizeof(cfg.volume));
	assert_int_equal(cfg.n_blocks, 1);
	assert_true(cfg.blocks[0].db == 0.0);
	assert_false(cfg.blocks[0].mute);
	assert_false(cfg.blocks[0].invert);
	assert_int_equal(cfg.blocks[0].channel_mask, UINT32_MAX);
}

static void test_edge_values_accepted(void **state)
{
	char *text;
	char *socket = repeat('s', CFG_PATH_MAX - 2);
	char *device = repeat('d', CFG_DEVICE_MAX - 1);
	char *name = repeat('n', CFG_NAME_MAX - 1);

	(void)state;
	text = malloc(2048);
	assert_non_null(text);
	snprintf(text, 2048,
	         "{\"rate\": 768000.0, \"period_frames\": 65536, \"periods\": 16,"
	         " \"capture\": {\"channels\": 32, \"device\": \"%s\","
	         " \"format\": \"AUTO\"},"
	         " \"playback\": {\"channels\": 1},"
	         " \"control\": {\"socket\": \"/%s\"},"
	         " \"realtime\": {\"priority\": 99},"
	         " \"volume\": {\"db\": -150, \"ramp_ms\": 0},"
	         " \"pipeline\": [{\"type\": \"gain\", \"name\": \"%s\","
	         " \"db\": 40, \"channels\": [31, 0],}],}",
	         device, socket, name);
	expect_ok(text);
	assert_int_equal(cfg.rate, 768000);
	assert_int_equal(strlen(cfg.socket_path), CFG_PATH_MAX - 1);
	assert_int_equal(strlen(cfg.capture.device), CFG_DEVICE_MAX - 1);
	assert_string_equal(cfg.blocks[0].name, name);
	assert_int_equal(cfg.blocks[0].channel_mask, 0x80000001u);
	assert_int_equal(cfg.capture.format, CFG_FORMAT_AUTO);
	free(text);
	free(socket);
	free(device);
	free(name);
}

/* Channel indexes are checked against the wider of capture and playback. */
static void test_channels_up_to_wider_pcm(void **state)
{
	(void)state;
	expect_ok("{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	          " \"channels\": [3]}], \"playback\": {\"channels\": 4}}");
	assert_int_equal(cfg.blocks[0].channel_mask, 1u << 3);
}

static void test_byte_order_mark_skipped(void **state)
{
	(void)state;
	expect_ok("\xef\xbb\xbf{\"rate\": 32000}");
	assert_int_equal(cfg.rate, 32000);
}

static void test_null_errs_allowed(void **state)
{
	const char bad[] = "{\"rate\": 1}";

	(void)state;
	assert_int_equal(config_load_string(bad, strlen(bad), ORIGIN, &cfg, NULL),
	                 -EINVAL);
	assert_int_equal(config_load_string("{}", 2, ORIGIN, &cfg, NULL), 0);
}

/* ---- the table of single errors -------------------------------------- */

struct error_case {
	const char *name;
	const char *text;
	size_t len;                     /* 0: strlen(text) */
	const char *needles[4];
};

static const struct error_case error_cases[] = {
	/* syntax, by line:column */
	{ "missing_comma", "{\n  \"rate\": 48000\n  \"periods\": 4\n}", 0,
	  { "t.conf:3:3: syntax error", "unexpected '\"'", "','" } },
	{ "missing_colon", "{\"rate\" 48000}", 0,
	  { "t.conf:1:9: syntax error", "unexpected '4'", "':'" } },
	{ "bad_literal", "{\"volume\": {\"mute\": ture}}", 0,
	  { "t.conf:1:22: syntax error", "boolean expected" } },
	{ "unquoted_key", "{\n\trate: 1}", 0,
	  { "t.conf:2:2: syntax error", "unexpected 'r'" } },
	{ "unclosed_object", "{\"rate\": 48000,\n", 0,
	  { "t.conf:2:1: syntax error", "end of file", "'{' opened at 1:1" } },
	{ "unclosed_array", "{\"pipeline\": [\n {}\n", 0,
	  { "end of file", "'[' opened at 1:14" } },
	{ "unterminated_string", "{\"capture\": {\"device\": \"hw:0}}", 0,
	  { "syntax error", "end of file inside the string started at 1:24" } },
	{ "unterminated_comment", "{\"rate\": 48000 /* never closed\n}", 0,
	  { "syntax error", "inside the comment opened at 1:16" } },
	{ "unterminated_comment_after", "{} /* x", 0,
	  { "inside the comment opened at 1:4" } },
	{ "trailing_garbage", "{}\n,", 0,
	  { "t.conf:2:1: syntax error", "unexpected ','",
	    "after the top-level object" } },
	{ "trailing_object", "{\"rate\": 48000}\n{}", 0,
	  { "t.conf:2:1:", "after the top-level object" } },
	{ "extra_brace", "{\"rate\": 48000}}", 0,
	  { "t.conf:1:16:", "unexpected '}'", "after the top-level object" } },
	{ "top_level_array", "[{\"rate\": 48000}]", 0,
	  { "t.conf:1:1:", "top level must be an object, got array" } },
	{ "top_level_string", "\n  \"rate\"", 0,
	  { "t.conf:2:3:", "top level must be an object, got string" } },
	{ "top_level_number", "48000", 0,
	  { "top level must be an object, got number" } },
	{ "top_level_junk", "rate=48000", 0,
	  { "t.conf:1:1: syntax error", "unexpected 'r'", "expected '{'" } },
	{ "empty", "", 0, { "t.conf: the configuration is empty" } },
	{ "only_whitespace", " \n\t\n", 0, { "configuration is empty" } },
	{ "only_comments", "// nothing\n/* here */\n", 0,
	  { "configuration is empty" } },
	{ "nul_byte", "{\"rate\":\0 1}", 12,
	  { "t.conf:1:9: syntax error", "NUL byte" } },
	{ "invalid_utf8", "{\"capture\": {\"device\": \"hw\xff\"}}", 0,
	  { "t.conf:1:27: syntax error", "invalid UTF-8", "0xff" } },
	{ "hash_comment", "{\n# not a comment\n}", 0,
	  { "t.conf:2:1: syntax error", "unexpected '#'" } },
	/* duplicate keys */
	{ "duplicate_key", "{\"capture\": {\"channels\": 2,\n \"channels\": 3}}", 0,
	  { "t.conf:2:2: /capture/channels: duplicate key",
	    "first at 1:14" } },
	{ "duplicate_key_escaped", "{\"rate\": 48000, \"r\\u0061te\": 44100}", 0,
	  { "t.conf:1:17: /rate: duplicate key", "first at 1:2" } },
	{ "duplicate_key_in_block",
	  "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"a\", \"name\": \"b\"}]}", 0,
	  { "/pipeline/0/name: duplicate key" } },
	/* unknown keys at every level */
	{ "unknown_top", "{\"bogus\": 1}", 0,
	  { "t.conf: /bogus: unknown key", "known: rate" } },
	{ "unknown_pointer_escaped", "{\"a/b~c\": 1}", 0,
	  { "t.conf: /a~1b~0c: unknown key" } },
	{ "unknown_capture", "{\"capture\": {\"rate\": 1}}", 0,
	  { "/capture/rate: unknown key", "known: device, channels, format" } },
	{ "unknown_playback", "{\"playback\": {\"devices\": \"hw:0\"}}", 0,
	  { "/playback/devices: unknown key" } },
	{ "unknown_control", "{\"control\": {\"path\": \"/x\"}}", 0,
	  { "/control/path: unknown key", "known: socket" } },
	{ "unknown_realtime", "{\"realtime\": {\"prio\": 1}}", 0,
	  { "/realtime/prio: unknown key" } },
	{ "unknown_volume", "{\"volume\": {\"gain\": 1}}", 0,
	  { "/volume/gain: unknown key" } },
	{ "unknown_block_key",
	  "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\", \"q\": 1}]}", 0,
	  { "/pipeline/0/q: unknown key", "known: type, name, db" } },
	/* integers */
	{ "rate_type", "{\"rate\": \"48000\"}", 0,
	  { "/rate: must be an integer, got string" } },
	{ "rate_low", "{\"rate\": 7999}", 0,
	  { "/rate: must be an integer between 8000 and 768000, got 7999" } },
	{ "rate_high", "{\"rate\": 768001}", 0,
	  { "/rate: must be an integer between 8000 and 768000, got 768001" } },
	{ "rate_fraction", "{\"rate\": 44100.5}", 0,
	  { "/rate: must be an integer, got 44100.5" } },
	{ "rate_huge", "{\"rate\": 99999999999999999999999}", 0,
	  { "/rate: must be an integer between 8000 and 768000" } },
	{ "rate_negative", "{\"rate\": -48000}", 0,
	  { "/rate: must be an integer between", "got -48000" } },
	{ "rate_nan", "{\"rate\": NaN}", 0, { "/rate: must be an integer, got NaN" } },
	{ "rate_null", "{\"rate\": null}", 0, { "/rate: must be an integer, got null" } },
	{ "period_frames_low", "{\"period_frames\": 15}", 0,
	  { "/period_frames: must be an integer between 16 and 65536, got 15" } },
	{ "periods_high", "{\"periods\": 65}", 0,
	  { "/periods: must be an integer between 2 and 64, got 65" } },
	{ "periods_fraction", "{\"periods\": 2.5}", 0,
	  { "/periods: must be an integer, got 2.5" } },
	{ "buffer_too_big", "{\"period_frames\": 65536, \"periods\": 17}", 0,
	  { "/periods:", "65536 * 17 = 1114112", "exceeds 1048576" } },
	{ "buffer_too_big_default_periods", "{\"period_frames\": 65536,"
	  " \"periods\": 32}", 0, { "/periods:", "2097152" } },
	{ "capture_channels_zero", "{\"capture\": {\"channels\": 0}}", 0,
	  { "t.conf: /capture/channels: must be an integer between 1 and 32, got 0" } },
	{ "playback_channels_high", "{\"playback\": {\"channels\": 33}}", 0,
	  { "/playback/channels: must be an integer between 1 and 32, got 33" } },
	{ "playback_channels_type", "{\"playback\": {\"channels\": [2]}}", 0,
	  { "/playback/channels: must be an integer, got array" } },
	{ "priority_zero", "{\"realtime\": {\"priority\": 0}}", 0,
	  { "/realtime/priority: must be an integer between 1 and 99, got 0" } },
	{ "priority_high", "{\"realtime\": {\"priority\": 100}}", 0,
	  { "/realtime/priority: must be an integer between 1 and 99, got 100" } },
	/* strings */
	{ "device_empty", "{\"capture\": {\"device\": \"\"}}", 0,
	  { "t.conf: /capture/device: must be a non-empty string" } },
	{ "device_type", "{\"playback\": {\"device\": 0}}", 0,
	  { "/playback/device: must be a non-empty string, got number" } },
	{ "device_nul", "{\"capture\": {\"device\": \"hw\\u00000\"}}", 0,
	  { "/capture/device: must not contain NUL" } },
	{ "socket_empty", "{\"control\": {\"socket\": \"\"}}", 0,
	  { "/control/socket: must be a non-empty string" } },
	{ "socket_type", "{\"control\": {\"socket\": true}}", 0,
	  { "/control/socket: must be a non-empty string, got boolean" } },
	{ "format_unknown", "{\"capture\": {\"format\": \"S33_LE\"}}", 0,
	  { "/capture/format: unknown format \"S33_LE\"", "supported: auto, ",
	    "S16_LE" } },
	{ "format_type", "{\"playback\": {\"format\": 32}}", 0,
	  { "/playback/format: must be a non-empty string, got number" } },
	{ "format_control_chars", "{\"playback\": {\"format\": \"a\\nb\"}}", 0,
	  { "unknown format \"a\\x0ab\"" } },
	/* booleans and reals */
	{ "enabled_type", "{\"realtime\": {\"enabled\": \"yes\"}}", 0,
	  { "/realtime/enabled: must be true or false, got string" } },
	{ "mlock_number", "{\"realtime\": {\"mlock\": 1}}", 0,
	  { "/realtime/mlock: must be true or false, got number" } },
	{ "mute_null", "{\"volume\": {\"mute\": null}}", 0,
	  { "/volume/mute: must be true or false, got null" } },
	{ "volume_type", "{\"volume\": {\"db\": \"-6\"}}", 0,
	  { "/volume/db: must be a number, got string" } },
	{ "volume_low", "{\"volume\": {\"db\": -150.5}}", 0,
	  { "/volume/db: must be a number between -150 and 40, got -150.5" } },
	{ "volume_high", "{\"volume\": {\"db\": 41}}", 0,
	  { "/volume/db: must be a number between -150 and 40, got 41" } },
	{ "volume_nan", "{\"volume\": {\"db\": NaN}}", 0,
	  { "/volume/db: must be a finite number, got NaN" } },
	{ "volume_infinity", "{\"volume\": {\"db\": -Infinity}}", 0,
	  { "/volume/db: must be a finite number, got -Infinity" } },
	{ "volume_overflow", "{\"volume\": {\"db\": 1e999}}", 0,
	  { "/volume/db: must be a finite number, got 1e999" } },
	{ "ramp_negative", "{\"volume\": {\"ramp_ms\": -1}}", 0,
	  { "/volume/ramp_ms: must be a number between 0 and 10000, got -1" } },
	{ "ramp_high", "{\"volume\": {\"ramp_ms\": 10000.5}}", 0,
	  { "/volume/ramp_ms: must be a number between 0 and 10000" } },
	/* objects */
	{ "capture_not_object", "{\"capture\": \"hw:0\"}", 0,
	  { "/capture: must be an object, got string" } },
	{ "realtime_not_object", "{\"realtime\": true}", 0,
	  { "/realtime: must be an object, got boolean" } },
	/* pipeline */
	{ "pipeline_not_array", "{\"pipeline\": {\"type\": \"gain\"}}", 0,
	  { "/pipeline: must be an array of blocks, got object" } },
	{ "block_not_object", "{\"pipeline\": [\"gain\"]}", 0,
	  { "/pipeline/0: must be an object", "got string" } },
	{ "block_without_type", "{\"pipeline\": [{\"name\": \"g\"}]}", 0,
	  { "/pipeline/0: missing required key \"type\"" } },
	{ "block_type_unknown",
	  "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"a\"},"
	  " {\"type\": \"gain\", \"name\": \"b\"},"
	  " {\"type\": \"gian\", \"name\": \"c\"}]}", 0,
	  { "t.conf: /pipeline/2/type: unknown block type \"gian\" (known: gain)" } },
	{ "block_type_not_string", "{\"pipeline\": [{\"type\": 1}]}", 0,
	  { "/pipeline/0/type: must be a string", "got number" } },
	{ "block_without_name", "{\"pipeline\": [{\"type\": \"gain\"}]}", 0,
	  { "/pipeline/0: missing required key \"name\"" } },
	{ "block_name_chars", "{\"pipeline\": [{\"type\": \"gain\","
	  " \"name\": \"main out\"}]}", 0,
	  { "/pipeline/0/name: invalid name \"main out\"" } },
	{ "block_name_empty", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"\"}]}", 0,
	  { "/pipeline/0/name: must be a non-empty string" } },
	{ "block_name_duplicate",
	  "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"master\"},"
	  " {\"type\": \"gain\", \"name\": \"master\"}]}", 0,
	  { "t.conf: /pipeline/1/name: duplicate name \"master\" (first at /pipeline/0)" } },
	{ "block_db_high", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"db\": 40.01}]}", 0,
	  { "/pipeline/0/db: must be a number between -150 and 40, got 40.01" } },
	{ "block_db_infinite", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"db\": Infinity}]}", 0,
	  { "/pipeline/0/db: must be a finite number" } },
	{ "block_mute_type", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"mute\": \"no\"}]}", 0,
	  { "/pipeline/0/mute: must be true or false, got string" } },
	{ "block_invert_type", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"invert\": 0}]}", 0,
	  { "/pipeline/0/invert: must be true or false, got number" } },
	{ "channels_not_array", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": 1}]}", 0,
	  { "/pipeline/0/channels: must be an array", "got number" } },
	{ "channels_empty", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": []}]}", 0,
	  { "/pipeline/0/channels: must list at least one channel" } },
	{ "channel_type", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": [0, \"1\"]}]}", 0,
	  { "/pipeline/0/channels/1: must be an integer, got string" } },
	{ "channel_fraction", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": [0.5]}]}", 0,
	  { "/pipeline/0/channels/0: must be an integer, got 0.5" } },
	{ "channel_negative", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": [-1]}]}", 0,
	  { "/pipeline/0/channels/0: must be an integer between 0 and 31, got -1" } },
	{ "channel_over_max", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": [32]}]}", 0,
	  { "/pipeline/0/channels/0: must be an integer between 0 and 31, got 32" } },
	{ "channel_twice", "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\","
	  " \"channels\": [1, 0, 1]}]}", 0,
	  { "/pipeline/0/channels/2: channel 1 is listed twice (first at index 0)" } },
	{ "channel_beyond_pcms",
	  "{\"capture\": {\"channels\": 2}, \"pipeline\": [{\"type\": \"gain\","
	  " \"name\": \"a\"}, {\"type\": \"gain\", \"name\": \"b\","
	  " \"channels\": [0, 2]}]}", 0,
	  { "t.conf: /pipeline/1/channels/1: channel 2 does not exist",
	    "has 2 channels" } },
	{ "channel_beyond_pcms_declared_later",
	  "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\", \"channels\": [6]}],"
	  " \"capture\": {\"channels\": 6}, \"playback\": {\"channels\": 4}}", 0,
	  { "/pipeline/0/channels/0: channel 6 does not exist",
	    "has 6 channels" } },
};

static void run_error_case(void **state)
{
	const struct error_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	size_t n = 0;
	int r;

	r = config_load_string(c->text, len, ORIGIN, &cfg, &errs);
	while (n < 4 && c->needles[n])
		n++;
	expect_one_error(r, c->needles, n);
}

/* ---- errors built at run time ------------------------------------------ */

static void test_nesting_limit(void **state)
{
	char text[512];
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(text, sizeof(text), "{\"x\": ");
	for (int i = 0; i < 70; i++)
		text[len++] = '[';
	for (int i = 0; i < 70; i++)
		text[len++] = ']';
	text[len++] = '}';
	text[len] = '\0';
	EXPECT_ONE_ERROR(load_text(text), "t.conf:1:", "syntax error",
	                 "nesting deeper than 64");
}

static void test_long_strings_refused(void **state)
{
	char *device = repeat('d', CFG_DEVICE_MAX);
	char *socket = repeat('s', CFG_PATH_MAX - 1);
	char *name = repeat('n', CFG_NAME_MAX);
	char *text = malloc(4096);

	(void)state;
	assert_non_null(text);
	snprintf(text, 4096, "{\"capture\": {\"device\": \"%s\"}}", device);
	EXPECT_ONE_ERROR(load_text(text), "/capture/device: is too long: 256 bytes",
	                 "at most 255");
	snprintf(text, 4096, "{\"control\": {\"socket\": \"/%s\"}}", socket);
	EXPECT_ONE_ERROR(load_text(text), "/control/socket: is too long: 108 bytes",
	                 "at most 107", "sun_path");
	snprintf(text, 4096, "{\"pipeline\": [{\"type\": \"gain\", \"name\": \"%s\"}]}",
	         name);
	EXPECT_ONE_ERROR(load_text(text), "/pipeline/0/name: is too long: 64 bytes");
	free(text);
	free(device);
	free(socket);
	free(name);
}

static void test_too_many_blocks(void **state)
{
	size_t size = 64 * (CFG_MAX_BLOCKS + 1) + 32, len = 0;
	char *text = malloc(size);

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text, size, "{\"pipeline\": [");
	for (int i = 0; i <= CFG_MAX_BLOCKS; i++)
		len += (size_t)snprintf(text + len, size - len,
		                        "%s{\"type\": \"gain\", \"name\": \"g%d\"}",
		                        i ? ", " : "", i);
	snprintf(text + len, size - len, "]}");
	EXPECT_ONE_ERROR(load_text(text), "t.conf: /pipeline: has 65 blocks",
	                 "at most 64");

	/* exactly the limit is fine */
	len = (size_t)(strrchr(text, '{') - text);
	snprintf(text + len - 2, size - len + 2, "]}");
	expect_ok(text);
	assert_int_equal(cfg.n_blocks, CFG_MAX_BLOCKS);
	assert_string_equal(cfg.blocks[CFG_MAX_BLOCKS - 1].name, "g63");
	free(text);
}

static void test_string_over_size_limit(void **state)
{
	size_t len = CFG_MAX_FILE_BYTES + 1;
	char *text = repeat(' ', len);

	(void)state;
	text[0] = '{';
	text[len - 1] = '}';
	assert_int_equal(config_load_string(text, len, ORIGIN, &cfg, &errs), -EFBIG);
	assert_int_equal(errs.count, 1);
	expect_in(0, "4194304");
	free(text);
}

/* ---- several errors at once ------------------------------------------ */

static void test_multiple_errors_reported_together(void **state)
{
	int r;

	(void)state;
	r = load_text("{\n"
	              "  \"rate\": 1,\n"
	              "  \"capture\": {\"channels\": 0, \"device\": \"\"},\n"
	              "  \"bogus\": true,\n"
	              "  \"volume\": {\"db\": NaN},\n"
	              "  \"pipeline\": [{\"type\": \"gain\", \"name\": \"m\"},\n"
	              "               {\"type\": \"gian\", \"name\": \"x\"},\n"
	              "               {\"type\": \"gain\", \"name\": \"m\"}],\n"
	              "  \"periods\": 1, \"periods\": 2\n"
	              "}\n");
	assert_int_equal(r, -EINVAL);
	if (errs.count != 8)
		dump_errors(&errs);
	assert_int_equal(errs.count, 8);
	expect_in(0, "t.conf:9:17: /periods: duplicate key (first at 9:3)");
	expect_in(1, "/rate: must be an integer between 8000 and 768000, got 1");
	expect_in(2, "/capture/channels: must be an integer between 1 and 32, got 0");
	expect_in(3, "/capture/device: must be a non-empty string");
	expect_in(4, "/bogus: unknown key");
	expect_in(5, "/volume/db: must be a finite number, got NaN");
	expect_in(6, "/pipeline/1/type: unknown block type \"gian\"");
	expect_in(7, "/pipeline/2/name: duplicate name \"m\" (first at /pipeline/0)");
}

static void test_error_count_keeps_counting(void **state)
{
	char text[4096];
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(text, sizeof(text), "{");
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s\"unknown%d\": %d", i ? ", " : "", i, i);
	snprintf(text + len, sizeof(text) - len, "}");
	assert_int_equal(load_text(text), -EINVAL);
	assert_int_equal(errs.count, 40);
	expect_in(0, "/unknown0: unknown key");
	expect_in(CFG_MAX_ERRORS - 1, "/unknown31: unknown key");
}

static void test_errors_reset_between_loads(void **state)
{
	(void)state;
	assert_int_equal(load_text("{\"rate\": 1}"), -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_ok("{\"rate\": 8000}");
}

/* ---- files ------------------------------------------------------------- */

static char tmpdir[PATH_MAX];

static int make_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
	         base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_file_valid(void **state)
{
	char path[PATH_MAX + 16];

	(void)state;
	snprintf(path, sizeof(path), "%s/ok.conf", tmpdir);
	write_file(path, full_config, strlen(full_config));
	assert_int_equal(config_load_file(path, &cfg, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(cfg.rate, 96000);
	assert_int_equal(cfg.n_blocks, 3);
	unlink(path);
}

static void test_file_errors_name_the_file(void **state)
{
	char path[PATH_MAX + 16];
	const char bad[] = "{\n  \"rate\": 1\n}\n";

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, bad, strlen(bad));
	assert_int_equal(config_load_file(path, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.count, 1);
	assert_memory_equal(errs.msg[0], path, strlen(path));
	expect_in(0, ": /rate: must be an integer between");
	unlink(path);
}

static void test_file_missing(void **state)
{
	char path[PATH_MAX + 16];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(config_load_file(path, &cfg, &errs), -ENOENT);
	assert_int_equal(errs.count, 1);
	expect_in(0, path);
	expect_in(0, "No such file or directory");
}

static void test_file_is_directory(void **state)
{
	(void)state;
	assert_int_equal(config_load_file(tmpdir, &cfg, &errs), -EISDIR);
	assert_int_equal(errs.count, 1);
	expect_in(0, tmpdir);
	expect_in(0, "is a directory");
}

static void test_file_empty(void **state)
{
	char path[PATH_MAX + 16];

	(void)state;
	snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
	write_file(path, "", 0);
	assert_int_equal(config_load_file(path, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_in(0, "configuration is empty");
	unlink(path);
}

static void test_file_too_big(void **state)
{
	char path[PATH_MAX + 16];
	size_t len = CFG_MAX_FILE_BYTES + 1;
	char *data = repeat(' ', len);

	(void)state;
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	data[0] = '{';
	data[len - 1] = '}';
	write_file(path, data, len);
	assert_int_equal(config_load_file(path, &cfg, &errs), -EFBIG);
	assert_int_equal(errs.count, 1);
	expect_in(0, path);
	expect_in(0, "larger than the limit of 4194304 bytes");

	/* exactly at the limit is read and parsed */
	data[len - 2] = '}';
	write_file(path, data, len - 1);
	assert_int_equal(config_load_file(path, &cfg, &errs), 0);
	assert_int_equal(errs.count, 0);
	free(data);
	unlink(path);
}

/* ---- the shipped configuration files --------------------------------- */

/* Files of the source tree: from the top of the tree (where make runs the
 * tests), else relative to the binary in build/<variant>/tests. */
static void source_path(char *buf, size_t size, const char *relative)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(buf, size, "%s", relative);
	if (access(buf, R_OK) == 0)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		if (snprintf(buf, size, "%s/../../../%s", exe, relative) <
		    (int)size && access(buf, R_OK) == 0)
			return;
	}
	print_error("cannot find %s from the current directory or from "
	            "build/<variant>/tests\n", relative);
	fail();
}

static void test_shipped_default_config(void **state)
{
	struct dspd_config defaults;
	char path[PATH_MAX];

	(void)state;
	source_path(path, sizeof(path), "etc/dspd.conf");
	if (config_load_file(path, &cfg, &errs) != 0)
		dump_errors(&errs);
	assert_int_equal(errs.count, 0);
	/* it spells out the built-in defaults, plus a "master" gain block */
	config_defaults(&defaults);
	assert_int_equal(cfg.n_blocks, 1);
	assert_string_equal(cfg.blocks[0].name, "master");
	assert_true(cfg.blocks[0].db == 0.0);
	assert_int_equal(cfg.blocks[0].channel_mask, UINT32_MAX);
	cfg.n_blocks = 0;
	memset(&cfg.blocks[0], 0, sizeof(cfg.blocks[0]));
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

static void test_shipped_minimal_config(void **state)
{
	char path[PATH_MAX];

	(void)state;
	source_path(path, sizeof(path), "etc/examples/minimal.conf");
	if (config_load_file(path, &cfg, &errs) != 0)
		dump_errors(&errs);
	assert_int_equal(errs.count, 0);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_object_is_all_defaults),
		cmocka_unit_test(test_full_round_trip),
		cmocka_unit_test(test_result_fully_written),
		cmocka_unit_test(test_comments_accepted),
		cmocka_unit_test(test_omitted_keys_take_defaults),
		cmocka_unit_test(test_edge_values_accepted),
		cmocka_unit_test(test_channels_up_to_wider_pcm),
		cmocka_unit_test(test_byte_order_mark_skipped),
		cmocka_unit_test(test_null_errs_allowed),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_long_strings_refused),
		cmocka_unit_test(test_too_many_blocks),
		cmocka_unit_test(test_string_over_size_limit),
		cmocka_unit_test(test_multiple_errors_reported_together),
		cmocka_unit_test(test_error_count_keeps_counting),
		cmocka_unit_test(test_errors_reset_between_loads),
		cmocka_unit_test(test_file_valid),
		cmocka_unit_test(test_file_errors_name_the_file),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_file_is_directory),
		cmocka_unit_test(test_file_empty),
		cmocka_unit_test(test_file_too_big),
		cmocka_unit_test(test_shipped_default_config),
		cmocka_unit_test(test_shipped_minimal_config),
	};
	const size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	const size_t n_cases = sizeof(error_cases) / sizeof(error_cases[0]);
	struct CMUnitTest *tests = calloc(n_fixed + n_cases, sizeof(*tests));
	int failed;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < n_cases; i++) {
		tests[n_fixed + i].name = error_cases[i].name;
		tests[n_fixed + i].test_func = run_error_case;
		tests[n_fixed + i].initial_state = (void *)&error_cases[i];
	}
	failed = _cmocka_run_group_tests("config", tests, n_fixed + n_cases,
	                                 make_tmpdir, remove_tmpdir);
	free(tests);
	return failed;
}
