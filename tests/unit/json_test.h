/* json_test.h - what the JSON editing unit tests
 * (test_json_patch.c, test_config_edit.c) share: parsing test JSON, comparing
 * a document with the one expected, and checking an error's return value and
 * message.  Include after <cmocka.h>.  Single-threaded. */
#ifndef DSPD_JSON_TEST_H
#define DSPD_JSON_TEST_H

#include <stdbool.h>
#include <string.h>

#include "json_patch.h"
#include "json_pointer.h"

static inline json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	if (!o)
		fail_msg("test JSON does not parse: %s", text);
	return o;
}

static inline void assert_doc(json_object *doc, const char *expected)
{
	json_object *want = parse(expected);

	if (!json_equal(doc, want))
		fail_msg("document is %s, expected %s",
			 json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
			 expected);
	json_object_put(want);
}

/* ret must be want_ret and err must contain every non-NULL part. */
static inline void assert_error(int ret, const char *err, int want_ret,
				 const char *part1, const char *part2, const char *part3)
{
	const char *parts[] = { part1, part2, part3 };

	if (ret != want_ret)
		fail_msg("returned %d, expected %d (message: %s)", ret, want_ret, err);
	for (size_t i = 0; i < 3; i++)
		if (parts[i] && !strstr(err, parts[i]))
			fail_msg("message \"%s\" lacks \"%s\"", err, parts[i]);
	if (strchr(err, '\n'))
		fail_msg("message \"%s\" is not one line", err);
}

#endif
