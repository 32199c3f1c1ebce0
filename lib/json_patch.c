/* json_patch.c - RFC 6902 JSON Patch: json_patch_apply() (json_patch.h),
 * its op table and the readers of one operation.  Control thread only; the
 * pointers it walks come from json_pointer.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "json_patch.h"
#include "json_pointer.h"

struct patch_op {
	const char *name;
	struct jptr path;
	struct jptr from;    /* move, copy */
	json_object *value;  /* add, replace, test (borrowed from ops) */
};

/* add and replace: a copy of the op's value stored at its path. */
static int put_value_copy(json_object *doc, struct patch_op *op, enum jptr_put_mode mode,
			  char *err, size_t err_len)
{
	json_object *copy;
	int r;

	if (op->path.n == 0)
		return jptr_refuse_root(err, err_len);
	r = json_copy_value(op->value, &copy, err, err_len);
	return r < 0 ? r : jptr_put(doc, &op->path, copy, mode, err, err_len);
}

static int op_add(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	return put_value_copy(doc, op, JPTR_PUT_ADD, err, err_len);
}

static int op_remove(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *gone;
	int r;

	if (op->path.n == 0)
		return jptr_refuse_root(err, err_len);
	r = jptr_take(doc, &op->path, &gone, err, err_len);
	if (r == 0)
		json_object_put(gone);
	return r;
}

static int op_replace(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	return put_value_copy(doc, op, JPTR_PUT_REPLACE, err, err_len);
}

static int op_test(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	char have[JPTR_VALUE_MAX_CHARS + 4], want[JPTR_VALUE_MAX_CHARS + 4];
	json_object *cur;
	int r = jptr_resolve(doc, &op->path, op->path.n, &cur, err, err_len);

	if (r < 0)
		return r;
	if (json_equal(cur, op->value))
		return 0;
	json_quote_value(cur, have, sizeof(have));
	json_quote_value(op->value, want, sizeof(want));
	jptr_set_err(err, err_len, "test failed: the value at %s%s is %s, not %s",
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
		return jptr_refuse_root(err, err_len);
	if (is_proper_prefix(&op->from, &op->path)) {
		jptr_set_err(err, err_len, "cannot move %s into its own child %s",
			op->from.text, op->path.text);
		return -EINVAL;
	}
	if (same_location(&op->from, &op->path))
		return jptr_resolve(doc, &op->from, op->from.n, &v, err, err_len);
	r = jptr_take(doc, &op->from, &v, err, err_len);
	if (r < 0) {
		jptr_prefix_err(err, err_len, "from");
		return r;
	}
	return jptr_put(doc, &op->path, v, JPTR_PUT_ADD, err, err_len);
}

static int op_copy(json_object *doc, struct patch_op *op, char *err, size_t err_len)
{
	json_object *src, *copy;
	int r;

	if (op->path.n == 0)
		return jptr_refuse_root(err, err_len);
	r = jptr_resolve(doc, &op->from, op->from.n, &src, err, err_len);
	if (r < 0) {
		jptr_prefix_err(err, err_len, "from");
		return r;
	}
	r = json_copy_value(src, &copy, err, err_len);
	return r < 0 ? r : jptr_put(doc, &op->path, copy, JPTR_PUT_ADD, err, err_len);
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
		jptr_set_err(err, err_len, "missing \"%s\"", key);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		jptr_set_err(err, err_len, "\"%s\" must be a string (got %s)", key, json_type_phrase(v));
		return -EINVAL;
	}
	return jptr_parse(json_object_get_string(v), ret, err, err_len);
}

static int read_op_kind(json_object *o, const struct op_kind **ret,
			char *err, size_t err_len)
{
	const char *name;

	if (!json_object_is_type(o, json_type_object)) {
		jptr_set_err(err, err_len, "an operation must be an object (got %s)", json_type_phrase(o));
		return -EINVAL;
	}
	name = json_string_member(o, "op");
	if (!name) {
		jptr_set_err(err, err_len, "missing \"op\" (add, remove, replace, test, move or copy)");
		return -EINVAL;
	}
	*ret = find_op_kind(name);
	if (!*ret) {
		jptr_set_err(err, err_len, "unknown op \"%s\" (add, remove, replace, test, move or copy)",
			name);
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
		jptr_prefix_err(err, err_len, "op %zu (%s)", i, kind->name);
		return r;
	}
	if (kind->needs_value && !json_object_object_get_ex(o, "value", &op->value)) {
		jptr_set_err(err, err_len, "op %zu (%s %s): missing \"value\"", i, kind->name, op->path.text);
		return -EINVAL;
	}
	if (kind->needs_from) {
		r = pointer_member(o, "from", &op->from, err, err_len);
		if (r < 0) {
			jptr_prefix_err(err, err_len, "op %zu (%s %s)", i, kind->name, op->path.text);
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
		jptr_prefix_err(err, err_len, "op %zu", i);
		return r;
	}
	r = read_op(o, i, kind, &op, err, err_len);
	if (r == 0) {
		r = kind->apply(doc, &op, err, err_len);
		if (r < 0 && kind->needs_from)
			jptr_prefix_err(err, err_len, "op %zu (%s %s to %s)", i, kind->name,
					op.from.text, op.path.text);
		else if (r < 0)
			jptr_prefix_err(err, err_len, "op %zu (%s %s)", i, kind->name, op.path.text);
	}
	jptr_free(&op.path);
	jptr_free(&op.from);
	return r;
}

/* ---- limits ---- */

struct measure {
	size_t bytes, nodes, max_bytes, max_nodes;
};

static size_t int_chars(int64_t v)
{
	size_t n = v < 0 ? 2 : 1;

	while (v / 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Depth is bounded by the parsers that built v (PROTO_MAX_DEPTH, the
 * config's own) and by jptr_put, which only adds one value at a time. */
static bool measure(json_object *v, struct measure *m)
{
	if (++m->nodes > m->max_nodes)
		return false;
	switch (json_object_get_type(v)) {
	case json_type_null:
		m->bytes += 4;
		break;
	case json_type_boolean:
		m->bytes += 5;
		break;
	case json_type_int:
		m->bytes += int_chars(json_object_get_int64(v));
		break;
	case json_type_double:
		m->bytes += 24;            /* "%.17g" at most */
		break;
	case json_type_string:
		m->bytes += (size_t)json_object_get_string_len(v) + 2;
		break;
	case json_type_array:
		m->bytes += 2;
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
			m->bytes++;
			if (!measure(json_object_array_get_idx(v, i), m))
				return false;
		}
		break;
	case json_type_object: {
		m->bytes += 2;
		json_object_object_foreach(v, key, val) {
			m->bytes += strlen(key) + 4;
			if (m->bytes > m->max_bytes || !measure(val, m))
				return false;
		}
		break;
	}
	}
	return m->bytes <= m->max_bytes;
}

int json_measure(json_object *v, size_t max_bytes, size_t max_nodes,
                 size_t *bytes, size_t *nodes)
{
	struct measure m = { 0, 0, max_bytes, max_nodes };
	bool ok = measure(v, &m);

	*bytes = m.bytes;
	*nodes = m.nodes;
	return ok ? 0 : -E2BIG;
}

/* The document as it is now within the limits (measured again). */
static int remeasure(json_object *doc, struct json_patch_limits *lim)
{
	return json_measure(doc, lim->max_bytes, lim->max_nodes, &lim->bytes, &lim->nodes);
}

static int too_big(const struct json_patch_limits *lim, size_t i, const char *what,
		   char *err, size_t err_len)
{
	jptr_set_err(err, err_len, "op %zu (%s): the configuration would pass %s%zu %s "
		     "(a patch may not grow it further)", i, what,
		     lim->nodes > lim->max_nodes ? "" : "about ",
		     lim->nodes > lim->max_nodes ? lim->max_nodes : lim->max_bytes,
		     lim->nodes > lim->max_nodes ? "values" : "bytes");
	return -E2BIG;
}

/* What op o adds, measured before it runs: the value of add and replace,
 * the source of copy (so that a copy past the limits is never made). */
static int growth_of(json_object *doc, json_object *o, struct json_patch_limits *lim,
		     size_t *bytes, size_t *nodes)
{
	json_object *v = NULL;
	const char *name = json_string_member(o, "op"), *from;

	*bytes = *nodes = 0;
	if (!name)
		return 0;
	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
		if (!json_object_object_get_ex(o, "value", &v))
			return 0;
	} else if (strcmp(name, "copy") == 0) {
		from = json_string_member(o, "from");
		if (!from || jptr_get(doc, from, &v, NULL, 0) < 0)
			return 0;       /* the op itself says what is wrong */
	} else {
		return 0;
	}
	return json_measure(v, lim->max_bytes, lim->max_nodes, bytes, nodes);
}

static bool over(const struct json_patch_limits *lim, size_t bytes, size_t nodes)
{
	return lim->bytes + bytes > lim->max_bytes || lim->nodes + nodes > lim->max_nodes;
}

static int apply_within(json_object *doc, json_object *o, size_t i,
			struct json_patch_limits *lim, char *err, size_t err_len)
{
	const char *name = json_string_member(o, "op");
	size_t bytes, nodes;
	int r = growth_of(doc, o, lim, &bytes, &nodes);

	if (r == 0 && over(lim, bytes, nodes))
		r = remeasure(doc, lim);
	if (r < 0 || over(lim, bytes, nodes)) {
		if (r < 0 || bytes > lim->max_bytes || nodes > lim->max_nodes) {
			lim->bytes = bytes;
			lim->nodes = nodes;
		} else {
			lim->bytes += bytes;
			lim->nodes += nodes;
		}
		return too_big(lim, i, name ? name : "?", err, err_len);
	}
	r = apply_one(doc, o, i, err, err_len);
	if (r < 0)
		return r;
	lim->bytes += bytes;
	lim->nodes += nodes;
	/* the bound only grows; measured again when it passes a limit */
	if (over(lim, 0, 0) && remeasure(doc, lim) < 0)
		return too_big(lim, i, name ? name : "?", err, err_len);
	return 0;
}

static int check_ops(json_object *doc, json_object *ops, size_t max_ops,
		     char *err, size_t err_len)
{
	size_t n;

	if (!json_object_is_type(doc, json_type_object))
		return jptr_refuse_root(err, err_len);
	if (!json_object_is_type(ops, json_type_array)) {
		jptr_set_err(err, err_len, "ops must be an array of operations (got %s)", json_type_phrase(ops));
		return -EINVAL;
	}
	n = json_object_array_length(ops);
	if (n > max_ops) {
		if (max_ops == JSON_PATCH_MAX_OPS)
			jptr_set_err(err, err_len, "op %zu: too many operations (%zu given, "
				     "at most %d in one patch)", max_ops, n, JSON_PATCH_MAX_OPS);
		else
			jptr_set_err(err, err_len, "op %zu: too many operations (%zu given, "
				     "%zu left: at most %d in one batch)", max_ops, n, max_ops,
				     JSON_PATCH_MAX_OPS);
		return -E2BIG;
	}
	return 0;
}

int json_patch_apply_limited(json_object *doc, json_object *ops,
                             struct json_patch_limits *lim,
                             char *err, size_t err_len)
{
	size_t n;
	int r = check_ops(doc, ops, lim->max_ops, err, err_len);

	if (r < 0)
		return r;
	if (lim->bytes == 0) {
		if (remeasure(doc, lim) < 0) {
			jptr_set_err(err, err_len, "the configuration is already past %zu "
				     "bytes or %zu values", lim->max_bytes, lim->max_nodes);
			return -E2BIG;
		}
		if (lim->max_growth && lim->bytes + lim->max_growth < lim->max_bytes)
			lim->max_bytes = lim->bytes + lim->max_growth;
	}
	n = json_object_array_length(ops);
	lim->max_ops -= n;
	for (size_t i = 0; i < n; i++) {
		r = apply_within(doc, json_object_array_get_idx(ops, i), i, lim, err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}

int json_patch_apply(json_object *doc, json_object *ops, char *err, size_t err_len)
{
	size_t n;
	int r = check_ops(doc, ops, JSON_PATCH_MAX_OPS, err, err_len);

	if (r < 0)
		return r;
	n = json_object_array_length(ops);
	for (size_t i = 0; i < n; i++) {
		r = apply_one(doc, json_object_array_get_idx(ops, i), i, err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}
