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
		cmocka_unit_test_setup_teardown(test_saves_at_most_once_a_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_broken_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
