/* test_http_config.c - the "http" section (config_http.c): off when
 * absent, on with defaults when present (even empty), every key read,
 * http.listen's forms accepted and refused with the key named, and the
 * section is a key only the file sets (config_file_only_keys).
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_diff.h"
#include "config_test.h"

static void expect_error(const char *text, const char *n1, const char *n2)
{
	int r = load_text(text);

	if (r != -EINVAL || errs.count != 1) {
		print_error("expected one error for:\n%s\n", text);
		dump_errors(&errs);
	}
	assert_int_equal(r, -EINVAL);
	assert_int_equal(errs.count, 1);
	expect_in(0, n1);
	if (n2)
		expect_in(0, n2);
}

static void test_off_when_absent(void **state)
{
	(void)state;
	expect_ok("{}");
	assert_false(cfg.http.enabled);
}

static void test_defaults_when_present(void **state)
{
	(void)state;
	expect_ok("{\"http\": {}}");
	assert_true(cfg.http.enabled);
	assert_string_equal(cfg.http.listen, "127.0.0.1:8080");
	assert_string_equal(cfg.http.token_file, "");
	assert_string_equal(cfg.http.root, DSPD_WEB_DIR);
	assert_int_equal(cfg.http.max_clients, 16);
}

static void test_every_key(void **state)
{
	(void)state;
	expect_ok("{\"http\": {\"listen\": \"[::1]:9000\", \"token_file\": \"/etc/dspd/t\","
	          " \"root\": \"/srv/web\", \"max_clients\": 3}}");
	assert_string_equal(cfg.http.listen, "[::1]:9000");
	assert_string_equal(cfg.http.token_file, "/etc/dspd/t");
	assert_string_equal(cfg.http.root, "/srv/web");
	assert_int_equal(cfg.http.max_clients, 3);
}

static void test_listen_split(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned port;
		bool loopback;
	} ok[] = {
		{ "127.0.0.1:8080", "127.0.0.1", 8080, true },
		{ "127.1.2.3:1", "127.1.2.3", 1, true },
		{ "localhost:65535", "127.0.0.1", 65535, true },
		{ "0.0.0.0:80", "0.0.0.0", 80, false },
		{ "192.168.1.10:8080", "192.168.1.10", 8080, false },
		{ "[::1]:8080", "::1", 8080, true },
		{ "[::]:8080", "::", 8080, false },
	};
	static const char *const bad[] = {
		"8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x",
		"example.com:80", "::1:8080", "[::1]8080", "[127.0.0.1]:80",
		"[::1]:", "1.2.3:80", "[zz]:80",
	};
	char host[64];
	unsigned port;
	bool loopback;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cfg_http_split_listen(ok[i].in, host, sizeof(host), &port,
		                                       &loopback), 0);
		assert_string_equal(host, ok[i].host);
		assert_int_equal(port, ok[i].port);
		assert_int_equal(loopback, ok[i].loopback);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cfg_http_split_listen(bad[i], host, sizeof(host), &port, &loopback) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	}
}

static void test_errors_name_the_key(void **state)
{
	(void)state;
	expect_error("{\"http\": {\"listen\": \"example.com:80\"}}", "/http/listen", "host:port");
	expect_error("{\"http\": {\"listen\": 8080}}", "/http/listen", NULL);
	expect_error("{\"http\": {\"max_clients\": 0}}", "/http/max_clients", NULL);
	expect_error("{\"http\": {\"max_clients\": 257}}", "/http/max_clients", NULL);
	expect_error("{\"http\": {\"root\": \"web\"}}", "/http/root", "absolute");
	expect_error("{\"http\": {\"token_file\": \"\"}}", "/http/token_file", NULL);
	expect_error("{\"http\": {\"port\": 80}}", "/http/port", NULL);
	expect_error("{\"http\": true}", "/http", "object");
}

static void test_file_only(void **state)
{
	struct dspd_config a;
	char keys[256];

	(void)state;
	expect_ok("{\"http\": {}}");
	a = cfg;
	expect_ok("{\"http\": {\"listen\": \"0.0.0.0:8080\"}}");
	config_file_only_keys(&a, &cfg, keys, sizeof(keys));
	assert_non_null(strstr(keys, "/http"));
	expect_ok("{}");
	config_file_only_keys(&a, &cfg, keys, sizeof(keys));
	assert_non_null(strstr(keys, "/http"));
	expect_ok("{\"http\": {}}");
	config_file_only_keys(&a, &cfg, keys, sizeof(keys));
	assert_string_equal(keys, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_when_absent),
		cmocka_unit_test(test_defaults_when_present),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_errors_name_the_key),
		cmocka_unit_test(test_file_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
