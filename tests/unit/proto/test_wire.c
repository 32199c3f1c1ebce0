/* test_wire.c - proto.h, the wire both dspd and dspctl compile against:
 * the error codes are JSON-RPC's and docs/protocol.md's numbers with their
 * messages, the topic and tap names are indexed by their enums and
 * NULL-terminated, and proto_name_index() finds exactly the listed names.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto.h"

static void test_error_codes_and_messages(void **state)
{
	static const struct { int code, number; const char *message; } codes[] = {
		{ RPC_PARSE_ERROR, -32700, "parse error" },
		{ RPC_INVALID_REQUEST, -32600, "invalid request" },
		{ RPC_METHOD_NOT_FOUND, -32601, "method not found" },
		{ RPC_INVALID_PARAMS, -32602, "invalid params" },
		{ RPC_SERVER_ERROR, -32000, "server error" },
		{ RPC_PERMISSION_DENIED, -32001, "permission denied" },
		{ RPC_CLIENT_TOO_SLOW, -32002, "client too slow" },
		{ RPC_CONFIG_REJECTED, -32003, "configuration rejected" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(codes[i].code, codes[i].number);
		assert_string_equal(proto_error_message(codes[i].code), codes[i].message);
	}
	assert_string_equal(proto_error_message(-32099), "server error");
	assert_string_equal(proto_error_message(0), "server error");
}

static void test_topic_and_tap_names(void **state)
{
	(void)state;
	assert_string_equal(proto_topic_names[PROTO_TOPIC_LEVELS], "levels");
	assert_string_equal(proto_topic_names[PROTO_TOPIC_XRUN], "xrun");
	assert_string_equal(proto_topic_names[PROTO_TOPIC_STATE], "state");
	assert_string_equal(proto_topic_names[PROTO_TOPIC_GAIN], "gain");
	assert_string_equal(proto_topic_names[PROTO_TOPIC_CONFIG], "config");
	assert_null(proto_topic_names[PROTO_TOPICS]);
	assert_string_equal(proto_tap_names[PROTO_TAP_CAPTURE], "capture");
	assert_string_equal(proto_tap_names[PROTO_TAP_PLAYBACK], "playback");
	assert_null(proto_tap_names[PROTO_TAPS]);
}

static void test_name_index(void **state)
{
	(void)state;
	for (int i = 0; i < PROTO_TOPICS; i++)
		assert_int_equal(proto_name_index(proto_topic_names, proto_topic_names[i]), i);
	assert_int_equal(proto_name_index(proto_tap_names, "playback"), PROTO_TAP_PLAYBACK);
	assert_int_equal(proto_name_index(proto_topic_names, "level"), -1);
	assert_int_equal(proto_name_index(proto_topic_names, "Levels"), -1);
	assert_int_equal(proto_name_index(proto_topic_names, ""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_codes_and_messages),
		cmocka_unit_test(test_topic_and_tap_names),
		cmocka_unit_test(test_name_index),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
