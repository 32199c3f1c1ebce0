/* http_reply.c - how every HTTP answer goes out: the security headers (a
 * Content-Security-Policy that allows the page's own origin only, no
 * sniffing, no framing, no referrer; never a CORS header), and the short
 * text and JSON answers.  Control thread only. */
#include "http_internal.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

void http_security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Content-Security-Policy",
	                  "default-src 'self'; img-src 'self' data:; "
	                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	evhttp_add_header(out, "Cross-Origin-Resource-Policy", "same-origin");
}

static void send_body(struct evhttp_request *req, int code, const char *reason,
                      const char *type, const char *body, size_t len)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	http_security_headers(req);
	evhttp_add_header(out, "Content-Type", type);
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (buf)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, code, reason, buf);
	if (buf)
		evbuffer_free(buf);
}

void http_send_text(struct evhttp_request *req, int code, const char *reason,
                    const char *text)
{
	send_body(req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

void http_send_json(struct evhttp_request *req, int code, const char *reason,
                    const char *line)
{
	send_body(req, code, reason, "application/json", line, strlen(line));
}

void http_send_rpc_error(struct evhttp_request *req, int http_code,
                         const char *reason, int rpc_code, const char *message)
{
	struct rpc_error err;
	char *line;

	rpc_error_set(&err, rpc_code, NULL, "%s", message);
	line = proto_error_line(NULL, &err);
	if (!line) {
		http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	http_send_json(req, http_code, reason, line);
	free(line);
}
