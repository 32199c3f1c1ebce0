/* test_config_paths.c - unit tests for issue 18's config keys: relative
 * FIR paths resolved against the config file's directory (or the
 * daemon's default one), control.ir_dirs and limits.*.  Single-threaded. */
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
#include <unistd.h>

static struct dspd_config cfg;
static struct cfg_errors errs;

static int load_at(const char *text, const char *dir)
{
	return config_load_string_at(text, strlen(text), "t.conf", dir, &cfg, &errs);
}

static void expect_error(int r, const char *needle)
{
	bool found = false;

	assert_int_equal(r, -EINVAL);
	for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
		found |= strstr(errs.msg[i], needle) != NULL;
	if (!found) {
		print_error("no error with \"%s\"; got %u:\n", needle, errs.count);
		for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
			print_error("  %s\n", errs.msg[i]);
		fail();
	}
}

#define FIR(path) "{\"pipeline\": [{\"type\": \"fir\", \"name\": \"f\", \"path\": " path "}]}"

static void test_relative_needs_a_directory(void **state)
{
	(void)state;
	config_set_default_dir(NULL);
	expect_error(load_at(FIR("\"ir.wav\""), NULL),
	             "t.conf: /pipeline/0/path: a relative path needs a config file");
}

static void test_relative_resolved_against_the_directory(void **state)
{
	(void)state;
	assert_int_equal(load_at(FIR("\"ir.wav\""), "/etc/dspd"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.path, "/etc/dspd/ir.wav");
	assert_int_equal(load_at(FIR("\"sub/room-{rate}.wav\""), "/"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.path, "/sub/room-{rate}.wav");
	assert_int_equal(load_at(FIR("{\"44100\": \"a.wav\", \"48000\": \"/abs/b.wav\"}"),
	                         "/srv/x/"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.rate_paths[0].path, "/srv/x/a.wav");
	assert_string_equal(cfg.blocks[0].u.fir.rate_paths[1].path, "/abs/b.wav");
	/* an absolute path stays as written */
	assert_int_equal(load_at(FIR("\"/x/../y.wav\""), "/etc/dspd"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.path, "/x/../y.wav");
}

static void test_default_directory(void **state)
{
	(void)state;
	config_set_default_dir("/var/lib/dspd");
	assert_int_equal(config_load_string(FIR("\"ir.wav\""), strlen(FIR("\"ir.wav\"")),
	                                    "inline", &cfg, &errs), 0);
	assert_string_equal(cfg.blocks[0].u.fir.path, "/var/lib/dspd/ir.wav");
	/* an explicit directory wins */
	assert_int_equal(load_at(FIR("\"ir.wav\""), "/etc/dspd"), 0);
	assert_string_equal(cfg.blocks[0].u.fir.path, "/etc/dspd/ir.wav");
	config_set_default_dir(NULL);
}

static void test_resolved_path_too_long(void **state)
{
	char dir[240], text[512];

	(void)state;
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	snprintf(text, sizeof(text), FIR("\"%s\""), "a-rather-long-file-name.wav");
	expect_error(load_at(text, dir), "/pipeline/0/path: is longer than 255 bytes");
}

static void test_file_directory(void **state)
{
	char dir[] = "/tmp/dspd-paths-XXXXXX", path[PATH_MAX], want[PATH_MAX], got[PATH_MAX];
	FILE *f;

	(void)state;
	config_set_default_dir("/elsewhere");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dspd.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(FIR("\"room.wav\""), f);
	fclose(f);
	assert_int_equal(config_load_file(path, &cfg, &errs), 0);
	assert_non_null(realpath(dir, want));
	strcat(want, "/room.wav");
	assert_string_equal(cfg.blocks[0].u.fir.path, want);
	assert_int_equal(config_dir_of(path, got, sizeof(got)), 0);
	assert_non_null(realpath(dir, want));
	assert_string_equal(got, want);
	unlink(path);
	rmdir(dir);
	config_set_default_dir(NULL);
}

static void test_ir_dirs(void **state)
{
	(void)state;
	assert_int_equal(load_at("{}", NULL), 0);
	assert_int_equal(cfg.n_ir_dirs, 0);
	assert_int_equal(load_at("{\"control\": {\"ir_dirs\": [\"/srv/ir\", \"/opt/x\"]}}", NULL), 0);
	assert_int_equal(cfg.n_ir_dirs, 2);
	assert_string_equal(cfg.ir_dirs[1], "/opt/x");
	expect_error(load_at("{\"control\": {\"ir_dirs\": [\"rel\"]}}", NULL),
	             "/control/ir_dirs/0: must be an absolute directory");
	expect_error(load_at("{\"control\": {\"ir_dirs\": \"/x\"}}", NULL),
	             "/control/ir_dirs: must be an array");
	expect_error(load_at("{\"control\": {\"ir_dirs\": [\"/1\",\"/2\",\"/3\",\"/4\","
	                     "\"/5\",\"/6\",\"/7\",\"/8\",\"/9\"]}}", NULL),
	             "has 9 directories, at most 8");
}

static void test_limits(void **state)
{
	(void)state;
	assert_int_equal(load_at("{}", NULL), 0);
	assert_int_equal(cfg.limits.max_taps_total, CFG_DEFAULT_MAX_TAPS_TOTAL);
	assert_int_equal(cfg.limits.filter_memory_mb, CFG_DEFAULT_FILTER_MEMORY_MB);
	assert_int_equal(load_at("{\"limits\": {\"max_taps_total\": 1000, "
	                         "\"filter_memory_mb\": 4}}", NULL), 0);
	assert_int_equal(cfg.limits.max_taps_total, 1000);
	assert_int_equal(cfg.limits.filter_memory_mb, 4);
	expect_error(load_at("{\"limits\": {\"max_taps_total\": 0}}", NULL),
	             "/limits/max_taps_total");
	expect_error(load_at("{\"limits\": {\"filter_memory_mb\": 70000}}", NULL),
	             "/limits/filter_memory_mb");
	expect_error(load_at("{\"limits\": {\"taps\": 1}}", NULL), "/limits/taps: unknown key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_needs_a_directory),
		cmocka_unit_test(test_relative_resolved_against_the_directory),
		cmocka_unit_test(test_default_directory),
		cmocka_unit_test(test_resolved_path_too_long),
		cmocka_unit_test(test_file_directory),
		cmocka_unit_test(test_ir_dirs),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
