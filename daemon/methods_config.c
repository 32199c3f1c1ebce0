/* methods_config.c - config.get, config.validate and config.reload.  A
 * configuration is always validated completely before anything changes;
 * the switch itself is the daemon's (ctx->reload).  Control thread only. */
#include "methods_internal.h"
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int handle_config_get(struct ctl_context *ctx, struct ctl_session *session,
                      const struct rpc_request *req, json_object **ret,
                      struct rpc_error *err)
{
	json_object *o = json_object_new_object();
	char when[64];

	format_utc(ctx->config.loaded_at * 1000000000, when, sizeof(when));
	json_object_object_add(o, "path", json_object_new_string(ctx->config.path));
	json_object_object_add(o, "loaded_at", json_object_new_string(when));
	json_object_object_add(o, "sha256", json_object_new_string(ctx->config.sha256));
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

int handle_config_validate(struct ctl_context *ctx, struct ctl_session *session,
                           const struct rpc_request *req, json_object **ret,
                           struct rpc_error *err)
{
	static struct cfg_errors errs;
	static struct dspd_config scratch;
	json_object *inline_cfg = NULL, *o;
	const char *path;
	int r;

	if ((r = string_param(req, "path", &path, err)) < 0)
		return r;
	if (path && session->read_only) {
		/* the monitor socket is open to everyone: reading files on
		 * their behalf would leak what they may not read */
		rpc_error_set(err, RPC_PERMISSION_DENIED, "path",
		              "the monitor socket validates inline configurations "
		              "only (give \"config\")");
		return -EPERM;
	}
	if (req->params)
		json_object_object_get_ex(req->params, "config", &inline_cfg);
	if (!path == !inline_cfg) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "path", "give exactly one of \"path\" and \"config\"");
		return -EINVAL;
	}
	if (path) {
		r = config_load_file(path, &scratch, &errs);
	} else {
		const char *text = json_object_to_json_string_ext(inline_cfg, JSON_C_TO_STRING_PLAIN);

		r = config_load_string(text, strlen(text), "inline", &scratch, &errs);
	}
	/* the blocks' own checks read files (FIR): only for the control socket */
	if (r == 0 && !session->read_only)
		r = config_check_pipeline(&scratch, path ? path : "inline", &errs);
	o = json_object_new_object();
	json_object_object_add(o, "valid", json_object_new_boolean(r == 0));
	if (r < 0)
		json_object_object_add(o, "errors", errors_json(&errs, r, path));
	*ret = o;
	return 0;
}

int handle_config_reload(struct ctl_context *ctx, struct ctl_session *session,
                         const struct rpc_request *req, json_object **ret,
                         struct rpc_error *err)
{
	static struct cfg_errors errs;
	const char *path;
	bool changed = false;
	json_object *o;
	int r;

	if ((r = string_param(req, "path", &path, err)) < 0)
		return r;
	errs.count = 0;
	r = ctx->reload(ctx, path, &errs, &changed);
	if (r < 0) {
		rpc_error_set(err, RPC_CONFIG_REJECTED, NULL, "rejected");
		err->data = json_object_new_object();
		json_object_object_add(err->data, "errors",
		                       errors_json(&errs, r, path ? path : ctx->config.path));
		json_object_object_add(err->data, "running",
		                       json_object_new_string(ctx->config.path));
		return r;
	}
	o = json_object_new_object();
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_object_object_add(o, "path", json_object_new_string(ctx->config.path));
	json_object_object_add(o, "sha256", json_object_new_string(ctx->config.sha256));
	*ret = o;
	return 0;
}
