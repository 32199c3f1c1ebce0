/* config_http.c - the "http" object: listen ("host:port", loopback by
 * default), token_file (the bearer token that grants the control role),
 * root (the page's files) and max_clients.  Its presence turns the web
 * page on.  Keys documented in dspd.conf(5).  Control thread only. */
#include "config_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_OFFSET(member) offsetof(struct dspd_config, member)

int cfg_http_split_listen(const char *listen, char *host, size_t host_size,
                          unsigned *port, bool *loopback)
{
	const char *colon, *h = listen;
	size_t hlen;
	char *end;
	unsigned long v;
	unsigned char addr[16];

	if (listen[0] == '[') {                 /* [v6]:port */
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			return -EINVAL;
		hlen = (size_t)(colon - listen);
	}
	if (hlen == 0 || hlen >= host_size || !colon[1] || colon[1] == '+' ||
	    colon[1] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, host_size, "127.0.0.1");
	if (inet_pton(AF_INET, host, addr) == 1) {
		*loopback = addr[0] == 127;
		return listen[0] == '[' ? -EINVAL : 0;
	}
	if (inet_pton(AF_INET6, host, addr) == 1 && listen[0] == '[') {
		static const unsigned char one[16] = { [15] = 1 };

		*loopback = memcmp(addr, one, 16) == 0;
		return 0;
	}
	return -EINVAL;
}

static int parse_listen(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	const char *s;
	char host[CFG_HTTP_LISTEN_MAX];
	unsigned port;
	bool loopback;

	if (cfg_get_string(p, val, f->size, NULL, &s) < 0)
		return -EINVAL;
	if (cfg_http_split_listen(s, host, sizeof(host), &port, &loopback) < 0) {
		cfg_error_here(p, "must be \"host:port\" with an IPv4 address, "
		               "\"localhost\" or a bracketed IPv6 address and a "
		               "port 1..65535 (e.g. \"127.0.0.1:8080\", "
		               "\"[::1]:8080\", \"0.0.0.0:8080\")");
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* An absolute path. */
static int parse_abs_path(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	const char *s;

	if (cfg_get_string(p, val, f->size, NULL, &s) < 0)
		return -EINVAL;
	if (s[0] != '/') {
		cfg_error_here(p, "must be an absolute path");
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static const struct field http_fields[] = {
	{ .key = "listen", .parse = parse_listen,
	  .offset = CFG_OFFSET(http.listen), .size = CFG_HTTP_LISTEN_MAX },
	{ .key = "token_file", .parse = parse_abs_path,
	  .offset = CFG_OFFSET(http.token_file), .size = CFG_HTTP_PATH_MAX },
	{ .key = "root", .parse = parse_abs_path,
	  .offset = CFG_OFFSET(http.root), .size = CFG_HTTP_PATH_MAX },
	{ .key = "max_clients", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(http.max_clients), .min = 1, .max = 256 },
	{ 0 }
};

int cfg_parse_http(struct parser *p, struct json_object *val,
                   const struct field *f, void *dst)
{
	struct dspd_config *cfg = dst;

	(void)f;
	cfg->http.enabled = true;
	return cfg_parse_fields(p, val, http_fields, dst);
}
