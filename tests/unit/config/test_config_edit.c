/* test_config_edit.c - the configuration editor's effect.* edits of the
 * pipeline: finding a block by name (and the list of names when it is
 * missing), effect add (positions, copies, a missing or malformed pipeline,
 * errors, the block limit), remove, bypass and set (nested values, errors,
 * the member limit).  Error texts are checked for what went wrong and where.
 * Pointers, JSON Patch and equality are test_json_patch.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json_test.h"
#include "config_edit.h"
#include "config_diff.h"
#include "config.h"

/* "name1,name2,..." of the pipeline's blocks. */
static const char *block_names(json_object *doc)
{
	static char out[1024];
	json_object *pl, *name;

	out[0] = '\0';
	if (!json_object_object_get_ex(doc, "pipeline", &pl))
		return out;
	for (size_t i = 0; i < json_object_array_length(pl); i++) {
		json_object_object_get_ex(json_object_array_get_idx(pl, i), "name", &name);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "," : "", json_object_get_string(name));
	}
	return out;
}

static const char *const base_config =
	"{\"rate\": 48000, \"capture\": {\"device\": \"hw:0\", \"channels\": 2},"
	" \"pipeline\": ["
	"  {\"type\": \"gain\", \"name\": \"gain1\", \"db\": 0},"
	"  {\"type\": \"biquad\", \"name\": \"eq1\", \"bands\": ["
	"     {\"freq\": 100, \"gain_db\": 1}, {\"freq\": 1000, \"gain_db\": 0}]},"
	"  {\"type\": \"fir\", \"name\": \"fir\"}]}";

/* ---- blocks ----------------------------------------------------------------- */

static void test_find_block(void **state __attribute__((unused)))
{
	json_object *doc = parse(base_config);
	char err[256] = "";

	assert_int_equal(config_edit_find_block(doc, "gain1", err, sizeof(err)), 0);
	assert_int_equal(config_edit_find_block(doc, "eq1", err, sizeof(err)), 1);
	assert_int_equal(config_edit_find_block(doc, "fir", err, sizeof(err)), 2);
	assert_error(config_edit_find_block(doc, "eq9", err, sizeof(err)), err, -ENOENT,
		     "no block named \"eq9\" (blocks: gain1, eq1, fir)", NULL, NULL);
	assert_error(config_edit_find_block(doc, NULL, err, sizeof(err)), err, -EINVAL,
		     "no block name given", NULL, NULL);
	json_object_put(doc);

	doc = parse("{\"rate\":48000}");
	assert_error(config_edit_find_block(doc, "eq1", err, sizeof(err)), err, -ENOENT,
		     "no block named \"eq1\" (the pipeline is empty)", NULL, NULL);
	json_object_put(doc);
	doc = parse("{\"pipeline\":\"gain\"}");
	assert_error(config_edit_find_block(doc, "gain", err, sizeof(err)), err, -ENOENT,
		     "(the pipeline is empty)", NULL, NULL);
	json_object_put(doc);
}

static json_object *pipeline_of_n(size_t n, const char *name_fmt)
{
	json_object *doc = parse("{\"pipeline\":[]}");
	json_object *pl = json_object_object_get(doc, "pipeline");

	for (size_t i = 0; i < n; i++) {
		char name[64];
		json_object *b = parse("{\"type\":\"gain\"}");

		snprintf(name, sizeof(name), name_fmt, i);
		json_object_object_add(b, "name", json_object_new_string(name));
		json_object_array_add(pl, b);
	}
	return doc;
}

static void test_find_block_shortens_long_lists(void **state __attribute__((unused)))
{
	json_object *doc = pipeline_of_n(40, "a_rather_long_block_name_%zu");
	char err[1024] = "";

	assert_error(config_edit_find_block(doc, "x", err, sizeof(err)), err, -ENOENT,
		     "(blocks: a_rather_long_block_name_0, a_rather_long_block_name_1, ",
		     ", ...)", NULL);
	assert_null(strstr(err, "a_rather_long_block_name_39"));
	assert_true(strlen(err) < 240);
	json_object_put(doc);
}

static void test_effect_add_positions(void **state __attribute__((unused)))
{
	static const struct {
		const char *before, *after;
		int index;
		const char *order;
	} cases[] = {
		{ NULL, NULL, -1, "gain1,eq1,fir,new" },
		{ "gain1", NULL, -1, "new,gain1,eq1,fir" },
		{ "eq1", NULL, -1, "gain1,new,eq1,fir" },
		{ NULL, "eq1", -1, "gain1,eq1,new,fir" },
		{ NULL, "fir", -1, "gain1,eq1,fir,new" },
		{ NULL, NULL, 0, "new,gain1,eq1,fir" },
		{ NULL, NULL, 2, "gain1,eq1,new,fir" },
		{ NULL, NULL, 3, "gain1,eq1,fir,new" },
	};
	json_object *block = parse("{\"type\":\"gain\",\"name\":\"new\",\"db\":-6}");
	char err[256] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *doc = parse(base_config);
		int idx;

		if (config_edit_effect_add(doc, block, cases[i].before, cases[i].after,
					   cases[i].index, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(block_names(doc), cases[i].order);
		idx = config_edit_find_block(doc, "new", err, sizeof(err));
		assert_true(json_equal(
			json_object_array_get_idx(json_object_object_get(doc, "pipeline"), (size_t)idx),
			block));
		json_object_put(doc);
	}
	json_object_put(block);
}

static void test_effect_add_copies_block_and_creates_pipeline(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"rate\":48000}");
	json_object *block = parse("{\"type\":\"gain\",\"name\":\"g\",\"db\":-6}");
	char err[256] = "";

	assert_int_equal(config_edit_effect_add(doc, block, NULL, NULL, -1, err, sizeof(err)), 0);
	json_object_object_add(block, "db", json_object_new_int(0));
	json_object_put(block);
	assert_doc(doc, "{\"rate\":48000,\"pipeline\":[{\"type\":\"gain\",\"name\":\"g\",\"db\":-6}]}");
	json_object_put(doc);
}

static void test_effect_add_errors(void **state __attribute__((unused)))
{
	static const struct {
		const char *block, *before, *after;
		int index, ret;
		const char *part1, *part2;
	} cases[] = {
		{ "{\"type\":\"gain\",\"name\":\"eq1\"}", NULL, NULL, -1, -EEXIST,
		  "a block named \"eq1\" already exists (at /pipeline/1)", NULL },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", "eq9", NULL, -1, -ENOENT,
		  "before: no block named \"eq9\"", "(blocks: gain1, eq1, fir)" },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", NULL, "eq9", -1, -ENOENT,
		  "after: no block named \"eq9\"", NULL },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", "eq1", "fir", -1, -EINVAL,
		  "at most one of before, after and index", NULL },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", NULL, "fir", 0, -EINVAL,
		  "at most one of before, after and index", NULL },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", NULL, NULL, 4, -EINVAL,
		  "index 4 is out of range", "(the pipeline has 3 blocks: 0..3)" },
		{ "{\"type\":\"gain\",\"name\":\"new\"}", NULL, NULL, -2, -EINVAL,
		  "index -2 is out of range", NULL },
		{ "[1]", NULL, NULL, -1, -EINVAL, "block: must be an object (got an array)", NULL },
		{ "{\"name\":\"new\"}", NULL, NULL, -1, -EINVAL, "block: \"type\" must be a string", NULL },
		{ "{\"type\":3,\"name\":\"new\"}", NULL, NULL, -1, -EINVAL, "\"type\" must be a string", NULL },
		{ "{\"type\":\"gain\"}", NULL, NULL, -1, -EINVAL,
		  "block: \"name\" must be a non-empty string", NULL },
		{ "{\"type\":\"gain\",\"name\":\"\"}", NULL, NULL, -1, -EINVAL,
		  "\"name\" must be a non-empty string", NULL },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *doc = parse(base_config), *block = parse(cases[i].block);

		err[0] = '\0';
		assert_error(config_edit_effect_add(doc, block, cases[i].before, cases[i].after,
						    cases[i].index, err, sizeof(err)),
			     err, cases[i].ret, cases[i].part1, cases[i].part2, NULL);
		json_object_put(block);
		json_object_put(doc);
	}
}

static void test_effect_add_pipeline_not_array(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"pipeline\":{}}");
	json_object *block = parse("{\"type\":\"gain\",\"name\":\"g\"}");
	char err[256] = "";

	assert_error(config_edit_effect_add(doc, block, NULL, NULL, -1, err, sizeof(err)), err,
		     -EINVAL, "/pipeline is an object, not an array", NULL, NULL);
	json_object_put(block);
	json_object_put(doc);
}

static void test_effect_add_limit(void **state __attribute__((unused)))
{
	json_object *doc = pipeline_of_n(CONFIG_EDIT_MAX_BLOCKS - 1, "b%zu");
	json_object *block = parse("{\"type\":\"gain\",\"name\":\"last\"}");
	json_object *more = parse("{\"type\":\"gain\",\"name\":\"too_many\"}");
	char err[256] = "";

	assert_int_equal(config_edit_effect_add(doc, block, NULL, NULL, -1, err, sizeof(err)), 0);
	assert_int_equal(config_edit_find_block(doc, "last", err, sizeof(err)),
			 CONFIG_EDIT_MAX_BLOCKS - 1);
	assert_error(config_edit_effect_add(doc, more, NULL, NULL, -1, err, sizeof(err)), err,
		     -E2BIG, "the pipeline already has 64 blocks (at most 64)", NULL, NULL);
	json_object_put(more);
	json_object_put(block);
	json_object_put(doc);
}

static void test_effect_remove(void **state __attribute__((unused)))
{
	json_object *doc = parse(base_config);
	char err[256] = "";

	assert_int_equal(config_edit_effect_remove(doc, "eq1", err, sizeof(err)), 0);
	assert_string_equal(block_names(doc), "gain1,fir");
	assert_error(config_edit_effect_remove(doc, "eq1", err, sizeof(err)), err, -ENOENT,
		     "no block named \"eq1\" (blocks: gain1, fir)", NULL, NULL);
	assert_int_equal(config_edit_effect_remove(doc, "fir", err, sizeof(err)), 0);
	assert_int_equal(config_edit_effect_remove(doc, "gain1", err, sizeof(err)), 0);
	assert_doc(doc, "{\"rate\": 48000, \"capture\": {\"device\": \"hw:0\", \"channels\": 2},"
			" \"pipeline\": []}");
	assert_error(config_edit_effect_remove(doc, "gain1", err, sizeof(err)), err, -ENOENT,
		     "(the pipeline is empty)", NULL, NULL);
	json_object_put(doc);
}

static void test_effect_bypass(void **state __attribute__((unused)))
{
	json_object *doc = parse(base_config);
	json_object *got;
	char err[256] = "";

	assert_int_equal(config_edit_effect_bypass(doc, "eq1", true, err, sizeof(err)), 0);
	assert_int_equal(jptr_get(doc, "/pipeline/1/bypass", &got, err, sizeof(err)), 0);
	assert_true(json_object_is_type(got, json_type_boolean) && json_object_get_boolean(got));
	assert_int_equal(config_edit_effect_bypass(doc, "eq1", true, err, sizeof(err)), 0);
	assert_int_equal(config_edit_effect_bypass(doc, "eq1", false, err, sizeof(err)), 0);
	assert_doc(doc, base_config);          /* back to the very same document */
	assert_int_equal(config_edit_effect_bypass(doc, "fir", false, err, sizeof(err)), 0);
	assert_doc(doc, base_config);          /* never bypassed: untouched */
	assert_error(config_edit_effect_bypass(doc, "eq9", true, err, sizeof(err)), err, -ENOENT,
		     "no block named \"eq9\" (blocks: gain1, eq1, fir)", NULL, NULL);
	json_object_put(doc);
}

static void test_effect_set(void **state __attribute__((unused)))
{
	static const struct {
		const char *values, *block;
	} cases[] = {
		{ "{\"db\": -3}", "{\"type\":\"gain\",\"name\":\"gain1\",\"db\":-3}" },
		{ "{\"/db\": -6.5}", "{\"type\":\"gain\",\"name\":\"gain1\",\"db\":-6.5}" },
		{ "{\"mute\": true, \"db\": 1}",
		  "{\"type\":\"gain\",\"name\":\"gain1\",\"db\":1,\"mute\":true}" },
		{ "{\"bypass\": true}", "{\"type\":\"gain\",\"name\":\"gain1\",\"db\":0,\"bypass\":true}" },
		{ "{\"a~1b\": 1, \"/m~0n\": 2}",
		  "{\"type\":\"gain\",\"name\":\"gain1\",\"db\":0,\"a/b\":1,\"m~n\":2}" },
	};
	char err[256] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *doc = parse(base_config), *values = parse(cases[i].values);
		json_object *got;

		if (config_edit_effect_set(doc, "gain1", values, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].values, err);
		json_object_put(values);
		assert_int_equal(jptr_get(doc, "/pipeline/0", &got, err, sizeof(err)), 0);
		assert_doc(got, cases[i].block);
		assert_string_equal(block_names(doc), "gain1,eq1,fir");
		json_object_put(doc);
	}
}

static void test_effect_set_nested(void **state __attribute__((unused)))
{
	json_object *doc = parse(base_config);
	json_object *values = parse("{\"bands/1/gain_db\": 2.5, \"/bands/0/q\": 0.7,"
				    " \"bands/-\": {\"freq\": 8000, \"gain_db\": -1}}");
	json_object *got;
	char err[256] = "";

	assert_int_equal(config_edit_effect_set(doc, "eq1", values, err, sizeof(err)), 0);
	json_object_put(values);
	assert_int_equal(jptr_get(doc, "/pipeline/1/bands", &got, err, sizeof(err)), 0);
	assert_doc(got, "[{\"freq\": 100, \"gain_db\": 1, \"q\": 0.7}, {\"freq\": 1000, \"gain_db\": 2.5},"
			" {\"freq\": 8000, \"gain_db\": -1}]");
	values = parse("{\"bands/0\": {\"freq\": 50}}");
	assert_int_equal(config_edit_effect_set(doc, "eq1", values, err, sizeof(err)), 0);
	json_object_put(values);
	assert_int_equal(jptr_get(doc, "/pipeline/1/bands/0", &got, err, sizeof(err)), 0);
	assert_doc(got, "{\"freq\": 50}");
	json_object_put(doc);
}

static void test_effect_set_errors(void **state __attribute__((unused)))
{
	static const struct {
		const char *name, *values;
		int ret;
		const char *part1, *part2;
	} cases[] = {
		{ "eq1", "{\"type\": \"fir\"}", -EINVAL,
		  "values: \"type\" cannot be changed (remove the block and add a new one)", NULL },
		{ "eq1", "{\"/name\": \"eq2\"}", -EINVAL, "values: \"name\" cannot be changed", NULL },
		{ "eq1", "{\"type/x\": 1}", -EINVAL, "\"type\" cannot be changed", NULL },
		{ "eq1", "{}", -EINVAL, "values: empty", NULL },
		{ "eq1", "[]", -EINVAL, "values: must be an object", "(got an array)" },
		{ "eq1", "{\"\": 1}", -EINVAL, "values: an empty key names no member", NULL },
		{ "eq1", "{\"bands/2/gain_db\": 1}", -ENOENT,
		  "values \"bands/2/gain_db\" of block \"eq1\"", "/bands/2 does not exist (the array has 2 elements)" },
		{ "eq1", "{\"bands/2\": {}}", -ENOENT,
		  "values \"bands/2\" of block \"eq1\"", "/bands/2 does not exist (the array has 2 elements)" },
		{ "eq1", "{\"bands/x/gain_db\": 1}", -EINVAL, "/bands/x", "\"x\" is not an array index" },
		{ "eq1", "{\"nothing/x\": 1}", -ENOENT,
		  "/nothing does not exist", "(the block has members: type, name, bands)" },
		{ "gain1", "{\"db/x\": 1}", -ENOENT, "values \"db/x\" of block \"gain1\"",
		  "/db is a number, not an object or array" },
		{ "gain1", "{\"a~2\": 1}", -EINVAL, "values \"a~2\"", "must be followed by 0 or 1" },
		{ "eq9", "{\"db\": 1}", -ENOENT, "no block named \"eq9\" (blocks: gain1, eq1, fir)", NULL },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *doc = parse(base_config), *values = parse(cases[i].values);

		err[0] = '\0';
		assert_error(config_edit_effect_set(doc, cases[i].name, values, err, sizeof(err)),
			     err, cases[i].ret, cases[i].part1, cases[i].part2, NULL);
		json_object_put(values);
		json_object_put(doc);
	}
}

static void test_effect_set_limit(void **state __attribute__((unused)))
{
	json_object *doc = parse(base_config);
	json_object *values = json_object_new_object();
	char err[256] = "";

	for (int i = 0; i < CONFIG_EDIT_MAX_VALUES; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		json_object_object_add(values, key, json_object_new_int(i));
	}
	assert_int_equal(config_edit_effect_set(doc, "fir", values, err, sizeof(err)), 0);
	json_object_object_add(values, "one_more", json_object_new_int(0));
	assert_error(config_edit_effect_set(doc, "fir", values, err, sizeof(err)), err, -E2BIG,
		     "values: 65 members (at most 64", NULL, NULL);
	json_object_put(values);
	json_object_put(doc);
}

/* Issue 18: what only the file may set comes from the file whatever the
 * edited document says, and the keys that differed are named. */
static void test_take_file_only(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"rate\":44100,\"control\":{\"socket\":\"/evil.sock\","
				 "\"max_clients\":2},\"state_file\":\"/etc/passwd\","
				 "\"playback\":{\"device\":\"file:'/etc/x',raw\",\"channels\":2}}");
	json_object *file = parse("{\"control\":{\"socket\":\"/run/dspd/control.sock\","
				  "\"max_clients\":2},\"playback\":{\"device\":\"hw:0\"}}");
	char changed[256];

	assert_int_equal(config_edit_take_file_only(doc, file, changed, sizeof(changed)), 0);
	assert_string_equal(changed, "/playback/device, /control/socket, /state_file");
	assert_doc(doc, "{\"rate\":44100,\"control\":{\"socket\":\"/run/dspd/control.sock\","
		   "\"max_clients\":2},\"playback\":{\"device\":\"hw:0\",\"channels\":2}}");
	/* from NULL: all gone (what the state file keeps) */
	assert_int_equal(config_edit_take_file_only(doc, NULL, NULL, 0), 0);
	assert_doc(doc, "{\"rate\":44100,\"control\":{},\"playback\":{\"channels\":2}}");
	json_object_put(doc);
	json_object_put(file);
}

static void test_file_only_keys(void **state __attribute__((unused)))
{
	static struct dspd_config a, b;
	char keys[256];

	memset(&a, 0, sizeof(a));
	snprintf(a.socket_path, sizeof(a.socket_path), "/run/dspd/control.sock");
	snprintf(a.playback.device, sizeof(a.playback.device), "hw:0");
	a.max_clients = 8;
	a.rate = 48000;
	b = a;
	b.rate = 44100;                      /* not file-only */
	config_file_only_keys(&a, &b, keys, sizeof(keys));
	assert_string_equal(keys, "");
	snprintf(b.state_file, sizeof(b.state_file), "/etc/passwd");
	b.max_clients = 4096;
	snprintf(b.playback.device, sizeof(b.playback.device), "file:'/etc/x'");
	config_file_only_keys(&a, &b, keys, sizeof(keys));
	assert_string_equal(keys, "/playback/device, /control/max_clients, /state_file");
	config_copy_file_only(&b, &a, "/state_file");
	config_copy_file_only(&b, &a, "/control/max_clients");
	config_copy_file_only(&b, &a, "/playback/device");
	config_file_only_keys(&a, &b, keys, sizeof(keys));
	assert_string_equal(keys, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_block),
		cmocka_unit_test(test_find_block_shortens_long_lists),
		cmocka_unit_test(test_effect_add_positions),
		cmocka_unit_test(test_effect_add_copies_block_and_creates_pipeline),
		cmocka_unit_test(test_effect_add_errors),
		cmocka_unit_test(test_effect_add_pipeline_not_array),
		cmocka_unit_test(test_effect_add_limit),
		cmocka_unit_test(test_effect_remove),
		cmocka_unit_test(test_effect_bypass),
		cmocka_unit_test(test_effect_set),
		cmocka_unit_test(test_effect_set_nested),
		cmocka_unit_test(test_effect_set_errors),
		cmocka_unit_test(test_effect_set_limit),
		cmocka_unit_test(test_take_file_only),
		cmocka_unit_test(test_file_only_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
