/* methods.c - handlers of the control methods, ~20 lines each, in the
 * chrony habit: validate params, ask the engine, build the result.
 * Control thread only.  Wire format: docs/protocol.md. */
#include "methods.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "gain.h"

#define LEVELS_DEFAULT_WINDOW_MS 300.0

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Doubles rounded to a sensible precision so the JSON stays readable. */
static json_object *number(double v, double resolution)
{
	if (!isfinite(v))
		v = 0.0;
	return json_object_new_double(round(v / resolution) * resolution);
}

static json_object *stream_json(const struct pcm_stream *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(s->device));
	json_object_object_add(o, "format", json_object_new_string(s->codec->name));
	json_object_object_add(o, "channels", json_object_new_int((int)s->channels));
	json_object_object_add(o, "period_frames", json_object_new_int64((int64_t)s->period_frames));
	json_object_object_add(o, "buffer_frames", json_object_new_int64((int64_t)s->buffer_frames));
	return o;
}

static json_object *pair_json(const char *a, uint64_t va, const char *b, uint64_t vb)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, a, json_object_new_int64((int64_t)va));
	json_object_object_add(o, b, json_object_new_int64((int64_t)vb));
	return o;
}

static json_object *gain_json(const struct eng_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "db", number(st->gain_db, 0.01));
	json_object_object_add(o, "mute", json_object_new_boolean(st->mute));
	json_object_object_add(o, "ramp_ms", number(st->ramp_ms, 0.01));
	return o;
}

static int handle_hello(struct ctl_context *ctx, struct ctl_session *session,
                        json_object *params, json_object **ret,
                        struct rpc_error *err);

static int handle_status(struct ctl_context *ctx, struct ctl_session *session,
                         json_object *params, json_object **ret,
                         struct rpc_error *err)
{
	struct eng_status st;
	json_object *o = json_object_new_object(), *frames, *load, *cfg;

	engine_status(ctx->engine, &st);
	json_object_object_add(o, "state", json_object_new_string(eng_state_name(st.state)));
	json_object_object_add(o, "version", json_object_new_string(DSPD_VERSION));
	json_object_object_add(o, "uptime_s", number((monotonic_ns() - ctx->started_ns) / 1e9, 0.001));
	json_object_object_add(o, "rate", json_object_new_int((int)st.rate));
	json_object_object_add(o, "period_frames", json_object_new_int((int)st.period_frames));
	json_object_object_add(o, "period_ms", number(1000.0 * st.period_frames / st.rate, 0.001));
	json_object_object_add(o, "periods", json_object_new_int((int)st.periods));
	json_object_object_add(o, "capture", stream_json(st.capture));
	json_object_object_add(o, "playback", stream_json(st.playback));
	frames = pair_json("captured", st.captured, "processed", st.processed);
	json_object_object_add(frames, "played", json_object_new_int64((int64_t)st.played));
	json_object_object_add(frames, "dropped", json_object_new_int64((int64_t)st.dropped));
	json_object_object_add(o, "frames", frames);
	json_object_object_add(o, "xruns", pair_json("capture", st.xruns_capture,
	                                             "playback", st.xruns_playback));
	json_object_object_add(o, "latency_frames", json_object_new_int((int)st.latency_frames));
	json_object_object_add(o, "latency_ms", number(1000.0 * st.latency_frames / st.rate, 0.001));
	json_object_object_add(o, "rt", json_object_new_boolean(st.rt));
	json_object_object_add(o, "rt_priority", json_object_new_int(st.rt_priority));
	json_object_object_add(o, "mlock", json_object_new_boolean(st.mlock));
	load = json_object_new_object();
	json_object_object_add(load, "last", number(st.load_last, 0.0001));
	json_object_object_add(load, "avg", number(st.load_avg, 0.0001));
	json_object_object_add(load, "max", number(st.load_max, 0.0001));
	json_object_object_add(o, "load", load);
	json_object_object_add(o, "gain", gain_json(&st));
	cfg = json_object_new_object();
	json_object_object_add(cfg, "path", json_object_new_string(ctx->config_path));
	json_object_object_add(o, "config", cfg);
	*ret = o;
	return 0;
}

static int handle_gain_get(struct ctl_context *ctx, struct ctl_session *session,
                           json_object *params, json_object **ret,
                           struct rpc_error *err)
{
	struct eng_status st;

	engine_status(ctx->engine, &st);
	*ret = gain_json(&st);
	return 0;
}

static int handle_gain_set(struct ctl_context *ctx, struct ctl_session *session,
                           json_object *params, json_object **ret,
                           struct rpc_error *err)
{
	struct eng_status st;
	double db, ramp_ms = -1.0;
	bool mute;
	int r;

	engine_status(ctx->engine, &st);
	db = st.gain_db;
	mute = st.mute;
	if (!params || (!json_object_object_get_ex(params, "db", NULL) &&
	                !json_object_object_get_ex(params, "mute", NULL))) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "db", "give \"db\" and/or \"mute\"");
		return -EINVAL;
	}
	if ((r = proto_param_double(params, "db", false, GAIN_DB_MIN, GAIN_DB_MAX, &db, err)) < 0 ||
	    (r = proto_param_bool(params, "mute", false, &mute, err)) < 0 ||
	    (r = proto_param_double(params, "ramp_ms", false, 0.0, 10000.0, &ramp_ms, err)) < 0)
		return r;
	if ((r = engine_set_gain(ctx->engine, db, mute, ramp_ms)) < 0) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "engine busy: %s", strerror(-r));
		return r;
	}
	return handle_gain_get(ctx, session, NULL, ret, err);
}

static json_object *tap_json(const struct meter_reading *m, enum meter_tap tap)
{
	json_object *arr = json_object_new_array();

	for (unsigned ch = 0; ch < m->channels[tap]; ch++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "channel", json_object_new_int((int)ch));
		json_object_object_add(o, "peak_dbfs", number(m->peak_dbfs[tap][ch], 0.01));
		json_object_object_add(o, "rms_dbfs", number(m->rms_dbfs[tap][ch], 0.01));
		json_object_object_add(o, "clipped", json_object_new_int64((int64_t)m->clipped[tap][ch]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int handle_levels(struct ctl_context *ctx, struct ctl_session *session,
                         json_object *params, json_object **ret,
                         struct rpc_error *err)
{
	struct meter_reading m;
	struct eng_status st;
	json_object *o = json_object_new_object();

	engine_status(ctx->engine, &st);
	engine_levels(ctx->engine, &session->levels_since, LEVELS_DEFAULT_WINDOW_MS, &m);
	json_object_object_add(o, "capture", tap_json(&m, METER_TAP_CAPTURE));
	json_object_object_add(o, "playback", tap_json(&m, METER_TAP_PLAYBACK));
	json_object_object_add(o, "window_ms", number(1000.0 * m.frames / st.rate, 0.01));
	*ret = o;
	return 0;
}

static const char *direction_name(uint32_t directions)
{
	switch (directions) {
	case 1: return "capture";
	case 2: return "playback";
	default: return "both";
	}
}

static const char *cause_name(int cause)
{
	switch (cause) {
	case ENG_XRUN_PIPE: return "xrun";
	case ENG_XRUN_SUSPEND: return "suspend";
	case ENG_XRUN_TIMEOUT: return "timeout";
	default: return "error";
	}
}

static json_object *xrun_json(const struct eng_xrun *x)
{
	json_object *o = json_object_new_object();
	time_t secs = (time_t)(x->realtime_ns / 1000000000);
	char when[64];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03dZ",
	         (int)(x->realtime_ns / 1000000 % 1000));
	json_object_object_add(o, "direction", json_object_new_string(direction_name(x->directions)));
	json_object_object_add(o, "cause", json_object_new_string(cause_name(x->cause)));
	json_object_object_add(o, "error", json_object_new_string(strerror(-x->error)));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "monotonic_s", number(x->monotonic_ns / 1e9, 0.001));
	json_object_object_add(o, "frames_lost", json_object_new_int64((int64_t)x->frames_lost));
	return o;
}

static int handle_xruns(struct ctl_context *ctx, struct ctl_session *session,
                        json_object *params, json_object **ret,
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
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(recent, xrun_json(&log[i]));
	json_object_object_add(o, "recent", recent);
	*ret = o;
	return 0;
}

static const char *const no_params[] = { NULL };
static const char *const gain_set_params[] = { "db", "mute", "ramp_ms", NULL };

static const struct method method_table[] = {
	{ "hello", handle_hello, no_params },
	{ "status", handle_status, no_params },
	{ "gain.get", handle_gain_get, no_params },
	{ "gain.set", handle_gain_set, gain_set_params },
	{ "levels", handle_levels, no_params },
	{ "xruns", handle_xruns, no_params },
};

static int handle_hello(struct ctl_context *ctx, struct ctl_session *session,
                        json_object *params, json_object **ret,
                        struct rpc_error *err)
{
	json_object *o = json_object_new_object(), *names = json_object_new_array();

	for (size_t i = 0; i < sizeof(method_table) / sizeof(method_table[0]); i++)
		json_object_array_add(names, json_object_new_string(method_table[i].name));
	json_object_object_add(o, "protocol", json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, "version", json_object_new_string(DSPD_VERSION));
	json_object_object_add(o, "methods", names);
	*ret = o;
	return 0;
}

const struct method *methods_find(const char *name)
{
	for (size_t i = 0; i < sizeof(method_table) / sizeof(method_table[0]); i++)
		if (strcmp(method_table[i].name, name) == 0)
			return &method_table[i];
	return NULL;
}

char *methods_dispatch(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req)
{
	const struct method *m = methods_find(req->method);
	json_object *result = NULL;
	struct rpc_error err;
	int r;

	if (!m) {
		rpc_error_set(&err, RPC_METHOD_NOT_FOUND, "method",
		              "no method \"%.100s\" (see \"hello\" for the list)", req->method);
		r = -ENOENT;
	} else if ((r = proto_params_only(req->params, m->params, &err)) == 0) {
		r = m->handler(ctx, session, req->params, &result, &err);
	}
	if (!req->has_id) {
		json_object_put(result);
		return NULL;
	}
	if (r < 0)
		return proto_error_line(req->id, &err);
	return proto_result_line(req->id, result);
}
