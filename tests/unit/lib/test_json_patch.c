/* test_json_patch.c - the configuration editor's JSON layer: deep equality
 * (numbers by value, members in any order), RFC 6901 pointers (the RFC's own
 * examples and every error), and RFC 6902 JSON Patch (appendix A, each
 * operation, every refusal, the operation limit, values copied in, messages
 * cut to small buffers).  Error texts are checked for what went wrong and
 * where.  The effect.* edits of the pipeline are test_config_edit.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json_test.h"

/* ---- equality ------------------------------------------------------------- */

static void test_equality(void **state __attribute__((unused)))
{
	static const struct {
		const char *a, *b;
		bool equal;
	} cases[] = {
		{ "1", "1.0", true },
		{ "1", "1.5", false },
		{ "-0.0", "0", true },
		{ "9007199254740993", "9007199254740992.0", false },
		{ "9007199254740992", "9007199254740992.0", true },
		{ "18446744073709551615", "18446744073709551615", true },
		{ "18446744073709551615", "18446744073709551614", false },
		{ "18446744073709551615", "9223372036854775807", false },
		{ "-5", "-5", true },
		{ "-5", "-6", false },
		{ "\"10\"", "10", false },
		{ "\"a\"", "\"a\"", true },
		{ "\"a\"", "\"ab\"", false },
		{ "true", "true", true },
		{ "true", "false", false },
		{ "false", "0", false },
		{ "{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2.0],\"a\":1}", true },
		{ "{\"a\":1}", "{\"a\":1,\"b\":2}", false },
		{ "{\"a\":1,\"b\":2}", "{\"a\":1}", false },
		{ "{\"a\":null}", "{\"b\":null}", false },
		{ "[1,2]", "[2,1]", false },
		{ "[1,2]", "[1,2,3]", false },
		{ "[]", "{}", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *a = parse(cases[i].a), *b = parse(cases[i].b);

		if (json_equal(a, b) != cases[i].equal ||
		    json_equal(b, a) != cases[i].equal)
			fail_msg("%s == %s should be %s", cases[i].a, cases[i].b,
				 cases[i].equal ? "true" : "false");
		json_object_put(a);
		json_object_put(b);
	}
	assert_true(json_equal(NULL, NULL));   /* null == null */
	{
		json_object *f = parse("false");

		assert_false(json_equal(NULL, f));
		json_object_put(f);
	}
}

/* ---- pointers (RFC 6901 section 5) ---------------------------------------- */

static void test_pointer_rfc6901_examples(void **state __attribute__((unused)))
{
	static const struct {
		const char *pointer, *value;
	} cases[] = {
		{ "/foo", "[\"bar\", \"baz\"]" },
		{ "/foo/0", "\"bar\"" },
		{ "/", "0" },
		{ "/a~1b", "1" },
		{ "/c%d", "2" },
		{ "/e^f", "3" },
		{ "/g|h", "4" },
		{ "/i\\j", "5" },
		{ "/k\"l", "6" },
		{ "/ ", "7" },
		{ "/m~0n", "8" },
	};
	json_object *doc = parse("{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2,"
				 " \"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7,"
				 " \"m~n\": 8}");
	json_object *got;
	char err[256] = "";

	assert_int_equal(jptr_get(doc, "", &got, err, sizeof(err)), 0);
	assert_ptr_equal(got, doc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *want = parse(cases[i].value);

		if (jptr_get(doc, cases[i].pointer, &got, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].pointer, err);
		if (!json_equal(got, want))
			fail_msg("%s gave %s", cases[i].pointer, json_object_to_json_string(got));
		json_object_put(want);
	}
	json_object_put(doc);
}

static void test_pointer_errors(void **state __attribute__((unused)))
{
	static const struct {
		const char *pointer;
		int ret;
		const char *part1, *part2;
	} cases[] = {
		{ "foo", -EINVAL, "\"foo\" is not a JSON pointer", "start with \"/\"" },
		{ "/a~2b", -EINVAL, "\"/a~2b\"", "~0" },
		{ "/a~", -EINVAL, "\"/a~\"", "followed by 0 or 1" },
		{ "/list/01", -EINVAL, "/list/01", "\"01\" is not an array index" },
		{ "/list/1x", -EINVAL, "/list/1x", "not an array index" },
		{ "/list/", -EINVAL, "/list/", "not an array index" },
		{ "/list/-", -EINVAL, "/list/- names no element", NULL },
		{ "/list/3", -ENOENT, "/list/3 does not exist", "(the array has 3 elements)" },
		{ "/list/99999999999999999999999", -ENOENT, "does not exist", "3 elements" },
		{ "/one/1", -ENOENT, "/one/1 does not exist", "(the array has 1 element)" },
		{ "/none/0", -ENOENT, "/none/0 does not exist", "(the array has 0 elements)" },
		{ "/nope", -ENOENT, "/nope does not exist", "the root has members: list, one, none, obj, n" },
		{ "/obj/x/y", -ENOENT, "/obj/x does not exist", "/obj has members: a" },
		{ "/obj/a/y", -ENOENT, "/obj/a is a number", "cannot hold /obj/a/y" },
		{ "/n/0", -ENOENT, "/n is null", NULL },
	};
	json_object *doc = parse("{\"list\": [1, 2, 3], \"one\": [1], \"none\": [],"
				 " \"obj\": {\"a\": 1}, \"n\": null}");
	json_object *got;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		err[0] = '\0';
		r = jptr_get(doc, cases[i].pointer, &got, err, sizeof(err));
		assert_error(r, err, cases[i].ret, cases[i].part1, cases[i].part2, NULL);
	}
	json_object_put(doc);
}

/* ---- JSON Patch: table of documents, patches and outcomes ----------------- */

struct patch_case {
	const char *what;
	const char *doc;
	const char *ops;
	int ret;
	const char *result;        /* the document afterwards when ret == 0 */
	const char *parts[3];      /* in the message when ret < 0 */
};

#define OK(what_, doc_, ops_, result_) \
	{ .what = what_, .doc = doc_, .ops = ops_, .ret = 0, .result = result_ }
#define FAIL(what_, doc_, ops_, ret_, ...) \
	{ .what = what_, .doc = doc_, .ops = ops_, .ret = ret_, .parts = { __VA_ARGS__ } }

static const struct patch_case rfc6902_appendix_a[] = {
	OK("A.1 add an object member", "{\"foo\":\"bar\"}",
		"[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
		"{\"baz\":\"qux\",\"foo\":\"bar\"}"),
	OK("A.2 add an array element", "{\"foo\":[\"bar\",\"baz\"]}",
		"[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
		"{\"foo\":[\"bar\",\"qux\",\"baz\"]}"),
	OK("A.3 remove an object member", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
		"[{\"op\":\"remove\",\"path\":\"/baz\"}]",
		"{\"foo\":\"bar\"}"),
	OK("A.4 remove an array element", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
		"[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
		"{\"foo\":[\"bar\",\"baz\"]}"),
	OK("A.5 replace a value", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
		"[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
		"{\"baz\":\"boo\",\"foo\":\"bar\"}"),
	OK("A.6 move a value", "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
		"[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
		"{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}"),
	OK("A.7 move an array element", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
		"[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
		"{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}"),
	OK("A.8 test a value: success", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
		"[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
		" {\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
		"{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}"),
	FAIL("A.9 test a value: error", "{\"baz\":\"qux\"}",
		"[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", -EINVAL,
		"op 0 (test /baz)", "test failed: the value at /baz is \"qux\", not \"bar\""),
	OK("A.10 add a nested member object", "{\"foo\":\"bar\"}",
		"[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
		"{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}"),
	OK("A.11 ignore unrecognized elements", "{\"foo\":\"bar\"}",
		"[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
		"{\"foo\":\"bar\",\"baz\":\"qux\"}"),
	FAIL("A.12 add to a nonexistent target", "{\"foo\":\"bar\"}",
		"[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", -ENOENT,
		"op 0 (add /baz/bat)", "/baz does not exist", "the root has members: foo"),
	OK("A.14 ~ escape ordering", "{\"/\":9,\"~1\":10}",
		"[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
		"{\"/\":9,\"~1\":10}"),
	FAIL("A.15 comparing strings and numbers", "{\"/\":9,\"~1\":10}",
		"[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", -EINVAL,
		"op 0 (test /~01)", "is 10, not \"10\""),
	OK("A.16 add an array value", "{\"foo\":[\"bar\"]}",
		"[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
		"{\"foo\":[\"bar\",[\"abc\",\"def\"]]}"),
};

static const struct patch_case patch_ops[] = {
	OK("add at the end index", "{\"a\":[1,2]}",
		"[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":3}]",
		"{\"a\":[1,2,3]}"),
	OK("add at 0", "{\"a\":[1,2]}",
		"[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]",
		"{\"a\":[0,1,2]}"),
	OK("add - to an empty array", "{\"a\":[]}",
		"[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":{\"x\":1}}]",
		"{\"a\":[{\"x\":1}]}"),
	OK("add sets an existing member", "{\"a\":1}",
		"[{\"op\":\"add\",\"path\":\"/a\",\"value\":[2]}]",
		"{\"a\":[2]}"),
	OK("add null", "{\"a\":1}",
		"[{\"op\":\"add\",\"path\":\"/b\",\"value\":null}]",
		"{\"a\":1,\"b\":null}"),
	OK("add escaped keys", "{}",
		"[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":1},{\"op\":\"add\",\"path\":\"/m~0n\",\"value\":2}]",
		"{\"a/b\":1,\"m~n\":2}"),
	OK("add the empty key", "{}",
		"[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]",
		"{\"\":1}"),
	FAIL("add past the end", "{\"a\":[1,2]}",
		"[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":3}]", -ENOENT,
		"op 0 (add /a/3)", "/a/3 does not exist (the array has 2 elements)"),
	FAIL("add with a leading zero", "{\"a\":[1,2]}",
		"[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":3}]", -EINVAL,
		"op 0 (add /a/01)", "\"01\" is not an array index"),
	FAIL("add into a scalar", "{\"rate\":48000}",
		"[{\"op\":\"add\",\"path\":\"/rate/x\",\"value\":3}]", -ENOENT,
		"op 0 (add /rate/x)", "/rate is a number, not an object or array"),
	OK("remove the last element", "{\"a\":[1,2]}",
		"[{\"op\":\"remove\",\"path\":\"/a/1\"}]",
		"{\"a\":[1]}"),
	FAIL("remove a missing member", "{\"a\":{\"b\":1,\"c\":2}}",
		"[{\"op\":\"remove\",\"path\":\"/a/x\"}]", -ENOENT,
		"op 0 (remove /a/x)", "/a/x does not exist", "/a has members: b, c"),
	FAIL("remove from an empty object", "{\"a\":{}}",
		"[{\"op\":\"remove\",\"path\":\"/a/x\"}]", -ENOENT,
		"/a/x does not exist", "/a has no members"),
	FAIL("remove -", "{\"a\":[1]}",
		"[{\"op\":\"remove\",\"path\":\"/a/-\"}]", -EINVAL,
		"op 0 (remove /a/-)", "/a/- names no element"),
	FAIL("remove past the end", "{\"a\":[1]}",
		"[{\"op\":\"remove\",\"path\":\"/a/1\"}]", -ENOENT,
		"op 0 (remove /a/1)", "/a/1 does not exist (the array has 1 element)"),
	OK("replace an array element", "{\"a\":[1,2]}",
		"[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":{\"b\":[]}}]",
		"{\"a\":[1,{\"b\":[]}]}"),
	FAIL("replace a missing member", "{\"a\":1}",
		"[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", -ENOENT,
		"op 0 (replace /b)", "/b does not exist"),
	FAIL("replace at index == length", "{\"a\":[1,2]}",
		"[{\"op\":\"replace\",\"path\":\"/a/2\",\"value\":3}]", -ENOENT,
		"op 0 (replace /a/2)", "/a/2 does not exist (the array has 2 elements)"),
	FAIL("replace -", "{\"a\":[1,2]}",
		"[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":3}]", -EINVAL,
		"op 0 (replace /a/-)", "names no element"),
	FAIL("replace in a missing block (the example)",
		"{\"pipeline\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}",
		"[{\"op\":\"test\",\"path\":\"/pipeline/0/name\",\"value\":\"a\"},"
		" {\"op\":\"add\",\"path\":\"/rate\",\"value\":44100},"
		" {\"op\":\"replace\",\"path\":\"/pipeline/7/db\",\"value\":-3}]", -ENOENT,
		"op 2 (replace /pipeline/7/db): /pipeline/7 does not exist (the array has 3 elements)"),
	OK("test 1 equals 1.0", "{\"a\":[1,{\"b\":2.0}]}",
		"[{\"op\":\"test\",\"path\":\"/a\",\"value\":[1.0,{\"b\":2}]}]",
		"{\"a\":[1,{\"b\":2}]}"),
	OK("test null", "{\"a\":null}",
		"[{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]",
		"{\"a\":null}"),
	OK("test the whole document", "{\"a\":1}",
		"[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":1}}]",
		"{\"a\":1}"),
	FAIL("test fails on the root", "{\"a\":1}",
		"[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":2}}]", -EINVAL,
		"op 0 (test )", "the value at the root is {\"a\":1}, not {\"a\":2}"),
	FAIL("test a missing path", "{\"a\":1}",
		"[{\"op\":\"test\",\"path\":\"/b\",\"value\":1}]", -ENOENT,
		"op 0 (test /b)", "/b does not exist"),
	FAIL("test cuts long values", "{\"a\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
		"[{\"op\":\"test\",\"path\":\"/a\",\"value\":0}]", -EINVAL,
		"the value at /a is \"01234567890123456789012345678901234567890123456789012345678...", ", not 0"),
	OK("move to the same place", "{\"a\":{\"b\":1}}",
		"[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a/b\"}]",
		"{\"a\":{\"b\":1}}"),
	OK("move to a sibling with a longer name", "{\"a\":1}",
		"[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]",
		"{\"ab\":1}"),
	OK("move an object up", "{\"a\":{\"b\":{\"c\":[1]}}}",
		"[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/b\"}]",
		"{\"a\":{},\"b\":{\"c\":[1]}}"),
	OK("move an element to the end with -", "{\"a\":[1,2,3]}",
		"[{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/a/-\"}]",
		"{\"a\":[2,3,1]}"),
	OK("move between arrays", "{\"a\":[1,2],\"b\":[]}",
		"[{\"op\":\"move\",\"from\":\"/a/1\",\"path\":\"/b/0\"}]",
		"{\"a\":[1],\"b\":[2]}"),
	FAIL("move into its own child", "{\"a\":{\"b\":{}}}",
		"[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", -EINVAL,
		"op 0 (move /a to /a/b/c)", "cannot move /a into its own child /a/b/c"),
	FAIL("move the same place without a source", "{\"a\":1}",
		"[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/x\"}]", -ENOENT,
		"op 0 (move /x to /x)", "/x does not exist"),
	FAIL("move from a missing member", "{\"a\":1}",
		"[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]", -ENOENT,
		"op 0 (move /x to /y)", "from: /x does not exist"),
	FAIL("move to a missing parent", "{\"a\":1}",
		"[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/x/y\"}]", -ENOENT,
		"op 0 (move /a to /x/y)", "/x does not exist"),
	OK("copy", "{\"a\":{\"b\":[1,2]}}",
		"[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
		" {\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":3}]",
		"{\"a\":{\"b\":[1,2]},\"c\":{\"b\":[1,2,3]}}"),
	OK("copy into its own child", "{\"a\":{\"b\":1}}",
		"[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
		"{\"a\":{\"b\":1,\"c\":{\"b\":1}}}"),
	OK("copy the whole document", "{\"a\":1}",
		"[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/b\"}]",
		"{\"a\":1,\"b\":{\"a\":1}}"),
	OK("copy an element before itself", "{\"a\":[1,2]}",
		"[{\"op\":\"copy\",\"from\":\"/a/1\",\"path\":\"/a/0\"}]",
		"{\"a\":[2,1,2]}"),
	FAIL("copy from a missing element", "{\"a\":[]}",
		"[{\"op\":\"copy\",\"from\":\"/a/0\",\"path\":\"/b\"}]", -ENOENT,
		"op 0 (copy /a/0 to /b)", "from: /a/0 does not exist (the array has 0 elements)"),
	OK("an empty patch", "{\"a\":1}", "[]",
		"{\"a\":1}"),
};

static const struct patch_case patch_refusals[] = {
	FAIL("replace the root", "{\"a\":1}",
		"[{\"op\":\"replace\",\"path\":\"\",\"value\":{}}]", -EINVAL,
		"op 0 (replace )", "the configuration must stay an object"),
	FAIL("remove the root", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", -EINVAL,
		"op 0 (remove )", "must stay an object"),
	FAIL("add the root", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[]}]", -EINVAL,
		"op 0 (add )", "must stay an object"),
	FAIL("move onto the root", "{\"a\":{}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]", -EINVAL,
		"op 0 (move /a to )", "must stay an object"),
	FAIL("move the root", "{\"a\":{}}", "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/a/b\"}]", -EINVAL,
		"op 0 (move  to /a/b)", "must stay an object"),
	FAIL("copy onto the root", "{\"a\":{}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"\"}]", -EINVAL,
		"op 0 (copy /a to )", "must stay an object"),
	FAIL("ops not an array", "{}", "{\"op\":\"add\"}", -EINVAL,
		"ops must be an array of operations (got an object)"),
	FAIL("op not an object", "{}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{}}, 5]", -EINVAL,
		"op 1: an operation must be an object (got a number)"),
	FAIL("unknown op", "{}", "[{\"op\":\"ad\",\"path\":\"/a\",\"value\":1}]", -EINVAL,
		"op 0: unknown op \"ad\"", "add, remove, replace, test, move or copy"),
	FAIL("missing op", "{}", "[{\"path\":\"/a\",\"value\":1}]", -EINVAL,
		"op 0: missing \"op\""),
	FAIL("non-string op", "{}", "[{\"op\":1,\"path\":\"/a\"}]", -EINVAL,
		"op 0: missing \"op\""),
	FAIL("missing path", "{}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{}},{\"op\":\"add\",\"value\":1}]", -EINVAL,
		"op 1 (add): missing \"path\""),
	FAIL("non-string path", "{}", "[{\"op\":\"remove\",\"path\":3}]", -EINVAL,
		"op 0 (remove): \"path\" must be a string (got a number)"),
	FAIL("path without a slash", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]", -EINVAL,
		"op 0 (remove): \"a\" is not a JSON pointer"),
	FAIL("bad escape in path", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a~\"}]", -EINVAL,
		"op 0 (remove):", "\"/a~\": \"~\" must be followed by 0 or 1"),
	FAIL("missing value", "{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", -EINVAL,
		"op 0 (add /a): missing \"value\""),
	FAIL("missing value in replace", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\"}]", -EINVAL,
		"op 0 (replace /a): missing \"value\""),
	FAIL("missing value in test", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\"}]", -EINVAL,
		"op 0 (test /a): missing \"value\""),
	FAIL("missing from", "{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", -EINVAL,
		"op 0 (move /b): missing \"from\""),
	FAIL("non-string from", "{\"a\":1}", "[{\"op\":\"copy\",\"path\":\"/b\",\"from\":[]}]", -EINVAL,
		"op 0 (copy /b): \"from\" must be a string (got an array)"),
};

static void run_patch_cases(const struct patch_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object *doc = parse(cases[i].doc), *ops = parse(cases[i].ops);
		char err[512] = "";
		int r;

		print_message("  %s\n", cases[i].what);
		r = json_patch_apply(doc, ops, err, sizeof(err));
		json_object_put(ops);   /* values were copied in: doc must not need ops */
		if (cases[i].ret == 0 && r != 0)
			fail_msg("%s: %s", cases[i].what, err);
		if (cases[i].ret == 0)
			assert_doc(doc, cases[i].result);
		else
			assert_error(r, err, cases[i].ret, cases[i].parts[0],
				     cases[i].parts[1], cases[i].parts[2]);
		json_object_put(doc);
	}
}

#define RUN_CASES(table) run_patch_cases(table, sizeof(table) / sizeof(table[0]))

static void test_patch_rfc6902_appendix_a(void **state __attribute__((unused)))
{
	RUN_CASES(rfc6902_appendix_a);
}

static void test_patch_ops(void **state __attribute__((unused)))
{
	RUN_CASES(patch_ops);
}

static void test_patch_refusals(void **state __attribute__((unused)))
{
	RUN_CASES(patch_refusals);
}

static json_object *n_test_ops(size_t n)
{
	json_object *ops = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *op = parse("{\"op\":\"add\",\"path\":\"/n/-\",\"value\":0}");

		json_object_object_add(op, "value", json_object_new_int((int)i));
		json_object_array_add(ops, op);
	}
	return ops;
}

static void test_patch_op_limit(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"n\":[]}");
	json_object *ops = n_test_ops(JSON_PATCH_MAX_OPS);
	json_object *got;
	char err[256] = "";

	assert_int_equal(json_patch_apply(doc, ops, err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(doc, "n")),
			 JSON_PATCH_MAX_OPS);
	assert_int_equal(jptr_get(doc, "/n/63", &got, err, sizeof(err)), 0);
	assert_int_equal(json_object_get_int(got), 63);
	json_object_put(ops);
	json_object_put(doc);

	doc = parse("{\"n\":[]}");
	ops = n_test_ops(JSON_PATCH_MAX_OPS + 1);
	assert_error(json_patch_apply(doc, ops, err, sizeof(err)), err, -E2BIG,
		     "op 64: too many operations", "65 given, at most 64", NULL);
	assert_doc(doc, "{\"n\":[]}");  /* refused before any op ran */
	json_object_put(ops);
	json_object_put(doc);
}

/* Issue 18: {"op":"copy","from":"","path":"/zN"} doubles the document;
 * json_patch_apply_limited() refuses the op that would pass a limit, before
 * the copy is made, and names it. */
static json_object *doubling_ops(int n)
{
	json_object *ops = json_object_new_array();

	for (int i = 0; i < n; i++) {
		char buf[80];

		snprintf(buf, sizeof(buf), "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/z%d\"}", i);
		json_object_array_add(ops, parse(buf));
	}
	return ops;
}

static void test_patch_size_checked_after_every_op(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"name\":\"a string of some thirty bytes\"}");
	json_object *ops = doubling_ops(19);
	struct json_patch_limits lim = { .max_bytes = 4u << 20, .max_nodes = 1u << 17,
					 .max_ops = JSON_PATCH_MAX_OPS };
	size_t bytes, nodes;
	char err[256] = "";

	/* by nodes: 2^k values after op k-1; 2^17 would pass the limit */
	assert_error(json_patch_apply_limited(doc, ops, &lim, err, sizeof(err)), err, -E2BIG,
		     "op 16 (copy): the configuration would pass 131072 values", NULL, NULL);
	assert_int_equal(json_measure(doc, SIZE_MAX, SIZE_MAX, &bytes, &nodes), 0);
	assert_true(nodes <= 1u << 17);
	assert_true(lim.max_ops == JSON_PATCH_MAX_OPS - 19);
	json_object_put(doc);

	/* by bytes: never more than the limit, measured as compact JSON */
	doc = parse("{\"name\":\"a string of some thirty bytes\"}");
	lim = (struct json_patch_limits){ .max_bytes = 64u << 10, .max_nodes = 1u << 17,
					  .max_ops = JSON_PATCH_MAX_OPS };
	assert_error(json_patch_apply_limited(doc, ops, &lim, err, sizeof(err)), err, -E2BIG,
		     "op 10 (copy): the configuration would pass about 65536 bytes", NULL, NULL);
	assert_true(strlen(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN)) <= 64u << 10);
	json_object_put(doc);

	/* by growth: at most max_growth more than the document had */
	doc = parse("{\"name\":\"a string of some thirty bytes\"}");
	lim = (struct json_patch_limits){ .max_bytes = 4u << 20, .max_growth = 64u << 10,
					  .max_nodes = 1u << 17, .max_ops = JSON_PATCH_MAX_OPS };
	assert_error(json_patch_apply_limited(doc, ops, &lim, err, sizeof(err)), err, -E2BIG,
		     "op 10 (copy): the configuration would pass about 65577 bytes", NULL, NULL);
	assert_true(strlen(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN)) <= 65577);
	json_object_put(ops);
	json_object_put(doc);
}

static void test_patch_ops_shared_by_a_batch(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"n\":[]}");
	json_object *ops = n_test_ops(40);
	struct json_patch_limits lim = { .max_bytes = 4u << 20, .max_nodes = 1u << 17,
					 .max_ops = JSON_PATCH_MAX_OPS };
	char err[256] = "";

	assert_int_equal(json_patch_apply_limited(doc, ops, &lim, err, sizeof(err)), 0);
	assert_error(json_patch_apply_limited(doc, ops, &lim, err, sizeof(err)), err, -E2BIG,
		     "op 24: too many operations", "40 given, 24 left: at most 64 in one batch",
		     NULL);
	assert_int_equal(json_object_array_length(json_object_object_get(doc, "n")), 40);
	json_object_put(ops);
	json_object_put(doc);
}

static void test_measure(void **state __attribute__((unused)))
{
	static const char *const docs[] = {
		"{}", "[]", "{\"a\":[1,-22,333,true,false,null,\"xy\"]}",
		"{\"a\":{\"b\":{\"c\":[[],{}]}},\"d\":\"\"}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_object *v = parse(docs[i]);
		size_t bytes, nodes;

		assert_int_equal(json_measure(v, SIZE_MAX, SIZE_MAX, &bytes, &nodes), 0);
		/* an upper bound of the compact text, off by the separators */
		assert_true(bytes >= strlen(docs[i]));
		assert_true(bytes <= 2 * strlen(docs[i]) + 2);
		assert_int_equal(json_measure(v, bytes - 1, SIZE_MAX, &bytes, &nodes), -E2BIG);
		json_object_put(v);
	}
}

static void test_patch_copies_values_in(void **state __attribute__((unused)))
{
	json_object *doc = parse("{}");
	json_object *ops = parse("[{\"op\":\"add\",\"path\":\"/a\",\"value\":{\"b\":[1]}}]");
	json_object *value = json_object_object_get(json_object_array_get_idx(ops, 0), "value");
	char err[256] = "";

	assert_int_equal(json_patch_apply(doc, ops, err, sizeof(err)), 0);
	assert_ptr_not_equal(json_object_object_get(doc, "a"), value);
	json_object_array_add(json_object_object_get(value, "b"), json_object_new_int(2));
	assert_doc(doc, "{\"a\":{\"b\":[1]}}");
	json_object_put(ops);
	assert_doc(doc, "{\"a\":{\"b\":[1]}}");
	json_object_put(doc);
}

static void test_messages_fit_small_buffers(void **state __attribute__((unused)))
{
	json_object *doc = parse("{\"a\":[1,2]}");
	json_object *ops = parse("[{\"op\":\"remove\",\"path\":\"/a/5\"}]");
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(json_patch_apply(doc, ops, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "op 0 (r");
	assert_int_equal(json_patch_apply(doc, ops, NULL, 0), -ENOENT);
	json_object_put(ops);
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_pointer_rfc6901_examples),
		cmocka_unit_test(test_pointer_errors),
		cmocka_unit_test(test_patch_rfc6902_appendix_a),
		cmocka_unit_test(test_patch_ops),
		cmocka_unit_test(test_patch_refusals),
		cmocka_unit_test(test_patch_op_limit),
		cmocka_unit_test(test_patch_size_checked_after_every_op),
		cmocka_unit_test(test_patch_ops_shared_by_a_batch),
		cmocka_unit_test(test_measure),
		cmocka_unit_test(test_patch_copies_values_in),
		cmocka_unit_test(test_messages_fit_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
