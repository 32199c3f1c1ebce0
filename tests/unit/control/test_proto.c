/* test_proto.c - the JSON-RPC line parser and formatter, table-driven over
 * good and bad lines (the torture list included), plus dispatch of methods
 * that need no engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "jsonrpc.h"
#include "dispatch.h"

struct parse_case {
	const char *line;
	int code;                  /* 0: parses fine */
	const char *field;         /* expected data.field, or NULL */
};

static const struct parse_case cases[] = {
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"gain.set\",\"params\":{\"db\":-6}}", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"status\"}  ", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"status\",\"params\":null}", 0, NULL },
	{ "", RPC_PARSE_ERROR, NULL },
	{ "{", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"} x", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}{}", RPC_PARSE_ERROR, NULL },
	{ "[1,2]", RPC_INVALID_REQUEST, NULL },
	{ "42", RPC_INVALID_REQUEST, NULL },
	{ "{\"id\":1,\"method\":\"status\"}", RPC_INVALID_REQUEST, "jsonrpc" },
	{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"status\"}", RPC_INVALID_REQUEST, "jsonrpc" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1}", RPC_INVALID_REQUEST, "method" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", RPC_INVALID_REQUEST, "method" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	/* by-position params are a valid Request (dispatch answers -32602) */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":[1]}", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":\"x\"}", RPC_INVALID_REQUEST, "params" },
	/* ids json-c would saturate or round: refused, not echoed changed */
	{ "{\"jsonrpc\":\"2.0\",\"id\":100000000000000000000000000000,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1e29,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,\"method\":\"status\"}", RPC_INVALID_REQUEST, "id" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775807,\"method\":\"status\"}", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775807,\"method\":\"status\"}", 0, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"extra\":1}", RPC_INVALID_REQUEST, "extra" },
	/* NaN / Infinity literals and comments are not JSON */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gain.set\",\"params\":{\"db\":NaN}}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gain.set\",\"params\":{\"db\":-Infinity}}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",/*c*/\"id\":1,\"method\":\"status\"}", RPC_PARSE_ERROR, NULL },
	{ "{'jsonrpc':'2.0','id':1,'method':'status'}", RPC_PARSE_ERROR, NULL },
	/* invalid UTF-8 */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"st\xff\xfe\"}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc3\x28\"}", RPC_PARSE_ERROR, NULL },
	/* overlong '/', a UTF-16 surrogate, past U+10FFFF, truncated at the end */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"st\xc0\xaf\"}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xed\xa0\x80\"}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xf4\x90\x80\x80\"}", RPC_PARSE_ERROR, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}\xe2\x82", RPC_PARSE_ERROR, NULL },
	/* valid multi-byte text is fine */
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xb5\",\"method\":\"status\"}", 0, NULL },
	/* a NUL inside the method name must not run the method before it */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\\u0000x\"}", RPC_INVALID_REQUEST, "method" },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rpc_request req;
		struct rpc_error err = { 0 };
		int r = proto_parse_request(cases[i].line, strlen(cases[i].line), &req, &err);

		if (cases[i].code == 0) {
			if (r != 0)
				fail_msg("case %zu should parse: %s", i, err.reason);
		} else {
			if (r == 0)
				fail_msg("case %zu should fail with %d", i, cases[i].code);
			if (err.code != cases[i].code)
				fail_msg("case %zu: code %d, expected %d (%s)", i,
				         err.code, cases[i].code, err.reason);
			if (cases[i].field && strcmp(err.field, cases[i].field))
				fail_msg("case %zu: field \"%s\", expected \"%s\"", i,
				         err.field, cases[i].field);
		}
		json_object_put(req.root);
	}
}

static void test_nul_byte_and_depth(void **state)
{
	const char with_nul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\0\"method\":\"x\"}";
	struct rpc_request req;
	struct rpc_error err;
	char deep[4096];
	size_t n = 0;

	assert_int_equal(proto_parse_request(with_nul, sizeof(with_nul) - 1, &req, &err), -EINVAL);
	assert_int_equal(err.code, RPC_PARSE_ERROR);
	assert_non_null(strstr(err.reason, "NUL"));
	json_object_put(req.root);

	n += (size_t)sprintf(deep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":");
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	n += (size_t)sprintf(deep + n, "}}");
	assert_int_equal(proto_parse_request(deep, n, &req, &err), -EINVAL);
	assert_int_equal(err.code, RPC_PARSE_ERROR);
	json_object_put(req.root);
}

static void test_id_is_echoed_in_errors(void **state)
{
	const char *line = "{\"jsonrpc\":\"2.0\",\"id\":\"abc\"}";
	struct rpc_request req;
	struct rpc_error err;
	char *out;

	assert_int_equal(proto_parse_request(line, strlen(line), &req, &err), -EINVAL);
	out = proto_error_line(req.id, &err);
	assert_string_equal(out, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"error\":{\"code\":-32600,"
	                    "\"message\":\"invalid request\",\"data\":{\"field\":\"method\","
	                    "\"reason\":\"must be a string\"}}}\n");
	free(out);
	json_object_put(req.root);
}

static void test_utf8_helpers(void **state)
{
	char text[] = "ok \xc3\xa9 bad \xc0\xaf cut \xe2\x82";

	proto_utf8_scrub(text);
	assert_string_equal(text, "ok \xc3\xa9 bad ?? cut ??");
	/* "é" is two bytes: a 4-byte limit keeps "aé", a 3-byte one keeps "a" + nothing cut */
	assert_int_equal(proto_utf8_prefix("a\xc3\xa9\xc3\xa9", 4), 3);
	assert_int_equal(proto_utf8_prefix("a\xc3\xa9\xc3\xa9", 3), 3);
	assert_int_equal(proto_utf8_prefix("a\xc3\xa9\xc3\xa9", 2), 1);
	assert_int_equal(proto_utf8_prefix("abc", 10), 3);
}

static void test_params_helpers(void **state)
{
	json_object *p = json_tokener_parse("{\"db\":-6.5,\"big\":1e400,\"s\":\"x\",\"b\":true,\"i\":3}");
	static const char *const allowed[] = { "db", "big", "s", "b", "n", NULL };
	struct rpc_error err;
	double d = 0;
	bool b = false;

	assert_int_equal(proto_param_double(p, "db", true, -150, 40, &d, &err), 0);
	assert_true(d == -6.5);
	assert_int_equal(proto_param_double(p, "i", true, -150, 40, &d, &err), 0);
	assert_true(d == 3.0);
	assert_int_equal(proto_param_double(p, "big", true, -150, 40, &d, &err), -EINVAL);
	assert_string_equal(err.field, "big");
	assert_int_equal(proto_param_double(p, "s", true, -150, 40, &d, &err), -EINVAL);
	assert_string_equal(err.reason, "must be a number");
	assert_int_equal(proto_param_double(p, "db", true, 0, 40, &d, &err), -EINVAL);
	assert_int_equal(proto_param_double(p, "missing", true, 0, 40, &d, &err), -EINVAL);
	assert_string_equal(err.reason, "required");
	assert_int_equal(proto_param_double(p, "missing", false, 0, 40, &d, &err), 0);
	assert_int_equal(proto_param_bool(p, "b", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(proto_param_bool(p, "db", true, &b, &err), -EINVAL);
	/* "x": null is a type error, not an absent key */
	json_object_object_add(p, "n", NULL);
	assert_int_equal(proto_param_double(p, "n", false, 0, 40, &d, &err), -EINVAL);
	assert_string_equal(err.field, "n");
	assert_int_equal(proto_param_bool(p, "n", false, &b, &err), -EINVAL);
	assert_int_equal(proto_params_only(p, allowed, &err), -EINVAL);
	assert_string_equal(err.field, "i");
	json_object_put(p);
}

static char *dispatch_as(const char *line, bool read_only)
{
	struct ctl_context ctx = { .engine = NULL };
	struct ctl_session session = { .read_only = read_only };
	struct rpc_request req;
	struct rpc_error err;
	char *out;

	assert_int_equal(proto_parse_request(line, strlen(line), &req, &err), 0);
	out = methods_dispatch(&ctx, &session, &req);
	json_object_put(req.root);
	return out;
}

static char *dispatch(const char *line)
{
	return dispatch_as(line, false);
}

/* JSON-RPC 2.0 section 6: batches, on dispatch_line (the server's handler). */
static char *line_as(const char *line)
{
	struct ctl_context ctx = { .engine = NULL };
	struct ctl_session session = { .read_only = false };

	return dispatch_line(&ctx, &session, line, strlen(line));
}

static void expect_line(const char *line, const char *want_json)
{
	char *out = line_as(line);
	json_object *got, *want;

	if (!want_json) {
		if (out)
			fail_msg("%s: answered %s", line, out);
		return;
	}
	if (!out)
		fail_msg("%s: no answer", line);
	want = json_tokener_parse(want_json);
	if (out[strlen(out) - 1] != '\n' || strchr(out, '\n') != out + strlen(out) - 1)
		fail_msg("%s: not one line: %s", line, out);
	got = json_tokener_parse(out);
	/* compare the shapes: codes and ids, not the message texts */
	if (json_object_is_type(want, json_type_array)) {
		if (!json_object_is_type(got, json_type_array) ||
		    json_object_array_length(got) != json_object_array_length(want))
			fail_msg("%s: %s, expected %s", line, out, want_json);
		for (size_t i = 0; i < json_object_array_length(want); i++) {
			json_object *w = json_object_array_get_idx(want, i);
			json_object *g = json_object_array_get_idx(got, i), *e, *c;

			if (!json_object_equal(json_object_object_get(w, "id"),
			                       json_object_object_get(g, "id")) ||
			    (json_object_object_get_ex(w, "error", &e) &&
			     (!json_object_object_get_ex(json_object_object_get(g, "error"), "code", &c) ||
			      json_object_get_int(c) != json_object_get_int(e))))
				fail_msg("%s: element %zu is %s, expected %s", line, i,
				         json_object_to_json_string(g), json_object_to_json_string(w));
		}
	} else {
		json_object *e, *c;

		if (!json_object_is_type(got, json_type_object) ||
		    !json_object_object_get_ex(json_object_object_get(got, "error"), "code", &c) ||
		    !json_object_object_get_ex(want, "error", &e) ||
		    json_object_get_int(c) != json_object_get_int(e) ||
		    json_object_object_get(got, "id") != NULL)
			fail_msg("%s: %s, expected %s", line, out, want_json);
	}
	json_object_put(got);
	json_object_put(want);
	free(out);
}

static void test_batches(void **state)
{
	char big[8192];
	size_t n = 0;

	expect_line("[]", "{\"error\":-32600}");
	expect_line("[1]", "[{\"id\":null,\"error\":-32600}]");
	expect_line("[1,2,3]", "[{\"id\":null,\"error\":-32600},{\"id\":null,\"error\":-32600},"
	            "{\"id\":null,\"error\":-32600}]");
	expect_line("[{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"id\":1},{\"jsonrpc\":\"2.0\",\"method\":\"hello\"},"
	            "{\"foo\":\"boo\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"5\"},"
	            "{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":[1],\"id\":9}]",
	            "[{\"id\":1},{\"id\":null,\"error\":-32600},{\"id\":\"5\",\"error\":-32601},"
	            "{\"id\":9,\"error\":-32602}]");
	expect_line("[{\"jsonrpc\":\"2.0\",\"method\":\"hello\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]", NULL);
	expect_line("[{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"id\":1},{\"jsonrpc\":\"2.0\",\"method\"]",
	            "{\"error\":-32700}");
	expect_line("{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":[1,2]}", NULL);
	/* more than PROTO_MAX_BATCH: one error */
	big[n++] = '[';
	for (int i = 0; i <= PROTO_MAX_BATCH; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"id\":%d}",
		                      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]");
	expect_line(big, "{\"error\":-32600}");
}

static void test_dispatch_without_engine(void **state)
{
	char *out;

	out = dispatch("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"hello\"}");
	assert_non_null(strstr(out, "\"id\":7,\"result\":{\"protocol\":1"));
	assert_non_null(strstr(out, "\"gain.set\""));
	free(out);
	out = dispatch("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"nope\"}");
	assert_non_null(strstr(out, "\"code\":-32601"));
	assert_non_null(strstr(out, "nope"));
	free(out);
	out = dispatch("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"status\",\"params\":{\"x\":1}}");
	assert_non_null(strstr(out, "\"code\":-32602"));
	assert_non_null(strstr(out, "\"field\":\"x\""));
	free(out);
	/* changing methods are refused on the monitor socket, before any
	 * parameter is looked at */
	out = dispatch_as("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"gain.set\",\"params\":{\"db\":-6}}", true);
	assert_non_null(strstr(out, "\"code\":-32001"));
	assert_non_null(strstr(out, "read-only"));
	free(out);
	out = dispatch_as("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"config.reload\"}", true);
	assert_non_null(strstr(out, "\"code\":-32001"));
	free(out);
	out = dispatch_as("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"hello\"}", true);
	assert_non_null(strstr(out, "\"read_only\":true"));
	free(out);
	/* a notification is never answered, even when it fails */
	assert_null(dispatch("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_nul_byte_and_depth),
		cmocka_unit_test(test_id_is_echoed_in_errors),
		cmocka_unit_test(test_utf8_helpers),
		cmocka_unit_test(test_params_helpers),
		cmocka_unit_test(test_dispatch_without_engine),
		cmocka_unit_test(test_batches),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
