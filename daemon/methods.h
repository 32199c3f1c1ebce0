/* methods.h - the control methods clients call (status, gain.*, levels,
 * xruns, hello): the table and the per-connection state they keep.
 * Control thread only. */
#ifndef DSPD_METHODS_H
#define DSPD_METHODS_H

#include <json-c/json.h>
#include <stdint.h>

#include "engine.h"
#include "proto.h"

struct ctl_context {
	struct engine *engine;
	const char *config_path;
	uint64_t started_ns;              /* CLOCK_MONOTONIC at startup */
};

/* What a method may remember about its connection. */
struct ctl_session {
	uint64_t levels_since;            /* meter history seq for "levels" */
};

typedef int (*method_fn)(struct ctl_context *ctx, struct ctl_session *session,
                         json_object *params, json_object **ret_result,
                         struct rpc_error *err);

struct method {
	const char *name;
	method_fn handler;
	const char *const *params;        /* accepted parameter names */
};

const struct method *methods_find(const char *name);

/* Dispatch one parsed request; returns the response line (malloc'ed) or
 * NULL for a notification. */
char *methods_dispatch(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req);

#endif
