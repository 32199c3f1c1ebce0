/* server.c - control socket I/O (see server.h).
 *
 * Reading stops at PROTO_MAX_LINE + 1 buffered bytes (bufferevent high
 * watermark), so a client can never make the daemon buffer more than one
 * line; a line that long without a newline closes the client after a final
 * error.  Output is bounded too: level notifications pause while a client
 * has CTL_LEVELS_BACKLOG unread, and a client with CTL_MAX_OUTPUT unread
 * gets one last error and is closed (after at most CLOSE_GRACE_S). */
#include "server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CLOSE_GRACE_S 2

struct ctl_client {
	struct ctl_server *server;
	struct bufferevent *bev;
	struct ctl_session session;
	struct ctl_client *next;
	bool closing;            /* close once the output is flushed */
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct ctl_server_handler handler;
	struct ctl_client *clients;
	unsigned n_clients, max_clients;
	struct ctl_client *large;  /* receiving a line past PROTO_MAX_LINE */
	bool read_only;
	bool owns_path;          /* we bound it, so we remove it */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->server;
	struct ctl_client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->n_clients--;
	if (s->large == c)
		s->large = NULL;
	s->handler.closed(s->handler.data, &c->session);
	log_debug("control client pid %d uid %u disconnected", (int)c->session.pid,
	          (unsigned)c->session.uid);
	bufferevent_free(c->bev);
	free(c);
}

/* Stop reading, flush what is queued, then close (or give up after the
 * grace period if the peer never reads). */
static void client_close_after_flush(struct ctl_client *c)
{
	const struct timeval grace = { CLOSE_GRACE_S, 0 };

	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_set_timeouts(c->bev, NULL, &grace);
}

void ctl_session_send(struct ctl_session *session, char *line)
{
	struct ctl_client *c = session->client;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct rpc_error err;

	if (!line || c->closing) {
		free(line);
		return;
	}
	if (evbuffer_get_length(out) + strlen(line) > CTL_MAX_OUTPUT) {
		log_warning("control client pid %d left %zu bytes unread; closing it",
		            (int)session->pid, evbuffer_get_length(out));
		free(line);
		evbuffer_drain(out, evbuffer_get_length(out));
		rpc_error_set(&err, RPC_CLIENT_TOO_SLOW, NULL,
		              "more than %u bytes unread; disconnecting", CTL_MAX_OUTPUT);
		line = proto_error_line(NULL, &err);
		client_close_after_flush(c);
	}
	if (line)
		evbuffer_add(out, line, strlen(line));
	free(line);
}

bool ctl_session_congested(const struct ctl_session *session)
{
	return evbuffer_get_length(bufferevent_get_output(session->client->bev)) >
	       CTL_LEVELS_BACKLOG;
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

/* A line may pass PROTO_MAX_LINE on the control socket only, for one
 * client at a time (a whole configuration in config.load): up to
 * PROTO_MAX_LARGE_LINE.  Returns whether c may go on buffering len bytes. */
static bool may_buffer(struct ctl_client *c, size_t len)
{
	struct ctl_server *s = c->server;

	if (len <= PROTO_MAX_LINE)
		return true;
	if (s->read_only || len > PROTO_MAX_LARGE_LINE || (s->large && s->large != c))
		return false;
	if (!s->large) {
		s->large = c;
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

static void line_too_long(struct ctl_client *c)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "line too long (limit %u bytes%s); closing",
	         PROTO_MAX_LINE, c->server->read_only ? "" :
	         ", or one line of 8 MiB at a time on the control socket");
	client_error_and_close(c, RPC_INVALID_REQUEST, reason);
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

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(arg);
}

static void peer_credentials(struct ctl_client *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->session.pid = cred.pid;
		c->session.uid = cred.uid;
	}
	log_debug("%s client pid %d uid %u gid %u connected",
	          c->server->read_only ? "monitor" : "control",
	          (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.gid);
}

static void refuse(int fd, unsigned limit)
{
	struct rpc_error err;
	char *line;

	rpc_error_set(&err, RPC_SERVER_ERROR, NULL, "too many clients (limit %u)", limit);
	line = proto_error_line(NULL, &err);
	if (line && write(fd, line, strlen(line)) < 0)
		log_debug("could not tell a refused client why: %s", strerror(errno));
	free(line);
	close(fd);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *addr, int addr_len, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_client *c;

	if (s->n_clients >= s->max_clients) {
		log_warning("client refused on %s: already %u clients", s->path, s->n_clients);
		refuse(fd, s->max_clients);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		close(fd);
		return;
	}
	c->server = s;
	c->session.client = c;
	c->session.read_only = s->read_only;
	peer_credentials(c, fd);
	c->next = s->clients;
	s->clients = c;
	s->n_clients++;
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LINE + 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* A socket file nobody answers on is stale and may go; a live one means
 * another dspd owns it. */
static int claim_path(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "%s exists and is not a socket; refusing to "
		         "replace it (check control.socket)", path);
		return -EEXIST;
	}
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0) {
		snprintf(err, err_len, "another dspd is already listening on %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		r = -errno;
		snprintf(err, err_len, "cannot remove stale socket %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

/* The directory of the socket, created 0755 if missing (one level). */
static void ensure_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_info("created %s", dir);
}

static void apply_owner(const char *path, unsigned mode, const char *group)
{
	struct group *g;

	if (group && group[0]) {
		g = getgrnam(group);
		if (!g)
			log_warning("group \"%s\" does not exist; %s keeps the daemon's group",
			            group, path);
		else if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			log_warning("cannot give %s to group %s: %s", path, group, strerror(errno));
	}
	if (chmod(path, mode) < 0)
		log_warning("cannot chmod %s: %s", path, strerror(errno));
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
	if ((errno = -claim_path(how->path, err, err_len)) != 0)
		return NULL;
	ensure_parent(how->path);
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
	apply_owner(how->path, how->mode, how->group);
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
	s->max_clients = how->max_clients;
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
		free(s);
		return r;
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
	evconnlistener_free(s->listener);
	if (s->owns_path)
		unlink(s->path);
	free(s);
}
