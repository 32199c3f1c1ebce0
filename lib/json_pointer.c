/* json_pointer.c - RFC 6901 pointers (parse, resolve, put, take), deep
 * JSON equality and the error-message helpers of the editing modules.
 * Control thread only, pure; see json_pointer.h.
 *
 * Every write is "resolve the parent container, then act on the last
 * token"; put_member() is the one place that writes into a container and
 * it always takes ownership of the value it is given. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_pointer.h"

/* ---- messages ------------------------------------------------------------ */

void jptr_set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Put "PREFIX: " in front of the message already in err. */
void jptr_prefix_err(char *err, size_t err_len, const char *fmt, ...)
{
	char prefix[512];
	char *old;
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	old = strdup(err);
	if (!old)
		return;
	snprintf(err, err_len, "%s: %s", prefix, old);
	free(old);
}

const char *json_type_phrase(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_object:  return "an object";
	case json_type_array:   return "an array";
	case json_type_string:  return "a string";
	case json_type_int:
	case json_type_double:  return "a number";
	case json_type_boolean: return "a boolean";
	case json_type_null:    break;
	}
	return "null";
}

/* The compact JSON text of v, cut to JPTR_VALUE_MAX_CHARS. */
void json_quote_value(json_object *v, char *out, size_t out_len)
{
	const char *text = json_object_to_json_string_ext(v,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (strlen(text) > JPTR_VALUE_MAX_CHARS)
		snprintf(out, out_len, "%.*s...", JPTR_VALUE_MAX_CHARS, text);
	else
		snprintf(out, out_len, "%s", text);
}

/* Append name to a ", "-separated list; false once the list is full (it
 * then ends with "..."). */
bool jptr_list_append(char *out, size_t out_len, const char *name)
{
	size_t used = strlen(out);
	size_t need = strlen(name) + (used ? 2 : 0);
	size_t room = out_len < JPTR_NAMES_MAX_CHARS ? out_len : JPTR_NAMES_MAX_CHARS;

	if (used + need + 4 >= room) {   /* keep room for ", ..." */
		snprintf(out + used, out_len - used, "%s...", used ? ", " : "");
		return false;
	}
	snprintf(out + used, out_len - used, "%s%s", used ? ", " : "", name);
	return true;
}

static void list_members(json_object *obj, char *out, size_t out_len)
{
	out[0] = '\0';
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (!jptr_list_append(out, out_len, key))
			return;
	}
}

int jptr_refuse_root(char *err, size_t err_len)
{
	jptr_set_err(err, err_len, "the configuration must stay an object (the root \"\" cannot be replaced or removed)");
	return -EINVAL;
}

/* ---- equality ------------------------------------------------------------ */

/* An int object holding a value above INT64_MAX (json-c keeps those as
 * uint64). */
static bool int_is_big_unsigned(json_object *o)
{
	return json_object_get_int64(o) == INT64_MAX &&
	       json_object_get_uint64(o) > (uint64_t)INT64_MAX;
}

static bool int_equals_double(json_object *i, double d)
{
	const double two63 = 9223372036854775808.0;

	if (int_is_big_unsigned(i))
		return d >= two63 && d < 2 * two63 &&
		       (uint64_t)d == json_object_get_uint64(i) &&
		       (double)(uint64_t)d == d;
	if (!(d >= -two63 && d < two63))
		return false;
	return (double)(int64_t)d == d && (int64_t)d == json_object_get_int64(i);
}

static bool numbers_equal(json_object *a, json_object *b)
{
	bool a_int = json_object_is_type(a, json_type_int);
	bool b_int = json_object_is_type(b, json_type_int);

	if (a_int && b_int)
		return json_object_get_int64(a) == json_object_get_int64(b) &&
		       json_object_get_uint64(a) == json_object_get_uint64(b);
	if (a_int)
		return int_equals_double(a, json_object_get_double(b));
	if (b_int)
		return int_equals_double(b, json_object_get_double(a));
	return json_object_get_double(a) == json_object_get_double(b);
}

static bool is_number(json_object *o)
{
	return json_object_is_type(o, json_type_int) ||
	       json_object_is_type(o, json_type_double);
}

static bool objects_equal(json_object *a, json_object *b)
{
	json_object *bv;

	if (json_object_object_length(a) != json_object_object_length(b))
		return false;
	json_object_object_foreach(a, key, av) {
		if (!json_object_object_get_ex(b, key, &bv) ||
		    !json_equal(av, bv))
			return false;
	}
	return true;
}

static bool arrays_equal(json_object *a, json_object *b)
{
	size_t n = json_object_array_length(a);

	if (n != json_object_array_length(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!json_equal(json_object_array_get_idx(a, i),
				json_object_array_get_idx(b, i)))
			return false;
	return true;
}

bool json_equal(json_object *a, json_object *b)
{
	if (is_number(a) && is_number(b))
		return numbers_equal(a, b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_object:
		return objects_equal(a, b);
	case json_type_array:
		return arrays_equal(a, b);
	default:
		return false;
	}
}

/* ---- members ------------------------------------------------------------- */

const char *json_string_member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* ---- pointers (RFC 6901) ------------------------------------------------- */

void jptr_free(struct jptr *p)
{
	free(p->buf);
	free(p->tok);
	free(p->end);
	memset(p, 0, sizeof(*p));
}

/* Unescape one token in place (it is NUL-terminated); -EINVAL on a "~"
 * not followed by 0 or 1. */
static int unescape_token(char *t)
{
	char *w = t;

	for (char *r = t; *r; r++) {
		if (*r != '~') {
			*w++ = *r;
			continue;
		}
		if (r[1] != '0' && r[1] != '1')
			return -EINVAL;
		*w++ = r[1] == '0' ? '~' : '/';
		r++;
	}
	*w = '\0';
	return 0;
}

int jptr_parse(const char *text, struct jptr *p, char *err, size_t err_len)
{
	size_t len = strlen(text), count = 0;

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->root = "the root";
	if (len > 0 && text[0] != '/') {
		jptr_set_err(err, err_len, "\"%s\" is not a JSON pointer (it must be \"\" or start with \"/\")", text);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		count += text[i] == '/';
	p->buf = strdup(text);
	p->tok = calloc(count ? count : 1, sizeof(*p->tok));
	p->end = calloc(count ? count : 1, sizeof(*p->end));
	if (!p->buf || !p->tok || !p->end) {
		jptr_free(p);
		jptr_set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '/')
			continue;
		p->buf[i] = '\0';
		if (p->n > 0)
			p->end[p->n - 1] = i;
		p->tok[p->n++] = p->buf + i + 1;
	}
	if (p->n > 0)
		p->end[p->n - 1] = len;
	for (size_t i = 0; i < p->n; i++) {
		if (unescape_token(p->tok[i]) < 0) {
			jptr_set_err(err, err_len, "\"%.*s\": \"~\" must be followed by 0 or 1 (\"~0\" is ~, \"~1\" is /)",
				(int)p->end[i], text);
			jptr_free(p);
			return -EINVAL;
		}
	}
	return 0;
}

/* The first `depth` tokens of p as the user wrote them; "" for the root. */
static int where_len(const struct jptr *p, size_t depth)
{
	return depth == 0 ? 0 : (int)p->end[depth - 1];
}

/* Decimal without leading zeros (RFC 6901 array-index); -EINVAL otherwise,
 * SIZE_MAX when too large to be an index of any array. */
static int parse_index(const char *t, size_t *ret)
{
	size_t v = 0;

	if (t[0] == '\0' || (t[0] == '0' && t[1] != '\0'))
		return -EINVAL;
	for (const char *c = t; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (v > (SIZE_MAX - 9) / 10)
			v = SIZE_MAX;
		else
			v = v * 10 + (size_t)(*c - '0');
	}
	*ret = v;
	return 0;
}

/* Index token i of p into an array of length len: an existing element
 * (0..len-1), or with allow_end also len (the insertion point of add). */
static int array_index(const struct jptr *p, size_t i, size_t len, bool allow_end,
		       size_t *ret, char *err, size_t err_len)
{
	if (strcmp(p->tok[i], "-") == 0) {
		jptr_set_err(err, err_len, "%.*s names no element (\"-\" is the end of the array, only a target of add, move or copy)",
			where_len(p, i + 1), p->text);
		return -EINVAL;
	}
	if (parse_index(p->tok[i], ret) < 0) {
		jptr_set_err(err, err_len, "%.*s: \"%s\" is not an array index (decimal digits without leading zeros)",
			where_len(p, i + 1), p->text, p->tok[i]);
		return -EINVAL;
	}
	if (*ret > len || (*ret == len && !allow_end)) {
		jptr_set_err(err, err_len, "%.*s does not exist (the array has %zu element%s)",
			where_len(p, i + 1), p->text, len, len == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

static int missing_member(json_object *obj, const struct jptr *p, size_t i,
			  char *err, size_t err_len)
{
	char names[JPTR_NAMES_MAX_CHARS + 8];

	list_members(obj, names, sizeof(names));
	jptr_set_err(err, err_len, "%.*s does not exist (%s%.*s has %s%s)",
		where_len(p, i + 1), p->text,
		i == 0 ? p->root : "", where_len(p, i), p->text,
		names[0] ? "members: " : "no members", names);
	return -ENOENT;
}

/* Token i of p cannot be looked up: its container is a scalar. */
static int not_a_container(json_object *cur, const struct jptr *p, size_t i,
			   char *err, size_t err_len)
{
	jptr_set_err(err, err_len, "%s%.*s is %s, not an object or array (it cannot hold %.*s)",
		i == 0 ? p->root : "", where_len(p, i), p->text, json_type_phrase(cur),
		where_len(p, i + 1), p->text);
	return -ENOENT;
}

/* The value at the first `depth` tokens of p (borrowed). */
int jptr_resolve(json_object *doc, const struct jptr *p, size_t depth,
		 json_object **ret, char *err, size_t err_len)
{
	json_object *cur = doc, *child;
	size_t idx;
	int r;

	for (size_t i = 0; i < depth; i++) {
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, p->tok[i], &child))
				return missing_member(cur, p, i, err, err_len);
			cur = child;
		} else if (json_object_is_type(cur, json_type_array)) {
			r = array_index(p, i, json_object_array_length(cur), false, &idx,
					 err, err_len);
			if (r < 0)
				return r;
			cur = json_object_array_get_idx(cur, idx);
		} else {
			return not_a_container(cur, p, i, err, err_len);
		}
	}
	*ret = cur;
	return 0;
}

int jptr_get(json_object *doc, const char *pointer, json_object **ret,
	     char *err, size_t err_len)
{
	struct jptr p;
	int r;

	if (!pointer) {
		jptr_set_err(err, err_len, "no pointer given");
		return -EINVAL;
	}
	r = jptr_parse(pointer, &p, err, err_len);
	if (r < 0)
		return r;
	r = jptr_resolve(doc, &p, p.n, ret, err, err_len);
	jptr_free(&p);
	return r;
}

/* ---- writing into a container -------------------------------------------- */

int json_copy_value(json_object *src, json_object **ret, char *err, size_t err_len)
{
	*ret = NULL;
	if (!src)
		return 0;  /* JSON null */
	if (json_object_deep_copy(src, ret, NULL) < 0) {
		jptr_set_err(err, err_len, "out of memory copying a value");
		return -ENOMEM;
	}
	return 0;
}

/* json-c 0.16 has no json_object_array_insert_idx: grow by one, shift the
 * tail up one slot, then store. Takes ownership of value. */
int json_array_insert(json_object *arr, size_t idx, json_object *value)
{
	size_t len = json_object_array_length(arr);

	if (json_object_array_add(arr, NULL) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	for (size_t i = len; i > idx; i--) {
		json_object *moved = json_object_array_get_idx(arr, i - 1);

		json_object_array_put_idx(arr, i, json_object_get(moved));
	}
	json_object_array_put_idx(arr, idx, value);
	return 0;
}

static int put_into_array(json_object *arr, const struct jptr *p, json_object *value,
			  enum jptr_put_mode mode, char *err, size_t err_len)
{
	size_t last = p->n - 1, len = json_object_array_length(arr), idx = len;
	bool append = mode != JPTR_PUT_REPLACE && strcmp(p->tok[last], "-") == 0;
	int r;

	if (!append) {
		r = array_index(p, last, len, mode == JPTR_PUT_ADD, &idx, err, err_len);
		if (r < 0) {
			json_object_put(value);
			return r;
		}
	}
	if (mode == JPTR_PUT_ADD || append) {
		if (json_array_insert(arr, idx, value) < 0) {
			jptr_set_err(err, err_len, "out of memory");
			return -ENOMEM;
		}
		return 0;
	}
	json_object_array_put_idx(arr, idx, value);  /* drops the old element */
	return 0;
}

/* Store value at the last token of p inside parent; takes ownership. */
static int put_member(json_object *parent, const struct jptr *p, json_object *value,
		      enum jptr_put_mode mode, char *err, size_t err_len)
{
	const char *key = p->tok[p->n - 1];

	if (json_object_is_type(parent, json_type_array))
		return put_into_array(parent, p, value, mode, err, err_len);
	if (!json_object_is_type(parent, json_type_object)) {
		json_object_put(value);
		return not_a_container(parent, p, p->n - 1, err, err_len);
	}
	if (mode == JPTR_PUT_REPLACE && !json_object_object_get_ex(parent, key, NULL)) {
		json_object_put(value);
		return missing_member(parent, p, p->n - 1, err, err_len);
	}
	if (json_object_object_add(parent, key, value) < 0) {
		json_object_put(value);  /* json-c keeps no reference on failure */
		jptr_set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Detach the value at the last token of p from parent; *ret holds a
 * reference the caller owns. */
static int take_member(json_object *parent, const struct jptr *p, json_object **ret,
		       char *err, size_t err_len)
{
	const char *key = p->tok[p->n - 1];
	json_object *v;
	size_t idx;
	int r;

	if (json_object_is_type(parent, json_type_array)) {
		r = array_index(p, p->n - 1, json_object_array_length(parent),
				false, &idx, err, err_len);
		if (r < 0)
			return r;
		*ret = json_object_get(json_object_array_get_idx(parent, idx));
		json_object_array_del_idx(parent, idx, 1);
		return 0;
	}
	if (!json_object_is_type(parent, json_type_object))
		return not_a_container(parent, p, p->n - 1, err, err_len);
	if (!json_object_object_get_ex(parent, key, &v))
		return missing_member(parent, p, p->n - 1, err, err_len);
	*ret = json_object_get(v);
	json_object_object_del(parent, key);
	return 0;
}

/* Put value (owned) at pointer p in doc, p not the root. */
int jptr_put(json_object *doc, const struct jptr *p, json_object *value,
	     enum jptr_put_mode mode, char *err, size_t err_len)
{
	json_object *parent;
	int r = jptr_resolve(doc, p, p->n - 1, &parent, err, err_len);

	if (r < 0) {
		json_object_put(value);
		return r;
	}
	return put_member(parent, p, value, mode, err, err_len);
}

int jptr_take(json_object *doc, const struct jptr *p, json_object **ret,
	      char *err, size_t err_len)
{
	json_object *parent;
	int r = jptr_resolve(doc, p, p->n - 1, &parent, err, err_len);

	return r < 0 ? r : take_member(parent, p, ret, err, err_len);
}
