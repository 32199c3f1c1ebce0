/* http_accept.c - every accepted HTTP socket, from its accept (evhttp's
 * bufferevent callback) to its close, so that what a client holds is
 * bounded before it has sent a whole request:
 * - at most HTTP_MAX_CONNECTIONS(max_clients) sockets at once: one more
 *   is shut down at once (its client sees the connection closed), so
 *   idle or half-sent connections cannot take dspd's descriptors (the
 *   control sockets, FIR files and ALSA need them);
 * - a request must arrive whole within HTTP_REQUEST_S of the accept or
 *   of the connection's previous request: evhttp's own timeout restarts
 *   with every byte, so a client sending a header line every few seconds
 *   ("slowloris") would otherwise keep its socket for hours.  A
 *   connection with an event stream or an answer to come, or with bytes
 *   still to send, is exempt (those have their own limits), and its time
 *   starts again when that ends.
 * evhttp frees a connection's bufferevent itself and tells nobody when it
 * never sent a request: each socket's bufferevent holds a reference of
 * ours, and a freed one (no callbacks left) is released by the sweep,
 * which runs every second and whenever the count reaches the limit.
 * Control thread only. */
#include "http_internal.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"

struct http_sock {
	struct bufferevent *bev;          /* referenced */
	uint64_t since_ns;                /* accepted, or its last request */
	bool shut;                        /* shut down by us */
	struct http_sock *next;
};

/* evhttp let go of its connection (bufferevent_free() clears them). */
static bool released(struct bufferevent *bev)
{
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;

	bufferevent_getcb(bev, &rd, &wr, &ev, NULL);
	return !rd && !wr && !ev;
}

static void shut(struct http_sock *s)
{
	evutil_socket_t fd = bufferevent_getfd(s->bev);

	if (fd >= 0 && !s->shut)
		shutdown(fd, SHUT_RDWR);  /* evhttp sees the end and frees it */
	s->shut = true;
}

static bool exempt(struct ctl_http *h, const struct http_sock *s)
{
	for (struct http_conn *c = h->conns; c; c = http_conn_next(c))
		if (http_conn_bufferevent(c) == s->bev)
			return http_conn_owned(c) || http_conn_unsent(c) > 0;
	return false;
}

static void sweep(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_http *h = arg;
	uint64_t now = monotonic_ns(), late = (uint64_t)HTTP_REQUEST_S * 1000000000ull;
	unsigned open = 0, max = HTTP_MAX_CONNECTIONS(h->max_clients), excess;

	(void)fd;
	(void)what;
	for (struct http_sock **pp = &h->socks, *s; (s = *pp);) {
		if (released(s->bev)) {
			*pp = s->next;
			bufferevent_decref(s->bev);   /* closes its socket */
			free(s);
			h->n_socks--;
			continue;
		}
		open += !s->shut;
		pp = &s->next;
	}
	/* the newest first: those past the limit go */
	excess = open > max ? open - max : 0;
	for (struct http_sock *s = h->socks; s; s = s->next) {
		if (s->shut)
			continue;
		if (excess) {
			excess--;
			h->conns_refused++;
			shut(s);
		} else if (exempt(h, s)) {
			s->since_ns = now;    /* its time runs from when it is done */
		} else if (now - s->since_ns > late) {
			h->slow_closed++;
			shut(s);
		}
	}
}

/* evhttp_set_bevcb(): a new socket's bufferevent (its fd set by evhttp). */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
	struct ctl_http *h = arg;
	struct http_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;              /* evhttp makes one; it is not counted */
	if (!(s->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE))) {
		free(s);
		return NULL;
	}
	bufferevent_incref(s->bev);
	s->since_ns = monotonic_ns();
	s->next = h->socks;
	h->socks = s;
	/* the sweep (after this accept's fd is set) releases the closed ones
	 * and shuts down those over the limit */
	if (++h->n_socks > HTTP_MAX_CONNECTIONS(h->max_clients))
		event_active(h->sweep, 0, 0);
	return s->bev;
}

int http_accept_init(struct ctl_http *h)
{
	struct timeval second = { 1, 0 };

	h->sweep = event_new(h->base, -1, EV_PERSIST, sweep, h);
	if (!h->sweep || event_add(h->sweep, &second) < 0)
		return -ENOMEM;
	evhttp_set_bevcb(h->http, on_accept, h);
	return 0;
}

void http_accept_request(struct ctl_http *h, struct bufferevent *bev)
{
	for (struct http_sock *s = h->socks; s; s = s->next)
		if (s->bev == bev) {
			s->since_ns = monotonic_ns();
			return;
		}
}

/* After evhttp_free() (every bufferevent released). */
void http_accept_close(struct ctl_http *h)
{
	while (h->socks) {
		struct http_sock *s = h->socks;

		h->socks = s->next;
		bufferevent_decref(s->bev);
		free(s);
	}
	h->n_socks = 0;
	if (h->sweep)
		event_free(h->sweep);
	h->sweep = NULL;
}
