/* config_edit.c - RFC 6901 pointers, RFC 6902 JSON Patch and the effect.*
 * edits of the configuration document.  Control thread only; see
 * config_edit.h for the contract.
 *
 * A pointer is parsed once into unescaped tokens that remember where each
 * one ends in the original text, so that an error can name the exact
 * prefix that failed ("/pipeline/7 does not exist") in the user's own
 * spelling.  Every edit is "resolve the parent container, then act on the
 * last token"; put_member() is the one place that writes into a container
 * and it always takes ownership of the value it is given. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_edit.h"

#define NAMES_MAX_CHARS 160  /* lists of names in messages stop here with "..." */
#define VALUE_MAX_CHARS 60   /* values quoted in messages stop here with "..." */

/* ---- messages ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Put "PREFIX: " in front of the message already in err. */
__attribute__((format(printf, 3, 4)))
static void prefix_err(char *err, size_t err_len, const char *fmt, ...)
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

static const char *type_name(json_object *o)
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

/* The compact JSON text of v, cut to VALUE_MAX_CHARS. */
static void quote_value(json_object *v, char *out, size_t out_len)
{
	const char *text = json_object_to_json_string_ext(v,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (strlen(text) > VALUE_MAX_CHARS)
		snprintf(out, out_len, "%.*s...", VALUE_MAX_CHARS, text);
	else
		snprintf(out, out_len, "%s", text);
}

/* Append name to a ", "-separated list; false once the list is full (it
 * then ends with "..."). */
static bool list_append(char *out, size_t out_len, const char *name)
{
	size_t used = strlen(out);
	size_t need = strlen(name) + (used ? 2 : 0);
	size_t room = out_len < NAMES_MAX_CHARS ? out_len : NAMES_MAX_CHARS;

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
		if (!list_append(out, out_len, key))
			return;
	}
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
		    !config_edit_json_equal(av, bv))
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
		if (!config_edit_json_equal(json_object_array_get_idx(a, i),
					    json_object_array_get_idx(b, i)))
			return false;
	return true;
}

bool config_edit_json_equal(json_object *a, json_object *b)
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

/* ---- pointers (RFC 6901) ------------------------------------------------- */

struct jptr {
	const char *text;  /* the pointer as given, for messages */
	const char *root;  /* what "" names in messages: "the root", "the block" */
	char *buf;         /* the unescaped tokens, NUL-separated */
	char **tok;
	size_t *end;       /* tok[i] ends at text + end[i] */
	size_t n;
};

static void jptr_free(struct jptr *p)
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

static int jptr_parse(const char *text, struct jptr *p, char *err, size_t err_len)
{
	size_t len = strlen(text), count = 0;

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->root = "the root";
	if (len > 0 && text[0] != '/') {
		set_err(err, err_len, "\"%s\" is not a JSON pointer (it must be \"\" or start with \"/\")", text);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		count += text[i] == '/';
	p->buf = strdup(text);
	p->tok = calloc(count ? count : 1, sizeof(*p->tok));
	p->end = calloc(count ? count : 1, sizeof(*p->end));
	if (!p->buf || !p->tok || !p->end) {
		jptr_free(p);
		set_err(err, err_len, "out of memory");
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
			set_err(err, err_len, "\"%.*s\": \"~\" must be followed by 0 or 1 (\"~0\" is ~, \"~1\" is /)",
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
		set_err(err, err_len, "%.*s names no element (\"-\" is the end of the array, only a target of add, move or copy)",
			where_len(p, i + 1), p->text);
		return -EINVAL;
	}
	if (parse_index(p->tok[i], ret) < 0) {
		set_err(err, err_len, "%.*s: \"%s\" is not an array index (decimal digits without leading zeros)",
			where_len(p, i + 1), p->text, p->tok[i]);
		return -EINVAL;
	}
	if (*ret > len || (*ret == len && !allow_end)) {
		set_err(err, err_len, "%.*s does not exist (the array has %zu element%s)",
			where_len(p, i + 1), p->text, len, len == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

static int missing_member(json_object *obj, const struct jptr *p, size_t i,
			  char *err, size_t err_len)
{
	char names[NAMES_MAX_CHARS + 8];

	list_members(obj, names, sizeof(names));
	set_err(err, err_len, "%.*s does not exist (%s%.*s has %s%s)",
		where_len(p, i + 1), p->text,
		i == 0 ? p->root : "", where_len(p, i), p->text,
		names[0] ? "members: " : "no members", names);
	return -ENOENT;
}

/* Token i of p cannot be looked up: its container is a scalar. */
static int not_a_container(json_object *cur, const struct jptr *p, size_t i,
			   char *err, size_t err_len)
{
	set_err(err, err_len, "%s%.*s is %s, not an object or array (it cannot hold %.*s)",
		i == 0 ? p->root : "", where_len(p, i), p->text, type_name(cur),
		where_len(p, i + 1), p->text);
	return -ENOENT;
}

/* The value at the first `depth` tokens of p (borrowed). */
static int resolve(json_object *doc, const struct jptr *p, size_t depth,
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

int config_edit_pointer_get(json_object *doc, const char *pointer,
			    json_object **ret, char *err, size_t err_len)
{
	struct jptr p;
	int r;

	if (!pointer) {
		set_err(err, err_len, "no pointer given");
		return -EINVAL;
	}
	r = jptr_parse(pointer, &p, err, err_len);
	if (r < 0)
		return r;
	r = resolve(doc, &p, p.n, ret, err, err_len);
	jptr_free(&p);
	return r;
}

/* ---- writing into a container -------------------------------------------- */

enum put_mode {
	PUT_ADD,      /* objects: set; arrays: insert at 0..len or "-" */
	PUT_REPLACE,  /* the member or element must exist */
	PUT_SET,      /* objects: set; arrays: replace 0..len-1 or "-" appends */
};

static int deep_copy(json_object *src, json_object **ret, char *err, size_t err_len)
{
	*ret = NULL;
	if (!src)
		return 0;  /* JSON null */
	if (json_object_deep_copy(src, ret, NULL) < 0) {
		set_err(err, err_len, "out of memory copying a value");
		return -ENOMEM;
	}
	return 0;
}

/* json-c 0.16 has no json_object_array_insert_idx: grow by one, shift the
 * tail up one slot, then store. Takes ownership of value. */
static int array_insert(json_object *arr, size_t idx, json_object *value)
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
			  enum put_mode mode, char *err, size_t err_len)
{
	size_t last = p->n - 1, len = json_object_array_length(arr), idx = len;
	bool append = mode != PUT_REPLACE && strcmp(p->tok[last], "-") == 0;
	int r;

	if (!append) {
		r = array_index(p, last, len, mode == PUT_ADD, &idx, err, err_len);
		if (r < 0) {
			json_object_put(value);
			return r;
		}
	}
	if (mode == PUT_ADD || append) {
		if (array_insert(arr, idx, value) < 0) {
			set_err(err, err_len, "out of memory");
			return -ENOMEM;
		}
		return 0;
	}
	json_object_array_put_idx(arr, idx, value);  /* drops the old element */
	return 0;
}

/* Store value at the last token of p inside parent; takes ownership. */
static int put_member(json_object *parent, const struct jptr *p, json_object *value,
		      enum put_mode mode, char *err, size_t err_len)
{
	const char *key = p->tok[p->n - 1];

	if (json_object_is_type(parent, json_type_array))
		return put_into_array(parent, p, value, mode, err, err_len);
	if (!json_object_is_type(parent, json_type_object)) {
		json_object_put(value);
		return not_a_container(parent, p, p->n - 1, err, err_len);
	}
	if (mode == PUT_REPLACE && !json_object_object_get_ex(parent, key, NULL)) {
		json_object_put(value);
		return missing_member(parent, p, p->n - 1, err, err_len);
	}
	if (json_object_object_add(parent, key, value) < 0) {
		json_object_put(value);  /* json-c keeps no reference on failure */
		set_err(err, err_len, "out of memory");
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
static int put_at(json_object *doc, const struct jptr *p, json_object *value,
		  enum put_mode mode, char *err, size_t err_len)
{
	json_object *parent;
	int r = resolve(doc, p, p->n - 1, &parent, err, err_len);

	if (r < 0) {
		json_object_put(value);
		return r;
	}
	return put_member(parent, p, value, mode, err, err_len);
}

static int take_at(json_object *doc, const struct jptr *p, json_object **ret,
		   char *err, size_t err_len)
{
	json_object *parent;
	int r = resolve(doc, p, p->n - 1, &parent, err, err_len);

	return r < 0 ? r : take_member(parent, p, ret, err, err_len);
}

/* ---- JSON Patch (RFC 6902) ----------------------------------------------- */

struct patch_op {
	const char *name;
	struct jptr path;
	struct jptr from;    /* move, copy */
	json_object *value;  /* add, replace, test (borrowed from ops) */
};

static int refuse_root(char *err, size_t err_len)
{
	set_err(err, err_len, "the configuration must stay an object (the root \"\" cannot be replaced or removed)");
	return -EINVAL;
}

static int op_add(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *copy;
	int r;

	if (op->path.n == 0)
		return refuse_root(err, err_len);
	r = deep_copy(op->value, &copy, err, err_len);
	return r < 0 ? r : put_at(doc, &op->path, copy, PUT_ADD, err, err_len);
}

static int op_remove(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *gone;
	int r;

	if (op->path.n == 0)
		return refuse_root(err, err_len);
	r = take_at(doc, &op->path, &gone, err, err_len);
	if (r == 0)
		json_object_put(gone);
	return r;
}

static int op_replace(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *copy;
	int r;

	if (op->path.n == 0)
		return refuse_root(err, err_len);
	r = deep_copy(op->value, &copy, err, err_len);
	return r < 0 ? r : put_at(doc, &op->path, copy, PUT_REPLACE, err, err_len);
}

static int op_test(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	char have[VALUE_MAX_CHARS + 4], want[VALUE_MAX_CHARS + 4];
	json_object *cur;
	int r = resolve(doc, &op->path, op->path.n, &cur, err, err_len);

	if (r < 0)
		return r;
	if (config_edit_json_equal(cur, op->value))
		return 0;
	quote_value(cur, have, sizeof(have));
	quote_value(op->value, want, sizeof(want));
	set_err(err, err_len, "test failed: the value at %s%s is %s, not %s",
		op->path.n ? "" : "the root", op->path.text, have, want);
	return -EINVAL;
}

/* The first count tokens of a and b are equal. */
static bool tokens_match(const struct jptr *a, const struct jptr *b, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(a->tok[i], b->tok[i]) != 0)
			return false;
	return true;
}

static bool is_proper_prefix(const struct jptr *a, const struct jptr *b)
{
	return a->n < b->n && tokens_match(a, b, a->n);
}

static bool same_location(const struct jptr *a, const struct jptr *b)
{
	return a->n == b->n && tokens_match(a, b, a->n);
}

static int op_move(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *v;
	int r;

	if (op->path.n == 0 || op->from.n == 0)
		return refuse_root(err, err_len);
	if (is_proper_prefix(&op->from, &op->path)) {
		set_err(err, err_len, "cannot move %s into its own child %s",
			op->from.text, op->path.text);
		return -EINVAL;
	}
	if (same_location(&op->from, &op->path))
		return resolve(doc, &op->from, op->from.n, &v, err, err_len);
	r = take_at(doc, &op->from, &v, err, err_len);
	if (r < 0) {
		prefix_err(err, err_len, "from");
		return r;
	}
	return put_at(doc, &op->path, v, PUT_ADD, err, err_len);
}

static int op_copy(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *src, *copy;
	int r;

	if (op->path.n == 0)
		return refuse_root(err, err_len);
	r = resolve(doc, &op->from, op->from.n, &src, err, err_len);
	if (r < 0) {
		prefix_err(err, err_len, "from");
		return r;
	}
	r = deep_copy(src, &copy, err, err_len);
	return r < 0 ? r : put_at(doc, &op->path, copy, PUT_ADD, err, err_len);
}

struct op_kind {
	const char *name;
	bool needs_value, needs_from;
	int (*apply)(json_object *doc, struct patch_op *op, char *err, size_t err_len);
};

static const struct op_kind op_kinds[] = {
	{ "add",     true,  false, op_add },
	{ "remove",  false, false, op_remove },
	{ "replace", true,  false, op_replace },
	{ "test",    true,  false, op_test },
	{ "move",    false, true,  op_move },
	{ "copy",    false, true,  op_copy },
};

static const struct op_kind *find_op_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(op_kinds) / sizeof(op_kinds[0]); i++)
		if (strcmp(op_kinds[i].name, name) == 0)
			return &op_kinds[i];
	return NULL;
}

/* A string member that is also a pointer, parsed into ret. */
static int pointer_member(json_object *obj, const char *key, struct jptr *ret,
			  char *err, size_t err_len)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		set_err(err, err_len, "missing \"%s\"", key);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		set_err(err, err_len, "\"%s\" must be a string (got %s)", key, type_name(v));
		return -EINVAL;
	}
	return jptr_parse(json_object_get_string(v), ret, err, err_len);
}

static int read_op_kind(json_object *o, const struct op_kind **ret,
			char *err, size_t err_len)
{
	json_object *name;

	if (!json_object_is_type(o, json_type_object)) {
		set_err(err, err_len, "an operation must be an object (got %s)", type_name(o));
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, "op", &name) ||
	    !json_object_is_type(name, json_type_string)) {
		set_err(err, err_len, "missing \"op\" (add, remove, replace, test, move or copy)");
		return -EINVAL;
	}
	*ret = find_op_kind(json_object_get_string(name));
	if (!*ret) {
		set_err(err, err_len, "unknown op \"%s\" (add, remove, replace, test, move or copy)",
			json_object_get_string(name));
		return -EINVAL;
	}
	return 0;
}

/* Parse one operation; on error the message names the op and as much of it
 * as was understood. */
static int read_op(json_object *o, size_t i, const struct op_kind *kind,
		   struct patch_op *op, char *err, size_t err_len)
{
	int r;

	memset(op, 0, sizeof(*op));
	op->name = kind->name;
	r = pointer_member(o, "path", &op->path, err, err_len);
	if (r < 0) {
		prefix_err(err, err_len, "op %zu (%s)", i, kind->name);
		return r;
	}
	if (kind->needs_value && !json_object_object_get_ex(o, "value", &op->value)) {
		set_err(err, err_len, "op %zu (%s %s): missing \"value\"", i, kind->name, op->path.text);
		return -EINVAL;
	}
	if (kind->needs_from) {
		r = pointer_member(o, "from", &op->from, err, err_len);
		if (r < 0) {
			prefix_err(err, err_len, "op %zu (%s %s)", i, kind->name, op->path.text);
			return r;
		}
	}
	return 0;
}

static int apply_one(json_object *doc, json_object *o, size_t i, char *err, size_t err_len)
{
	const struct op_kind *kind;
	struct patch_op op;
	int r = read_op_kind(o, &kind, err, err_len);

	if (r < 0) {
		prefix_err(err, err_len, "op %zu", i);
		return r;
	}
	r = read_op(o, i, kind, &op, err, err_len);
	if (r == 0) {
		r = kind->apply(doc, &op, err, err_len);
		if (r < 0 && kind->needs_from)
			prefix_err(err, err_len, "op %zu (%s %s to %s)", i, kind->name,
				   op.from.text, op.path.text);
		else if (r < 0)
			prefix_err(err, err_len, "op %zu (%s %s)", i, kind->name, op.path.text);
	}
	jptr_free(&op.path);
	jptr_free(&op.from);
	return r;
}

int config_edit_patch(json_object *doc, json_object *ops, char *err, size_t err_len)
{
	size_t n;
	int r;

	if (!json_object_is_type(doc, json_type_object))
		return refuse_root(err, err_len);
	if (!json_object_is_type(ops, json_type_array)) {
		set_err(err, err_len, "ops must be an array of operations (got %s)", type_name(ops));
		return -EINVAL;
	}
	n = json_object_array_length(ops);
	if (n > CONFIG_EDIT_MAX_OPS) {
		set_err(err, err_len, "op %d: too many operations (%zu given, at most %d in one patch)",
			CONFIG_EDIT_MAX_OPS, n, CONFIG_EDIT_MAX_OPS);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		r = apply_one(doc, json_object_array_get_idx(ops, i), i, err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the pipeline's blocks ------------------------------------------------ */

/* The "pipeline" array of doc, or NULL when missing or not an array. */
static json_object *pipeline_of(json_object *doc)
{
	json_object *pl;

	if (!json_object_object_get_ex(doc, "pipeline", &pl) ||
	    !json_object_is_type(pl, json_type_array))
		return NULL;
	return pl;
}

static const char *block_name(json_object *block)
{
	json_object *name;

	if (!json_object_object_get_ex(block, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return NULL;
	return json_object_get_string(name);
}

static int block_index(json_object *pl, const char *name)
{
	size_t n = pl ? json_object_array_length(pl) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *bn = block_name(json_object_array_get_idx(pl, i));

		if (bn && strcmp(bn, name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

static int no_such_block(json_object *pl, const char *name, char *err, size_t err_len)
{
	char names[NAMES_MAX_CHARS + 8] = "";
	size_t n = pl ? json_object_array_length(pl) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *bn = block_name(json_object_array_get_idx(pl, i));

		if (bn && !list_append(names, sizeof(names), bn))
			break;
	}
	if (names[0])
		set_err(err, err_len, "no block named \"%s\" (blocks: %s)", name, names);
	else
		set_err(err, err_len, "no block named \"%s\" (the pipeline is empty)", name);
	return -ENOENT;
}

int config_edit_find_block(json_object *doc, const char *name, char *err, size_t err_len)
{
	json_object *pl;
	int idx;

	if (!name) {
		set_err(err, err_len, "no block name given");
		return -EINVAL;
	}
	pl = json_object_is_type(doc, json_type_object) ? pipeline_of(doc) : NULL;
	idx = block_index(pl, name);
	return idx >= 0 ? idx : no_such_block(pl, name, err, err_len);
}

static int check_new_block(json_object *block, char *err, size_t err_len)
{
	json_object *type;
	const char *name;

	if (!json_object_is_type(block, json_type_object)) {
		set_err(err, err_len, "block: must be an object (got %s)", type_name(block));
		return -EINVAL;
	}
	if (!json_object_object_get_ex(block, "type", &type) ||
	    !json_object_is_type(type, json_type_string)) {
		set_err(err, err_len, "block: \"type\" must be a string");
		return -EINVAL;
	}
	name = block_name(block);
	if (!name || !name[0]) {
		set_err(err, err_len, "block: \"name\" must be a non-empty string");
		return -EINVAL;
	}
	return 0;
}

/* The pipeline array of doc, created when missing; NULL with a message
 * when "pipeline" is something else. */
static json_object *pipeline_for_add(json_object *doc, char *err, size_t err_len)
{
	json_object *pl;

	if (json_object_object_get_ex(doc, "pipeline", &pl)) {
		if (json_object_is_type(pl, json_type_array))
			return pl;
		set_err(err, err_len, "/pipeline is %s, not an array", type_name(pl));
		return NULL;
	}
	pl = json_object_new_array();
	if (!pl || json_object_object_add(doc, "pipeline", pl) < 0) {
		json_object_put(pl);
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	return pl;
}

/* Where effect_add puts the new block: 0..len. */
static int insert_position(json_object *pl, const char *before, const char *after,
			   int index, size_t *ret, char *err, size_t err_len)
{
	size_t len = json_object_array_length(pl);
	int at;

	if ((before != NULL) + (after != NULL) + (index != -1) > 1) {
		set_err(err, err_len, "give at most one of before, after and index");
		return -EINVAL;
	}
	if (before || after) {
		at = block_index(pl, before ? before : after);
		if (at < 0) {
			no_such_block(pl, before ? before : after, err, err_len);
			prefix_err(err, err_len, "%s", before ? "before" : "after");
			return at;
		}
		*ret = (size_t)at + (after ? 1 : 0);
		return 0;
	}
	if (index == -1) {
		*ret = len;
		return 0;
	}
	if (index < 0 || (size_t)index > len) {
		set_err(err, err_len, "index %d is out of range (the pipeline has %zu block%s: 0..%zu)",
			index, len, len == 1 ? "" : "s", len);
		return -EINVAL;
	}
	*ret = (size_t)index;
	return 0;
}

int config_edit_effect_add(json_object *doc, json_object *block, const char *before,
			   const char *after, int index, char *err, size_t err_len)
{
	json_object *pl, *copy;
	size_t at;
	int r, dup;

	if (!json_object_is_type(doc, json_type_object))
		return refuse_root(err, err_len);
	r = check_new_block(block, err, err_len);
	if (r < 0)
		return r;
	pl = pipeline_for_add(doc, err, err_len);
	if (!pl)
		return -EINVAL;
	if (json_object_array_length(pl) >= CONFIG_EDIT_MAX_BLOCKS) {
		set_err(err, err_len, "the pipeline already has %zu blocks (at most %d)",
			json_object_array_length(pl), CONFIG_EDIT_MAX_BLOCKS);
		return -E2BIG;
	}
	dup = block_index(pl, block_name(block));
	if (dup >= 0) {
		set_err(err, err_len, "a block named \"%s\" already exists (at /pipeline/%d)",
			block_name(block), dup);
		return -EEXIST;
	}
	r = insert_position(pl, before, after, index, &at, err, err_len);
	if (r < 0)
		return r;
	r = deep_copy(block, &copy, err, err_len);
	if (r == 0 && array_insert(pl, at, copy) < 0) {
		set_err(err, err_len, "out of memory");
		r = -ENOMEM;
	}
	return r;
}

/* The block object named name, and its index. */
static int find_block_object(json_object *doc, const char *name, json_object **ret,
			     char *err, size_t err_len)
{
	int idx = config_edit_find_block(doc, name, err, err_len);

	if (idx >= 0)
		*ret = json_object_array_get_idx(pipeline_of(doc), (size_t)idx);
	return idx;
}

int config_edit_effect_remove(json_object *doc, const char *name, char *err, size_t err_len)
{
	int idx = config_edit_find_block(doc, name, err, err_len);

	if (idx < 0)
		return idx;
	json_object_array_del_idx(pipeline_of(doc), (size_t)idx, 1);
	return 0;
}

int config_edit_effect_bypass(json_object *doc, const char *name, bool bypass,
			      char *err, size_t err_len)
{
	json_object *block, *flag;
	int idx = find_block_object(doc, name, &block, err, err_len);

	if (idx < 0)
		return idx;
	if (!bypass) {
		json_object_object_del(block, "bypass");
		return 0;
	}
	flag = json_object_new_boolean(1);
	if (!flag || json_object_object_add(block, "bypass", flag) < 0) {
		json_object_put(flag);
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The key of effect.set as a pointer: the leading "/" is optional. */
static int set_key_pointer(const char *key, char **ret_text, struct jptr *ret,
			   char *err, size_t err_len)
{
	int r;

	if (key[0] == '\0' || strcmp(key, "/") == 0) {
		set_err(err, err_len, "values: an empty key names no member");
		return -EINVAL;
	}
	*ret_text = malloc(strlen(key) + 2);
	if (!*ret_text) {
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	sprintf(*ret_text, "%s%s", key[0] == '/' ? "" : "/", key);
	r = jptr_parse(*ret_text, ret, err, err_len);
	if (r < 0) {
		prefix_err(err, err_len, "values \"%s\"", key);
		free(*ret_text);
		return r;
	}
	ret->root = "the block";
	if (strcmp(ret->tok[0], "type") == 0 || strcmp(ret->tok[0], "name") == 0) {
		set_err(err, err_len, "values: \"%s\" cannot be changed (%s)", ret->tok[0],
			ret->tok[0][0] == 't' ? "remove the block and add a new one"
					      : "remove the block and add it under the new name");
		jptr_free(ret);
		free(*ret_text);
		return -EINVAL;
	}
	return 0;
}

static int set_one(json_object *block, const char *block_nm, const char *key,
		   json_object *value, char *err, size_t err_len)
{
	struct jptr p;
	char *text;
	json_object *copy;
	int r = set_key_pointer(key, &text, &p, err, err_len);

	if (r < 0)
		return r;
	r = deep_copy(value, &copy, err, err_len);
	if (r == 0)
		r = put_at(block, &p, copy, PUT_SET, err, err_len);
	if (r < 0)
		prefix_err(err, err_len, "values \"%s\" of block \"%s\"", key, block_nm);
	jptr_free(&p);
	free(text);
	return r;
}

static int check_values(json_object *values, char *err, size_t err_len)
{
	int n;

	if (!json_object_is_type(values, json_type_object)) {
		set_err(err, err_len, "values: must be an object of pointer: value (got %s)",
			type_name(values));
		return -EINVAL;
	}
	n = json_object_object_length(values);
	if (n == 0) {
		set_err(err, err_len, "values: empty (give at least one member to set)");
		return -EINVAL;
	}
	if (n > CONFIG_EDIT_MAX_VALUES) {
		set_err(err, err_len, "values: %d members (at most %d in one change)",
			n, CONFIG_EDIT_MAX_VALUES);
		return -E2BIG;
	}
	return 0;
}

int config_edit_effect_set(json_object *doc, const char *name, json_object *values,
			   char *err, size_t err_len)
{
	json_object *block;
	int r = check_values(values, err, err_len);

	if (r < 0)
		return r;
	r = find_block_object(doc, name, &block, err, err_len);
	if (r < 0)
		return r;
	json_object_object_foreach(values, key, value) {
		r = set_one(block, name, key, value, err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}
