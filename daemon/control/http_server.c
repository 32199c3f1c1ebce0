/* http_server.c - the HTTP server (http.h): evhttp on the control
 * thread's event base, bound to http.listen (loopback by default) or to
 * the socket systemd passes (FileDescriptorName=http).  Routing: GET / and
 * the page's files, POST /rpc, GET /events; nothing else (405 for other
 * methods, 404 for other paths).  Limits: headers HTTP_MAX_HEADERS, a
 * body PROTO_MAX_LINE (413), a request read or answer written within
 * HTTP_TIMEOUT_S, a whole request within HTTP_REQUEST_S and at most
 * HTTP_MAX_CONNECTIONS sockets (http_accept.c).  Roles: read-only unless "Authorization: Bearer TOKEN"
 * matches http.token_file's content (compared as SHA-256 digests in
 * constant time); a wrong token is 401.  On a loopback bind the Host
 * header must name the loopback address (DNS rebinding).  Control thread
 * only. */
#include "http_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"

#define TOKEN_MAX 4096

/* The token file's content, surrounding white space trimmed: its digest. */
static int read_token(struct ctl_http *h, const char *path, char *err, size_t err_len)
{
	char buf[TOKEN_MAX + 2], *t;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	size_t len;

	if (fd < 0) {
		snprintf(err, err_len, "http.token_file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
		log_warning("http.token_file %s is readable by every user: anyone "
		            "local may change dspd over HTTP (chmod o-r)", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, err_len, "http.token_file %s: %s", path, strerror(errno));
		return -EIO;
	}
	if ((size_t)n > TOKEN_MAX) {
		snprintf(err, err_len, "http.token_file %s: longer than %u bytes", path,
		         TOKEN_MAX);
		return -EINVAL;
	}
	buf[n] = '\0';
	for (t = buf; isspace((unsigned char)*t); t++)
		;
	len = strlen(t);
	while (len && isspace((unsigned char)t[len - 1]))
		t[--len] = '\0';
	if (len < 16) {
		snprintf(err, err_len, "http.token_file %s: the token must be at least "
		         "16 characters (e.g. head -c 24 /dev/urandom | base64)", path);
		return -EINVAL;
	}
	sha256_hex(t, len, h->token_sha256);
	explicit_bzero(buf, sizeof(buf));
	h->has_token = true;
	return 0;
}

/* Equal strings of 64 hex digits, in time independent of where they differ. */
static bool same_digest(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (int i = 0; i < 64; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* 1: the control role, 0: read-only (no Authorization), -1: a wrong one. */
static int role_of(struct ctl_http *h, struct evhttp_request *req)
{
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	                                      "Authorization");
	char digest[65];

	if (!auth)
		return 0;
	if (strncasecmp(auth, "Bearer ", 7) != 0 || !h->has_token)
		return -1;
	sha256_hex(auth + 7, strlen(auth + 7), digest);
	return same_digest(digest, h->token_sha256) ? 1 : -1;
}

/* A loopback bind answers only to a Host that names a loopback address:
 * a page of another site whose name was made to resolve to 127.0.0.1
 * sends its own name. */
static bool host_ok(struct ctl_http *h, struct evhttp_request *req)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]", NULL };
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");

	if (!h->check_host)
		return true;
	if (!host)
		return false;
	for (int i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		char *end;

		if (strncasecmp(host, names[i], n) != 0)
			continue;
		if (host[n] == '\0')
			return h->port == 80;
		if (host[n] == ':' && strtoul(host + n + 1, &end, 10) == h->port &&
		    *end == '\0' && isdigit((unsigned char)host[n + 1]))
			return true;
	}
	return false;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct ctl_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct http_conn *c;
	char msg[160];
	int role;

	if (!host_ok(h, req)) {
		http_send_text(req, 421, "Misdirected Request",
		               "the Host header must name this loopback address\n");
		return;
	}
	http_accept_request(h, evhttp_connection_get_bufferevent(
	                        evhttp_request_get_connection(req)));
	if (!(c = http_conn_of(h, req))) {
		h->conns_refused++;
		snprintf(msg, sizeof(msg), "too many HTTP connections (%u: 4 x "
		         "http.max_clients + 16)\n", HTTP_MAX_CONNECTIONS(h->max_clients));
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		http_send_text(req, 503, "Service Unavailable", msg);
		return;
	}
	if (!path || !path[0])
		path = "/";
	if (strcmp(path, "/rpc") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			http_send_text(req, 405, "Method Not Allowed", "POST a JSON-RPC request\n");
			return;
		}
		if ((role = role_of(h, req)) < 0) {
			http_send_rpc_error(req, 401, "Unauthorized", RPC_PERMISSION_DENIED,
			                    "wrong token (Authorization: Bearer TOKEN, the "
			                    "content of http.token_file; or none for the "
			                    "read-only role)");
			return;
		}
		http_rpc_handle(h, c, req, role == 1);
		return;
	}
	if (cmd != EVHTTP_REQ_GET) {
		http_send_text(req, 405, "Method Not Allowed", "GET only\n");
		return;
	}
	if (strcmp(path, "/events") == 0)
		http_events_start(h, c, req);
	else
		http_static_serve(h, req, path);
}

static int bind_listen(struct ctl_http *h, const struct dspd_config *cfg, int fd,
                       char *err, size_t err_len)
{
	char host[CFG_HTTP_LISTEN_MAX];
	bool loopback = false;

	if (fd >= 0) {
		/* systemd's socket: its own address is whatever the unit says;
		 * ListenStream=127.0.0.1:8080 (the shipped unit) is checked */
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);

		evutil_make_socket_nonblocking(fd);
		if (!evhttp_accept_socket_with_handle(h->http, fd)) {
			snprintf(err, err_len, "http: cannot use the socket passed by "
			         "systemd: %s", strerror(errno));
			return -EINVAL;
		}
		snprintf(h->listen, sizeof(h->listen), "(socket activation)");
		if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
		    sa.ss_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;

			h->port = ntohs(in->sin_port);
			h->check_host = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
		} else if (sa.ss_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;

			h->port = ntohs(in6->sin6_port);
			h->check_host = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		}
		return 0;
	}
	if (cfg_http_split_listen(cfg->http.listen, host, sizeof(host), &h->port,
	                          &loopback) < 0) {
		snprintf(err, err_len, "http.listen %s: not host:port", cfg->http.listen);
		return -EINVAL;
	}
	h->check_host = loopback;
	snprintf(h->listen, sizeof(h->listen), "%s", cfg->http.listen);
	if (!evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)h->port)) {
		snprintf(err, err_len, "http.listen %s: cannot listen: %s",
		         cfg->http.listen, strerror(errno));
		return errno ? -errno : -EADDRINUSE;
	}
	return 0;
}

int ctl_http_open(struct ctl_http **ret, struct event_base *base,
                  struct ctl_context *ctx, const struct dspd_config *cfg, int fd,
                  char *err, size_t err_len)
{
	struct ctl_http *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->base = base;
	h->ctx = ctx;
	h->max_clients = cfg->http.max_clients;
	if ((cfg->http.token_file[0] &&
	     (r = read_token(h, cfg->http.token_file, err, err_len)) < 0) ||
	    (r = http_static_load(h, cfg->http.root, err, err_len)) < 0) {
		free(h);
		return r;
	}
	h->http = evhttp_new(base);
	if (!h->http || http_events_init(h) < 0 || http_accept_init(h) < 0) {
		ctl_http_close(h);
		return -ENOMEM;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, PROTO_MAX_LINE);
	evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, on_request, h);
	if ((r = bind_listen(h, cfg, fd, err, err_len)) < 0) {
		ctl_http_close(h);
		return r;
	}
	log_info("http: the web page on %s (%s)%s", h->listen,
	         h->has_token ? "changes with the token" : "read-only: no token_file",
	         h->check_host ? "" : "; not a loopback address");
	*ret = h;
	return 0;
}

void ctl_http_close(struct ctl_http *h)
{
	if (!h)
		return;
	http_rpc_close_all(h);
	http_events_close_all(h);
	http_conn_close_all(h);
	if (h->http)
		evhttp_free(h->http);
	http_accept_close(h);
	http_static_free(h);
	explicit_bzero(h->token_sha256, sizeof(h->token_sha256));
	free(h);
}
