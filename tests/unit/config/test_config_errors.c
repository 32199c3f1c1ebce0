/* test_config_errors.c - unit tests for config.c and its parts, the rejected
 * side: each kind of error is reported with its position (line:column or
 * JSON pointer) and reason, and all of them together.  Accepted input is in
 * test_config.c.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_test.h"

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
	/* columns count characters: 2-, 3- and 4-byte UTF-8 before the error */
	{ "column_after_non_ascii",
	  "{\"capture\": {\"device\": \"h\xc3\xa9\xe2\x99\xab\xf0\x9f\x8e\xb5\"}, \"rate\" 1}", 0,
	  { "t.conf:1:40: syntax error", "unexpected '1'" } },
	{ "column_after_non_ascii_duplicate",
	  "{\"capture\": {\"device\": \"\xc3\xa9\xe2\x99\xab\", \"device\": \"x\"}}", 0,
	  { "t.conf:1:30: /capture/device: duplicate key", "first at 1:14" } },
	{ "column_after_non_ascii_opened_at",
	  "{\"capture\": {\"device\": \"\xf0\x9f\x8e\xb5\"}, \"pipeline\": [\n", 0,
	  { "t.conf:2:1: syntax error", "'[' opened at 1:42" } },
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
	{ "unknown_capture", "{\"capture\": {\"bits\": 1}}", 0,
	  { "/capture/bits: unknown key", "known: device, channels, format, rate" } },
	/* two clocks: resampling */
	{ "capture_rate_range", "{\"capture\": {\"rate\": 1}}", 0,
	  { "/capture/rate: must be an integer between 8000 and 768000, got 1" } },
	{ "playback_rate_unknown", "{\"playback\": {\"rate\": 44100}}", 0,
	  { "/playback/rate: unknown key", "known: device, channels, format)" } },
	{ "capture_rate_ratio", "{\"rate\": 192000, \"capture\": {\"rate\": 8000}}", 0,
	  { "/capture/rate: 8000 Hz is more than 16 times away from the rate 192000 Hz" } },
	{ "resampling_periods", "{\"periods\": 3, \"rate_adjust\": {\"enabled\": true}}", 0,
	  { "/periods: must be at least 4 when the capture is resampled",
	    "one period more absorbs" } },
	{ "resampling_periods_rate", "{\"periods\": 3, \"capture\": {\"rate\": 44100}}", 0,
	  { "/periods: must be at least 4", "capture.rate 44100 Hz, rate 48000 Hz" } },
	{ "target_level_range", "{\"rate_adjust\": {\"enabled\": true, \"target_level\": 512}}", 0,
	  { "/rate_adjust/target_level: must be 0 (auto) or between 3 periods (768) "
	    "and periods - 1 periods (768) frames, got 512" } },
	{ "target_level_over",
	  "{\"periods\": 8, \"rate_adjust\": {\"enabled\": true, \"target_level\": 1793}}", 0,
	  { "/rate_adjust/target_level: must be 0 (auto) or between 3 periods (768) "
	    "and periods - 1 periods (1792) frames, got 1793" } },
	{ "max_ppm_range", "{\"rate_adjust\": {\"max_ppm\": 0}}", 0,
	  { "/rate_adjust/max_ppm: must be a number between 1 and 10000, got 0" } },
	{ "bandwidth_range", "{\"rate_adjust\": {\"bandwidth_hz\": 2}}", 0,
	  { "/rate_adjust/bandwidth_hz: must be a number between 0.005 and 1, got 2" } },
	{ "rate_adjust_unknown", "{\"rate_adjust\": {\"enable\": true}}", 0,
	  { "/rate_adjust/enable: unknown key", "known: enabled, target_level" } },
	{ "resampler_quality", "{\"resampler\": {\"quality\": \"great\"}}", 0,
	  { "/resampler/quality" , "fast", "medium", "best" } },
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
	  { "/pipeline/0/q: unknown key", "known: type, name, channels, bypass, db" } },
	/* integers */
	{ "rate_type", "{\"rate\": \"48000\"}", 0,
	  { "/rate: must be a rate in Hz between 8000 and 768000, or \"follow\", got \"48000\"" } },
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
	{ "periods_one", "{\"periods\": 1}", 0,
	  { "t.conf: /periods: must be an integer between 2 and 64, got 1" } },
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
	  { "t.conf: /pipeline/2/type: unknown block type \"gian\" (known: gain, ", "biquad" } },
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
	/* control keys */
	{ "unknown_control_lists_every_key", "{\"control\": {\"monitor\": \"/x\"}}",
	  0, { "/control/monitor: unknown key",
	       "known: socket, monitor_socket, group, max_clients" } },
	{ "monitor_socket_type", "{\"control\": {\"monitor_socket\": 1}}", 0,
	  { "t.conf: /control/monitor_socket: must be a non-empty string, "
	    "got number" } },
	{ "monitor_socket_empty", "{\"control\": {\"monitor_socket\": \"\"}}", 0,
	  { "/control/monitor_socket: must be a non-empty string" } },
	{ "monitor_socket_nul", "{\"control\": {\"monitor_socket\": \"/a\\u0000\"}}",
	  0, { "/control/monitor_socket: must not contain NUL" } },
	{ "monitor_socket_equals_socket",
	  "{\"control\": {\"socket\": \"/run/x.sock\","
	  " \"monitor_socket\": \"/run/x.sock\"}}", 0,
	  { "t.conf: /control/monitor_socket: must differ from /control/socket "
	    "(both are \"/run/x.sock\")" } },
	{ "monitor_socket_equals_socket_given_later",
	  "{\"control\": {\"monitor_socket\": \"rel.sock\","
	  " \"socket\": \"rel.sock\"}}", 0,
	  { "/control/monitor_socket: must differ", "\"rel.sock\"" } },
	{ "monitor_socket_equals_default_socket",
	  "{\"control\": {\"monitor_socket\": \"/run/dspd/control.sock\"}}", 0,
	  { "/control/monitor_socket: must differ from /control/socket",
	    "\"/run/dspd/control.sock\"" } },
	{ "monitor_socket_not_compared_with_bad_socket",
	  "{\"control\": {\"socket\": \"\","
	  " \"monitor_socket\": \"/run/dspd/control.sock\"}}", 0,
	  { "/control/socket: must be a non-empty string" } },
	{ "group_type", "{\"control\": {\"group\": 100}}", 0,
	  { "t.conf: /control/group: must be a string naming a group",
	    "got number" } },
	{ "group_null", "{\"control\": {\"group\": null}}", 0,
	  { "/control/group: must be a string", "got null" } },
	{ "group_space", "{\"control\": {\"group\": \"audio users\"}}", 0,
	  { "/control/group: invalid group name \"audio users\"",
	    "letters, digits, '_', '.' and '-' only" } },
	{ "group_colon", "{\"control\": {\"group\": \"audio:1\"}}", 0,
	  { "/control/group: invalid group name \"audio:1\"" } },
	{ "group_non_ascii", "{\"control\": {\"group\": \"\xc3\xa9\"}}", 0,
	  { "/control/group: invalid group name" } },
	{ "group_nul", "{\"control\": {\"group\": \"a\\u0000b\"}}", 0,
	  { "/control/group: must not contain NUL" } },
	{ "max_clients_zero", "{\"control\": {\"max_clients\": 0}}", 0,
	  { "t.conf: /control/max_clients: must be an integer between 1 and 4096, "
	    "got 0" } },
	{ "max_clients_high", "{\"control\": {\"max_clients\": 4097}}", 0,
	  { "/control/max_clients: must be an integer between 1 and 4096, "
	    "got 4097" } },
	{ "max_clients_negative", "{\"control\": {\"max_clients\": -1}}", 0,
	  { "/control/max_clients: must be an integer between", "got -1" } },
	{ "max_clients_per_uid_zero", "{\"control\": {\"max_clients_per_uid\": 0}}", 0,
	  { "/control/max_clients_per_uid: must be an integer between 1 and 8192, "
	    "got 0" } },
	{ "output_budget_small", "{\"control\": {\"output_budget\": 1000}}", 0,
	  { "/control/output_budget: must be an integer between 1048576 and "
	    "1073741824, got 1000" } },
	{ "max_client_output_high", "{\"control\": {\"max_client_output\": 67108865}}", 0,
	  { "/control/max_client_output: must be an integer between 65536 and "
	    "67108864, got 67108865" } },
	{ "monitor_record_string", "{\"control\": {\"monitor_record\": \"yes\"}}", 0,
	  { "/control/monitor_record: must be true or false, got string" } },
	{ "max_clients_type", "{\"control\": {\"max_clients\": \"1024\"}}", 0,
	  { "/control/max_clients: must be an integer, got string" } },
	{ "max_clients_fraction", "{\"control\": {\"max_clients\": 1.5}}", 0,
	  { "/control/max_clients: must be an integer, got 1.5" } },
	{ "max_clients_boolean", "{\"control\": {\"max_clients\": true}}", 0,
	  { "/control/max_clients: must be an integer, got boolean" } },
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

/* ---- control keys ------------------------------------------------------ */

static void test_control_strings_too_long(void **state)
{
	char *monitor = repeat('m', CFG_PATH_MAX - 1);
	char *group = repeat('g', CFG_NAME_MAX);
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "{\"control\": {\"monitor_socket\": \"/%s\"}}",
	         monitor);
	EXPECT_ONE_ERROR(load_text(text),
	                 "/control/monitor_socket: is too long: 108 bytes",
	                 "at most 107", "sun_path");
	snprintf(text, sizeof(text), "{\"control\": {\"group\": \"%s\"}}", group);
	EXPECT_ONE_ERROR(load_text(text), "/control/group: is too long: 64 bytes",
	                 "at most 63");
	free(monitor);
	free(group);
}

static void test_control_errors_reported_together(void **state)
{
	int r;

	(void)state;
	r = load_text("{\"control\": {\"monitor_socket\": 5, \"group\": \"a b\",\n"
	              "             \"max_clients\": 0}}");
	assert_int_equal(r, -EINVAL);
	if (errs.count != 3)
		dump_errors(&errs);
	assert_int_equal(errs.count, 3);
	expect_in(0, "/control/monitor_socket: must be a non-empty string");
	expect_in(1, "/control/group: invalid group name \"a b\"");
	expect_in(2, "/control/max_clients: must be an integer between 1 and 4096");
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_long_strings_refused),
		cmocka_unit_test(test_too_many_blocks),
		cmocka_unit_test(test_string_over_size_limit),
		cmocka_unit_test(test_control_strings_too_long),
		cmocka_unit_test(test_multiple_errors_reported_together),
		cmocka_unit_test(test_control_errors_reported_together),
		cmocka_unit_test(test_error_count_keeps_counting),
		cmocka_unit_test(test_errors_reset_between_loads),
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
	failed = _cmocka_run_group_tests("config_errors", tests, n_fixed + n_cases,
	                                 NULL, NULL);
	free(tests);
	return failed;
}
