/* server.c - control socket I/O (see server.h).
 *
 * Everything a client makes the daemon hold is bounded:
 * - input: reading stops at PROTO_MAX_LINE + 1 buffered bytes (bufferevent
 *   high watermark), so a client never makes the daemon buffer more than
 *   one line; a line that long without a newline closes the client after a
 *   final error.  On the control socket one client at a time may send a
 *   line of up to PROTO_MAX_LARGE_LINE (a whole configuration), for at
 *   most LARGE_LINE_NS while another client waits for that slot.
 * - output, per client: lines that may be left out (levels, record.data)
 *   are while the client has a backlog (ctl_session_offer()); one whose
 *   unread output passes max_client_output gets one last error and is
 *   closed (after at most CLOSE_GRACE_S).
 * - all clients together: the bytes held for them (unread output and
 *   unfinished request lines, counted through evbuffer callbacks) have a
 *   budget.  Once it is spent, a client holding more than its share
 *   (budget / clients) gets nothing that may be left out, is closed if
 *   something must be sent to it, and the largest such holders whose
 *   output has not drained for STUCK_NS are closed until the total is back
 *   under the budget (enforce_budget()).  Clients
 *   that read what they get hold next to nothing and are never touched.
 * - connections: max_clients per socket, max_clients_per_uid across both
 *   sockets, and no more in all than the descriptor limit allows.  When
 *   accept() itself fails (EMFILE...), the listener pauses with a doubling
 *   delay (or until a client leaves) and the log says so once in a while.
 * A client that shuts its writing side (SHUT_WR) has its last line served,
 * even without a newline, and a `record` it started runs to its end; then
 * it is closed. */
#include "server.h"
#include "socket_path.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"

#define CLOSE_GRACE_S 2
#define ACCEPT_PAUSE_FIRST_MS 100
#define ACCEPT_PAUSE_MAX_MS 1000
#define LOG_EVERY_MS 10000       /* a repeating complaint, at most this often */
#define SWEEP_EVERY_NS 1000000u  /* a budget sweep, at most this often */
#define STUCK_NS 500000000u      /* output not drained this long: not reading */
#define TRIM_MARK (4u << 20)     /* held this much: give memory back after */

/* One log line per LOG_EVERY_MS for a thing that can repeat fast; the
 * next one says how many were left out. */
struct log_limit {
	uint64_t next_ns;
	unsigned long long suppressed;
};

/* Whether to log now; if so, note (in buf) how many were left out. */
static bool log_due(struct log_limit *l, char *note, size_t size)
{
	uint64_t now = monotonic_ns();

	if (now < l->next_ns) {
		l->suppressed++;
		return false;
	}
	note[0] = '\0';
	if (l->suppressed)
		snprintf(note, size, " (%llu more in the last %u s not logged)",
		         l->suppressed, LOG_EVERY_MS / 1000);
	l->suppressed = 0;
	l->next_ns = now + LOG_EVERY_MS * 1000000ull;
	return true;
}

struct ctl_client {
	struct ctl_server *server;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *in_cb, *out_cb;
	struct ctl_session session;
	struct ctl_client *next;
	size_t held;             /* its bytes in limits->buffered */
	uint64_t drained_ns;     /* its output was last empty (or it connected) */
	bool closing;            /* close once the output is flushed */
	bool eof;                /* it shut its writing side: finish, then close */
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *resume;    /* accept paused after an error: resumes it */
	struct backoff accept_pause;
	bool accept_paused;
	struct ctl_server_handler handler;
	struct ctl_limits *limits;
	struct ctl_client *clients;
	unsigned n_clients;
	struct ctl_client *large;  /* receiving a line past PROTO_MAX_LINE */
	uint64_t large_since_ns;   /* when it began */
	bool read_only;
	bool owns_path;          /* we bound it, so we remove it */
	struct log_limit log_refused, log_accept, log_slow;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

void ctl_limits_init(struct ctl_limits *l, const struct dspd_config *cfg,
                     unsigned sockets)
{
	struct rlimit rl;
	unsigned allowed;

	memset(l, 0, sizeof(*l));
	l->max_clients = l->max_clients_configured = cfg->max_clients;
	l->max_clients_total = cfg->max_clients * (sockets ? sockets : 1);
	l->max_clients_per_uid = cfg->max_clients_per_uid;
	l->output_budget = cfg->output_budget;
	l->max_client_output = cfg->max_client_output;
	l->fd_reserve = CTL_FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	l->fd_limit = rl.rlim_cur;
	allowed = rl.rlim_cur > CTL_FD_RESERVE + 1 ? (unsigned)(rl.rlim_cur - CTL_FD_RESERVE) : 1;
	if (allowed >= l->max_clients_total)
		return;
	l->clamped = true;
	l->max_clients_total = allowed;
	if (l->max_clients > allowed)
		l->max_clients = allowed;
	log_warning("the descriptor limit (RLIMIT_NOFILE %llu, %u kept for devices "
	            "and files) allows %u clients in all: control.max_clients %u "
	            "on %u socket%s clamped", (unsigned long long)rl.rlim_cur,
	            CTL_FD_RESERVE, allowed, cfg->max_clients, sockets,
	            sockets == 1 ? "" : "s");
}

size_t ctl_limits_memory_bound(const struct ctl_limits *l)
{
	return 3 * l->output_budget + (size_t)l->max_clients_total * CTL_CLIENT_MEMORY +
	       CTL_REQUEST_MEMORY;
}

/* ---- what the clients hold ---- */

static void on_buffer_change(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                             void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_limits *l = c->server->limits;

	c->held = c->held + info->n_added - info->n_deleted;
	if (buf == bufferevent_get_output(c->bev) && evbuffer_get_length(buf) == 0)
		c->drained_ns = monotonic_ns();
	l->buffered = l->buffered + info->n_added - info->n_deleted;
	if (l->buffered > l->buffered_peak)
		l->buffered_peak = l->buffered;
	if (l->buffered > l->trim_mark)
		l->trim_mark = l->buffered;
	/* after a burst, give the freed heap back (it cannot be while the
	 * pages are locked by mlockall: then the budget bounds what stays) */
	if (l->trim_mark >= TRIM_MARK && l->buffered < l->trim_mark / 8) {
		malloc_trim(0);
		l->trim_mark = l->buffered;
	}
}

static size_t fair_share(const struct ctl_limits *l)
{
	return l->output_budget / (l->clients ? l->clients : 1);
}

/* What c holds after writing now what its client's socket takes: a client
 * that reads is not judged by a line queued a moment ago.  Never for a
 * closing client (its end comes from the write callback). */
static size_t client_held(struct ctl_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (!c->closing && evbuffer_get_length(out) > 0)
		evbuffer_write(out, bufferevent_getfd(c->bev));
	return c->held;
}

/* The budget would be passed by add more bytes and c would hold more than
 * its share (already does, for a line that must go out): c is one of
 * those that spent it. */
static bool over_share(struct ctl_client *c, size_t add, bool must)
{
	const struct ctl_limits *l = c->server->limits;
	size_t mine = must ? 0 : add;

	return l->buffered + add > l->output_budget && c->held + mine > fair_share(l) &&
	       client_held(c) + mine > fair_share(l);
}

static void client_free(struct ctl_client *c);

/* Stop reading, flush what is queued, then close (or give up after the
 * grace period if the peer never reads). */
static void client_close_after_flush(struct ctl_client *c)
{
	const struct timeval grace = { CLOSE_GRACE_S, 0 };

	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_set_timeouts(c->bev, NULL, &grace);
}

/* Let go of everything queued for c but the rest of the line its client
 * may be reading (so that the final error starts a line), and of its
 * unfinished input. */
static void client_drop_output(struct ctl_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer *keep = evbuffer_new();
	struct evbuffer_ptr eol = evbuffer_search_eol(out, NULL, NULL, EVBUFFER_EOL_LF);

	if (keep && eol.pos >= 0)
		evbuffer_remove_buffer(out, keep, (size_t)eol.pos + 1);
	evbuffer_drain(out, evbuffer_get_length(out));
	if (keep) {
		evbuffer_add_buffer(out, keep);
		evbuffer_free(keep);
	}
	evbuffer_drain(bufferevent_get_input(c->bev),
	               evbuffer_get_length(bufferevent_get_input(c->bev)));
}

/* A final error, then the close.  No free here: callers may be walking
 * the client list. */
static void client_disconnect(struct ctl_client *c, const char *reason)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct rpc_error err;
	char *line;

	client_drop_output(c);
	rpc_error_set(&err, RPC_CLIENT_TOO_SLOW, NULL, "%s; disconnecting", reason);
	line = proto_error_line(NULL, &err);
	if (line)
		evbuffer_add(out, line, strlen(line));
	free(line);
	client_close_after_flush(c);
}

static void log_slow(struct ctl_client *c, const char *reason)
{
	char note[80];

	if (log_due(&c->server->log_slow, note, sizeof(note)))
		log_warning("control client pid %d uid %u: %s; disconnecting it%s",
		            (int)c->session.pid, (unsigned)c->session.uid, reason, note);
}

/* The largest holder of more than above bytes whose output has not been
 * drained for STUCK_NS: a client that reads but fell behind for a moment
 * (its bytes skipped meanwhile) is not one. */
static struct ctl_client *largest_holder(struct ctl_limits *l, size_t above,
                                         uint64_t now)
{
	struct ctl_client *best = NULL;

	for (int i = 0; i < 2; i++)
		for (struct ctl_client *c = l->servers[i] ? l->servers[i]->clients : NULL;
		     c; c = c->next)
			if (!c->closing && c->held > above && now - c->drained_ns >= STUCK_NS &&
			    client_held(c) > above && (!best || c->held > best->held))
				best = c;
	return best;
}

/* Over the budget: close the largest holders of more than their share
 * until the total is back under it. */
static void enforce_budget(struct ctl_limits *l)
{
	uint64_t now;
	struct ctl_client *c;
	char reason[160];

	if (l->buffered <= l->output_budget)
		return;
	now = monotonic_ns();
	if (now - l->sweep_ns < SWEEP_EVERY_NS)
		return;
	l->sweep_ns = now;
	while (l->buffered > l->output_budget && (c = largest_holder(l, fair_share(l), now))) {
		snprintf(reason, sizeof(reason), "the output budget of all clients (%zu "
		         "bytes) is spent and this client holds %zu (its share: %zu)",
		         l->output_budget, c->held, fair_share(l));
		log_slow(c, reason);
		client_disconnect(c, reason);
		l->disconnected_budget++;
	}
}

static void client_queue(struct ctl_client *c, char *line, size_t len)
{
	evbuffer_add(bufferevent_get_output(c->bev), line, len);
	free(line);
	enforce_budget(c->server->limits);
}

/* A client that shut its writing side is closed once nothing it asked
 * for is due any more (a `record` runs to its end). */
static void client_maybe_done(struct ctl_client *c)
{
	if (c->eof && !c->closing && !c->session.record)
		client_close_after_flush(c);
}

void ctl_session_send(struct ctl_session *session, char *line)
{
	struct ctl_client *c = session->client;
	struct ctl_limits *l;
	size_t len, unread;
	char reason[160];

	if (session->deliver) {            /* not ours: an HTTP request */
		session->deliver(session, line);
		return;
	}
	l = c->server->limits;
	unread = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (!line || c->closing) {
		free(line);
		return;
	}
	len = strlen(line);
	if (unread + len > l->max_client_output) {
		snprintf(reason, sizeof(reason), "more than %zu bytes unread",
		         l->max_client_output);
		l->disconnected_slow++;
	} else if (over_share(c, len, true)) {
		snprintf(reason, sizeof(reason), "the output budget of all clients "
		         "(%zu bytes) is spent and this client holds %zu (its share: %zu)",
		         l->output_budget, c->held, fair_share(l));
		l->disconnected_budget++;
	} else {
		client_queue(c, line, len);
		client_maybe_done(c);
		return;
	}
	free(line);
	log_slow(c, reason);
	client_disconnect(c, reason);
}

int ctl_session_offer(struct ctl_session *session, char *line, size_t backlog)
{
	struct ctl_client *c = session->client;
	size_t len, unread;

	if (!line || session->deliver || c->closing) {
		free(line);
		return -EAGAIN;           /* an HTTP request takes one answer */
	}
	unread = evbuffer_get_length(bufferevent_get_output(c->bev));
	len = strlen(line);
	if (unread > backlog || unread + len > c->server->limits->max_client_output ||
	    over_share(c, len, false)) {
		free(line);
		return -EAGAIN;
	}
	client_queue(c, line, len);
	return 0;
}

bool ctl_session_paused(struct ctl_session *session, size_t backlog)
{
	struct ctl_client *c = session->client;

	return session->deliver || c->closing || evbuffer_get_length(bufferevent_get_output(c->bev)) > backlog ||
	       over_share(c, 0, false);
}

void ctl_server_foreach(struct ctl_server *srv,
                        void (*fn)(struct ctl_session *s, void *data), void *data)
{
	for (struct ctl_client *c = srv->clients; c; c = c->next)
		if (!c->closing)
			fn(&c->session, data);
}

unsigned ctl_server_clients(const struct ctl_server *s)
{
	return s->n_clients;
}

/* ---- clients ---- */

static void resume_accept(struct ctl_server *s)
{
	if (!s->accept_paused)
		return;
	s->accept_paused = false;
	event_del(s->resume);
	evconnlistener_enable(s->listener);
}

static void client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->server;
	struct ctl_limits *l = s->limits;
	struct ctl_client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->n_clients--;
	l->clients--;
	if (s->large == c)
		s->large = NULL;
	s->handler.closed(s->handler.data, &c->session);
	log_debug("control client pid %d uid %u disconnected", (int)c->session.pid,
	          (unsigned)c->session.uid);
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	l->buffered -= c->held;
	bufferevent_free(c->bev);
	free(c);
	/* a descriptor is free again */
	for (int i = 0; i < 2; i++)
		if (l->servers[i])
			resume_accept(l->servers[i]);
}

static void client_error_and_close(struct ctl_client *c, int code,
                                   const char *reason)
{
	struct rpc_error err;

	rpc_error_set(&err, code, NULL, "%s", reason);
	ctl_session_send(&c->session, proto_error_line(NULL, &err));
	client_close_after_flush(c);
}

static void handle_line(struct ctl_client *c, const char *line, size_t len)
{
	ctl_session_send(&c->session, c->server->handler.line(
		c->server->handler.data, &c->session, line, len));
}

static void line_too_long(struct ctl_client *c)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "line too long (limit %u bytes%s); closing",
	         PROTO_MAX_LINE, c->server->read_only ? "" :
	         ", or one line of 8 MiB at a time on the control socket");
	client_error_and_close(c, RPC_INVALID_REQUEST, reason);
}

/* A line may pass PROTO_MAX_LINE on the control socket only, for one
 * client at a time (a whole configuration in config.load): up to
 * PROTO_MAX_LARGE_LINE.  A client that holds that slot for more than
 * LARGE_LINE_NS while another wants it is closed.  Returns whether c may
 * go on buffering len bytes. */
#define LARGE_LINE_NS (10 * 1000000000ull)
static bool may_buffer(struct ctl_client *c, size_t len)
{
	struct ctl_server *s = c->server;

	if (len <= PROTO_MAX_LINE)
		return true;
	if (s->read_only || len > PROTO_MAX_LARGE_LINE)
		return false;
	if (s->large && s->large != c) {
		if (monotonic_ns() - s->large_since_ns < LARGE_LINE_NS || s->large->closing)
			return false;
		client_error_and_close(s->large, RPC_INVALID_REQUEST, "a line past "
		                       "64 KiB not finished within 10 s while another "
		                       "client waited; closing");
		s->large = NULL;
	}
	if (!s->large) {
		s->large = c;
		s->large_since_ns = monotonic_ns();
		bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LARGE_LINE + 1);
	}
	return true;
}

/* c's large line is done: the next client may send one. */
static void large_done(struct ctl_client *c)
{
	if (c->server->large != c)
		return;
	c->server->large = NULL;
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LINE + 1);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while (!c->closing && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		if (!may_buffer(c, len)) {
			free(line);
			line_too_long(c);
			break;
		}
		handle_line(c, line, len);
		free(line);
		large_done(c);
	}
	if (!c->closing && !may_buffer(c, evbuffer_get_length(in)))
		line_too_long(c);
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	if (c->closing)
		client_free(c);
}

/* The client shut its writing side: serve its last line, newline or not,
 * and what it started; close when that is done. */
static void on_input_end(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in);
	char *line;

	c->eof = true;
	if (!c->closing && len > 0 && may_buffer(c, len) &&
	    (line = malloc(len + 1))) {
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		handle_line(c, line, len);
		free(line);
		large_done(c);
	}
	client_maybe_done(c);
	if (c->closing && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    !(what & BEV_EVENT_ERROR))
		on_input_end(arg);
	else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(arg);
}

static bool peer_credentials(struct ctl_server *s, int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return false;
	log_debug("%s client pid %d uid %u gid %u connected",
	          s->read_only ? "monitor" : "control",
	          (int)cred->pid, (unsigned)cred->uid, (unsigned)cred->gid);
	return true;
}

static unsigned clients_of(const struct ctl_limits *l, uid_t uid)
{
	unsigned n = 0;

	for (int i = 0; i < 2; i++)
		for (struct ctl_client *c = l->servers[i] ? l->servers[i]->clients : NULL;
		     c; c = c->next)
			n += c->session.uid == uid;
	return n;
}

static void refuse(struct ctl_server *s, int fd, const char *reason)
{
	struct rpc_error err;
	char *line, note[80];

	s->limits->refused++;
	if (log_due(&s->log_refused, note, sizeof(note)))
		log_warning("client refused on %s: %s%s", s->path, reason, note);
	rpc_error_set(&err, RPC_SERVER_ERROR, NULL, "%s", reason);
	line = proto_error_line(NULL, &err);
	if (line && write(fd, line, strlen(line)) < 0)
		log_debug("could not tell a refused client why: %s", strerror(errno));
	free(line);
	close(fd);
}

/* Who may not connect now: NULL, or why (in buf). */
static const char *over_limit(struct ctl_server *s, const struct ucred *cred,
                              char *buf, size_t size)
{
	struct ctl_limits *l = s->limits;

	if (s->n_clients >= l->max_clients)
		snprintf(buf, size, "too many clients (limit %u)", l->max_clients);
	else if (l->clients >= l->max_clients_total)
		snprintf(buf, size, "too many clients (limit %u on all sockets%s)",
		         l->max_clients_total, l->clamped ? ", set by the descriptor limit" : "");
	else if (clients_of(l, cred->uid) >= l->max_clients_per_uid)
		snprintf(buf, size, "too many clients of uid %u (limit %u per uid, "
		         "control.max_clients_per_uid)", (unsigned)cred->uid,
		         l->max_clients_per_uid);
	else
		return NULL;
	return buf;
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *addr, int addr_len, void *arg)
{
	struct ctl_server *s = arg;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	struct ctl_client *c;
	const char *why;
	char buf[160];

	backoff_reset(&s->accept_pause);
	if (!peer_credentials(s, fd, &cred))
		log_debug("no credentials of a client: %s", strerror(errno));
	if ((why = over_limit(s, &cred, buf, sizeof(buf)))) {
		refuse(s, fd, why);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		close(fd);
		return;
	}
	c->server = s;
	c->drained_ns = monotonic_ns();
	c->session.client = c;
	c->session.read_only = s->read_only;
	c->session.pid = cred.pid;
	c->session.uid = cred.uid;
	c->in_cb = evbuffer_add_cb(bufferevent_get_input(c->bev), on_buffer_change, c);
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), on_buffer_change, c);
	if (!c->in_cb || !c->out_cb) {
		bufferevent_free(c->bev);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	s->n_clients++;
	s->limits->clients++;
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LINE + 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	resume_accept(arg);
}

/* accept() failed: out of descriptors (EMFILE, ENFILE) or memory.  Trying
 * again at once would spin; pause, and let a leaving client or the delay
 * (100 ms doubling to 1 s) resume it. */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
	struct ctl_server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv;
	char note[80];

	s->limits->accept_errors++;
	backoff_failed(&s->accept_pause, monotonic_ns(), ACCEPT_PAUSE_FIRST_MS,
	               ACCEPT_PAUSE_MAX_MS);
	if (log_due(&s->log_accept, note, sizeof(note)))
		log_warning("cannot accept clients on %s: %s; accepting paused for "
		            "%u ms%s", s->path, strerror(err), s->accept_pause.delay_ms, note);
	evconnlistener_disable(listener);
	s->accept_paused = true;
	tv.tv_sec = s->accept_pause.delay_ms / 1000;
	tv.tv_usec = (s->accept_pause.delay_ms % 1000) * 1000;
	event_add(s->resume, &tv);
}

static struct evconnlistener *bind_path(struct ctl_server *s,
                                        const struct ctl_listen *how,
                                        char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct evconnlistener *l;
	mode_t old_mask;

	if (strlen(how->path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "socket path too long: %s", how->path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((errno = -ctl_socket_claim(how->path, err, err_len)) != 0)
		return NULL;
	ctl_socket_make_parent(how->path);
	memcpy(sa.sun_path, how->path, strlen(how->path) + 1);
	/* never let the socket exist with looser permissions than asked */
	old_mask = umask(0777 & ~how->mode);
	l = evconnlistener_new_bind(s->base, on_accept, s,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
		(struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (!l) {
		snprintf(err, err_len, "cannot listen on %s: %s", how->path, strerror(errno));
		return NULL;
	}
	ctl_socket_set_owner(how->path, how->mode, how->group);
	s->owns_path = true;
	return l;
}

int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const struct ctl_listen *how,
                    const struct ctl_server_handler *handler,
                    char *err, size_t err_len)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->base = base;
	s->handler = *handler;
	s->read_only = how->read_only;
	s->limits = how->limits;
	s->resume = evtimer_new(base, on_resume, s);
	if (!s->resume) {
		free(s);
		return -ENOMEM;
	}
	snprintf(s->path, sizeof(s->path), "%s", how->path);
	if (how->fd >= 0) {
		/* systemd passes blocking sockets; libevent must never block */
		evutil_make_socket_nonblocking(how->fd);
		s->listener = evconnlistener_new(base, on_accept, s,
			LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, how->fd);
		if (!s->listener)
			snprintf(err, err_len, "cannot use the inherited socket %s: %s",
			         how->path, strerror(errno));
	} else {
		s->listener = bind_path(s, how, err, err_len);
	}
	if (!s->listener) {
		r = errno ? -errno : -EIO;
		event_free(s->resume);
		free(s);
		return r;
	}
	evconnlistener_set_error_cb(s->listener, on_accept_error);
	for (int i = 0; i < 2; i++)
		if (!s->limits->servers[i]) {
			s->limits->servers[i] = s;
			break;
		}
	*ret = s;
	return 0;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s->clients);
	for (int i = 0; i < 2; i++)
		if (s->limits->servers[i] == s)
			s->limits->servers[i] = NULL;
	evconnlistener_free(s->listener);
	event_free(s->resume);
	if (s->owns_path)
		unlink(s->path);
	free(s);
}
