/* build.c - the pipeline builder (see build.h).  A job holds everything a
 * change needs after its graph is built: the new configuration with its
 * document, the one it replaces, who asked and whom to answer.  The
 * builder's thread reads the job's configuration and writes only the
 * job's result (the pipeline, the error), then sets `done` (release); the
 * control thread reads the result after seeing `done` (acquire) and joins
 * the thread.  The answer is made by the method that asked (ctl_reply's
 * answer(), methods_config.c), so that nothing here calls up into the
 * methods.  FFTW's planner is shared with the control thread through
 * conv_planner_lock() (dsp/conv_filter.h).
 * Control thread, except run(): the builder's thread. */
#include "build.h"
#include "methods.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config_diff.h"
#include "ir_load.h"
#include "log.h"
#include "pipeline.h"

struct ctl_build {
	pthread_t thread;
	atomic_bool done;                 /* set by run() when the result is in */
	/* input, read by run() */
	struct ctl_next_config next;
	const _Atomic float *master;
	char origin[160];
	/* result, written by run() */
	struct pipeline *p;
	int r;
	struct cfg_errors errs;
	/* the rest of the change, control thread only */
	struct dspd_config old;
	struct ctl_origin by;
	bool trusted;
	struct ctl_reply reply;           /* reply.id referenced here */
	struct ctl_change_result res;
	const struct engine *engine;      /* the graph is for this engine */
	uint64_t started_ns;
};

bool ctl_build_worth_it(const struct dspd_config *cfg)
{
	uint64_t taps = 0;

	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];
		char err[64];
		size_t n = 0;

		if (b->type != CFG_BLOCK_FIR)
			continue;
		if (cfg->rate_follow)
			return true;
		/* a file that cannot be probed fails fast in the build too */
		if (ir_probe(&b->u.fir, cfg->rate, &n, err, sizeof(err)) == 0)
			taps += n;
	}
	return taps >= CTL_BUILD_ASYNC_TAPS;
}

static void *run(void *arg)
{
	struct ctl_build *b = arg;

	b->r = ctl_build_graph(&b->next.cfg, b->master, b->origin, &b->errs, &b->p);
	atomic_store_explicit(&b->done, true, memory_order_release);
	return NULL;
}

bool ctl_build_busy(const struct ctl_context *ctx)
{
	return ctx->build != NULL;
}

const char *ctl_build_what(const struct ctl_context *ctx)
{
	const struct ctl_build *b = ctx->build;

	return b ? (b->by.what[0] ? b->by.what : b->by.method) : "";
}

/* Start building next's graph on the builder thread (next is taken). */
static int start(struct ctl_context *ctx, struct ctl_next_config *next,
                 const struct ctl_origin *by, const struct dspd_config *old,
                 bool trusted, const struct ctl_reply *reply, unsigned changes)
{
	struct ctl_build *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->next = *next;
	next->json = NULL;                /* the job's now */
	b->master = engine_master_linear(ctx->engine);
	snprintf(b->origin, sizeof(b->origin), "%.150s", next->path[0] ? next->path : by->method);
	b->old = *old;
	b->by = *by;
	b->trusted = trusted;
	b->reply = *reply;
	b->reply.id = reply->id ? json_object_get(reply->id) : NULL;
	b->res.changes = changes;
	b->engine = ctx->engine;
	b->started_ns = monotonic_ns();
	atomic_init(&b->done, false);
	if ((r = -pthread_create(&b->thread, NULL, run, b)) < 0) {
		*next = b->next;              /* give it back: rejected as usual */
		json_object_put(b->reply.id);
		free(b);
		return r;
	}
	ctx->build = b;
	log_info("%s: building the pipeline off the event loop", ctl_build_what(ctx));
	return METHOD_DEFERRED;
}

int ctl_apply_config_for(struct ctl_context *ctx, struct ctl_next_config *next,
                         const struct ctl_origin *by, const struct ctl_reply *reply,
                         struct cfg_errors *errs, struct ctl_change_result *res)
{
	static struct dspd_config old;
	const char *origin = next->path[0] ? next->path : by->method;
	bool trusted = false;
	int r;

	if (ctx->build && by->session) {
		memset(res, 0, sizeof(*res));
		snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.60s: busy: the pipeline "
		         "of another change is being built (%.120s); try again when it "
		         "is answered", origin, ctl_build_what(ctx));
		errs->count = 1;
		return ctl_change_finish(ctx, next, by, ctx->running, false, -EBUSY, errs, res);
	}
	ctl_build_wait(ctx);
	r = ctl_change_begin(ctx, next, by, &old, &trusted, errs, res);
	if (r == 0 && reply && reply->answer &&
	    !(res->changes & CFG_CHANGE_RESTART) &&
	    (res->changes & (CFG_CHANGE_PARAMETERS | CFG_CHANGE_TOPOLOGY)) &&
	    ctl_build_worth_it(&next->cfg)) {
		if (reply->in_batch) {
			/* its answer could not be part of the batch's array */
			snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.60s: builds "
			         "large filters (at least %d taps), which is done off "
			         "the event loop and answered on its own: send it "
			         "alone, not inside a JSON-RPC batch array", origin,
			         CTL_BUILD_ASYNC_TAPS);
			errs->count = 1;
			return ctl_change_finish(ctx, next, by, &old, trusted, -EAGAIN,
			                         errs, res);
		}
		r = start(ctx, next, by, &old, trusted, reply, res->changes);
		if (r == METHOD_DEFERRED)
			return r;
	}
	return ctl_change_run(ctx, next, by, &old, trusted, r, errs, res);
}

static void answer(struct ctl_context *ctx, struct ctl_build *b, int r)
{
	if (b->reply.session && b->reply.has_id)
		b->reply.answer(ctx, &b->reply, r, &b->errs, &b->res);
}

/* The build is done (b->done seen): apply it and answer. */
static void finish(struct ctl_context *ctx, struct ctl_build *b)
{
	int r;

	pthread_join(b->thread, NULL);
	ctx->build = NULL;
	r = b->r;
	/* the streams restarted meanwhile (the source's rate, a lost
	 * device): the graph was built for what ran before */
	if (r == 0 && (ctx->engine != b->engine || !ctx->engine ||
	               ctx->running->rate != b->next.cfg.rate)) {
		pipeline_free(b->p);
		b->p = NULL;
		snprintf(b->errs.msg[0], sizeof(b->errs.msg[0]), "%.60s: the streams "
		         "restarted while the pipeline was built; try again", b->origin);
		b->errs.count = 1;
		r = -EAGAIN;
	}
	if (r == 0)
		ctl_hand_over_graph(ctx, &b->next.cfg, b->p, &b->res);
	log_info("%s: pipeline built in %.0f ms", b->by.what[0] ? b->by.what : b->by.method,
	         (monotonic_ns() - b->started_ns) / 1e6);
	r = ctl_change_finish(ctx, &b->next, &b->by, &b->old, b->trusted, r, &b->errs,
	                      &b->res);
	answer(ctx, b, r);
	json_object_put(b->reply.id);
	free(b);
}

void ctl_build_tick(struct ctl_context *ctx)
{
	struct ctl_build *b = ctx->build;

	if (b && atomic_load_explicit(&b->done, memory_order_acquire))
		finish(ctx, b);
}

void ctl_build_wait(struct ctl_context *ctx)
{
	if (ctx->build)
		finish(ctx, ctx->build);  /* finish() joins the thread */
}

void ctl_build_forget_session(struct ctl_context *ctx, const struct ctl_session *s)
{
	struct ctl_build *b = ctx->build;

	if (b && b->reply.session == s)
		b->reply.session = NULL;
	if (b && b->by.session == s)
		b->by.session = NULL;
}

void ctl_build_free(struct ctl_context *ctx)
{
	ctl_build_wait(ctx);
}
