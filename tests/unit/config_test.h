/* config_test.h - what test_config.c and test_config_errors.c share: the
 * parsed result and helpers that load a text and check its errors.
 * Include after <cmocka.h>.  Single-threaded. */
#ifndef DSPD_CONFIG_TEST_H
#define DSPD_CONFIG_TEST_H

#include <string.h>

#include "config.h"

#define ORIGIN "t.conf"

static struct dspd_config cfg;
static struct cfg_errors errs;

static inline void dump_errors(const struct cfg_errors *e)
{
	print_message("  %u error(s):\n", e->count);
	for (unsigned i = 0; i < e->count && i < CFG_MAX_ERRORS; i++)
		print_message("    %s\n", e->msg[i]);
}

static inline int load_text(const char *text)
{
	return config_load_string(text, strlen(text), ORIGIN, &cfg, &errs);
}

static inline void expect_ok(const char *text)
{
	int r = load_text(text);

	if (r != 0 || errs.count != 0) {
		print_error("expected success for:\n%s\n", text);
		dump_errors(&errs);
	}
	assert_int_equal(r, 0);
	assert_int_equal(errs.count, 0);
}

static inline void expect_in(unsigned index, const char *needle)
{
	assert_true(index < errs.count && index < CFG_MAX_ERRORS);
	if (!strstr(errs.msg[index], needle)) {
		print_error("error %u lacks \"%s\"\n", index, needle);
		dump_errors(&errs);
		fail();
	}
}

#endif
