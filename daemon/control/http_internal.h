/* http_internal.h - what the http*.c files share: the server's state and
 * each file's entry points.  Not for use outside daemon/control/http*.c.
 * Control thread only. */
#ifndef DSPD_HTTP_INTERNAL_H
#define DSPD_HTTP_INTERNAL_H

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define HTTP_MAX_FILE (256u << 10)      /* one file of the page */
#define HTTP_MAX_HEADERS (8u << 10)     /* a request's headers */
#define HTTP_TIMEOUT_S 10               /* a request read, an answer written */
#define HTTP_REQUEST_S 20               /* a whole request, from the accept
                                           or the connection's previous one */
#define HTTP_LEVELS_MS 40               /* 25 level events a second */
#define HTTP_STATUS_MS 1000             /* a status event a second */
#define HTTP_STREAM_BACKLOG (64u << 10) /* unsent bytes that skip level events */
#define HTTP_STREAM_SNDBUF (32 << 10)   /* a stream socket's kernel buffer */
#define HTTP_CONN_MEMORY (8u << 10)     /* a connection's or a stream's own
                                           structures (libevent's and ours) */
/* connections that sent a request, at once */
#define HTTP_MAX_CONNECTIONS(max_clients) (4 * (max_clients) + 16)

/* One file of the page, read once at start (http_static.c). */
struct http_file {
	const char *name;                 /* "index.html" */
	const char *type;                 /* its Content-Type */
	char *data;
	size_t size;
	char etag[20];                    /* "\"<16 hex of its sha256>\"" */
};

#define HTTP_FILES 3

struct http_conn;                       /* http_conn.c */
struct http_stream;                     /* http_events.c */
struct http_pending;                    /* http_rpc.c */
struct http_sock;                       /* http_accept.c */
struct bufferevent;

struct ctl_http {
	struct event_base *base;
	struct ctl_context *ctx;
	struct evhttp *http;
	char listen[64];                  /* for messages */
	unsigned port;                    /* the Host check's port */
	bool check_host;                  /* a loopback bind: Host must name it */
	bool has_token;
	char token_sha256[65];            /* of the token, compared in constant time */
	unsigned max_clients;             /* streams refused past it, counting
	                                     the deferred answers */
	unsigned busy;                    /* streams + deferred answers now */
	struct http_conn *conns;          /* connections that sent a request */
	unsigned n_conns;
	uint64_t conns_refused;           /* over HTTP_MAX_CONNECTIONS */
	/* every accepted socket (http_accept.c) */
	struct http_sock *socks;
	unsigned n_socks;
	struct event *sweep;
	uint64_t slow_closed;             /* no whole request in HTTP_REQUEST_S */
	uint64_t budget_refused;          /* requests while the budget was spent */
	struct http_file files[HTTP_FILES];
	/* the event streams (http_events.c) */
	struct http_stream *streams;
	unsigned n_streams;
	struct event *timer;
	uint64_t levels_since;            /* cursor of engine_levels() */
	uint64_t levels_seq, next_status_ns;
	uint64_t dropped_slow;             /* streams closed over a limit */
	/* answers a method gives later (METHOD_DEFERRED, http_rpc.c) */
	struct http_pending *pending;
	uint64_t refused;                 /* requests over max_clients */
};

/* http_reply.c: every answer goes out with the security headers. */
void http_security_headers(struct evhttp_request *req);
/* A short text/plain answer (an error, 404, 503...). */
void http_send_text(struct evhttp_request *req, int code, const char *reason,
                    const char *text);
/* A JSON-RPC answer line as application/json. */
void http_send_json(struct evhttp_request *req, int code, const char *reason,
                    const char *line);
/* A JSON-RPC error as the whole answer (id null). */
void http_send_rpc_error(struct evhttp_request *req, int http_code,
                         const char *reason, int rpc_code, const char *message);

/* http_accept.c: every accepted socket, bounded in number and in the
 * time it takes to send a request. */
int http_accept_init(struct ctl_http *h);
/* A request arrived whole on the connection of bev. */
void http_accept_request(struct ctl_http *h, struct bufferevent *bev);
void http_accept_close(struct ctl_http *h);

/* http_conn.c: the connection of req, tracked from its first request;
 * NULL when HTTP_MAX_CONNECTIONS are (or out of memory). */
struct http_conn *http_conn_of(struct ctl_http *h, struct evhttp_request *req);
/* What runs on c (a stream, an answer to come) is told when c closes;
 * NULL: nothing. */
void http_conn_own(struct http_conn *c, void (*closed)(void *owner), void *owner);
size_t http_conn_unsent(const struct http_conn *c);  /* its output, now */
size_t http_conn_held(const struct http_conn *c);    /* counted in the budget */
bool http_conn_owned(const struct http_conn *c);     /* a stream, an answer to come */
struct bufferevent *http_conn_bufferevent(const struct http_conn *c);
struct http_conn *http_conn_next(const struct http_conn *c);
/* Close c from our side (its owner is not told), with its request. */
void http_conn_drop(struct http_conn *c);
void http_conn_close_all(struct ctl_http *h);

/* http_static.c */
int http_static_load(struct ctl_http *h, const char *root, char *err,
                     size_t err_len);
void http_static_free(struct ctl_http *h);
/* GET/HEAD of path: the file of the whitelist, or 404. */
void http_static_serve(struct ctl_http *h, struct evhttp_request *req,
                       const char *path);

/* http_rpc.c: POST /rpc on c, with the role decided by the caller. */
void http_rpc_handle(struct ctl_http *h, struct http_conn *c,
                     struct evhttp_request *req, bool control_role);
void http_rpc_close_all(struct ctl_http *h);

/* http_events.c: GET /events. */
int http_events_init(struct ctl_http *h);
void http_events_start(struct ctl_http *h, struct http_conn *c,
                       struct evhttp_request *req);
void http_events_close_all(struct ctl_http *h);

#endif
