/* config_fields.c - the generic field parsers of pass 3 (integers,
 * numbers, booleans, strings, choices, names) and the walk of an object
 * against its key table, which reports unknown and missing keys.  Every key
 * table, top level and block families alike, is built from these.  Control
 * thread only. */
#include "config_fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* A number that must be an integer in [min, max]. */
int cfg_get_integer(struct parser *p, struct json_object *val,
                    double min, double max, int64_t *ret)
{
	char shown[CFG_SHOWN_VALUE_MAX + 4];
	double d;

	if (!json_object_is_type(val, json_type_int) &&
	    !json_object_is_type(val, json_type_double)) {
		cfg_error_here(p, "must be an integer, got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	cfg_show_value(val, shown, sizeof(shown));
	d = json_object_get_double(val);
	if (json_object_is_type(val, json_type_double) &&
	    (!isfinite(d) || floor(d) != d)) {
		cfg_error_here(p, "must be an integer, got %s", shown);
		return -EINVAL;
	}
	if (d < min || d > max) {
		cfg_error_here(p, "must be an integer between %.0f and %.0f, got %s",
		               min, max, shown);
		return -EINVAL;
	}
	*ret = (int64_t)d;
	return 0;
}

int cfg_parse_number(struct parser *p, struct json_object *val,
                     const struct field *f, void *dst)
{
	char shown[CFG_SHOWN_VALUE_MAX + 4];
	double d;

	if (!json_object_is_type(val, json_type_int) &&
	    !json_object_is_type(val, json_type_double)) {
		cfg_error_here(p, "must be a number, got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	cfg_show_value(val, shown, sizeof(shown));
	d = json_object_get_double(val);
	if (!isfinite(d)) {
		cfg_error_here(p, "must be a finite number, got %s", shown);
		return -EINVAL;
	}
	if (d < f->min || d > f->max) {
		cfg_error_here(p, "must be a number between %g and %g, got %s",
		               f->min, f->max, shown);
		return -EINVAL;
	}
	*(double *)dst = d;
	return 0;
}

int cfg_parse_unsigned(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	int64_t v;

	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

int cfg_parse_bool(struct parser *p, struct json_object *val,
                   const struct field *f, void *dst)
{
	(void)f;
	if (!json_object_is_type(val, json_type_boolean)) {
		cfg_error_here(p, "must be true or false, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	*(bool *)dst = json_object_get_boolean(val);
	return 0;
}

/* A non-empty string without NUL that fits size bytes with its NUL. */
int cfg_get_string(struct parser *p, struct json_object *val, size_t size,
                   const char *hint, const char **ret)
{
	const char *s;
	size_t len;

	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a non-empty string, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	s = json_object_get_string(val);
	len = (size_t)json_object_get_string_len(val);
	if (len == 0) {
		cfg_error_here(p, "must be a non-empty string");
		return -EINVAL;
	}
	if (strlen(s) != len) {
		cfg_error_here(p, "must not contain NUL characters");
		return -EINVAL;
	}
	if (len >= size) {
		cfg_error_here(p, "is too long: %zu bytes, at most %zu allowed%s",
		               len, size - 1, hint ? hint : "");
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int cfg_check_name_chars(struct parser *p, const char *s, const char *what)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];

	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
			cfg_quote(s, strlen(s), quoted, sizeof(quoted));
			cfg_error_here(p, "invalid %s %s: use letters, digits, "
			               "'_', '.' and '-' only", what, quoted);
			return -EINVAL;
		}
	return 0;
}

int cfg_parse_string(struct parser *p, struct json_object *val,
                     const struct field *f, void *dst)
{
	const char *s;

	if (cfg_get_string(p, val, f->size, f->hint, &s) < 0)
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int cfg_parse_choice(struct parser *p, struct json_object *val,
                     const struct field *f, void *dst)
{
	char names[256] = "";
	size_t len = 0;
	const char *s = "";

	if (json_object_is_type(val, json_type_string)) {
		s = json_object_get_string(val);
		for (int i = 0; f->choices[i]; i++)
			if (strcmp(s, f->choices[i]) == 0) {
				*(int *)dst = i;
				return 0;
			}
	}
	for (int i = 0; f->choices[i]; i++)
		cfg_msg_append(names, sizeof(names), &len, "%s%s", i ? ", " : "",
		               f->choices[i]);
	if (json_object_is_type(val, json_type_string)) {
		char quoted[CFG_SHOWN_VALUE_MAX + 8];

		cfg_quote(s, strlen(s), quoted, sizeof(quoted));
		cfg_error_here(p, "unknown value %s (one of: %s)", quoted, names);
	} else {
		cfg_error_here(p, "must be a string (one of: %s), got %s", names,
		               cfg_kind_name(val));
	}
	return -EINVAL;
}

static const struct field *find_field(const struct field *fields,
                                      const char *key)
{
	for (const struct field *f = fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static void report_unknown_key(struct parser *p, const struct field *fields)
{
	char known[200];
	size_t len = 0;

	known[0] = '\0';
	for (const struct field *f = fields; f->key; f++)
		cfg_msg_append(known, sizeof(known), &len, "%s%s",
		               f == fields ? "" : ", ", f->key);
	cfg_error_here(p, "unknown key (known: %s)", known);
}

/* Walk an object against its key table, writing into base. */
int cfg_parse_fields(struct parser *p, struct json_object *obj,
                     const struct field *fields, void *base)
{
	unsigned errors_before = p->errs->count;

	if (!json_object_is_type(obj, json_type_object)) {
		cfg_error_here(p, "must be an object, got %s", cfg_kind_name(obj));
		return -EINVAL;
	}
	json_object_object_foreach(obj, key, val) {
		const struct field *f = find_field(fields, key);
		size_t mark = cfg_pointer_push(p, key, strlen(key));

		if (!f)
			report_unknown_key(p, fields);
		else if (f->parse(p, val, f, (char *)base + f->offset) < 0)
			p->tainted |= f->flags;
		cfg_pointer_pop(p, mark);
	}
	for (const struct field *f = fields; f->key; f++)
		if ((f->flags & FIELD_REQUIRED) &&
		    !json_object_object_get_ex(obj, f->key, NULL)) {
			cfg_error_here(p, "missing required key \"%s\"", f->key);
			p->tainted |= f->flags;
		}
	return p->errs->count == errors_before ? 0 : -EINVAL;
}
