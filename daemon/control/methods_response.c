/* methods_response.c - pipeline.response: the request's parameters, the
 * pipeline it is computed on (the running graph, or one built from a
 * proposed "config" without touching anything running), and where the
 * work is done: on the event loop when it is small (RESP_LOOP_WORK) and
 * runs no plugin's code (a LADSPA block is measured), else on the job's
 * thread (response_job.c).  Read-only: allowed on the
 * monitor socket.  Control thread only. */
#include "methods.h"
#include "response_job.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "engine.h"
#include "ir_policy.h"
#include "log.h"
#include "pipeline.h"

static int int_param(json_object *params, const char *key, int min, int max,
                     int *out, struct rpc_error *err)
{
	double v = *out;
	int r = proto_param_double(params, key, false, min, max, &v, err);

	if (r == 0 && v != floor(v)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "must be an integer");
		return -EINVAL;
	}
	*out = (int)v;
	return r;
}

/* points (log-spaced from fmin to fmax, both included) or freqs. */
static int frequencies(json_object *params, struct resp_query *q, struct rpc_error *err)
{
	double nyquist = q->rate / 2.0, fmin = 10.0, fmax = nyquist;
	json_object *freqs = NULL;
	int points = PROTO_RESPONSE_POINTS, r;

	if (params)
		json_object_object_get_ex(params, "freqs", &freqs);
	if (freqs) {
		size_t n;

		if (json_object_object_get_ex(params, "points", NULL) ||
		    json_object_object_get_ex(params, "fmin", NULL) ||
		    json_object_object_get_ex(params, "fmax", NULL)) {
			rpc_error_set(err, RPC_INVALID_PARAMS, "freqs", "give either "
			              "\"freqs\" or \"points\" (with \"fmin\", \"fmax\"), not both");
			return -EINVAL;
		}
		n = json_object_is_type(freqs, json_type_array) ? json_object_array_length(freqs) : 0;
		if (n < 1 || n > PROTO_RESPONSE_MAX_POINTS) {
			rpc_error_set(err, RPC_INVALID_PARAMS, "freqs", "must be an array "
			              "of 1 to %d frequencies in Hz", PROTO_RESPONSE_MAX_POINTS);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(freqs, i);
			double f = json_object_get_double(v);

			if (!json_object_is_type(v, json_type_double) &&
			    !json_object_is_type(v, json_type_int))
				f = NAN;
			if (!(f > 0.0 && f <= nyquist)) {
				rpc_error_set(err, RPC_INVALID_PARAMS, "freqs", "entry %zu: "
				              "must be a number of Hz above 0 and at most %g "
				              "(half the rate)", i, nyquist);
				return -EINVAL;
			}
			q->freqs[i] = f;
		}
		q->n = n;
		return 0;
	}
	if ((r = int_param(params, "points", 2, PROTO_RESPONSE_MAX_POINTS, &points, err)) < 0 ||
	    (r = proto_param_double(params, "fmin", false, 1e-3, nyquist, &fmin, err)) < 0 ||
	    (r = proto_param_double(params, "fmax", false, 1e-3, nyquist, &fmax, err)) < 0)
		return r;
	if (!(fmin < fmax)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "fmin", "fmin %g Hz must be "
		              "below fmax %g Hz", fmin, fmax);
		return -EINVAL;
	}
	q->n = (size_t)points;
	for (int i = 0; i < points; i++)
		q->freqs[i] = fmin * pow(fmax / fmin, (double)i / (points - 1));
	q->freqs[0] = fmin;
	q->freqs[points - 1] = fmax;
	return 0;
}

static int sum_param(json_object *params, struct resp_query *q, struct rpc_error *err)
{
	json_object *sum = NULL;
	uint32_t seen = 0;
	size_t n;

	if (!params || !json_object_object_get_ex(params, "sum", &sum))
		return 0;
	n = json_object_is_type(sum, json_type_array) ? json_object_array_length(sum) : 0;
	if (n < 1 || n > FX_MAX_CHANNELS)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(sum, i);
		int64_t ch = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || ch < 0 ||
		    ch >= FX_MAX_CHANNELS || (seen & (1u << ch)))
			goto bad;
		seen |= 1u << ch;
		q->sum[q->n_sum++] = (unsigned)ch;
	}
	return 0;
bad:
	rpc_error_set(err, RPC_INVALID_PARAMS, "sum", "must be an array of 1 to %d "
	              "different output channels (0..%d)", FX_MAX_CHANNELS,
	              FX_MAX_CHANNELS - 1);
	return -EINVAL;
}

/* Everything but the frequencies (those need the rate). */
static int query_params(json_object *params, struct resp_query *q, struct rpc_error *err)
{
	json_object *block = NULL;
	int r;

	q->channel = q->input = -1;
	if ((r = int_param(params, "channel", 0, FX_MAX_CHANNELS - 1, &q->channel, err)) < 0 ||
	    (r = int_param(params, "input", 0, FX_MAX_CHANNELS - 1, &q->input, err)) < 0 ||
	    (r = proto_param_bool(params, "blocks", false, &q->blocks, err)) < 0 ||
	    (r = sum_param(params, q, err)) < 0)
		return r;
	if (params && json_object_object_get_ex(params, "block", &block)) {
		if (!json_object_is_type(block, json_type_string) ||
		    json_object_get_string_len(block) < 1 ||
		    json_object_get_string_len(block) >= CFG_NAME_MAX) {
			rpc_error_set(err, RPC_INVALID_PARAMS, "block", "must be a block's "
			              "name (1 to %d characters)", CFG_NAME_MAX - 1);
			return -EINVAL;
		}
		snprintf(q->block, sizeof(q->block), "%s", json_object_get_string(block));
	}
	return 0;
}

/* A proposed configuration, checked as config.validate checks one. */
static int proposed(struct ctl_context *ctx, const struct ctl_session *session,
                    json_object *doc, struct dspd_config *cfg, struct rpc_error *err)
{
	static struct cfg_errors errs;
	const char *t;
	int r;

	if (!json_object_is_type(doc, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "config", "must be an object "
		              "(a configuration document)");
		return -EINVAL;
	}
	t = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	memset(&errs, 0, sizeof(errs));
	r = config_load_string(t, strlen(t), "config", cfg, &errs);
	/* the blocks read files (FIR): only files a client may name */
	if (r == 0)
		r = ctl_ir_policy_check(ctx, NULL, cfg, "config", &errs);
	if (r == 0)
		r = ctl_ir_policy_check_eq_reader(ctx, session, cfg, "config", &errs);
	return r < 0 ? config_rejected(ctx, &errs, r, NULL, err) : 0;
}

static bool has_fir(const struct dspd_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_blocks; i++)
		if (cfg->blocks[i].type == CFG_BLOCK_FIR)
			return true;
	return false;
}

/* The job's thread takes it: refused inside a batch array. */
static int off_loop(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, const struct dspd_config *cfg,
                    const struct resp_query *q, struct rpc_error *err)
{
	if (req->in_batch) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "method", "this pipeline.response "
		              "is computed off the event loop and answered on its own: "
		              "send it alone, not inside a batch array");
		return -EAGAIN;
	}
	return ctl_response_start(ctx, session, req->id, cfg, q, err);
}

static int on_loop(const struct pipeline *p, const struct resp_query *q,
                   json_object **ret, struct rpc_error *err)
{
	uint64_t t0 = monotonic_ns(), work = resp_work(p, q);
	struct resp_result res;
	int r = resp_compute(p, q, &res, err);

	if (r == 0)
		*ret = resp_json(q, &res);
	resp_result_free(&res);
	log_debug("pipeline.response: %zu points, work %llu, on the loop in %.2f ms",
	          q->n, (unsigned long long)work, (monotonic_ns() - t0) / 1e6);
	return r;
}

int handle_pipeline_response(struct ctl_context *ctx, struct ctl_session *session,
                             const struct rpc_request *req, json_object **ret,
                             struct rpc_error *err)
{
	static struct resp_query q;
	static struct dspd_config cfg;
	json_object *doc = NULL;
	const struct pipeline *running = ctx->engine ? engine_pipeline(ctx->engine) : NULL;
	struct pipeline *p = NULL;
	char why[256];
	int r;

	memset(&q, 0, sizeof(q));
	if ((r = query_params(req->params, &q, err)) < 0)
		return r;
	if (req->params)
		json_object_object_get_ex(req->params, "config", &doc);
	if (doc && (r = proposed(ctx, session, doc, &cfg, err)) < 0)
		return r;
	if (!doc)
		cfg = *ctx->running;
	q.rate = cfg.rate;
	q.capture_channels = cfg.capture.channels;
	q.max_points = ctx->limits.max_client_output / RESP_BYTES_PER_POINT;
	if ((r = frequencies(req->params, &q, err)) < 0)
		return r;
	if (!req->has_id)
		return 0;                 /* a notification: nothing to answer */
	if (!doc && running && resp_work(running, &q) <= RESP_LOOP_WORK &&
	    !resp_runs_plugins(running, &q))
		return on_loop(running, &q, ret, err);
	if (!doc || has_fir(&cfg) || cfg.rate_follow)
		return off_loop(ctx, session, req, &cfg, &q, err);
	/* a proposed pipeline without files: built here, as config.validate does */
	if ((r = pipeline_build_for(&cfg, ctx->engine ? engine_master_linear(ctx->engine) : NULL,
	                            &p, why, sizeof(why))) < 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "config", "the pipeline cannot "
		              "be built: %s", why);
		return r;
	}
	if (resp_work(p, &q) > RESP_LOOP_WORK || resp_runs_plugins(p, &q)) {
		pipeline_free(p);
		return off_loop(ctx, session, req, &cfg, &q, err);
	}
	r = on_loop(p, &q, ret, err);
	pipeline_free(p);
	return r;
}
