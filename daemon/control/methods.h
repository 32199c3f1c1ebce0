/* methods.h - what the method files share: the handler signature, the
 * helpers of changing methods, and each file's handlers (the table that
 * names them is dispatch.c's).  Control thread only. */
#ifndef DSPD_METHODS_H
#define DSPD_METHODS_H

#include "clock.h"
#include "control.h"
#include "views.h"

typedef int (*method_fn)(struct ctl_context *ctx, struct ctl_session *session,
                         const struct rpc_request *req, json_object **ret_result,
                         struct rpc_error *err);

/* methods_engine.c */
int handle_status(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_stats(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_gain_get(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_gain_set(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_gain_adjust(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_mute_get(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_mute_set(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_mute_toggle(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_levels(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_xruns(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_loudness(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_loudness_reset(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_test_stall(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_pipeline_list(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
/* methods_response.c */
int handle_pipeline_response(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);

/* methods_config.c */
int handle_config_get(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_config_validate(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_config_reload(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);

/* subscriptions.c */
int handle_subscribe(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_unsubscribe(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_record(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);

/* A handler that answers later returns this with *ret_result NULL. */
#define METHOD_DEFERRED 1

/* ---- helpers of the changing methods (methods_config.c) ---- */

/* RPC_CONFIG_REJECTED with every error and the running identity. */
int config_rejected(struct ctl_context *ctx, const struct cfg_errors *errs,
                    int r, const char *path, struct rpc_error *err);
/* The answer of a change built off the loop (build.h's ctl_reply): the
 * change result, or the refusal as config_rejected() makes it. */
struct ctl_reply;
void change_answer(struct ctl_context *ctx, const struct ctl_reply *reply, int r,
                   const struct cfg_errors *errs, const struct ctl_change_result *res);
void origin_init(struct ctl_origin *by, const struct ctl_session *session,
                 const char *method, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int handle_config_load(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
/* effect.add, effect.remove, effect.bypass, effect.set, config.patch:
 * one edit of the active configuration (by req->method) */
int handle_edit(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
/* effect.set's edit, for other methods (the named faders): set values in
 * the block named name, validate and apply as one change, logged and
 * notified as method; *ret is the change result. */
int edit_block_values(struct ctl_context *ctx, struct ctl_session *session,
                      const char *method, const char *name, json_object *values,
                      json_object **ret, struct rpc_error *err);
/* methods_fader.c: gain.get and gain.set with "block" (named faders) */
int fader_get(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int fader_set(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
/* A db above the volume ceiling: RPC_INVALID_PARAMS naming field, -ERANGE. */
int ceiling_refused(double db, double max_db, const char *field, struct rpc_error *err);
/* methods_plugins.c */
int handle_plugins(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);
int handle_batch(struct ctl_context *, struct ctl_session *, const struct rpc_request *, json_object **, struct rpc_error *);

#endif
