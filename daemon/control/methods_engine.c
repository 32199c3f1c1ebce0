/* methods_engine.c - the methods about the audio engine: status, stats,
 * master gain and mute, levels, xruns, the pipeline's blocks.  Each handler
 * validates its params, asks the engine, builds the result.
 * Control thread only. */
#include "methods.h"
#include "http.h"
#include "clock_trim.h"
#include "device_wait.h"
#include "silence.h"
#include "source.h"
#include "server.h"
#include "subscriptions.h"
#include "transition.h"
#include "volume_link.h"

#include <errno.h>
#include <string.h>

#include "gain.h"
#include "loudness.h"
#include "fx_align.h"
#include "fx_dynamics.h"
#include "fx_meter.h"
#include "pipeline.h"
#include "resampler.h"

#define LEVELS_DEFAULT_WINDOW_MS 300.0

static json_object *stream_json(const struct pcm_stream *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(s->device));
	json_object_object_add(o, "format", json_object_new_string(s->codec->name));
	json_object_object_add(o, "channels", json_object_new_int((int)s->channels));
	json_object_object_add(o, "rate", json_object_new_int((int)s->rate));
	json_object_object_add(o, "period_frames", json_object_new_int64((int64_t)s->period_frames));
	json_object_object_add(o, "buffer_frames", json_object_new_int64((int64_t)s->buffer_frames));
	if (s->slave.plug) {
		/* a plug layer converts: what the hardware side runs */
		json_object *sl = json_object_new_object();

		if (s->slave.known) {
			json_object_object_add(sl, "format", json_object_new_string(s->slave.format));
			json_object_object_add(sl, "rate", json_object_new_int((int)s->slave.rate));
			json_object_object_add(sl, "channels", json_object_new_int((int)s->slave.channels));
		}
		json_object_object_add(o, "slave", sl);
	}
	return o;
}

static json_object *pair_json(const char *a, uint64_t va, const char *b, uint64_t vb)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, a, json_object_new_int64((int64_t)va));
	json_object_object_add(o, b, json_object_new_int64((int64_t)vb));
	return o;
}

static json_object *frames_json(const struct eng_status *st)
{
	json_object *o = pair_json("captured", st->captured, "processed", st->processed);

	json_object_object_add(o, "played", json_object_new_int64((int64_t)st->played));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)st->dropped));
	return o;
}

static json_object *load_json(const struct eng_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "last", json_number(st->load_last, 0.0001));
	json_object_object_add(o, "avg", json_number(st->load_avg, 0.0001));
	json_object_object_add(o, "max", json_number(st->load_max, 0.0001));
	return o;
}

/* The distribution of the per-period processing time over the last
 * LOAD_HIST_WINDOW seconds: as shares of the period and in microseconds. */
static json_object *percentiles_json(const struct eng_status *st,
                                     const struct load_percentiles *b)
{
	double period_ns = 1e9 * st->period_frames / st->rate;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "window_s", json_object_new_int(LOAD_HIST_WINDOW));
	json_object_object_add(o, "periods", json_object_new_int64((int64_t)b->periods));
	json_object_object_add(o, "p50", json_number(b->p50_ns / period_ns, 0.0001));
	json_object_object_add(o, "p99", json_number(b->p99_ns / period_ns, 0.0001));
	json_object_object_add(o, "max", json_number(b->max_ns / period_ns, 0.0001));
	json_object_object_add(o, "p50_us", json_number(b->p50_ns / 1000.0, 0.01));
	json_object_object_add(o, "p99_us", json_number(b->p99_ns / 1000.0, 0.01));
	json_object_object_add(o, "max_us", json_number(b->max_ns / 1000.0, 0.01));
	return o;
}

static json_object *busy_json(const struct eng_status *st)
{
	return percentiles_json(st, &st->busy);
}

/* The pipeline's workers: worker 0 is the RT thread's share of the
 * pipeline (its busy above also counts I/O and conversions). */
static json_object *workers_json(const struct eng_status *st)
{
	json_object *a = json_object_new_array();

	for (unsigned k = 0; st->threads > 1 && k < st->threads && k < CFG_MAX_THREADS; k++) {
		json_object *o = percentiles_json(st, &st->worker_busy[k]);

		json_object_object_add(o, "worker", json_object_new_int((int)k));
		json_object_array_add(a, o);
	}
	return a;
}

static void add_workers(json_object *o, const struct eng_status *st)
{
	json_object_object_add(o, "threads", json_object_new_int((int)st->threads));
	json_object_object_add(o, "workers_rt", json_object_new_boolean(st->workers_rt));
	json_object_object_add(o, "workers", workers_json(st));
	json_object_object_add(o, "late_periods", json_object_new_int64((int64_t)st->late_periods));
}

static double uptime_s(const struct ctl_context *ctx)
{
	return (monotonic_ns() - ctx->started_ns) / 1e9;
}

static json_object *transition_json(struct engine *e)
{
	static const char *const phases[] = { "idle", "warmup", "crossfade" };
	json_object *o = json_object_new_object();
	struct transition_status ts;

	engine_transition_status(e, &ts);
	json_object_object_add(o, "state", json_object_new_string(phases[ts.phase]));
	json_object_object_add(o, "pending", json_object_new_boolean(ts.pending));
	json_object_object_add(o, "completed", json_object_new_int64((int64_t)ts.completed));
	json_object_object_add(o, "superseded", json_object_new_int64((int64_t)ts.superseded));
	return o;
}

/* The resampler between the two clocks and its control loop; null when
 * the capture feeds the pipeline as it is. */
static json_object *clocks_json(const struct eng_status *st, const struct dspd_config *cfg)
{
	const struct eng_rate *c = &st->clocks;
	json_object *o;

	if (!st->resampling && !st->pitch)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "rate_adjust", json_object_new_boolean(st->rate_adjust));
	json_object_object_add(o, "quality", json_object_new_string(
	                       rs_quality_name((enum rs_quality)cfg->resampler.quality)));
	json_object_object_add(o, "capture_rate", json_object_new_int((int)st->capture_rate));
	json_object_object_add(o, "playback_rate", json_object_new_int((int)st->rate));
	json_object_object_add(o, "resampler_delay_frames", json_number(st->resampler_delay, 0.01));
	json_object_object_add(o, "ratio", json_number(c->ratio, 1e-9));
	json_object_object_add(o, "drift_ppm", json_number(c->adjust * 1e6, 0.001));
	json_object_object_add(o, "level_frames", json_number(c->level, 0.1));
	json_object_object_add(o, "target_frames", json_number(c->target, 0.1));
	json_object_object_add(o, "level_min_frames", json_number(c->level_min, 0.1));
	json_object_object_add(o, "level_max_frames", json_number(c->level_max, 0.1));
	json_object_object_add(o, "clamped", json_object_new_boolean(c->clamped));
	json_object_object_add(o, "updates", json_object_new_int64((int64_t)c->updates));
	return o;
}

static json_object *status_clocks(struct ctl_context *ctx, const struct eng_status *st)
{
	json_object *o = clocks_json(st, engine_config(ctx->engine));

	if (o)
		ctl_clock_trim_json(ctx, o);
	return o;
}

static void add_limits(struct ctl_context *ctx, json_object *status)
{
	json_object *limits = json_object_new_object();

	limits_json_add(ctx, limits);
	json_object_object_add(status, "limits", limits);
}

int handle_status(struct ctl_context *ctx, struct ctl_session *session,
                  const struct rpc_request *req, json_object **ret,
                  struct rpc_error *err)
{
	struct eng_status st;
	json_object *o = json_object_new_object(), *cfg = json_object_new_object();
	const struct pipeline *pipe = engine_pipeline(ctx->engine);
	unsigned pipe_latency = pipe ? pipe->latency_frames : 0;

	engine_status(ctx->engine, &st);
	json_object_object_add(o, "state", json_object_new_string(eng_state_name(st.state)));
	json_object_object_add(o, "version", json_object_new_string(DSPD_VERSION));
	json_object_object_add(o, "uptime_s", json_number(uptime_s(ctx), 0.001));
	json_object_object_add(o, "rate", json_object_new_int((int)st.rate));
	json_object_object_add(o, "period_frames", json_object_new_int((int)st.period_frames));
	json_object_object_add(o, "period_ms", json_number(1000.0 * st.period_frames / st.rate, 0.001));
	json_object_object_add(o, "periods", json_object_new_int((int)st.periods));
	json_object_object_add(o, "capture", stream_json(st.capture));
	json_object_object_add(o, "playback", stream_json(st.playback));
	json_object_object_add(o, "frames", frames_json(&st));
	json_object_object_add(o, "xruns", pair_json("capture", st.xruns_capture,
	                                             "playback", st.xruns_playback));
	/* capture to playback: the output queued and what the pipeline's
	 * blocks add (a LADSPA "latency" port, lookahead, FIR) */
	json_object_object_add(o, "latency_frames", json_object_new_int((int)(st.latency_frames + pipe_latency)));
	json_object_object_add(o, "latency_ms", json_number(1000.0 * (st.latency_frames + pipe_latency) / st.rate, 0.001));
	json_object_object_add(o, "pipeline_latency_frames", json_object_new_int((int)pipe_latency));
	json_object_object_add(o, "rt", json_object_new_boolean(st.rt));
	json_object_object_add(o, "rt_priority", json_object_new_int(st.rt_priority));
	json_object_object_add(o, "mlock", json_object_new_boolean(st.mlock));
	json_object_object_add(o, "load", load_json(&st));
	json_object_object_add(o, "busy", busy_json(&st));
	add_workers(o, &st);
	json_object_object_add(o, "gain", gain_json(&st));
	config_identity_add(ctx, cfg);
	json_object_object_add(o, "config", cfg);
	json_object_object_add(o, "device", device_json(ctx, &st));
	json_object_object_add(o, "transition", transition_json(ctx->engine));
	json_object_object_add(o, "clocks", status_clocks(ctx, &st));
	json_object_object_add(o, "source", ctl_source_json(ctx));
	json_object_object_add(o, "silence", ctl_silence_json(ctx));
	if (ctl_silence_idle(ctx) && st.state == ENG_RUNNING)
		json_object_object_add(o, "state", json_object_new_string("idle"));
	json_object_object_add(o, "volume_link", volume_link_json(ctx));
	json_object_object_add(o, "http", http_json(ctx->http));
	add_limits(ctx, o);
	*ret = o;
	return 0;
}

int handle_stats(struct ctl_context *ctx, struct ctl_session *session,
                 const struct rpc_request *req, json_object **ret,
                 struct rpc_error *err)
{
	struct eng_status st;
	json_object *o = json_object_new_object();
	const struct pipeline *pipe = engine_pipeline(ctx->engine);
	unsigned pipe_latency = pipe ? pipe->latency_frames : 0;
	unsigned clients = 0;

	engine_status(ctx->engine, &st);
	for (int i = 0; i < 2; i++)
		if (ctx->servers[i])
			clients += ctl_server_clients(ctx->servers[i]);
	json_object_object_add(o, "uptime_s", json_number(uptime_s(ctx), 0.001));
	json_object_object_add(o, "state", json_object_new_string(
	                       ctl_silence_idle(ctx) && st.state == ENG_RUNNING ?
	                       "idle" : eng_state_name(st.state)));
	json_object_object_add(o, "frames", frames_json(&st));
	json_object_object_add(o, "xruns", pair_json("capture", st.xruns_capture,
	                                             "playback", st.xruns_playback));
	json_object_object_add(o, "recoveries", json_object_new_int64((int64_t)st.resyncs));
	json_object_object_add(o, "reopens", json_object_new_int64((int64_t)st.reopens));
	json_object_object_add(o, "device_losses", json_object_new_int64((int64_t)st.losses));
	json_object_object_add(o, "clipped", pair_json("capture", st.clipped_capture,
	                                               "playback", st.clipped_playback));
	json_object_object_add(o, "load", load_json(&st));
	json_object_object_add(o, "busy", busy_json(&st));
	add_workers(o, &st);
	json_object_object_add(o, "clients", json_object_new_int((int)clients));
	json_object_object_add(o, "events_lost", json_object_new_int64((int64_t)st.events_lost));
	json_object_object_add(o, "levels_skipped", json_object_new_int64((int64_t)ctx->levels_skipped));
	json_object_object_add(o, "rate", json_object_new_int((int)st.rate));
	json_object_object_add(o, "latency_frames", json_object_new_int((int)(st.latency_frames + pipe_latency)));
	json_object_object_add(o, "clocks", clocks_json(&st, engine_config(ctx->engine)));
	*ret = o;
	return 0;
}

int handle_gain_get(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, json_object **ret,
                    struct rpc_error *err)
{
	struct eng_status st;

	if (req->params && json_object_object_get_ex(req->params, "block", NULL))
		return fader_get(ctx, session, req, ret, err);
	engine_status(ctx->engine, &st);
	*ret = gain_json(&st);
	return 0;
}

/* Apply a new master volume and tell the "gain" subscribers who did it. */
static int apply_gain(struct ctl_context *ctx, struct ctl_session *session,
                      double db, bool mute, double ramp_ms,
                      struct rpc_error *err)
{
	struct eng_status st;
	json_object *note, *by;
	int r = engine_set_gain(ctx->engine, db, mute, ramp_ms);

	if (r < 0) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "engine busy: %s", strerror(-r));
		return r;
	}
	volume_link_gain_changed(ctx);
	engine_status(ctx->engine, &st);
	note = gain_json(&st);
	by = json_object_new_object();
	json_object_object_add(by, "pid", json_object_new_int((int)session->pid));
	json_object_object_add(by, "uid", json_object_new_int64((int64_t)session->uid));
	json_object_object_add(note, "by", by);
	ctl_notify(ctx, PROTO_TOPIC_GAIN, "gain", note);
	return 0;
}

int handle_gain_set(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, json_object **ret,
                    struct rpc_error *err)
{
	struct eng_status st;
	double db, ramp_ms = -1.0;
	bool mute;
	int r;

	engine_status(ctx->engine, &st);
	db = st.gain_db;
	mute = st.mute;
	if (!req->params || (!json_object_object_get_ex(req->params, "db", NULL) &&
	                     !json_object_object_get_ex(req->params, "mute", NULL))) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "db", "give \"db\" and/or \"mute\"");
		return -EINVAL;
	}
	if (json_object_object_get_ex(req->params, "block", NULL))
		return fader_set(ctx, session, req, ret, err);
	if ((r = proto_param_double(req->params, "db", false, GAIN_DB_MIN, GAIN_DB_MAX, &db, err)) < 0 ||
	    (r = proto_param_bool(req->params, "mute", false, &mute, err)) < 0 ||
	    (r = proto_param_double(req->params, "ramp_ms", false, 0.0, 10000.0, &ramp_ms, err)) < 0)
		return r;
	/* an absolute level above the ceiling is refused: a script asking
	 * for +6 dB must not believe it got it */
	if (db > st.max_db)
		return ceiling_refused(db, st.max_db, "db", err);
	if ((r = apply_gain(ctx, session, db, mute, ramp_ms, err)) < 0)
		return r;
	engine_status(ctx->engine, &st);
	*ret = gain_json(&st);
	return 0;
}

int handle_gain_adjust(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req, json_object **ret,
                       struct rpc_error *err)
{
	const double span = GAIN_DB_MAX - GAIN_DB_MIN;
	struct eng_status st;
	double delta, ramp_ms = -1.0, db;
	int r;

	engine_status(ctx->engine, &st);
	if ((r = proto_param_double(req->params, "db", true, -span, span, &delta, err)) < 0 ||
	    (r = proto_param_double(req->params, "ramp_ms", false, 0.0, 10000.0, &ramp_ms, err)) < 0)
		return r;
	db = st.gain_db + delta;
	/* a step, like a knob: clamped at the ceiling, not refused */
	db = db < GAIN_DB_MIN ? GAIN_DB_MIN : db > st.max_db ? st.max_db : db;
	if ((r = apply_gain(ctx, session, db, st.mute, ramp_ms, err)) < 0)
		return r;
	return handle_gain_get(ctx, session, req, ret, err);
}

static int mute_result(struct ctl_context *ctx, json_object **ret)
{
	struct eng_status st;

	engine_status(ctx->engine, &st);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "mute", json_object_new_boolean(st.mute));
	return 0;
}

int handle_mute_get(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, json_object **ret,
                    struct rpc_error *err)
{
	return mute_result(ctx, ret);
}

static int set_mute(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, bool mute, json_object **ret,
                    struct rpc_error *err)
{
	struct eng_status st;
	double ramp_ms = -1.0;
	int r;

	engine_status(ctx->engine, &st);
	if ((r = proto_param_double(req->params, "ramp_ms", false, 0.0, 10000.0, &ramp_ms, err)) < 0 ||
	    (r = apply_gain(ctx, session, st.gain_db, mute, ramp_ms, err)) < 0)
		return r;
	return mute_result(ctx, ret);
}

int handle_mute_set(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, json_object **ret,
                    struct rpc_error *err)
{
	bool mute = false;
	int r = proto_param_bool(req->params, "mute", true, &mute, err);

	return r < 0 ? r : set_mute(ctx, session, req, mute, ret, err);
}

int handle_mute_toggle(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req, json_object **ret,
                       struct rpc_error *err)
{
	struct eng_status st;

	engine_status(ctx->engine, &st);
	return set_mute(ctx, session, req, !st.mute, ret, err);
}

int handle_levels(struct ctl_context *ctx, struct ctl_session *session,
                  const struct rpc_request *req, json_object **ret,
                  struct rpc_error *err)
{
	double window_ms = LEVELS_DEFAULT_WINDOW_MS;
	int r = proto_param_double(req->params, "window_ms", false, 10.0, 10000.0,
	                           &window_ms, err);

	if (r < 0)
		return r;
	*ret = levels_json(ctx, &session->levels_since, window_ms);
	return 0;
}

int handle_xruns(struct ctl_context *ctx, struct ctl_session *session,
                 const struct rpc_request *req, json_object **ret,
                 struct rpc_error *err)
{
	struct eng_xrun log[ENG_XRUN_LOG];
	struct eng_status st;
	unsigned n = engine_xrun_log(ctx->engine, log, ENG_XRUN_LOG);
	json_object *o, *recent = json_object_new_array();

	engine_status(ctx->engine, &st);
	o = pair_json("capture", st.xruns_capture, "playback", st.xruns_playback);
	json_object_object_add(o, "resyncs", json_object_new_int64((int64_t)st.resyncs));
	json_object_object_add(o, "frames_dropped", json_object_new_int64((int64_t)st.dropped));
	json_object_object_add(o, "late_periods", json_object_new_int64((int64_t)st.late_periods));
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(recent, xrun_json(&log[i]));
	json_object_object_add(o, "recent", recent);
	*ret = o;
	return 0;
}

/* A block as configured (its JSON from the active file, so every type's
 * keys appear as the user wrote them) plus what the running block knows. */
static json_object *block_json(json_object *configured, unsigned index,
                               const struct fx *fx)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int((int)index));
	if (json_object_is_type(configured, json_type_object)) {
		json_object_object_foreach(configured, key, val)
			json_object_object_add(o, key, json_object_get(val));
	} else {
		json_object_object_add(o, "type", json_object_new_string(fx->ops->type));
		json_object_object_add(o, "name", json_object_new_string(fx->name));
	}
	json_object_object_add(o, "channels_in", json_object_new_int((int)fx->channels_in));
	json_object_object_add(o, "channels_out", json_object_new_int((int)fx->channels_out));
	json_object_object_add(o, "latency_frames", json_object_new_int((int)fx->latency_frames));
	json_object_object_add(o, "resets", json_object_new_int64((int64_t)
		atomic_load_explicit(&fx->resets, memory_order_relaxed)));
	if (fx_is_meter(fx))
		json_object_object_add(o, "levels", meter_tap_json(fx));
	if (fx_is_dynamics(fx))
		json_object_object_add(o, "gain_reduction_db",
		                       json_number(fx_dynamics_gain_reduction_db(fx), 0.01));
	return o;
}

static json_object *align_json(const struct fx *fx)
{
	json_object *o = json_object_new_object(), *d = json_object_new_array();

	json_object_object_add(o, "type", json_object_new_string(fx->ops->type));
	json_object_object_add(o, "name", json_object_new_string(fx->name));
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		json_object_array_add(d, json_object_new_int((int)fx_align_delay(fx, ch)));
	json_object_object_add(o, "delay_frames", d);
	json_object_object_add(o, "channels_in", json_object_new_int((int)fx->channels_in));
	json_object_object_add(o, "channels_out", json_object_new_int((int)fx->channels_out));
	json_object_object_add(o, "latency_frames", json_object_new_int(0));
	return o;
}

int handle_pipeline_list(struct ctl_context *ctx, struct ctl_session *session,
                         const struct rpc_request *req, json_object **ret,
                         struct rpc_error *err)
{
	const struct pipeline *p = engine_pipeline(ctx->engine);
	json_object *blocks = json_object_new_array(), *configured = NULL;

	json_object_object_get_ex(ctx->config.json, "pipeline", &configured);
	for (unsigned i = 0, ci = 0; i < p->n_fx; i++) {
		json_object *c;

		if (fx_is_align(p->fx[i])) {
			/* the pipeline's own: channels delayed into step */
			json_object_array_add(blocks, align_json(p->fx[i]));
			continue;
		}
		c = json_object_is_type(configured, json_type_array)
		    ? json_object_array_get_idx(configured, ci) : NULL;
		json_object_array_add(blocks, block_json(c, ci, p->fx[i]));
		ci++;
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "blocks", blocks);
	json_object_object_add(*ret, "channels_in", json_object_new_int((int)p->channels_in));
	json_object_object_add(*ret, "channels_out", json_object_new_int((int)p->channels_out));
	json_object_object_add(*ret, "latency_frames", json_object_new_int((int)p->latency_frames));
	return 0;
}

static json_object *loudness_now(struct loudness *l)
{
	struct loudness_reading m;

	loudness_read(l, &m);
	return loudness_json(&m);
}

static int loudness_on(struct ctl_context *ctx, struct rpc_error *err)
{
	if (ctx->loudness)
		return 0;
	rpc_error_set(err, RPC_SERVER_ERROR, NULL,
	              "loudness metering is off (set \"loudness\": {\"tap\": ...} in the configuration)");
	return -ENODATA;
}

int handle_loudness(struct ctl_context *ctx, struct ctl_session *session,
                    const struct rpc_request *req, json_object **ret,
                    struct rpc_error *err)
{
	int r = loudness_on(ctx, err);

	if (r == 0)
		*ret = loudness_now(ctx->loudness);
	return r;
}

int handle_loudness_reset(struct ctl_context *ctx, struct ctl_session *session,
                          const struct rpc_request *req, json_object **ret,
                          struct rpc_error *err)
{
	int r = loudness_on(ctx, err);

	if (r == 0 && (r = loudness_reset(ctx->loudness)) < 0)
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "out of memory");
	if (r == 0)
		*ret = loudness_now(ctx->loudness);
	return r;
}

/* test.stall_worker (DSPD_TEST_HOOKS only): worker `worker` sleeps `ms`
 * before each of its next `periods` periods, as a descheduled thread
 * would; the engine must count late periods and carry on. */
int handle_test_stall(struct ctl_context *ctx, struct ctl_session *session,
                      const struct rpc_request *req, json_object **ret,
                      struct rpc_error *err)
{
	double worker = 1, ms = 100, periods = 1;
	int r;

	if ((r = proto_param_double(req->params, "worker", false, 1, CFG_MAX_THREADS - 1,
	                            &worker, err)) < 0 ||
	    (r = proto_param_double(req->params, "ms", false, 0, 10000, &ms, err)) < 0 ||
	    (r = proto_param_double(req->params, "periods", false, 0, 100000, &periods, err)) < 0)
		return r;
	if (engine_stall_worker(ctx->engine, (unsigned)worker, (unsigned)ms,
	                        (unsigned)periods) < 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "worker", "no worker %u: the "
		              "pipeline runs on %u thread(s)", (unsigned)worker,
		              config_threads(engine_config(ctx->engine)));
		return -EINVAL;
	}
	*ret = json_object_new_object();
	return 0;
}
