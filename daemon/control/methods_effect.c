/* methods_effect.c - effect.add, effect.remove, effect.bypass, effect.set,
 * config.patch and batch: edits of the running configuration.  Each edits
 * a copy of the active configuration document (config_edit.h); the result
 * is validated and applied as one change (change.c): a batch of edits
 * reaches the audio at one period boundary, or not at all.  Control thread
 * only. */
#include "methods.h"
#include "build.h"
#include "change.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_edit.h"
#include "json_patch.h"


/* Validate and apply an edited copy of the active document (taken). */
static int apply_edited(struct ctl_context *ctx, struct ctl_session *session,
                 const struct rpc_request *req, json_object *doc,
                 const struct ctl_origin *by, json_object **ret, struct rpc_error *err)
{
	static struct ctl_next_config next;
	static struct cfg_errors errs;
	struct ctl_change_result res;
	/* with the request, a large pipeline is built off the loop and
	 * answered when done; without (a fader), at once */
	struct ctl_reply reply = { session, req ? req->id : NULL, req && req->has_id, "",
	                           change_answer, req && req->in_batch };
	int r;

	memset(next.path, 0, sizeof(next.path));
	r = ctl_next_from_json(doc, by->method, "edit", &next, &errs);
	if (r < 0) {
		ctl_config_rejected(ctx, by, by->method, &errs, r);
		json_object_put(next.json);
		return config_rejected(ctx, &errs, r, by->method, err);
	}
	snprintf(reply.path, sizeof(reply.path), "%s", by->method);
	if ((r = ctl_apply_config_for(ctx, &next, by, req ? &reply : NULL, &errs, &res)) < 0)
		return config_rejected(ctx, &errs, r, by->method, err);
	if (r == METHOD_DEFERRED)
		return r;
	*ret = change_result_json(ctx, &res);
	return 0;
}

/* An edit that could not be made (msg says why): logged, notified, RPC_CONFIG_REJECTED. */
static int edit_rejected(struct ctl_context *ctx, const struct ctl_origin *by,
                  const char *msg, int r, struct rpc_error *err)
{
	static struct cfg_errors errs;

	errs.count = 1;
	snprintf(errs.msg[0], sizeof(errs.msg[0]), "%s: %s", by->method, msg);
	ctl_config_rejected(ctx, by, by->method, &errs, r);
	return config_rejected(ctx, &errs, r, by->method, err);
}

/* One edit of doc.  Returns 0; -EINVAL with err set when the request is
 * malformed; or another -errno with msg saying why the edit cannot be
 * made.  what: a short summary ("effect.set eq1"). */
typedef int (*edit_fn)(json_object *doc, json_object *params, char *what,
                       size_t what_len, char *msg, size_t msg_len,
                       struct json_patch_limits *lim, struct rpc_error *err);

/* What the patches of one request may do: JSON_PATCH_MAX_OPS ops in all
 * (one config.patch, or every config.patch of a batch together), and the
 * document stays within CFG_MAX_FILE_BYTES and CONFIG_EDIT_MAX_NODES, and
 * grows by CONFIG_EDIT_MAX_GROWTH at most, checked after every op. */
static struct json_patch_limits request_limits(void)
{
	return (struct json_patch_limits){
		.max_bytes = CFG_MAX_FILE_BYTES,
		.max_growth = CONFIG_EDIT_MAX_GROWTH,
		.max_nodes = CONFIG_EDIT_MAX_NODES,
		.max_ops = JSON_PATCH_MAX_OPS,
	};
}

static int name_param(json_object *params, const char *key, bool required,
                      const char **out, struct rpc_error *err)
{
	json_object *v;

	*out = NULL;
	if (!params || !json_object_object_get_ex(params, key, &v)) {
		if (!required)
			return 0;
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "required: a block name");
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "must be a block name (a non-empty string)");
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

static int edit_add(json_object *doc, json_object *params, char *what,
                    size_t what_len, char *msg, size_t msg_len,
                    struct json_patch_limits *lim, struct rpc_error *err)
{
	json_object *block = NULL, *index_obj = NULL, *name;
	const char *before, *after;
	int index = -1, r;

	if (!params || !json_object_object_get_ex(params, "block", &block) ||
	    !json_object_is_type(block, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "block",
		              "required: the block, an object with \"type\" and \"name\"");
		return -EINVAL;
	}
	if ((r = name_param(params, "before", false, &before, err)) < 0 ||
	    (r = name_param(params, "after", false, &after, err)) < 0)
		return r;
	if (json_object_object_get_ex(params, "index", &index_obj)) {
		if (!json_object_is_type(index_obj, json_type_int) ||
		    json_object_get_int64(index_obj) < 0 ||
		    json_object_get_int64(index_obj) > CONFIG_EDIT_MAX_BLOCKS) {
			rpc_error_set(err, RPC_INVALID_PARAMS, "index",
			              "must be an integer from 0 to %d", CONFIG_EDIT_MAX_BLOCKS);
			return -EINVAL;
		}
		index = (int)json_object_get_int64(index_obj);
	}
	snprintf(what, what_len, "effect.add %.60s",
	         json_object_object_get_ex(block, "name", &name) &&
	         json_object_is_type(name, json_type_string)
	         ? json_object_get_string(name) : "?");
	return config_edit_effect_add(doc, block, before, after, index, msg, msg_len);
}

static int edit_remove(json_object *doc, json_object *params, char *what,
                       size_t what_len, char *msg, size_t msg_len,
                       struct json_patch_limits *lim, struct rpc_error *err)
{
	const char *name;
	int r = name_param(params, "name", true, &name, err);

	if (r < 0)
		return r;
	snprintf(what, what_len, "effect.remove %.60s", name);
	return config_edit_effect_remove(doc, name, msg, msg_len);
}

static int edit_bypass(json_object *doc, json_object *params, char *what,
                       size_t what_len, char *msg, size_t msg_len,
                       struct json_patch_limits *lim, struct rpc_error *err)
{
	const char *name;
	bool bypass = true;
	int r = name_param(params, "name", true, &name, err);

	if (r < 0 || (r = proto_param_bool(params, "bypass", false, &bypass, err)) < 0)
		return r;
	snprintf(what, what_len, "effect.bypass %.60s %s", name, bypass ? "on" : "off");
	return config_edit_effect_bypass(doc, name, bypass, msg, msg_len);
}

static int edit_set(json_object *doc, json_object *params, char *what,
                    size_t what_len, char *msg, size_t msg_len,
                    struct json_patch_limits *lim, struct rpc_error *err)
{
	json_object *values = NULL;
	const char *name;
	int r = name_param(params, "name", true, &name, err);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(params, "values", &values) ||
	    !json_object_is_type(values, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "values",
		              "required: an object of {\"key or /json/pointer\": value}");
		return -EINVAL;
	}
	snprintf(what, what_len, "effect.set %.60s", name);
	return config_edit_effect_set(doc, name, values, msg, msg_len);
}

static int edit_patch(json_object *doc, json_object *params, char *what,
                      size_t what_len, char *msg, size_t msg_len,
                      struct json_patch_limits *lim, struct rpc_error *err)
{
	json_object *ops = NULL;

	if (!params || !json_object_object_get_ex(params, "ops", &ops) ||
	    !json_object_is_type(ops, json_type_array)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "ops",
		              "required: an array of JSON Patch (RFC 6902) operations");
		return -EINVAL;
	}
	snprintf(what, what_len, "config.patch (%zu ops)", json_object_array_length(ops));
	return json_patch_apply_limited(doc, ops, lim, msg, msg_len);
}

static const char *const p_add[] = { "block", "before", "after", "index", NULL };
static const char *const p_remove[] = { "name", NULL };
static const char *const p_bypass[] = { "name", "bypass", NULL };
static const char *const p_set[] = { "name", "values", NULL };
static const char *const p_patch[] = { "ops", NULL };

static const struct edit {
	const char *method;
	edit_fn fn;
	const char *const *params;
} edits[] = {
	{ PROTO_METHOD_EFFECT_ADD, edit_add, p_add },
	{ PROTO_METHOD_EFFECT_REMOVE, edit_remove, p_remove },
	{ PROTO_METHOD_EFFECT_BYPASS, edit_bypass, p_bypass },
	{ PROTO_METHOD_EFFECT_SET, edit_set, p_set },
	{ PROTO_METHOD_CONFIG_PATCH, edit_patch, p_patch },
};

static const struct edit *find_edit(const char *method)
{
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		if (strcmp(edits[i].method, method) == 0)
			return &edits[i];
	return NULL;
}

static json_object *copy_of_active(struct ctl_context *ctx)
{
	json_object *doc = NULL;

	if (json_object_deep_copy(ctx->config.json, &doc, NULL) < 0)
		return NULL;
	return doc;
}

/* effect.add, effect.remove, effect.bypass, effect.set, config.patch:
 * one edit, as its own method. */
int handle_edit(struct ctl_context *ctx, struct ctl_session *session,
                  const struct rpc_request *req, json_object **ret,
                  struct rpc_error *err)
{
	const struct edit *e = find_edit(req->method);
	struct json_patch_limits lim = request_limits();
	struct ctl_origin by;
	char msg[320] = "";
	json_object *doc = copy_of_active(ctx);
	int r;

	if (!doc)
		return -ENOMEM;
	origin_init(&by, session, e->method, "%s", e->method);
	r = e->fn(doc, req->params, by.what, sizeof(by.what), msg, sizeof(msg), &lim, err);
	if (r < 0) {
		json_object_put(doc);
		return err->code ? r : edit_rejected(ctx, &by, msg, r, err);
	}
	return apply_edited(ctx, session, req, doc, &by, ret, err);
}

int edit_block_values(struct ctl_context *ctx, struct ctl_session *session,
                      const char *method, const char *name, json_object *values,
                      json_object **ret, struct rpc_error *err)
{
	struct ctl_origin by;
	char msg[320] = "";
	json_object *doc = copy_of_active(ctx);
	int r;

	if (!doc)
		return -ENOMEM;
	origin_init(&by, session, method, "%s %.60s", method, name);
	if ((r = config_edit_effect_set(doc, name, values, msg, sizeof(msg))) < 0) {
		json_object_put(doc);
		return edit_rejected(ctx, &by, msg, r, err);
	}
	return apply_edited(ctx, session, NULL, doc, &by, ret, err);
}

/* Put "change N (method): " in front of a params error of change i. */
static void name_change(struct rpc_error *err, size_t i, const char *method)
{
	char detail[sizeof(err->field) + sizeof(err->reason) + 2];

	snprintf(detail, sizeof(detail), "%s%s%s", err->field, err->field[0] ? ": " : "",
	         err->reason);
	rpc_error_set(err, err->code, "changes", "change %zu (%s): %.200s", i + 1,
	              method, detail);
}

/* Check change i's shape: {"method": an edit, "params": {...}}. */
static const struct edit *batch_entry(json_object *change, size_t i,
                                      json_object **params, struct rpc_error *err)
{
	json_object *m = NULL;
	const struct edit *e;

	*params = NULL;
	if (!json_object_is_type(change, json_type_object) ||
	    !json_object_object_get_ex(change, "method", &m) ||
	    !json_object_is_type(m, json_type_string)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "changes",
		              "change %zu must be {\"method\": ..., \"params\": {...}}", i + 1);
		return NULL;
	}
	e = find_edit(json_object_get_string(m));
	if (!e) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "changes",
		              "change %zu: %.60s cannot be batched (effect.add, effect.remove, "
		              "effect.bypass, effect.set and config.patch can)", i + 1,
		              json_object_get_string(m));
		return NULL;
	}
	json_object_object_get_ex(change, "params", params);
	if (*params && !json_object_is_type(*params, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "changes",
		              "change %zu (%s): params must be an object", i + 1, e->method);
		return NULL;
	}
	if (proto_params_only(*params, e->params, err) < 0) {
		name_change(err, i, e->method);
		return NULL;
	}
	return e;
}

/* "batch of 3: effect.set eq; effect.remove x" while it fits. */
static void append_what(struct ctl_origin *by, size_t i, const char *what)
{
	size_t used = strlen(by->what), len = strlen(what);

	if (used + len + 3 >= sizeof(by->what))
		return;
	by->what[used++] = i ? ';' : ':';
	by->what[used++] = ' ';
	memcpy(by->what + used, what, len + 1);
}

int handle_batch(struct ctl_context *ctx, struct ctl_session *session,
                 const struct rpc_request *req, json_object **ret,
                 struct rpc_error *err)
{
	json_object *changes = NULL, *doc;
	struct json_patch_limits lim = request_limits();
	struct ctl_origin by;
	size_t n;

	if (!req->params || !json_object_object_get_ex(req->params, "changes", &changes) ||
	    !json_object_is_type(changes, json_type_array) ||
	    (n = json_object_array_length(changes)) == 0 || n > PROTO_BATCH_MAX_CHANGES) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "changes",
		              "required: an array of 1 to %d changes", PROTO_BATCH_MAX_CHANGES);
		return -EINVAL;
	}
	if (!(doc = copy_of_active(ctx)))
		return -ENOMEM;
	origin_init(&by, session, PROTO_METHOD_BATCH, "batch of %zu", n);
	for (size_t i = 0; i < n; i++) {
		json_object *params;
		const struct edit *e = batch_entry(json_object_array_get_idx(changes, i),
		                                   i, &params, err);
		char what[160], msg[320] = "", full[400];
		int r;

		if (!e) {
			json_object_put(doc);
			return -EINVAL;
		}
		r = e->fn(doc, params, what, sizeof(what), msg, sizeof(msg), &lim, err);
		if (r < 0 && err->code)
			name_change(err, i, e->method);
		if (r < 0) {
			json_object_put(doc);
			snprintf(full, sizeof(full), "change %zu (%.100s): %.280s", i + 1, what, msg);
			return err->code ? r : edit_rejected(ctx, &by, full, r, err);
		}
		append_what(&by, i, what);
	}
	return apply_edited(ctx, session, req, doc, &by, ret, err);
}
