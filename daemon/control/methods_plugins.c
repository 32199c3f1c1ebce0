/* methods_plugins.c - "plugins": the LADSPA plugins dspd can host (the
 * search path of ladspa_host.h) with their ports, ranges and defaults at
 * the running rate.  Listing loads each library, running its constructor
 * code: only on the control socket.  Control thread only. */
#include "methods.h"

#include <errno.h>

int handle_plugins(struct ctl_context *ctx, struct ctl_session *session,
                   const struct rpc_request *req, json_object **ret,
                   struct rpc_error *err)
{
	json_object *label = NULL;

	if (session->read_only) {
		rpc_error_set(err, RPC_PERMISSION_DENIED, "method",
		              "plugins loads every plugin library to describe it: not "
		              "on the read-only monitor socket (use the control socket)");
		return -EPERM;
	}
	if (req->params && json_object_object_get_ex(req->params, "label", &label) &&
	    (!json_object_is_type(label, json_type_string) ||
	     json_object_get_string_len(label) == 0)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "label", "must be a plugin label (a string)");
		return -EINVAL;
	}
	*ret = plugins_json(engine_config(ctx->engine)->rate,
	                        label ? json_object_get_string(label) : NULL);
	return 0;
}
