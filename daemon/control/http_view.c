/* http_view.c - status.http: what the web page's server is doing (its
 * address, whether a token grants changes, its streams and what its limits
 * refused or closed).  Reads the server's state, calls nothing.  Control
 * thread only. */
#include "http_internal.h"

/* What HTTP clients can make dspd hold beyond the output budget (their
 * unsent bytes count in it): per connection allowed its headers, a body
 * and its structures; per stream its own; and the page's files. */
static size_t http_memory_bound(const struct ctl_http *h)
{
	size_t files = 0;

	for (int i = 0; i < HTTP_FILES; i++)
		files += h->files[i].size;
	return (size_t)HTTP_MAX_CONNECTIONS(h->max_clients) *
	       (HTTP_MAX_HEADERS + PROTO_MAX_LINE + HTTP_CONN_MEMORY) +
	       (size_t)h->max_clients * HTTP_CONN_MEMORY + files;
}

json_object *http_json(const struct ctl_http *h)
{
	json_object *o;

	if (!h)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "listen", json_object_new_string(h->listen));
	json_object_object_add(o, "token", json_object_new_boolean(h->has_token));
	json_object_object_add(o, "streams", json_object_new_int((int)h->n_streams));
	json_object_object_add(o, "max_clients", json_object_new_int((int)h->max_clients));
	json_object_object_add(o, "streams_refused", json_object_new_int64((int64_t)h->refused));
	json_object_object_add(o, "streams_closed_slow",
	                       json_object_new_int64((int64_t)h->dropped_slow));
	json_object_object_add(o, "connections", json_object_new_int((int)h->n_conns));
	json_object_object_add(o, "max_connections",
	                       json_object_new_int((int)HTTP_MAX_CONNECTIONS(h->max_clients)));
	json_object_object_add(o, "connections_refused", json_object_new_int64((int64_t)h->conns_refused));
	json_object_object_add(o, "sockets", json_object_new_int((int)h->n_socks));
	json_object_object_add(o, "connections_closed_slow",
	                       json_object_new_int64((int64_t)h->slow_closed));
	json_object_object_add(o, "budget_refused", json_object_new_int64((int64_t)h->budget_refused));
	json_object_object_add(o, "levels_interval_ms", json_object_new_int(HTTP_LEVELS_MS));
	json_object_object_add(o, "memory_bound_bytes",
	                       json_object_new_int64((int64_t)http_memory_bound(h)));
	return o;
}
