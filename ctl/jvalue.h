/* jvalue.h - tolerant readers of daemon results for dspctl.
 *
 * Each returns "absent" (NULL or false) for a missing member or one of the
 * wrong type, so a renderer skips what the daemon left out instead of
 * printing garbage.  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_JVALUE_H
#define DSPCTL_JVALUE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* obj[key], or NULL when obj is not an object or has no such member. */
json_object *jv_field(json_object *obj, const char *key);
/* A finite number, int or double. */
bool jv_number(json_object *value, double *ret);
const char *jv_string(json_object *value);
bool jv_bool(json_object *value, bool *ret);
/* An integer counter as decimal text, whatever JSON number type carried it. */
bool jv_count(json_object *value, char *buf, size_t size);
/* Length of an array, 0 for anything else. */
size_t jv_length(json_object *value);

#endif
