/* test_config.c - unit tests for config.c and its parts, the accepted side:
 * every documented key round-trips, defaults fill omitted keys, comments are
 * accepted, files are read, and the shipped configuration files are valid.
 * Rejected input is in test_config_errors.c.  Single-threaded. */
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

#include "config_test.h"

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

/* ---- control keys, table-driven --------------------------------------- */

struct control_case {
	const char *name;
	const char *text;
	const char *socket;
	const char *monitor_socket;
	const char *group;
	unsigned max_clients;
};

#define DEFAULT_SOCKET "/run/dspd/control.sock"

static const struct control_case control_cases[] = {
	{ "control_defaults", "{}", DEFAULT_SOCKET, "", "audio", 1024 },
	{ "control_empty_object", "{\"control\": {}}",
	  DEFAULT_SOCKET, "", "audio", 1024 },
	{ "monitor_socket_set",
	  "{\"control\": {\"monitor_socket\": \"/run/dspd/monitor.sock\"}}",
	  DEFAULT_SOCKET, "/run/dspd/monitor.sock", "audio", 1024 },
	{ "monitor_socket_relative", "{\"control\": {\"monitor_socket\": \"m.sock\"}}",
	  DEFAULT_SOCKET, "m.sock", "audio", 1024 },
	{ "monitor_socket_differs_in_case",
	  "{\"control\": {\"socket\": \"/run/a.sock\","
	  " \"monitor_socket\": \"/run/A.sock\"}}",
	  "/run/a.sock", "/run/A.sock", "audio", 1024 },
	{ "monitor_socket_is_old_default_socket",
	  "{\"control\": {\"monitor_socket\": \"" DEFAULT_SOCKET "\","
	  " \"socket\": \"/run/dspd/admin.sock\"}}",
	  "/run/dspd/admin.sock", DEFAULT_SOCKET, "audio", 1024 },
	{ "group_empty_leaves_group_alone", "{\"control\": {\"group\": \"\"}}",
	  DEFAULT_SOCKET, "", "", 1024 },
	{ "group_every_allowed_char",
	  "{\"control\": {\"group\": \"AZaz09_.-\"}}",
	  DEFAULT_SOCKET, "", "AZaz09_.-", 1024 },
	{ "group_digits", "{\"control\": {\"group\": \"29\"}}",
	  DEFAULT_SOCKET, "", "29", 1024 },
	{ "max_clients_min", "{\"control\": {\"max_clients\": 1}}",
	  DEFAULT_SOCKET, "", "audio", 1 },
	{ "max_clients_max", "{\"control\": {\"max_clients\": 4096}}",
	  DEFAULT_SOCKET, "", "audio", 4096 },
	{ "max_clients_integral_real", "{\"control\": {\"max_clients\": 64.0}}",
	  DEFAULT_SOCKET, "", "audio", 64 },
	{ "control_every_key",
	  "{\"control\": {\"socket\": \"/tmp/c.sock\", \"monitor_socket\":"
	  " \"/tmp/m.sock\", \"group\": \"dsp\", \"max_clients\": 16}}",
	  "/tmp/c.sock", "/tmp/m.sock", "dsp", 16 },
};

static void run_control_case(void **state)
{
	const struct control_case *c = *state;

	memset(&cfg, 0x5a, sizeof(cfg));
	expect_ok(c->text);
	assert_string_equal(cfg.socket_path, c->socket);
	assert_string_equal(cfg.monitor_socket_path, c->monitor_socket);
	assert_string_equal(cfg.socket_group, c->group);
	assert_int_equal(cfg.max_clients, c->max_clients);
}

/* The longest monitor socket path and group name that fit. */
static void test_control_longest_values(void **state)
{
	char *monitor = repeat('m', CFG_PATH_MAX - 2);
	char *group = repeat('g', CFG_NAME_MAX - 1);
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "{\"control\": {\"monitor_socket\": \"/%s\","
	         " \"group\": \"%s\"}}", monitor, group);
	expect_ok(text);
	assert_int_equal(strlen(cfg.monitor_socket_path), CFG_PATH_MAX - 1);
	assert_string_equal(cfg.monitor_socket_path + 1, monitor);
	assert_string_equal(cfg.socket_group, group);
	free(monitor);
	free(group);
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
	/* it spells out the built-in defaults, plus a "master" gain block and
	 * the service's state file and FFTW wisdom */
	config_defaults(&defaults);
	assert_string_equal(cfg.state_file, "/var/lib/dspd/state.json");
	memset(cfg.state_file, 0, sizeof(cfg.state_file));
	assert_string_equal(cfg.fftw_wisdom, "/var/lib/dspd/fftw-wisdom");
	memset(cfg.fftw_wisdom, 0, sizeof(cfg.fftw_wisdom));
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
		cmocka_unit_test(test_control_longest_values),
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
	const size_t n_cases = sizeof(control_cases) / sizeof(control_cases[0]);
	struct CMUnitTest *tests = calloc(n_fixed + n_cases, sizeof(*tests));
	int failed;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < n_cases; i++) {
		tests[n_fixed + i].name = control_cases[i].name;
		tests[n_fixed + i].test_func = run_control_case;
		tests[n_fixed + i].initial_state = (void *)&control_cases[i];
	}
	failed = _cmocka_run_group_tests("config", tests, n_fixed + n_cases,
	                                 make_tmpdir, remove_tmpdir);
	free(tests);
	return failed;
}
