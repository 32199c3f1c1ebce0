/* jvalue.c - tolerant readers of daemon results (see jvalue.h).
 * Single-threaded (dspctl's main thread). */
#include "jvalue.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

json_object *jv_field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_get_ex(obj, key, &value);
	return value;
}

bool jv_number(json_object *value, double *ret)
{
	if (!json_object_is_type(value, json_type_double) &&
	    !json_object_is_type(value, json_type_int))
		return false;
	*ret = json_object_get_double(value);
	return isfinite(*ret);
}

const char *jv_string(json_object *value)
{
	return json_object_is_type(value, json_type_string) ?
	       json_object_get_string(value) : NULL;
}

bool jv_bool(json_object *value, bool *ret)
{
	if (!json_object_is_type(value, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(value);
	return true;
}

bool jv_count(json_object *value, char *buf, size_t size)
{
	double d;

	if (json_object_is_type(value, json_type_int)) {
		snprintf(buf, size, "%" PRId64, json_object_get_int64(value));
		return true;
	}
	if (!jv_number(value, &d))
		return false;
	snprintf(buf, size, "%.0f", d);
	return true;
}

size_t jv_length(json_object *value)
{
	return json_object_is_type(value, json_type_array) ?
	       json_object_array_length(value) : 0;
}
