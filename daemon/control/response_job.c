/* response_job.c - a pipeline.response computed off the event loop (see
 * response_job.h): its pipeline built from a configuration (a proposed
 * one, or the running one again: its graph may be retired and freed by
 * the control thread at any time, so the job never reads it) and measured
 * on a thread of its own; one job at a time.  The thread reads the job's
 * input and writes only its result - the answer's line, JSON made there
 * too (a large answer takes tens of ms to write) - then sets `done`
 * (release); the control thread reads the line after seeing `done`
 * (acquire), joins the thread and sends it from the tick.  The request's
 * id is referenced by the job alone while the thread runs.
 * Control thread, except run(): the job's thread. */
#include "response_job.h"
#include "methods.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "pipeline.h"
#include "server.h"

struct ctl_response_job {
	pthread_t thread;
	atomic_bool done;
	/* input, read by run() */
	struct dspd_config cfg;
	/* the master volume when asked (loudness_comp follows it): a copy,
	 * since the engine may be restarted (and freed) meanwhile */
	_Atomic float master;
	struct resp_query q;
	/* result, written by run() */
	char *line;                        /* the answer, NULL: out of memory */
	int r;
	/* control thread only */
	struct ctl_session *session;       /* NULL once closed */
	json_object *id;                   /* referenced */
	uint64_t started_ns;
};

static void *run(void *arg)
{
	struct ctl_response_job *j = arg;
	struct rpc_error err = { .data = NULL };
	struct resp_result res = { 0 };
	struct pipeline *p = NULL;
	char why[256];

	j->r = pipeline_build_for(&j->cfg, &j->master, &p, why, sizeof(why));
	if (j->r < 0) {
		rpc_error_set(&err, RPC_INVALID_PARAMS, "config", "the pipeline "
		              "cannot be built: %s", why);
	} else {
		j->r = resp_compute(p, &j->q, &res, &err);
		pipeline_free(p);
	}
	j->line = j->r < 0 ? proto_error_line(j->id, &err)
	                   : proto_result_line(j->id, resp_json(&j->q, &res));
	resp_result_free(&res);
	atomic_store_explicit(&j->done, true, memory_order_release);
	return NULL;
}

int ctl_response_start(struct ctl_context *ctx, struct ctl_session *session,
                       json_object *id, const struct dspd_config *cfg,
                       const struct resp_query *q, struct rpc_error *err)
{
	struct ctl_response_job *j;
	int r;

	if (ctx->response) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "busy: another large "
		              "pipeline.response is being computed (for %.0f ms so "
		              "far); try again when it is answered",
		              (monotonic_ns() - ctx->response->started_ns) / 1e6);
		return -EBUSY;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "out of memory");
		return -ENOMEM;
	}
	j->cfg = *cfg;
	atomic_init(&j->master, ctx->engine ? atomic_load(engine_master_linear(ctx->engine)) : 1.0f);
	j->q = *q;
	j->session = session;
	j->id = json_object_get(id);
	j->started_ns = monotonic_ns();
	atomic_init(&j->done, false);
	if ((r = -pthread_create(&j->thread, NULL, run, j)) < 0) {
		json_object_put(j->id);
		free(j);
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "cannot start a thread: %s",
		              strerror(-r));
		return r;
	}
	ctx->response = j;
	return METHOD_DEFERRED;
}

static void finish(struct ctl_context *ctx, struct ctl_response_job *j)
{
	pthread_join(j->thread, NULL);
	ctx->response = NULL;
	if (j->session)
		ctl_session_send(j->session, j->line);   /* takes it */
	else
		free(j->line);
	log_debug("pipeline.response: %zu points computed off the loop in %.0f ms",
	          j->q.n, (monotonic_ns() - j->started_ns) / 1e6);
	json_object_put(j->id);
	free(j);
}

void ctl_response_tick(struct ctl_context *ctx)
{
	struct ctl_response_job *j = ctx->response;

	if (j && atomic_load_explicit(&j->done, memory_order_acquire))
		finish(ctx, j);
}

void ctl_response_forget_session(struct ctl_context *ctx, const struct ctl_session *s)
{
	if (ctx->response && ctx->response->session == s)
		ctx->response->session = NULL;
}

void ctl_response_free(struct ctl_context *ctx)
{
	if (ctx->response)
		finish(ctx, ctx->response);
}
