/* http_events.c - GET /events: Server-Sent Events.  Every HTTP_LEVELS_MS
 * a "levels" event (the levels answer over that window: peak, RMS, peak
 * hold and clips per channel at the capture and the playback, built once
 * for all streams), every HTTP_STATUS_MS a "status" event (the status
 * answer).  Each stream counts against http.max_clients and its unsent
 * bytes against the sockets' output budget (control.output_budget); a
 * stream with more than HTTP_STREAM_BACKLOG unsent, or more than its
 * share of a spent budget, is closed (its EventSource reconnects when it
 * reads again).  Control thread only. */
#include "http_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"
#include "methods.h"
#include "views.h"

struct http_stream {
	struct ctl_http *http;
	struct evhttp_request *req;
	struct http_conn *conn;
	struct http_stream *next;
};

/* Unlinked and uncounted; the request and connection are libevent's. */
static void stream_free(struct http_stream *s)
{
	struct ctl_http *h = s->http;
	struct http_stream **pp;

	for (pp = &h->streams; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	h->busy--;
	h->n_streams--;
	free(s);
	if (!h->streams)
		evtimer_del(h->timer);
}

/* The client went away (or timed out): libevent frees the connection; a
 * request it let go of is ours to end. */
static void stream_closed(void *arg)
{
	struct http_stream *s = arg;
	struct evhttp_request *req = s->req;

	stream_free(s);
	if (!evhttp_request_get_connection(req))
		evhttp_send_reply_end(req);       /* frees a detached request */
}

/* Close a stream from our side. */
static void stream_drop(struct http_stream *s, const char *why)
{
	struct http_conn *conn = s->conn;

	log_debug("http: event stream closed: %s", why);
	stream_free(s);
	http_conn_drop(conn);                 /* frees its request */
}

static bool stream_send(struct http_stream *s, const char *event, size_t len)
{
	struct ctl_limits *l = &s->http->ctx->limits;
	struct evbuffer *buf;
	size_t unsent = http_conn_unsent(s->conn);
	size_t share = l->output_budget / (l->clients + 1);

	if (unsent + len > HTTP_STREAM_BACKLOG) {
		s->http->dropped_slow++;
		stream_drop(s, "its client reads too slowly");
		return false;
	}
	if (l->buffered + len > l->output_budget && http_conn_held(s->conn) + len > share) {
		s->http->dropped_slow++;
		stream_drop(s, "the output budget of all clients is spent");
		return false;
	}
	buf = evbuffer_new();
	if (!buf)
		return false;
	evbuffer_add(buf, event, len);
	evhttp_send_reply_chunk(s->req, buf);
	evbuffer_free(buf);
	return true;
}

/* "event: NAME\ndata: JSON\n\n" (malloc'ed); takes o. */
static char *event_text(const char *name, json_object *o, size_t *len)
{
	const char *json = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *text = NULL;
	int n = json ? asprintf(&text, "event: %s\ndata: %s\n\n", name, json) : -1;

	json_object_put(o);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return text;
}

static char *status_event(struct ctl_http *h, size_t *len)
{
	struct ctl_session session = { .read_only = true, .uid = (uid_t)-1 };
	struct rpc_request req = { .method = PROTO_METHOD_STATUS };
	struct rpc_error err = { .data = NULL };
	json_object *o = NULL;

	if (handle_status(h->ctx, &session, &req, &o, &err) < 0) {
		json_object_put(err.data);
		return NULL;
	}
	return event_text("status", o, len);
}

static char *levels_event(struct ctl_http *h, size_t *len)
{
	json_object *o = levels_json(h->ctx, &h->levels_since, HTTP_LEVELS_MS);

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)h->levels_seq++));
	return event_text("levels", o, len);
}

static void broadcast(struct ctl_http *h, const char *text, size_t len)
{
	struct http_stream *s = h->streams, *next;

	for (; s; s = next) {
		next = s->next;
		stream_send(s, text, len);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_http *h = arg;
	uint64_t now = monotonic_ns();
	size_t len;
	char *text;

	if (!h->streams)
		return;
	if ((text = levels_event(h, &len))) {
		broadcast(h, text, len);
		free(text);
	}
	if (now >= h->next_status_ns && (text = status_event(h, &len))) {
		h->next_status_ns = now + HTTP_STATUS_MS * 1000000ull;
		broadcast(h, text, len);
		free(text);
	}
}

int http_events_init(struct ctl_http *h)
{
	h->timer = event_new(h->base, -1, EV_PERSIST, on_timer, h);
	return h->timer ? 0 : -ENOMEM;
}

void http_events_start(struct ctl_http *h, struct http_conn *c,
                       struct evhttp_request *req)
{
	const struct timeval every = { 0, HTTP_LEVELS_MS * 1000 };
	const int sndbuf = HTTP_STREAM_SNDBUF;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct http_stream *s;
	char msg[160], *text;
	size_t len;

	if (h->busy >= h->max_clients) {
		h->refused++;
		snprintf(msg, sizeof(msg), "too many HTTP clients (http.max_clients %u)\n",
		         h->max_clients);
		http_send_text(req, 503, "Service Unavailable", msg);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	s->http = h;
	s->req = req;
	s->conn = c;
	/* what the kernel holds for a client that does not read is bounded
	 * too (no autotuning up to megabytes): such a client passes
	 * HTTP_STREAM_BACKLOG within seconds */
	setsockopt(bufferevent_getfd(evhttp_connection_get_bufferevent(
	           evhttp_request_get_connection(req))),
	           SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	s->next = h->streams;
	h->streams = s;
	h->busy++;
	h->n_streams++;
	http_conn_own(c, stream_closed, s);
	http_security_headers(req);
	evhttp_add_header(out, "Content-Type", "text/event-stream");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_send_reply_start(req, 200, "OK");
	if (!evtimer_pending(h->timer, NULL))
		evtimer_add(h->timer, &every);
	if (stream_send(s, "retry: 2000\n\n", 13) && (text = status_event(h, &len))) {
		stream_send(s, text, len);
		free(text);
	}
}

void http_events_close_all(struct ctl_http *h)
{
	while (h->streams)
		stream_drop(h->streams, "dspd stops");
	if (h->timer)
		event_free(h->timer);
	h->timer = NULL;
}
