/* methods_config.c - config.get, config.validate, config.reload and
 * config.load, and what every changing method answers (the change result,
 * or RPC_CONFIG_REJECTED with every error).  A configuration is always
 * validated completely before anything changes; applying it is change.c's.
 * Control thread only. */
#include "methods.h"
#include "build.h"
#include "change.h"
#include "ir_policy.h"
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_files.h"
#include "config_diff.h"
#include "transition.h"

static json_object *errors_json(const struct cfg_errors *errs, int r,
                                const char *path)
{
	json_object *arr = json_object_new_array();
	unsigned shown = errs->count < CFG_MAX_ERRORS ? errs->count : CFG_MAX_ERRORS;

	for (unsigned i = 0; i < shown; i++) {
		char msg[sizeof(errs->msg[i])];

		snprintf(msg, sizeof(msg), "%s", errs->msg[i]);
		proto_utf8_scrub(msg);
		json_object_array_add(arr, json_object_new_string(msg));
	}
	if (errs->count == 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: %s", path ? path : "config", strerror(-r));
		json_object_array_add(arr, json_object_new_string(msg));
	}
	return arr;
}

int config_rejected(struct ctl_context *ctx, const struct cfg_errors *errs,
                    int r, const char *path, struct rpc_error *err)
{
	json_object *running = json_object_new_object();

	rpc_error_set(err, RPC_CONFIG_REJECTED, NULL, "rejected");
	err->data = json_object_new_object();
	json_object_object_add(err->data, "errors", errors_json(errs, r, path));
	json_object_object_add(running, "path", json_object_new_string(ctx->config.path));
	json_object_object_add(running, "sha256", json_object_new_string(ctx->config.sha256));
	json_object_object_add(err->data, "running", running);
	return r < 0 ? r : -EINVAL;
}

void change_answer(struct ctl_context *ctx, const struct ctl_reply *reply, int r,
                   const struct cfg_errors *errs, const struct ctl_change_result *res)
{
	struct rpc_error err = { .data = NULL };
	char *line;

	if (r == 0) {
		line = proto_result_line(reply->id, change_result_json(ctx, res));
	} else {
		config_rejected(ctx, errs, r, reply->path, &err);
		line = proto_error_line(reply->id, &err);
	}
	ctl_session_send(reply->session, line);
}

void origin_init(struct ctl_origin *by, const struct ctl_session *session,
                 const char *method, const char *fmt, ...)
{
	va_list ap;

	by->method = method;
	by->session = session;
	va_start(ap, fmt);
	vsnprintf(by->what, sizeof(by->what), fmt, ap);
	va_end(ap);
}

int handle_config_get(struct ctl_context *ctx, struct ctl_session *session,
                      const struct rpc_request *req, json_object **ret,
                      struct rpc_error *err)
{
	json_object *o = json_object_new_object();

	config_identity_add(ctx, o);
	json_object_object_add(o, "config", json_object_get(ctx->config.json));
	*ret = o;
	return 0;
}

static int string_param(const struct rpc_request *req, const char *key,
                        const char **out, struct rpc_error *err)
{
	json_object *v;

	*out = NULL;
	if (!req->params || !json_object_object_get_ex(req->params, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "must be a non-empty string");
		return -EINVAL;
	}
	if (json_object_get_string(v)[0] != '/') {
		rpc_error_set(err, RPC_INVALID_PARAMS, key,
		              "must be an absolute path (the daemon's working directory is not yours)");
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* A file the client named that it could not read itself: one message for
 * every reason (missing, unreadable, not a regular file), so that the
 * answer says nothing of the file's content, size or existence. */
static void unreadable(const char *path, struct cfg_errors *errs)
{
	errs->count = 1;
	snprintf(errs->msg[0], sizeof(errs->msg[0]), "cannot read a config at %.280s", path);
}

/* config.validate: exactly one of "path" (control socket only), "config"
 * (an object) and "text" (a configuration's text, comments allowed; as
 * config.load's).  The same checks on both sockets, the pipeline built at
 * every rate included. */
int handle_config_validate(struct ctl_context *ctx, struct ctl_session *session,
                           const struct rpc_request *req, json_object **ret,
                           struct rpc_error *err)
{
	static struct cfg_errors errs;
	static struct dspd_config scratch;
	json_object *inline_cfg = NULL, *text = NULL, *o;
	const char *path, *origin = "inline";
	int r;

	if ((r = string_param(req, "path", &path, err)) < 0)
		return r;
	if (path && session->read_only) {
		/* the monitor socket is open to everyone: reading files on
		 * their behalf would tell what they may not know */
		rpc_error_set(err, RPC_PERMISSION_DENIED, "path",
		              "the monitor socket validates inline configurations "
		              "only (give \"config\" or \"text\")");
		return -EPERM;
	}
	if (req->params) {
		json_object_object_get_ex(req->params, "config", &inline_cfg);
		json_object_object_get_ex(req->params, "text", &text);
	}
	if (!!path + !!inline_cfg + !!text != 1) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "path",
		              "give exactly one of \"path\", \"config\" and \"text\"");
		return -EINVAL;
	}
	if (text && !json_object_is_type(text, json_type_string)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "text", "must be a string (a configuration)");
		return -EINVAL;
	}
	if (path) {
		origin = path;
		if (!ctl_client_may_read(session, path)) {
			unreadable(path, &errs);
			r = -EACCES;
		} else {
			r = config_load_file(path, &scratch, &errs);
		}
	} else if (text) {
		r = config_load_string(json_object_get_string(text),
		                       (size_t)json_object_get_string_len(text),
		                       "inline", &scratch, &errs);
	} else {
		const char *t = json_object_to_json_string_ext(inline_cfg, JSON_C_TO_STRING_PLAIN);

		r = config_load_string(t, strlen(t), "inline", &scratch, &errs);
	}
	/* the blocks' own checks read files (FIR), on both sockets alike:
	 * only files a client may name (ir_policy.h) */
	if (r == 0)
		r = ctl_ir_policy_check(ctx, path, &scratch, origin, &errs);
	if (r == 0 && !ctl_ir_policy_is_trusted_file(ctx, path))
		r = ctl_ir_policy_check_eq_reader(ctx, session, &scratch, origin, &errs);
	if (r == 0)
		r = ctl_check_pipeline(&scratch, origin, &errs);
	o = json_object_new_object();
	json_object_object_add(o, "valid", json_object_new_boolean(r == 0));
	if (r < 0)
		json_object_object_add(o, "errors", errors_json(&errs, r, path));
	*ret = o;
	return 0;
}

/* config.reload PATH and config.load PATH: a file the client could not
 * read itself is refused with the one generic message. */
static int refuse_unreadable(struct ctl_context *ctx, const struct ctl_origin *by,
                             const char *path, struct rpc_error *err)
{
	static struct cfg_errors errs;

	unreadable(path, &errs);
	ctl_config_rejected(ctx, by, path, &errs, -EACCES);
	return config_rejected(ctx, &errs, -EACCES, path, err);
}

int handle_config_reload(struct ctl_context *ctx, struct ctl_session *session,
                         const struct rpc_request *req, json_object **ret,
                         struct rpc_error *err)
{
	static struct cfg_errors errs;
	struct ctl_change_result res;
	struct ctl_origin by;
	const char *path;
	int r;

	if ((r = string_param(req, "path", &path, err)) < 0)
		return r;
	origin_init(&by, session, PROTO_METHOD_CONFIG_RELOAD, "config.reload %.140s",
	            path ? path : ctx->config.path);
	if (path && !ctl_client_may_read(session, path))
		return refuse_unreadable(ctx, &by, path, err);
	r = ctx->ops.reload(ctx, path, &by, &errs, &res);
	if (r < 0)
		return config_rejected(ctx, &errs, r, path ? path : ctx->config.path, err);
	*ret = change_result_json(ctx, &res);
	return 0;
}

/* config.load: a whole configuration from a file, an object or text. */
int handle_config_load(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req, json_object **ret,
                       struct rpc_error *err)
{
	static struct ctl_next_config next;
	static struct cfg_errors errs;
	struct ctl_change_result res;
	json_object *obj = NULL, *text = NULL;
	struct ctl_origin by;
	const char *path;
	int r, given;

	if ((r = string_param(req, "path", &path, err)) < 0)
		return r;
	if (req->params) {
		json_object_object_get_ex(req->params, "config", &obj);
		json_object_object_get_ex(req->params, "text", &text);
	}
	given = !!path + !!obj + !!text;
	if (given != 1) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "path",
		              "give exactly one of \"path\", \"config\" and \"text\"");
		return -EINVAL;
	}
	if (path) {
		origin_init(&by, session, PROTO_METHOD_CONFIG_LOAD, "config.load %.140s", path);
		if (!ctl_client_may_read(session, path))
			return refuse_unreadable(ctx, &by, path, err);
		r = ctx->ops.reload(ctx, path, &by, &errs, &res);
		if (r < 0)
			return config_rejected(ctx, &errs, r, path, err);
		*ret = change_result_json(ctx, &res);
		return 0;
	}
	if (obj && !json_object_is_type(obj, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "config", "must be an object (a configuration)");
		return -EINVAL;
	}
	if (text && !json_object_is_type(text, json_type_string)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "text", "must be a string (a configuration)");
		return -EINVAL;
	}
	origin_init(&by, session, PROTO_METHOD_CONFIG_LOAD, "config.load (inline)");
	memset(next.path, 0, sizeof(next.path));
	snprintf(next.path, sizeof(next.path), "inline");
	if (obj)
		r = ctl_next_from_json(json_object_get(obj), "inline", "inline", &next, &errs);
	else
		r = ctl_next_from_text(json_object_get_string(text),
		                       (size_t)json_object_get_string_len(text), "inline",
		                       "inline", &next, &errs);
	if (r < 0) {
		json_object_put(next.json);
		ctl_config_rejected(ctx, &by, "inline", &errs, r);
		return config_rejected(ctx, &errs, r, "inline", err);
	}
	/* a large pipeline is built off the loop, answered when done */
	if ((r = ctl_apply_config_for(ctx, &next, &by, &(struct ctl_reply){
	                              session, req->id, req->has_id, "inline",
	                              change_answer, req->in_batch }, &errs, &res)) < 0)
		return config_rejected(ctx, &errs, r, "inline", err);
	if (r == METHOD_DEFERRED)
		return r;
	*ret = change_result_json(ctx, &res);
	return 0;
}
