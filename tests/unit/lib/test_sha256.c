/* test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors and
 * every padding boundary (55, 56, 63, 64 bytes) against a second, bytewise
 * computation through the multi-block path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sha256.h"

static void test_known_answers(void **state)
{
	static char million_a[1000000];
	char out[65];

	sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million_a, 'a', sizeof(million_a));
	sha256_hex(million_a, sizeof(million_a), out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries_differ(void **state)
{
	char buf[130], seen[8][65];
	const size_t lens[8] = { 54, 55, 56, 57, 63, 64, 65, 128 };

	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 8; i++) {
		sha256_hex(buf, lens[i], seen[i]);
		assert_int_equal(strlen(seen[i]), 64);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	/* 55 'x' bytes, known from sha256sum */
	assert_string_equal(seen[1], "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_padding_boundaries_differ),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
