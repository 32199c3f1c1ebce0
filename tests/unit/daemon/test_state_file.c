/* test_state_file.c - state_file.c: what survives a restart is written
 * atomically, read back, and edits come back only for the same file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "state_file.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_state_file.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[160];

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static struct state_snapshot snapshot(double db, bool mute, unsigned edits,
                                      json_object *config)
{
	struct state_snapshot s = { .db = db, .mute = mute, .edits = edits, .config = config };

	snprintf(s.sha256, sizeof(s.sha256), "%064d", (int)edits);
	snprintf(s.base_sha256, sizeof(s.base_sha256), "%064d", 7);
	return s;
}

static void test_round_trip(void **state)
{
	struct state_file sf;
	struct state_restored r;
	json_object *cfg = json_tokener_parse("{\"pipeline\": [{\"type\": \"gain\", \"name\": \"g\"}]}");
	struct state_snapshot s = snapshot(-7.5, true, 2, cfg);
	char base[65], tmp[160];

	(void)state;
	state_file_init(&sf, path);
	state_file_update(&sf, &s, 1000);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);        /* renamed, not left */
	snprintf(base, sizeof(base), "%064d", 7);
	assert_int_equal(state_file_read(path, base, &r), 0);
	assert_true(r.has_volume);
	assert_float_equal(r.db, -7.5, 0.0);
	assert_true(r.mute);
	assert_non_null(r.config);
	assert_int_equal(r.edits, 2);
	assert_true(json_object_equal(r.config, cfg));
	json_object_put(r.config);
	json_object_put(cfg);
}

/* Issue 18: a symlink planted at the .tmp name is removed, never followed
 * (its target stays intact), and what only the file may set (control.*,
 * state_file...) is not saved. */
static void test_tmp_symlink_not_followed(void **state)
{
	struct state_file sf;
	struct state_restored r;
	json_object *cfg = json_tokener_parse(
		"{\"control\": {\"socket\": \"/x.sock\"}, \"state_file\": \"/etc/passwd\","
		" \"capture\": {\"device\": \"hw:0\", \"channels\": 2},"
		" \"pipeline\": []}");
	struct state_snapshot s = snapshot(-3.0, false, 1, cfg);
	char victim[160], tmp[160], base[65], text[32] = "";
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	state_file_init(&sf, path);
	state_file_update(&sf, &s, 1000);
	f = fopen(victim, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "precious\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(tmp, F_OK), -1);
	snprintf(base, sizeof(base), "%064d", 7);
	assert_int_equal(state_file_read(path, base, &r), 0);
	assert_non_null(r.config);
	assert_int_equal(json_object_object_length(
		json_object_object_get(r.config, "control")), 0);
	assert_false(json_object_object_get_ex(r.config, "state_file", NULL));
	assert_true(json_object_object_get_ex(r.config, "pipeline", NULL));
	assert_int_equal(json_object_object_length(
		json_object_object_get(r.config, "capture")), 1);   /* no device */
	json_object_put(r.config);
	json_object_put(cfg);
	unlink(victim);
}

/* Edits made to another version of the file are not restored; the
 * volume is. */
static void test_edits_need_the_same_file(void **state)
{
	struct state_file sf;
	struct state_restored r;
	json_object *cfg = json_tokener_parse("{\"rate\": 44100}");
	struct state_snapshot s = snapshot(-3, false, 1, cfg);
	char other[65];

	(void)state;
	state_file_init(&sf, path);
	state_file_update(&sf, &s, 1000);
	snprintf(other, sizeof(other), "%064d", 8);
	assert_int_equal(state_file_read(path, other, &r), 0);
	assert_true(r.has_volume);
	assert_null(r.config);
	json_object_put(cfg);
}

/* A knob being turned is not written 100 times a second. */
static void test_saves_at_most_once_a_second(void **state)
{
	struct state_file sf;
	struct state_restored r;
	struct state_snapshot a = snapshot(-1, false, 0, NULL), b = snapshot(-2, false, 0, NULL);
	char base[65];

	(void)state;
	snprintf(base, sizeof(base), "%064d", 7);
	state_file_init(&sf, path);
	state_file_update(&sf, &a, 5000000000ull);
	state_file_update(&sf, &b, 5500000000ull);
	assert_int_equal(state_file_read(path, base, &r), 0);
	assert_float_equal(r.db, -1.0, 0.0);
	state_file_update(&sf, &b, 6000000001ull);
	assert_int_equal(state_file_read(path, base, &r), 0);
	assert_float_equal(r.db, -2.0, 0.0);
	assert_null(r.config);               /* no edits: no configuration kept */
}

static void test_missing_and_broken_files(void **state)
{
	struct state_restored r;
	FILE *f;

	(void)state;
	assert_int_equal(state_file_read(path, "x", &r), 0);
	assert_false(r.has_volume);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"volume\": {\"db\": 99}", f);   /* truncated, out of range */
	fclose(f);
	assert_int_equal(state_file_read(path, "x", &r), -EINVAL);
	assert_false(r.has_volume);
	f = fopen(path, "w");
	fputs("{\"volume\": {\"db\": 99}}", f);
	fclose(f);
	assert_int_equal(state_file_read(path, "x", &r), 0);
	assert_false(r.has_volume);            /* outside -150..40: ignored */
}

/* A directory it cannot write to: no crash, no retry storm. */
static void test_unwritable(void **state)
{
	struct state_file sf;
	struct state_snapshot s = snapshot(-1, false, 0, NULL);

	(void)state;
	state_file_init(&sf, "/nonexistent-dir/state.json");
	state_file_update(&sf, &s, 1);
	assert_true(sf.failed);
	state_file_update(&sf, &s, 2000000000ull);   /* same snapshot: not retried */
	assert_true(sf.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edits_need_the_same_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_symlink_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saves_at_most_once_a_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_broken_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
