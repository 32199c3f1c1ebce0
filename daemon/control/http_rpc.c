/* http_rpc.c - POST /rpc: the body is one JSON-RPC request (at most
 * PROTO_MAX_LINE bytes, Content-Type application/json), run through the
 * sockets' method table (methods_dispatch()) in an HTTP pseudo-session:
 * read-only (as on the monitor socket) unless the caller saw the token.
 * Its answer is the HTTP reply; a method that answers later
 * (METHOD_DEFERRED: a large pipeline built off the loop) gets the reply
 * out when it is done, through the session's deliver hook.  What needs a
 * connection that stays (subscribe, unsubscribe, record) and batch arrays
 * are refused: live data is GET /events.  A request is answered within
 * its callback, so it holds nothing after; one whose answer comes later
 * counts against http.max_clients (and build.c builds one change at a
 * time, so there is at most one).  The session has no uid of the
 * caller: files it names must be readable by anyone (client_files.c).
 * Control thread only. */
#include "http_internal.h"

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "dispatch.h"
#include "jsonrpc.h"
#include "log.h"
#include "response_job.h"
#include "subscriptions.h"

/* A request whose answer comes later. */
struct http_pending {
	struct ctl_session session;       /* first: deliver() finds us from it */
	struct ctl_http *http;
	struct evhttp_request *req;       /* NULL once its connection closed */
	struct http_conn *conn;           /* NULL until deferred, and once closed */
	struct http_pending *next;
};

static void pending_unlink(struct http_pending *p)
{
	struct http_pending **pp;

	for (pp = &p->http->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	p->http->busy--;
}

static void pending_free(struct http_pending *p)
{
	if (p->conn)
		http_conn_own(p->conn, NULL, NULL);
	pending_unlink(p);
	free(p);
}

/* The method's answer, when it comes. */
static void deliver(struct ctl_session *s, char *line)
{
	struct http_pending *p = (struct http_pending *)s;

	if (p->conn) {                    /* answered: its close is libevent's */
		http_conn_own(p->conn, NULL, NULL);
		p->conn = NULL;
	}
	if (p->req && line)
		http_send_json(p->req, 200, "OK", line);
	else if (p->req)
		http_send_text(p->req, 500, "Internal Server Error", "out of memory\n");
	free(line);
	pending_free(p);
}

/* Nothing answers p's session any more: a change being built still
 * applies, a pipeline.response being computed is dropped when done. */
static void pending_forget(struct http_pending *p)
{
	ctl_build_forget_session(p->http->ctx, &p->session);
	ctl_response_forget_session(p->http->ctx, &p->session);
}

/* The client went away before the answer. */
static void pending_closed(void *arg)
{
	struct http_pending *p = arg;

	pending_forget(p);
	ctl_session_release(p->http->ctx, &p->session);
	p->req = NULL;
	p->conn = NULL;
	pending_free(p);
}

static bool json_type_ok(struct evhttp_request *req)
{
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(req),
	                                      "Content-Type");
	size_t n = strlen("application/json");

	return type && strncasecmp(type, "application/json", n) == 0 &&
	       (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* What HTTP cannot carry: an answer stream on a connection that stays. */
static bool needs_stream(const char *method)
{
	return strcmp(method, PROTO_METHOD_SUBSCRIBE) == 0 ||
	       strcmp(method, PROTO_METHOD_UNSUBSCRIBE) == 0 ||
	       strcmp(method, PROTO_METHOD_RECORD) == 0;
}

/* Run req in a pending session: the answer now (sent here), or later. */
static void run(struct ctl_http *h, struct http_conn *c, struct evhttp_request *req,
                const struct rpc_request *rr, bool control_role)
{
	struct http_pending *p = calloc(1, sizeof(*p));
	char *line;

	if (!p) {
		http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	p->http = h;
	p->req = req;
	p->session.read_only = !control_role;
	p->session.uid = (uid_t)-1;       /* nobody: see client_files.c */
	p->session.pid = 0;
	p->session.deliver = deliver;
	p->next = h->pending;
	h->pending = p;
	h->busy++;
	line = methods_dispatch(h->ctx, &p->session, rr);
	if (line || !rr->has_id) {
		if (line)
			http_send_json(req, 200, "OK", line);
		else
			http_send_text(req, 204, "No Content", "");
		free(line);
		ctl_session_release(h->ctx, &p->session);
		pending_unlink(p);
		free(p);
		return;
	}
	/* METHOD_DEFERRED: deliver() answers */
	p->conn = c;
	http_conn_own(c, pending_closed, p);
}

void http_rpc_handle(struct ctl_http *h, struct http_conn *c,
                     struct evhttp_request *req, bool control_role)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct rpc_request rr;
	struct rpc_error err;
	char *body, *line;
	size_t i;

	if (!json_type_ok(req)) {
		http_send_rpc_error(req, 415, "Unsupported Media Type", RPC_INVALID_REQUEST,
		                    "POST /rpc takes Content-Type: application/json");
		return;
	}
	if (h->ctx->limits.buffered > h->ctx->limits.output_budget) {
		h->budget_refused++;
		http_send_rpc_error(req, 503, "Service Unavailable", RPC_SERVER_ERROR,
		                    "the output budget of all clients "
		                    "(control.output_budget) is spent; try again");
		return;
	}
	if (len > PROTO_MAX_LINE) {       /* evhttp's limit says 413 first */
		http_send_rpc_error(req, 413, "Payload Too Large", RPC_INVALID_REQUEST,
		                    "request too large (limit 65536 bytes)");
		return;
	}
	body = malloc(len + 1);
	if (!body) {
		http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	for (i = 0; i < len && isspace((unsigned char)body[i]); i++)
		;
	if (i < len && body[i] == '[') {
		free(body);
		http_send_rpc_error(req, 400, "Bad Request", RPC_INVALID_REQUEST,
		                    "one request per POST /rpc (batch arrays are for "
		                    "the sockets)");
		return;
	}
	if (proto_parse_request(body, len, &rr, &err) < 0) {
		free(body);
		line = proto_error_line(rr.has_id ? rr.id : NULL, &err);
		json_object_put(rr.root);
		if (line)
			http_send_json(req, 400, "Bad Request", line);
		else
			http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		free(line);
		return;
	}
	free(body);
	if (needs_stream(rr.method)) {
		rpc_error_set(&err, RPC_INVALID_REQUEST, "method",
		              "%s is not available over HTTP (it needs a connection "
		              "that stays: use the sockets, or GET /events for live "
		              "levels and status)", rr.method);
		line = proto_error_line(rr.has_id ? rr.id : NULL, &err);
		if (line)
			http_send_json(req, 200, "OK", line);
		else
			http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		free(line);
	} else {
		run(h, c, req, &rr, control_role);
	}
	json_object_put(rr.root);
}

void http_rpc_close_all(struct ctl_http *h)
{
	while (h->pending) {
		struct http_pending *p = h->pending;

		pending_forget(p);
		p->req = NULL;
		pending_free(p);
	}
}
