/* response_job.h - pipeline.response: what a request asks (struct resp_query,
 * parsed on the control thread), its computation on a built pipeline
 * (resp_compute(): any thread, nothing shared touched), the JSON of the
 * result (control thread), and the job that runs a large one off the
 * event loop (response_job.c: one at a time, answered from the tick).
 * Wire format and rules: docs/protocol.md, "pipeline.response". */
#ifndef DSPD_RESPONSE_JOB_H
#define DSPD_RESPONSE_JOB_H

#include <complex.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "fx.h"
#include "jsonrpc.h"
#include "proto.h"

struct pipeline;

/* Work done on the event loop at most, in complex multiply-adds of a
 * FIR's DTFT (taps x channels x frequencies; about 0.75 ns each here,
 * tests/unit/dsp/test_response_kernels.c prints the rate), the answer's
 * JSON counted too (RESP_JSON_WORK a curve point, about 1 us); more goes
 * to the job's thread.  About 2 ms. */
#define RESP_LOOP_WORK 2500000ull
#define RESP_JSON_WORK 1300
/* Work of one request at most (about 3 s on the job's thread). */
#define RESP_MAX_WORK 3000000000ull
/* Bytes of answer a curve point takes at most (numbers of %.7g, %.7g and
 * %.9g with their commas). */
#define RESP_BYTES_PER_POINT 48

struct resp_query {
	unsigned rate;
	size_t n;                               /* frequencies */
	double freqs[PROTO_RESPONSE_MAX_POINTS];  /* Hz, 0 < f <= rate / 2 */
	int channel;                            /* -1: every output */
	int input;                              /* -1: all inputs alike */
	unsigned capture_channels;              /* the inputs that get signal */
	char block[CFG_NAME_MAX];               /* "": the whole pipeline */
	bool blocks;                            /* each block's own too */
	unsigned sum[FX_MAX_CHANNELS], n_sum;   /* outputs summed, n_sum 0: none */
	size_t max_points;                      /* curves x n in the answer, at most */
};

/* One curve: a channel's (or a sum's) response; h NULL: no path. */
struct resp_curve {
	unsigned channel;
	uint32_t inputs;                        /* bit i: input i reaches it */
	double complex *h, *dh;                 /* n each */
};

struct resp_block {
	char name[CFG_NAME_MAX];
	const char *type;                       /* static (fx_ops.type) */
	bool level_dependent;
	unsigned n_curves;
	struct resp_curve curves[FX_MAX_CHANNELS];
};

struct resp_result {
	unsigned n_channels;
	struct resp_curve channels[FX_MAX_CHANNELS];
	bool has_sum;
	struct resp_curve sum;
	unsigned n_blocks;
	struct resp_block *blocks;              /* n_blocks */
	unsigned n_level_dependent;
	char (*level_dependent)[CFG_NAME_MAX];  /* names */
};

/* Compute q on p (any thread).  0, or -errno with err filled
 * (RPC_INVALID_PARAMS naming the field: a channel, input, sum or block
 * the pipeline does not have, an answer too large; RPC_SERVER_ERROR for
 * memory).  The result is freed with resp_result_free() either way. */
int resp_compute(const struct pipeline *p, const struct resp_query *q,
                 struct resp_result *res, struct rpc_error *err);
void resp_result_free(struct resp_result *res);
/* The work resp_compute() would do on p (complex multiply-adds). */
uint64_t resp_work(const struct pipeline *p, const struct resp_query *q);
/* Whether computing q on p runs a plugin's code (a LADSPA block is
 * measured): never done on the event loop. */
bool resp_runs_plugins(const struct pipeline *p, const struct resp_query *q);
/* The answer's JSON (control thread). */
json_object *resp_json(const struct resp_query *q, const struct resp_result *res);

/* ---- response_job.c: a request computed off the event loop ---- */

struct ctl_response_job;

/* Start q on the job's thread, on the pipeline of cfg built there (a
 * proposed configuration, or the running one for a large computation),
 * answering id on session when done.  METHOD_DEFERRED, or -EBUSY (one
 * runs already) / -errno with err filled. */
int ctl_response_start(struct ctl_context *ctx, struct ctl_session *session,
                       json_object *id, const struct dspd_config *cfg,
                       const struct resp_query *q, struct rpc_error *err);
/* A finished job answered (from the daemon's tick). */
void ctl_response_tick(struct ctl_context *ctx);
/* The session closes: its answer is dropped. */
void ctl_response_forget_session(struct ctl_context *ctx, const struct ctl_session *s);
/* At exit: wait for a job and free it. */
void ctl_response_free(struct ctl_context *ctx);

#endif
