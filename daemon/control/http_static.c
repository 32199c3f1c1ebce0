/* http_static.c - the page's files: a fixed list (index.html, app.js,
 * app.css) read once from http.root when the server opens, each at most
 * HTTP_MAX_FILE bytes, served from memory.  No part of a URL ever becomes
 * part of a file name: a path is looked up in the list, anything else is
 * 404.  Cache-Control no-cache with an ETag (a new install is seen at the
 * next load, an unchanged file is not sent again).  Control thread only. */
#include "http_internal.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "sha256.h"

static const struct {
	const char *name, *type;
} page[HTTP_FILES] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "app.js", "text/javascript; charset=utf-8" },
	{ "app.css", "text/css; charset=utf-8" },
};

int http_static_load(struct ctl_http *h, const char *root, char *err,
                     size_t err_len)
{
	int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (dir < 0) {
		r = -errno;
		snprintf(err, err_len, "http.root %s: %s", root, strerror(errno));
		return r;
	}
	for (int i = 0; i < HTTP_FILES; i++) {
		struct http_file *f = &h->files[i];
		char hex[65];

		f->name = page[i].name;
		f->type = page[i].type;
		r = file_read_whole(dir, f->name, HTTP_MAX_FILE, 1, &f->data, &f->size);
		if (r < 0) {
			snprintf(err, err_len, "http.root %s: %s: %s", root, f->name,
			         r == -EFBIG ? "larger than 256 KiB" :
			         r == -EINVAL || r == -EISDIR ? "not a regular file" :
			         strerror(-r));
			break;
		}
		sha256_hex(f->data, f->size, hex);
		snprintf(f->etag, sizeof(f->etag), "\"%.16s\"", hex);
	}
	close(dir);
	if (r < 0)
		http_static_free(h);
	return r;
}

void http_static_free(struct ctl_http *h)
{
	for (int i = 0; i < HTTP_FILES; i++) {
		free(h->files[i].data);
		h->files[i].data = NULL;
	}
}

static const struct http_file *lookup(struct ctl_http *h, const char *path)
{
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (int i = 0; i < HTTP_FILES; i++)
		if (path[0] == '/' && h->files[i].data &&
		    strcmp(path + 1, h->files[i].name) == 0)
			return &h->files[i];
	return NULL;
}

void http_static_serve(struct ctl_http *h, struct evhttp_request *req,
                       const char *path)
{
	const struct http_file *f = lookup(h, path);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *match;
	struct evbuffer *buf;

	if (!f) {
		http_send_text(req, 404, "Not Found", "not found\n");
		return;
	}
	http_security_headers(req);
	evhttp_add_header(out, "Cache-Control", "no-cache");
	evhttp_add_header(out, "ETag", f->etag);
	match = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	if (match && strcmp(match, f->etag) == 0) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	evhttp_add_header(out, "Content-Type", f->type);
	buf = evbuffer_new();
	if (!buf) {
		http_send_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	/* the file stays ours: libevent reads it from our copy */
	evbuffer_add_reference(buf, f->data, f->size, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}
