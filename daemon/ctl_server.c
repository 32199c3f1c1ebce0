/* ctl_server.c - control socket I/O (see ctl_server.h).
 *
 * Reading stops at PROTO_MAX_LINE + 1 buffered bytes (bufferevent high
 * watermark), so a client can never make the daemon buffer more than one
 * line; a line that long without a newline closes the client after a final
 * error.  Output beyond CTL_MAX_OUTPUT also closes it: a client that does not
 * read cannot grow the daemon's memory. */
#include "ctl_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct ctl_client {
	struct ctl_server *server;
	struct bufferevent *bev;
	struct ctl_session session;
	struct ctl_client *next;
	pid_t pid;
	uid_t uid;
	bool closing;            /* close once the output is flushed */
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct ctl_context *ctx;
	struct ctl_client *clients;
	unsigned n_clients;
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
	log_debug("control client pid %d uid %u disconnected", (int)c->pid, (unsigned)c->uid);
	bufferevent_free(c->bev);
	free(c);
}

static void client_send(struct ctl_client *c, char *line)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (!line)
		return;
	if (evbuffer_get_length(out) + strlen(line) > CTL_MAX_OUTPUT) {
		log_warning("control client pid %d does not read its replies; closing it",
		            (int)c->pid);
		c->closing = true;
		bufferevent_disable(c->bev, EV_READ);
		evbuffer_drain(out, evbuffer_get_length(out));
	} else {
		evbuffer_add(out, line, strlen(line));
	}
	free(line);
}

static void client_error_and_close(struct ctl_client *c, int code,
                                   const char *reason)
{
	struct rpc_error err;

	rpc_error_set(&err, code, NULL, "%s", reason);
	client_send(c, proto_error_line(NULL, &err));
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
}

static void handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct rpc_request req;
	struct rpc_error err;

	if (proto_parse_request(line, len, &req, &err) < 0)
		client_send(c, proto_error_line(req.id, &err));
	else
		client_send(c, methods_dispatch(c->server->ctx, &c->session, &req));
	json_object_put(req.root);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while (!c->closing && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		if (len > PROTO_MAX_LINE) {
			free(line);
			client_error_and_close(c, RPC_INVALID_REQUEST, "line too long (limit 65536 bytes)");
			break;
		}
		handle_line(c, line, len);
		free(line);
	}
	if (!c->closing && evbuffer_get_length(in) > PROTO_MAX_LINE)
		client_error_and_close(c, RPC_INVALID_REQUEST,
		                       "line too long (limit 65536 bytes); closing");
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
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void log_peer(struct ctl_client *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
	}
	log_debug("control client pid %d uid %u connected", (int)c->pid, (unsigned)c->uid);
}

static void refuse(int fd)
{
	struct rpc_error err;
	char *line;

	rpc_error_set(&err, RPC_SERVER_ERROR, NULL, "too many clients (limit %d)",
	              CTL_MAX_CLIENTS);
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

	if (s->n_clients >= CTL_MAX_CLIENTS) {
		log_warning("control client refused: already %u clients", s->n_clients);
		refuse(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		close(fd);
		return;
	}
	c->server = s;
	log_peer(c, fd);
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
	int fd, r;

	if (access(path, F_OK) != 0)
		return 0;
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

int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const char *path, struct ctl_context *ctx,
                    char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	if ((r = claim_path(path, err, err_len)) < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->ctx = ctx;
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s->listener = evconnlistener_new_bind(base, on_accept, s,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sa, sizeof(sa));
	if (!s->listener) {
		r = -errno;
		snprintf(err, err_len, "cannot listen on %s: %s", path, strerror(-r));
		free(s);
		return r ? r : -EIO;
	}
	chmod(path, 0660);
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
	unlink(s->path);
	free(s);
}

unsigned ctl_server_clients(const struct ctl_server *s)
{
	return s->n_clients;
}
