/* http_conn.c - the HTTP connections that sent a request: at most
 * HTTP_MAX_CONNECTIONS(max_clients) of them (one more gets 503 and is
 * closed), each one's unsent bytes counted in the sockets' output budget
 * (control.output_budget, limits.buffered), and its close handed to what
 * runs on it (an event stream, an answer to come).  A connection that never
 * sends a whole request is closed by http_accept.c.  Control
 * thread only. */
#include "http_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>

struct http_conn {
	struct ctl_http *http;
	struct evhttp_connection *evcon;
	struct evbuffer *out;
	struct evbuffer_cb_entry *cb;
	size_t held;                      /* its bytes in limits.buffered */
	void (*closed)(void *owner);      /* what runs on it, told of the close */
	void *owner;
	struct http_conn *next;
};

static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                             void *arg)
{
	struct http_conn *c = arg;
	struct ctl_limits *l = &c->http->ctx->limits;

	c->held = c->held + info->n_added - info->n_deleted;
	l->buffered = l->buffered + info->n_added - info->n_deleted;
	if (l->buffered > l->buffered_peak)
		l->buffered_peak = l->buffered;
}

static void conn_free(struct http_conn *c)
{
	struct ctl_http *h = c->http;
	struct http_conn **pp;

	for (pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	h->n_conns--;
	h->ctx->limits.buffered -= c->held;
	if (c->cb)
		evbuffer_remove_cb_entry(c->out, c->cb);
	evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	free(c);
}

/* evhttp frees the connection (its client left, a timeout, or ours). */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *c = arg;
	void (*closed)(void *) = c->closed;
	void *owner = c->owner;

	conn_free(c);
	if (closed)
		closed(owner);
}

struct http_conn *http_conn_of(struct ctl_http *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct http_conn *c;

	for (c = h->conns; c; c = c->next)
		if (c->evcon == evcon)
			return c;
	if (h->n_conns >= HTTP_MAX_CONNECTIONS(h->max_clients) ||
	    !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->http = h;
	c->evcon = evcon;
	c->out = bufferevent_get_output(evhttp_connection_get_bufferevent(evcon));
	c->cb = evbuffer_add_cb(c->out, on_output_change, c);
	c->next = h->conns;
	h->conns = c;
	h->n_conns++;
	evhttp_connection_set_closecb(evcon, on_close, c);
	return c;
}

void http_conn_own(struct http_conn *c, void (*closed)(void *owner), void *owner)
{
	c->closed = closed;
	c->owner = owner;
}

size_t http_conn_unsent(const struct http_conn *c)
{
	return evbuffer_get_length(c->out);
}

size_t http_conn_held(const struct http_conn *c)
{
	return c->held;
}

bool http_conn_owned(const struct http_conn *c)
{
	return c->closed != NULL;
}

struct bufferevent *http_conn_bufferevent(const struct http_conn *c)
{
	return evhttp_connection_get_bufferevent(c->evcon);
}

struct http_conn *http_conn_next(const struct http_conn *c)
{
	return c->next;
}

void http_conn_drop(struct http_conn *c)
{
	struct evhttp_connection *evcon = c->evcon;

	conn_free(c);
	evhttp_connection_free(evcon);        /* frees its request */
}

void http_conn_close_all(struct ctl_http *h)
{
	while (h->conns)
		http_conn_drop(h->conns);
}
