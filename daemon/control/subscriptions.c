/* subscriptions.c - what the daemon pushes without being asked: topic
 * notifications (levels at each subscriber's interval, xrun, state, gain,
 * config) and the sample stream of a `record`.  Control thread only: the
 * 10 ms tick feeds levels and recordings, the changing methods notify at
 * once.  Never blocks: a congested client skips level updates (the next
 * one is fresh) and record chunks (the next record.data says how many
 * frames it skipped, the answer how many in all), and one that lets
 * important events pile up is closed by the transport with a final error.
 * `record` hears the capture: on the read-only monitor socket, which any
 * local user may reach, only with control.monitor_record. */
#include "subscriptions.h"
#include "methods.h"
#include "server.h"
#include "transition.h"
#include "loudness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LEVELS_INTERVAL_DEFAULT_MS 100
#define RECORD_CHUNK_FRAMES 4800          /* per record.data notification */


static char *notification_line(const char *method, json_object *params)
{
	json_object *msg = json_object_new_object();
	const char *text;
	char *line = NULL;

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "method", json_object_new_string(method));
	json_object_object_add(msg, "params", params);
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
	                                      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	json_object_put(msg);
	return line;
}

struct broadcast {
	enum proto_topic topic;
	const char *line;
};

static void send_if_subscribed(struct ctl_session *s, void *data)
{
	const struct broadcast *b = data;

	if (s->topics & (1u << b->topic))
		ctl_session_send(s, strdup(b->line));
}

void ctl_notify(struct ctl_context *ctx, enum proto_topic topic,
                const char *method, json_object *params)
{
	struct broadcast b = { topic, notification_line(method, params) };

	if (!b.line)
		return;
	for (int i = 0; i < 2; i++)
		if (ctx->servers[i])
			ctl_server_foreach(ctx->servers[i], send_if_subscribed, &b);
	free((char *)b.line);
}

/* ---- subscribe / unsubscribe ---- */

static int topics_param(const struct rpc_request *req, bool required,
                        uint32_t *ret_mask, struct rpc_error *err)
{
	json_object *arr;

	*ret_mask = 0;
	if (!req->params || !json_object_object_get_ex(req->params, "topics", &arr)) {
		if (!required) {
			*ret_mask = (1u << PROTO_TOPICS) - 1;
			return 0;
		}
		rpc_error_set(err, RPC_INVALID_PARAMS, "topics", "required");
		return -EINVAL;
	}
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "topics", "must be a non-empty array of topic names");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		int k;

		for (k = 0; k < PROTO_TOPICS; k++)
			if (json_object_is_type(t, json_type_string) &&
			    strcmp(json_object_get_string(t), proto_topic_names[k]) == 0)
				break;
		if (k == PROTO_TOPICS) {
			const char *text = json_object_to_json_string(t);

			rpc_error_set(err, RPC_INVALID_PARAMS, "topics",
			              "unknown topic %.*s (known: levels xrun state gain config)",
			              proto_utf8_prefix(text, 60), text);
			return -EINVAL;
		}
		*ret_mask |= 1u << k;
	}
	return 0;
}

static json_object *topics_json(uint32_t mask)
{
	json_object *arr = json_object_new_array();

	for (int k = 0; k < PROTO_TOPICS; k++)
		if (mask & (1u << k))
			json_object_array_add(arr, json_object_new_string(proto_topic_names[k]));
	return arr;
}

int handle_subscribe(struct ctl_context *ctx, struct ctl_session *session,
                     const struct rpc_request *req, json_object **ret,
                     struct rpc_error *err)
{
	double interval = session->levels_interval_ms ? session->levels_interval_ms
	                                             : LEVELS_INTERVAL_DEFAULT_MS;
	uint32_t mask;
	int r;

	if ((r = topics_param(req, true, &mask, err)) < 0 ||
	    (r = proto_param_double(req->params, "interval_ms", false, 10, 10000, &interval, err)) < 0)
		return r;
	if ((mask & (1u << PROTO_TOPIC_LEVELS)) &&
	    !(session->topics & (1u << PROTO_TOPIC_LEVELS))) {
		session->levels_notify_since = 0;
		session->levels_due_ns = monotonic_ns();
	}
	session->levels_interval_ms = (uint32_t)interval;
	session->topics |= mask;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "topics", topics_json(session->topics));
	json_object_object_add(*ret, "interval_ms", json_object_new_int((int)session->levels_interval_ms));
	return 0;
}

int handle_unsubscribe(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req, json_object **ret,
                       struct rpc_error *err)
{
	uint32_t mask;
	int r = topics_param(req, false, &mask, err);

	if (r < 0)
		return r;
	session->topics &= ~mask;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "topics", topics_json(session->topics));
	return 0;
}

/* ---- record ---- */

int handle_record(struct ctl_context *ctx, struct ctl_session *session,
                  const struct rpc_request *req, json_object **ret,
                  struct rpc_error *err)
{
	const struct dspd_config *cfg = engine_config(ctx->engine);
	json_object *tap_obj;
	double seconds = 0;
	enum meter_tap tap;
	int r;

	if (session->read_only && !ctx->running->monitor_record) {
		rpc_error_set(err, RPC_PERMISSION_DENIED, "method",
		              "record is refused on the monitor socket: it would let any "
		              "local user listen to the capture (use the control socket, "
		              "or set control.monitor_record to true)");
		return -EPERM;
	}
	if (!req->params || !json_object_object_get_ex(req->params, "tap", &tap_obj) ||
	    !json_object_is_type(tap_obj, json_type_string)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "tap", "required: \"capture\" or \"playback\"");
		return -EINVAL;
	}
	if (strcmp(json_object_get_string(tap_obj), "capture") == 0) {
		tap = METER_TAP_CAPTURE;
	} else if (strcmp(json_object_get_string(tap_obj), "playback") == 0) {
		tap = METER_TAP_PLAYBACK;
	} else {
		rpc_error_set(err, RPC_INVALID_PARAMS, "tap", "must be \"capture\" or \"playback\"");
		return -EINVAL;
	}
	if ((r = proto_param_double(req->params, "seconds", true, 0.01, 60.0, &seconds, err)) < 0)
		return r;
	if (!req->has_id) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "id", "record needs an id");
		return -EINVAL;
	}
	if (req->in_batch) {
		/* its answer comes when the recording ends, not within the
		 * batch's array */
		rpc_error_set(err, RPC_INVALID_REQUEST, "method",
		              "record cannot be part of a batch (send it alone)");
		return -EINVAL;
	}
	if (session->record) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "a recording is already running on this connection");
		return -EBUSY;
	}
	session->record = calloc(1, sizeof(*session->record));
	if (!session->record) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "out of memory");
		return -ENOMEM;
	}
	session->record->id = json_object_get(req->id);
	session->record->tap = tap;
	session->record->frames_wanted = (uint64_t)(seconds * cfg->rate + 0.5);
	session->record->dropped_at_start = engine_tap_dropped(ctx->engine, tap);
	engine_tap_start(ctx->engine, tap);
	return METHOD_DEFERRED;
}

static void base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = tab[in[i + 2] & 63];
	}
	if (i < len) {
		*out++ = tab[in[i] >> 2];
		if (i + 1 < len) {
			*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*out++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*out++ = tab[(in[i] & 3) << 4];
			*out++ = '=';
		}
		*out++ = '=';
	}
	*out = '\0';
}

/* The answer; the recording is over before it is sent (a client that shut
 * its writing side is closed once it has it). */
static void record_finish(struct ctl_context *ctx, struct ctl_session *s)
{
	const struct dspd_config *cfg = engine_config(ctx->engine);
	struct ctl_record *rec = s->record;
	json_object *o = json_object_new_object();
	char *line;

	json_object_object_add(o, "tap", json_object_new_string(
		rec->tap == METER_TAP_CAPTURE ? "capture" : "playback"));
	json_object_object_add(o, "rate", json_object_new_int((int)cfg->rate));
	json_object_object_add(o, "channels", json_object_new_int(
		(int)engine_tap_channels(ctx->engine, rec->tap)));
	json_object_object_add(o, "format", json_object_new_string("FLOAT_LE"));
	json_object_object_add(o, "frames", json_object_new_int64((int64_t)rec->frames_sent));
	json_object_object_add(o, "overflows", json_object_new_int64((int64_t)
		(engine_tap_dropped(ctx->engine, rec->tap) - rec->dropped_at_start)));
	json_object_object_add(o, "skipped_frames", json_object_new_int64((int64_t)rec->frames_skipped));
	line = proto_result_line(rec->id, o);
	ctl_session_release(ctx, s);
	ctl_session_send(s, line);
}

struct record_chunk {
	struct ctl_context *ctx;
	enum meter_tap tap;
	const float *samples;
	uint32_t frames;
	unsigned channels;
};

static char *record_data_line(const struct record_chunk *c, struct ctl_record *rec,
                              uint64_t frames)
{
	size_t bytes = frames * c->channels * sizeof(float);
	char *b64 = malloc(bytes / 3 * 4 + 8);
	json_object *params;

	if (!b64)
		return NULL;
	base64((const unsigned char *)c->samples, bytes, b64);
	params = json_object_new_object();
	json_object_object_add(params, "id", json_object_get(rec->id));
	json_object_object_add(params, "seq", json_object_new_int64((int64_t)rec->seq));
	json_object_object_add(params, "frames", json_object_new_int64((int64_t)frames));
	if (rec->gap)
		json_object_object_add(params, "skipped_frames", json_object_new_int64((int64_t)rec->gap));
	json_object_object_add(params, "data", json_object_new_string(b64));
	free(b64);
	return notification_line("record.data", params);
}

/* A chunk to one recorder, or a gap in its recording when it reads too
 * slowly: it stays paused until it has read what it has. */
static void record_feed(struct ctl_session *s, void *data)
{
	const struct record_chunk *c = data;
	struct ctl_record *rec = s->record;
	uint64_t frames;

	if (!rec || rec->tap != c->tap)
		return;
	frames = rec->frames_wanted - rec->frames_sent - rec->frames_skipped;
	if (frames > c->frames)
		frames = c->frames;
	if (frames > 0) {
		if (!ctl_session_paused(s, CTL_RECORD_BACKLOG) &&
		    ctl_session_offer(s, record_data_line(c, rec, frames), CTL_RECORD_BACKLOG) == 0) {
			rec->seq++;
			rec->gap = 0;
			rec->frames_sent += frames;
		} else {
			rec->gap += frames;
			rec->frames_skipped += frames;
			c->ctx->record_frames_skipped += frames;
		}
	}
	if (rec->frames_sent + rec->frames_skipped >= rec->frames_wanted)
		record_finish(c->ctx, s);
}

/* Drain a tap's ring: into the loudness meter and to every recorder. */
static void record_tick(struct ctl_context *ctx, enum meter_tap tap)
{
	static float buf[RECORD_CHUNK_FRAMES * METER_MAX_CHANNELS];
	struct record_chunk c = { ctx, tap, buf, 0, engine_tap_channels(ctx->engine, tap) };
	uint32_t n;

	do {
		n = engine_tap_read(ctx->engine, tap, buf, RECORD_CHUNK_FRAMES * c.channels);
		c.frames = n / c.channels;
		if (loudness_tap(ctx->loudness) == (int)tap)
			loudness_feed(ctx->loudness, buf, c.frames);
		for (int i = 0; i < 2; i++)
			if (ctx->servers[i])
				ctl_server_foreach(ctx->servers[i], record_feed, &c);
	} while (n == RECORD_CHUNK_FRAMES * c.channels);
}

/* ---- the tick ---- */

static void levels_due(struct ctl_session *s, void *data)
{
	struct ctl_context *ctx = data;
	uint64_t now = monotonic_ns();
	json_object *params;

	if (!(s->topics & (1u << PROTO_TOPIC_LEVELS)) || now < s->levels_due_ns)
		return;
	/* keep the cadence: the next one is due an interval after this one
	 * was due, unless that has already passed (a stall) */
	s->levels_due_ns += (uint64_t)s->levels_interval_ms * 1000000u;
	if (s->levels_due_ns < now)
		s->levels_due_ns = now + (uint64_t)s->levels_interval_ms * 1000000u;
	if (ctl_session_paused(s, CTL_LEVELS_BACKLOG)) {
		ctx->levels_skipped++;
		return;
	}
	params = levels_json(ctx, &s->levels_notify_since, s->levels_interval_ms);
	json_object_object_add(params, "seq", json_object_new_int64((int64_t)s->levels_seq));
	if (ctl_session_offer(s, notification_line("levels", params), CTL_LEVELS_BACKLOG) == 0)
		s->levels_seq++;
	else
		ctx->levels_skipped++;
}

static void any_recording(struct ctl_session *s, void *data)
{
	unsigned *taps = data;

	if (s->record)
		*taps |= 1u << s->record->tap;
}

/* A new graph is heard alone now (its crossfade ended): say so. */
static void notify_active_graph(struct ctl_context *ctx)
{
	struct transition_status ts;
	json_object *p;
	char when[64];

	engine_transition_status(ctx->engine, &ts);
	if (ts.active_generation == ctx->active_generation)
		return;
	ctx->active_generation = ts.active_generation;
	if (ts.active_generation <= 1)
		return;      /* a fresh engine's first graph */
	p = json_object_new_object();
	format_utc(realtime_ns(), when, sizeof(when));
	json_object_object_add(p, "outcome", json_object_new_string("active"));
	json_object_object_add(p, "generation", json_object_new_int64((int64_t)ts.active_generation));
	json_object_object_add(p, "at", json_object_new_string(when));
	json_object_object_add(p, "sha256", json_object_new_string(ctx->config.sha256));
	ctl_notify(ctx, PROTO_TOPIC_CONFIG, "config", p);
}

void ctl_tick(struct ctl_context *ctx)
{
	struct eng_status st;
	unsigned taps = 0;

	engine_status(ctx->engine, &st);
	if (st.state != ctx->last_state) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "state", json_object_new_string(eng_state_name(st.state)));
		json_object_object_add(p, "previous", json_object_new_string(eng_state_name(ctx->last_state)));
		ctx->last_state = st.state;
		ctl_notify(ctx, PROTO_TOPIC_STATE, "state", p);
	}
	notify_active_graph(ctx);
	for (int i = 0; i < 2; i++)
		if (ctx->servers[i]) {
			ctl_server_foreach(ctx->servers[i], levels_due, ctx);
			ctl_server_foreach(ctx->servers[i], any_recording, &taps);
		}
	if (ctx->loudness)
		taps |= 1u << loudness_tap(ctx->loudness);
	for (int tap = 0; tap < METER_TAPS; tap++)
		if (taps & (1u << tap))
			record_tick(ctx, (enum meter_tap)tap);
}

void ctl_session_release(struct ctl_context *ctx, struct ctl_session *s)
{
	if (!s->record)
		return;
	engine_tap_stop(ctx->engine, s->record->tap);
	json_object_put(s->record->id);
	free(s->record);
	s->record = NULL;
}

struct abort_reason {
	struct ctl_context *ctx;
	const char *reason;
};

static void abort_recording(struct ctl_session *s, void *data)
{
	const struct abort_reason *a = data;
	struct rpc_error err;
	char *line;

	if (!s->record)
		return;
	rpc_error_set(&err, RPC_SERVER_ERROR, NULL, "recording stopped after %llu frames: %s",
	              (unsigned long long)s->record->frames_sent, a->reason);
	line = proto_error_line(s->record->id, &err);
	ctl_session_release(a->ctx, s);
	ctl_session_send(s, line);
}

void ctl_abort_recordings(struct ctl_context *ctx, const char *reason)
{
	struct abort_reason a = { ctx, reason };

	for (int i = 0; i < 2; i++)
		if (ctx->servers[i])
			ctl_server_foreach(ctx->servers[i], abort_recording, &a);
}

void ctl_notify_xrun(struct ctl_context *ctx, const struct eng_xrun *x)
{
	ctl_notify(ctx, PROTO_TOPIC_XRUN, "xrun", xrun_json(x));
}
