/* rpc_client.c - connection and request/answer handling for dspctl.
 *
 * Owns the socket and the receive buffer of one connection.  The deadline
 * covers each request: SO_SNDTIMEO bounds connect() (a full listen queue) and
 * send(), poll() bounds the wait for the answer line.  The answer is checked
 * the way the daemon checks requests: one strict JSON object per line, a
 * "jsonrpc":"2.0" envelope, our id, exactly one of result and error.
 *
 * Streaming commands (monitor, levels --follow, record) read notifications
 * too: rpc_call_notify() hands those that arrive before the answer to a
 * callback, rpc_next_message() returns them one at a time.
 *
 * Single-threaded (dspctl's main thread). */
#include "rpc_client.h"
#include "clock.h"
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int rpc_connect(struct rpc_conn *c, const char *path, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->next_id = 1;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, strlen(path) + 1);

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	while (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			errno = ETIMEDOUT;  /* listen queue stayed full */
		goto fail;
	}
	return 0;
fail:;
	int err = -errno;
	rpc_close(c);
	return err;
}

void rpc_close(struct rpc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

void rpc_reply_free(struct rpc_reply *r)
{
	if (r->envelope)
		json_object_put(r->envelope);
	memset(r, 0, sizeof(*r));
}

json_object *rpc_parse_json(const char *text, size_t len, const char **ret_why)
{
	json_tokener *tok = json_tokener_new_ex(RPC_MAX_JSON_DEPTH);
	json_object *value;
	enum json_tokener_error jerr;

	if (!tok) {
		*ret_why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* Including the NUL ends a top-level number instead of waiting for
	 * more digits; an earlier NUL shows up as trailing data. */
	value = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		*ret_why = "incomplete JSON";
	} else if (jerr != json_tokener_success) {
		*ret_why = json_tokener_error_desc(jerr);
	} else if (json_tokener_get_parse_end(tok) < len) {
		*ret_why = "trailing data after the JSON document";
		json_object_put(value);
		value = NULL;
	}
	if (jerr != json_tokener_success)
		value = NULL;
	json_tokener_free(tok);
	return value;
}

static int send_all(struct rpc_conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			if (errno == EPIPE)
				return -ECONNRESET;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(struct rpc_conn *c, int64_t id, const char *method,
			json_object *params)
{
	json_object *req = json_object_new_object();
	const char *text;
	char *line;
	int r;

	if (!req)
		return -ENOMEM;
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", json_object_get(params));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
	r = asprintf(&line, "%s\n", text ? text : "");
	json_object_put(req);
	if (r < 0 || !text) {
		if (r >= 0)
			free(line);
		return -ENOMEM;
	}
	/* the daemon takes one line of PROTO_MAX_LARGE_LINE at most (and
	 * PROTO_MAX_LINE on the monitor socket, which says so itself) */
	r = strlen(line) > PROTO_MAX_LARGE_LINE + 1 ? -E2BIG : send_all(c, line, strlen(line));
	free(line);
	return r;
}

static int grow_buffer(struct rpc_conn *c)
{
	size_t cap = c->cap ? c->cap * 2 : 4096;
	char *buf;

	if (c->cap >= RPC_MAX_REPLY_BYTES)
		return -EMSGSIZE;
	if (cap > RPC_MAX_REPLY_BYTES)
		cap = RPC_MAX_REPLY_BYTES;
	buf = realloc(c->buf, cap);
	if (!buf)
		return -ENOMEM;
	c->buf = buf;
	c->cap = cap;
	return 0;
}

#define NO_DEADLINE INT64_MAX

/* Waits for more bytes until deadline (NO_DEADLINE: forever); 0 when some
 * arrived. */
static int receive_more(struct rpc_conn *c, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (c->len == c->cap && (r = grow_buffer(c)) < 0)
		return r;
	for (;;) {
		int64_t left = deadline == NO_DEADLINE ? -1 : deadline - monotonic_ms();
		struct timespec ts = { .tv_sec = left / 1000,
				       .tv_nsec = left % 1000 * 1000000 };

		if (c->stop && *c->stop)
			return -EINTR;
		if (deadline != NO_DEADLINE && left <= 0)
			return -ETIMEDOUT;
		r = ppoll(&pfd, 1, left < 0 ? NULL : &ts, c->wait_mask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
		return 0;
	}
}

/* Moves the next complete line (without "\n" or "\r\n") into *ret_line,
 * NUL-terminated, its length in *ret_len. */
static int next_line(struct rpc_conn *c, int64_t deadline, char **ret_line,
		     size_t *ret_len)
{
	size_t scanned = 0;
	char *nl = NULL;
	int r;

	while (c->len == 0 ||
	       !(nl = memchr(c->buf + scanned, '\n', c->len - scanned))) {
		scanned = c->len;
		r = receive_more(c, deadline);
		if (r < 0)
			return r;
	}
	size_t line_len = (size_t)(nl - c->buf);
	size_t text_len = line_len;

	if (text_len > 0 && c->buf[text_len - 1] == '\r')
		text_len--;
	*ret_line = malloc(text_len + 1);
	if (!*ret_line)
		return -ENOMEM;
	memcpy(*ret_line, c->buf, text_len);
	(*ret_line)[text_len] = '\0';
	*ret_len = text_len;
	c->len -= line_len + 1;
	memmove(c->buf, nl + 1, c->len);
	return 0;
}

static int reject(struct rpc_conn *c, const char *why)
{
	snprintf(c->bad_reply, sizeof(c->bad_reply), "%s", why);
	return -EBADMSG;
}

static bool is_notification(json_object *msg)
{
	return !json_object_object_get_ex(msg, "id", NULL) &&
	       json_object_object_get_ex(msg, "method", NULL);
}

/* 1 when msg answers request id, 0 when it is a notification to skip. */
static int check_envelope(struct rpc_conn *c, json_object *msg, int64_t id,
			  struct rpc_reply *ret)
{
	json_object *version, *msg_id, *result = NULL, *error = NULL, *code, *text;
	bool has_result, has_error;

	if (!json_object_is_type(msg, json_type_object))
		return reject(c, "reply is not a JSON object");
	if (is_notification(msg))
		return 0;
	if (!json_object_object_get_ex(msg, "jsonrpc", &version) ||
	    !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0)
		return reject(c, "reply lacks \"jsonrpc\":\"2.0\"");
	has_result = json_object_object_get_ex(msg, "result", &result);
	has_error = json_object_object_get_ex(msg, "error", &error);
	if (has_result == has_error)
		return reject(c, "reply must hold exactly one of result and error");
	if (!json_object_object_get_ex(msg, "id", &msg_id))
		return reject(c, "reply has no id");
	/* A null id answers a request the daemon could not read: ours. */
	if (msg_id ? !json_object_is_type(msg_id, json_type_int) ||
			     json_object_get_int64(msg_id) != id
		   : !has_error)
		return reject(c, "reply id does not match the request");
	if (has_error &&
	    (!json_object_is_type(error, json_type_object) ||
	     !json_object_object_get_ex(error, "code", &code) ||
	     !json_object_is_type(code, json_type_int) ||
	     !json_object_object_get_ex(error, "message", &text) ||
	     !json_object_is_type(text, json_type_string)))
		return reject(c, "error reply lacks an integer code or a message");
	ret->envelope = msg;
	ret->result = has_result ? result : NULL;
	ret->error = has_error ? error : NULL;
	return 1;
}

/* Reads lines until one holds a JSON message (blank lines are skipped). */
static int next_message(struct rpc_conn *c, int64_t deadline,
			json_object **ret_msg)
{
	for (;;) {
		const char *why;
		size_t len;
		char *line;
		int r = next_line(c, deadline, &line, &len);

		if (r < 0)
			return r;
		if (strspn(line, " \t") == len) {
			free(line);
			continue;
		}
		*ret_msg = rpc_parse_json(line, len, &why);
		free(line);
		if (!*ret_msg) {
			snprintf(c->bad_reply, sizeof(c->bad_reply),
				 "reply is not JSON (%s)", why);
			return -EBADMSG;
		}
		return 0;
	}
}

static int notify(json_object *msg, rpc_notify_fn on_notify, void *ctx)
{
	json_object *method, *params = NULL;

	if (!on_notify)
		return 0;
	json_object_object_get_ex(msg, "method", &method);
	json_object_object_get_ex(msg, "params", &params);
	if (!json_object_is_type(method, json_type_string))
		return 0;
	return on_notify(ctx, json_object_get_string(method), params);
}

int rpc_call_notify(struct rpc_conn *c, const char *method, json_object *params,
		    rpc_notify_fn on_notify, void *ctx, struct rpc_reply *ret_reply)
{
	int64_t deadline = monotonic_ms() + c->timeout_ms;
	int64_t id = c->next_id++;
	int r;

	memset(ret_reply, 0, sizeof(*ret_reply));
	r = send_request(c, id, method, params);
	if (r < 0)
		return r;
	for (;;) {
		json_object *msg;

		r = next_message(c, deadline, &msg);
		if (r < 0)
			return r;
		r = check_envelope(c, msg, id, ret_reply);
		if (r > 0)
			return 0;
		if (r == 0)
			r = notify(msg, on_notify, ctx);
		json_object_put(msg);
		if (r < 0)
			return r;
	}
}

int rpc_call(struct rpc_conn *c, const char *method, json_object *params,
	     struct rpc_reply *ret_reply)
{
	return rpc_call_notify(c, method, params, NULL, NULL, ret_reply);
}

/* An error reply with "id": null, as the daemon sends before closing. */
static bool is_parting_error(json_object *msg)
{
	json_object *id = NULL, *error;

	return json_object_object_get_ex(msg, "id", &id) && !id &&
	       json_object_object_get_ex(msg, "error", &error) &&
	       json_object_is_type(error, json_type_object);
}

int rpc_next_message(struct rpc_conn *c, int timeout_ms, json_object **ret_msg)
{
	int64_t deadline = timeout_ms < 0 ? NO_DEADLINE : monotonic_ms() + timeout_ms;
	json_object *msg;
	int r = next_message(c, deadline, &msg);

	if (r < 0)
		return r;
	if (!json_object_is_type(msg, json_type_object) ||
	    (!is_notification(msg) && !is_parting_error(msg))) {
		json_object_put(msg);
		snprintf(c->bad_reply, sizeof(c->bad_reply),
			 "unexpected message that is neither a notification "
			 "nor an error");
		return -EBADMSG;
	}
	*ret_msg = msg;
	return 0;
}
