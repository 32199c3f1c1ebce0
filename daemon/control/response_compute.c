/* response_compute.c - pipeline.response computed on a built pipeline
 * (response_job.h): the outputs' responses (pipeline_response.h) or one
 * block's, the blocks' own when asked, a sum of outputs, the names of the
 * level-dependent blocks; and the JSON of it.  resp_compute() and
 * resp_work(): any thread (they read the pipeline only); resp_json():
 * the control thread. */
#include "response_job.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_response.h"
#include "pipeline.h"
#include "pipeline_response.h"
#include "response.h"

static const struct fx *find_block(const struct pipeline *p, const char *name)
{
	for (unsigned i = 0; i < p->n_fx; i++)
		if (strcmp(p->fx[i]->name, name) == 0)
			return p->fx[i];
	return NULL;
}

/* The channels a block's own curves are shown for: those it acts on (a
 * mixer: its outputs). */
static bool block_shows(const struct fx *fx, unsigned ch)
{
	if (fx->channels_in != fx->channels_out || fx->ops->response == NULL)
		return ch < fx->channels_out;
	return ch < fx->channels_in && (fx->channel_mask & (1u << ch));
}

static bool wanted(const struct resp_query *q, unsigned ch)
{
	return q->channel < 0 || (unsigned)q->channel == ch;
}

static unsigned count_block_curves(const struct fx *fx, const struct resp_query *q)
{
	unsigned n = 0;

	for (unsigned ch = 0; ch < fx->channels_out && ch < FX_MAX_CHANNELS; ch++)
		n += block_shows(fx, ch) && wanted(q, ch);
	return n;
}

/* The curves of the answer: outputs (or a block's), the sum, blocks. */
static size_t count_curves(const struct pipeline *p, const struct fx *block,
                           const struct resp_query *q)
{
	size_t curves = !!q->n_sum;

	if (block)
		return curves + 2 * count_block_curves(block, q);
	curves += q->channel >= 0 ? 1 : p->channels_out;
	for (unsigned i = 0; q->blocks && i < p->n_fx; i++)
		curves += count_block_curves(p->fx[i], q);
	return curves;
}

uint64_t resp_work(const struct pipeline *p, const struct resp_query *q)
{
	const struct fx *fx = q->block[0] ? find_block(p, q->block) : NULL;
	uint64_t json = (uint64_t)RESP_JSON_WORK * count_curves(p, fx, q) * q->n;
	uint64_t whole = pipeline_response_work(p, q->n);

	if (q->block[0])
		return fx ? (uint64_t)fx_response_cost(fx) * FX_MAX_CHANNELS * q->n + json : 0;
	/* each block's own curves cost what the whole does, about */
	return (q->blocks ? 2 * whole : whole) + json;
}

/* The input channels that carry a signal: the captured ones (a pipeline
 * without a mixer runs on the larger of capture and playback). */
static unsigned captured(const struct pipeline *p, const struct resp_query *q)
{
	return q->capture_channels && q->capture_channels < p->channels_in
	       ? q->capture_channels : p->channels_in;
}

static int check_query(const struct pipeline *p, const struct resp_query *q,
                       const struct fx **ret_block, struct rpc_error *err)
{
	unsigned outs = p->channels_out;

	*ret_block = NULL;
	if (q->block[0] && !(*ret_block = find_block(p, q->block))) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "block", "no block \"%s\" in "
		              "the pipeline (see pipeline.list)", q->block);
		return -ENOENT;
	}
	if (*ret_block)
		outs = (*ret_block)->channels_out;
	if (q->channel >= 0 && (unsigned)q->channel >= outs) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "channel", "channel %d: %s has "
		              "%u output channels (0..%u)", q->channel,
		              *ret_block ? "the block" : "the pipeline", outs, outs - 1);
		return -EINVAL;
	}
	if (q->input >= 0 && (unsigned)q->input >= captured(p, q)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "input", "input %d: the pipeline "
		              "has %u input channels (0..%u)", q->input, captured(p, q),
		              captured(p, q) - 1);
		return -EINVAL;
	}
	for (unsigned i = 0; i < q->n_sum; i++)
		if (q->sum[i] >= outs) {
			rpc_error_set(err, RPC_INVALID_PARAMS, "sum", "channel %u: %s has "
			              "%u output channels (0..%u)", q->sum[i],
			              *ret_block ? "the block" : "the pipeline", outs, outs - 1);
			return -EINVAL;
		}
	return 0;
}

bool resp_runs_plugins(const struct pipeline *p, const struct resp_query *q)
{
	for (unsigned i = 0; i < p->n_fx; i++)
		if (strcmp(p->fx[i]->ops->type, "ladspa") == 0 && !p->fx[i]->bypass &&
		    (!q->block[0] || strcmp(p->fx[i]->name, q->block) == 0))
			return true;
	return false;
}

/* Curves in the answer, to hold it under the client's output limit. */
static int check_size(const struct pipeline *p, const struct fx *block,
                      const struct resp_query *q, struct rpc_error *err)
{
	size_t curves = count_curves(p, block, q);

	if (curves * q->n <= q->max_points)
		return 0;
	rpc_error_set(err, RPC_INVALID_PARAMS, "points", "%zu curves of %zu points "
	              "would make an answer over this client's output limit "
	              "(%zu points in all): ask for fewer points, one channel or "
	              "one block", curves, q->n, q->max_points);
	return -E2BIG;
}

static int new_curve(struct resp_curve *c, unsigned ch, size_t n)
{
	c->channel = ch;
	c->h = malloc(n * sizeof(*c->h));
	c->dh = malloc(n * sizeof(*c->dh));
	return c->h && c->dh ? 0 : -ENOMEM;
}

/* Block fx's own curves into b. */
static int block_curves(const struct fx *fx, const struct resp_query *q,
                        const double *w, struct resp_block *b,
                        double complex *tmp_h, double complex *tmp_dh)
{
	snprintf(b->name, sizeof(b->name), "%s", fx->name);
	b->type = fx->ops->type;
	b->level_dependent = fx_response_level_dependent(fx);
	for (unsigned ch = 0; ch < fx->channels_out && ch < FX_MAX_CHANNELS; ch++) {
		struct resp_curve *c = &b->curves[b->n_curves];

		if (!block_shows(fx, ch) || !wanted(q, ch))
			continue;
		b->n_curves++;
		if (new_curve(c, ch, q->n) < 0)
			return -ENOMEM;
		for (unsigned k = 0; k < fx->channels_in; k++)
			if (fx_response(fx, ch, k, w, q->n, tmp_h, tmp_dh))
				c->inputs |= 1u << k;
		if (!pipeline_block_response(fx, ch, w, q->n, c->h, c->dh, tmp_h, tmp_dh)) {
			free(c->h), free(c->dh);
			c->h = c->dh = NULL;
		}
	}
	return 0;
}

static int sum_curve(struct resp_curve *c, size_t n)
{
	c->h = calloc(n, sizeof(*c->h));
	c->dh = calloc(n, sizeof(*c->dh));
	return c->h && c->dh ? 0 : -ENOMEM;
}

static void add_into(struct resp_curve *c, const double complex *h,
                     const double complex *dh, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		c->h[k] += h[k];
		c->dh[k] += dh[k];
	}
}

/* The main curves (and the sum) from the whole pipeline. */
static int pipeline_curves(const struct pipeline *p, const struct resp_query *q,
                           const double *w, struct resp_result *res)
{
	struct pipeline_response pr;
	int r = 0;

	uint32_t inputs = q->input >= 0 ? 1u << q->input
	                  : captured(p, q) >= 32 ? UINT32_MAX : (1u << captured(p, q)) - 1;

	if ((r = pipeline_response(p, w, q->n, inputs, &pr)) < 0)
		return r;
	for (unsigned ch = 0; ch < pr.channels && r == 0; ch++) {
		struct resp_curve *c = &res->channels[res->n_channels];

		if (!wanted(q, ch))
			continue;
		res->n_channels++;
		c->channel = ch;
		c->inputs = pr.inputs[ch];
		if (!pr.inputs[ch])
			continue;
		if ((r = new_curve(c, ch, q->n)) == 0) {
			memcpy(c->h, pr.h + ch * q->n, q->n * sizeof(*c->h));
			memcpy(c->dh, pr.dh + ch * q->n, q->n * sizeof(*c->dh));
		}
	}
	/* the sum reads every output, shown or not */
	for (unsigned i = 0; i < q->n_sum && r == 0; i++) {
		unsigned ch = q->sum[i];

		if (!pr.inputs[ch])
			continue;
		if (!res->sum.h && (r = sum_curve(&res->sum, q->n)) < 0)
			break;
		res->sum.inputs |= pr.inputs[ch];
		add_into(&res->sum, pr.h + ch * q->n, pr.dh + ch * q->n, q->n);
	}
	pipeline_response_free(&pr);
	return r;
}

/* The main curves (and the sum) from one block: its own curves. */
static int one_block_curves(const struct fx *fx, const struct resp_query *q,
                            const double *w, struct resp_result *res,
                            double complex *tmp_h, double complex *tmp_dh)
{
	struct resp_block *b = &res->blocks[0];
	int r;

	res->n_blocks = 1;
	if ((r = block_curves(fx, q, w, b, tmp_h, tmp_dh)) < 0)
		return r;
	for (unsigned i = 0; i < b->n_curves; i++) {
		struct resp_curve *c = &res->channels[res->n_channels++];

		*c = b->curves[i];
		if (c->h && (r = new_curve(c, c->channel, q->n)) == 0) {
			memcpy(c->h, b->curves[i].h, q->n * sizeof(*c->h));
			memcpy(c->dh, b->curves[i].dh, q->n * sizeof(*c->dh));
		}
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < q->n_sum; i++) {
		double complex *h = malloc(q->n * sizeof(*h)), *dh = malloc(q->n * sizeof(*dh));

		if (!h || !dh || (!res->sum.h && sum_curve(&res->sum, q->n) < 0)) {
			free(h), free(dh);
			return -ENOMEM;
		}
		if (block_shows(fx, q->sum[i]) &&
		    pipeline_block_response(fx, q->sum[i], w, q->n, h, dh, tmp_h, tmp_dh)) {
			add_into(&res->sum, h, dh, q->n);
			res->sum.inputs |= 1u << q->sum[i];
		}
		free(h), free(dh);
	}
	return 0;
}

static int level_dependent(const struct pipeline *p, struct resp_result *res)
{
	res->level_dependent = calloc(p->n_fx ? p->n_fx : 1, sizeof(*res->level_dependent));
	if (!res->level_dependent)
		return -ENOMEM;
	for (unsigned i = 0; i < p->n_fx; i++)
		if (fx_response_level_dependent(p->fx[i]))
			snprintf(res->level_dependent[res->n_level_dependent++],
			         CFG_NAME_MAX, "%s", p->fx[i]->name);
	return 0;
}

static int compute(const struct pipeline *p, const struct fx *block,
                   const struct resp_query *q, const double *w,
                   struct resp_result *res, double complex *tmp_h,
                   double complex *tmp_dh)
{
	int r;

	res->has_sum = q->n_sum > 0;
	res->blocks = calloc(p->n_fx ? p->n_fx : 1, sizeof(*res->blocks));
	if (!res->blocks || (r = level_dependent(p, res)) < 0)
		return -ENOMEM;
	if (block)
		return one_block_curves(block, q, w, res, tmp_h, tmp_dh);
	if ((r = pipeline_curves(p, q, w, res)) < 0 || !q->blocks)
		return r;
	for (unsigned i = 0; i < p->n_fx; i++, res->n_blocks++)
		if ((r = block_curves(p->fx[i], q, w, &res->blocks[i], tmp_h, tmp_dh)) < 0)
			return r;
	return 0;
}

int resp_compute(const struct pipeline *p, const struct resp_query *q,
                 struct resp_result *res, struct rpc_error *err)
{
	const struct fx *block;
	double *w = malloc(q->n * sizeof(*w));
	double complex *tmp_h = malloc(q->n * sizeof(*tmp_h));
	double complex *tmp_dh = malloc(q->n * sizeof(*tmp_dh));
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = check_query(p, q, &block, err)) < 0 ||
	    (r = check_size(p, block, q, err)) < 0)
		goto out;
	if (resp_work(p, q) > RESP_MAX_WORK) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "points", "%zu points of this "
		              "pipeline are about %.1f G multiply-adds, over the %.1f G "
		              "one request may take: ask for fewer points or one "
		              "block", q->n, resp_work(p, q) / 1e9, RESP_MAX_WORK / 1e9);
		r = -E2BIG;
		goto out;
	}
	r = -ENOMEM;
	if (!w || !tmp_h || !tmp_dh)
		goto out;
	for (size_t i = 0; i < q->n; i++)
		w[i] = 2.0 * M_PI * q->freqs[i] / q->rate;
	if ((r = compute(p, block, q, w, res, tmp_h, tmp_dh)) < 0)
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "out of memory for the response");
out:
	free(w), free(tmp_h), free(tmp_dh);
	return r;
}

static void free_curve(struct resp_curve *c)
{
	free(c->h);
	free(c->dh);
	c->h = c->dh = NULL;
}

void resp_result_free(struct resp_result *res)
{
	for (unsigned i = 0; i < res->n_channels; i++)
		free_curve(&res->channels[i]);
	free_curve(&res->sum);
	for (unsigned i = 0; res->blocks && i < res->n_blocks; i++)
		for (unsigned k = 0; k < res->blocks[i].n_curves; k++)
			free_curve(&res->blocks[i].curves[k]);
	free(res->blocks);
	free(res->level_dependent);
	memset(res, 0, sizeof(*res));
}

/* ---- JSON (control thread) ---- */

static json_object *number(double v, const char *fmt)
{
	char text[40];

	snprintf(text, sizeof(text), fmt, v);
	return json_object_new_double_s(v, text);
}

/* db, phase_deg, group_delay_ms of a curve into o; null where H is 0 or
 * there is no path. */
static void curve_values(json_object *o, const struct resp_curve *c,
                         const struct resp_query *q)
{
	json_object *db = json_object_new_array_ext((int)q->n);
	json_object *ph = json_object_new_array_ext((int)q->n);
	json_object *gd = json_object_new_array_ext((int)q->n);

	for (size_t i = 0; i < q->n; i++) {
		double m, a, g;

		if (!c->h || resp_values(c->h[i], c->dh[i], &m, &a, &g) < 0) {
			json_object_array_add(db, NULL);
			json_object_array_add(ph, NULL);
			json_object_array_add(gd, NULL);
			continue;
		}
		json_object_array_add(db, number(m, "%.7g"));
		json_object_array_add(ph, number(a, "%.7g"));
		/* 9 digits: a 10 s delay to 1/200 of a sample */
		json_object_array_add(gd, number(g * 1000.0 / q->rate, "%.9g"));
	}
	json_object_object_add(o, "db", db);
	json_object_object_add(o, "phase_deg", ph);
	json_object_object_add(o, "group_delay_ms", gd);
}

static json_object *bits_json(uint32_t bits)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < 32; i++)
		if (bits & (1u << i))
			json_object_array_add(a, json_object_new_int((int)i));
	return a;
}

static json_object *curve_json(const struct resp_curve *c, const struct resp_query *q,
                               bool with_inputs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "channel", json_object_new_int((int)c->channel));
	if (with_inputs)
		json_object_object_add(o, "inputs", bits_json(c->inputs));
	curve_values(o, c, q);
	return o;
}

static json_object *blocks_json(const struct resp_result *res, const struct resp_query *q)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < res->n_blocks; i++) {
		const struct resp_block *b = &res->blocks[i];
		json_object *o = json_object_new_object(), *chs = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(b->name));
		json_object_object_add(o, "type", json_object_new_string(b->type));
		json_object_object_add(o, "level_dependent", json_object_new_boolean(b->level_dependent));
		for (unsigned k = 0; k < b->n_curves; k++)
			json_object_array_add(chs, curve_json(&b->curves[k], q, false));
		json_object_object_add(o, "channels", chs);
		json_object_array_add(a, o);
	}
	return a;
}

json_object *resp_json(const struct resp_query *q, const struct resp_result *res)
{
	json_object *o = json_object_new_object(), *f = json_object_new_array_ext((int)q->n);
	json_object *chs = json_object_new_array(), *ld = json_object_new_array();

	json_object_object_add(o, "rate", json_object_new_int((int)q->rate));
	for (size_t i = 0; i < q->n; i++)
		json_object_array_add(f, number(q->freqs[i], "%.10g"));
	json_object_object_add(o, "freqs", f);
	for (unsigned i = 0; i < res->n_channels; i++)
		json_object_array_add(chs, curve_json(&res->channels[i], q, true));
	json_object_object_add(o, "channels", chs);
	if (res->has_sum) {
		json_object *s = json_object_new_object(), *which = json_object_new_array();

		for (unsigned i = 0; i < q->n_sum; i++)
			json_object_array_add(which, json_object_new_int((int)q->sum[i]));
		json_object_object_add(s, "channels", which);
		curve_values(s, &res->sum, q);
		json_object_object_add(o, "sum", s);
	}
	if (q->block[0] || q->blocks)
		json_object_object_add(o, "blocks", blocks_json(res, q));
	for (unsigned i = 0; i < res->n_level_dependent; i++)
		json_object_array_add(ld, json_object_new_string(res->level_dependent[i]));
	json_object_object_add(o, "level_dependent", ld);
	return o;
}
