/* build.h - the pipeline builder (build.c): a client's change whose new
 * graph is large (FIR files to load, FFTs to plan, partitions to
 * transform: up to seconds) is built on a thread of its own, so that the
 * event loop - both sockets, the 10 ms tick, signals - and the RT thread
 * never wait for it.  One build at a time (ctl_apply_config_for() refuses
 * a client's further change with "busy" meanwhile).  The control thread
 * starts it and, once done, hands the graph to the engine and answers the
 * client (ctl_build_tick(), from the daemon's tick).
 * Control thread only; the builder's thread touches only its job. */
#ifndef DSPD_BUILD_H
#define DSPD_BUILD_H

#include <stdbool.h>

#include "change.h"

/* The reply a change owes a client, when it may come later: answer() (the
 * method's, methods_config.c) makes and sends the line.  build.c never
 * calls into the methods: they hand it their function. */
struct ctl_reply {
	struct ctl_session *session;      /* NULL once closed */
	json_object *id;                  /* borrowed; the builder takes a reference */
	bool has_id;                      /* false: a notification, never answered */
	char path[160];                   /* named in a refusal */
	void (*answer)(struct ctl_context *ctx, const struct ctl_reply *reply, int r,
	               const struct cfg_errors *errs, const struct ctl_change_result *res);
	bool in_batch;                    /* an element of a JSON-RPC batch array:
	                                   * answered within it, so never deferred */
};

/* Every change of the running configuration: ctl_apply_config() once no
 * build runs.  While one runs, a client's change (by->session) is refused
 * with "busy" (-EBUSY), the daemon's own (SIGHUP) waits for it.  With a
 * reply, a graph change whose pipeline is large (ctl_build_worth_it())
 * is built on the builder's thread: METHOD_DEFERRED, and reply->answer()
 * is called when it is done; inside a batch array such a change is
 * refused (-EAGAIN: send it alone). */
int ctl_apply_config_for(struct ctl_context *ctx, struct ctl_next_config *next,
                         const struct ctl_origin *by, const struct ctl_reply *reply,
                         struct cfg_errors *errs, struct ctl_change_result *res);

/* Whether cfg's pipeline is worth building off the loop: its FIR blocks
 * hold at least CTL_BUILD_ASYNC_TAPS taps together (from the files'
 * headers), or it must be checked at several rates. */
#define CTL_BUILD_ASYNC_TAPS 16384
bool ctl_build_worth_it(const struct dspd_config *cfg);
bool ctl_build_busy(const struct ctl_context *ctx);
/* What is being built ("effect.add room"), "" when nothing. */
const char *ctl_build_what(const struct ctl_context *ctx);
/* A finished build applied and answered; nothing when none is done. */
void ctl_build_tick(struct ctl_context *ctx);
/* Wait for the build in progress and finish it now. */
void ctl_build_wait(struct ctl_context *ctx);
/* The session closes: its answer is dropped, the change still applies. */
void ctl_build_forget_session(struct ctl_context *ctx, const struct ctl_session *s);
/* At exit: wait for a build, free what the builder holds. */
void ctl_build_free(struct ctl_context *ctx);

#endif
