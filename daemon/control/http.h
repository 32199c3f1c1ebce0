/* http.h - the web page and JSON-RPC over HTTP (the "http" section,
 * docs/protocol.md "HTTP"): libevent's evhttp on the control thread's
 * event base.  GET / and the page's files (http_static.c), POST /rpc: one
 * JSON-RPC request through the same method table and roles as the sockets
 * (http_rpc.c), GET /events: Server-Sent Events with the levels and the
 * status (http_events.c); routing, roles and the Host check in
 * http_server.c.  Control thread only. */
#ifndef DSPD_HTTP_H
#define DSPD_HTTP_H

#include <event2/event.h>

#include "control.h"

struct ctl_http;

/* Listen as cfg->http says (or on fd, a listening TCP socket passed by
 * systemd, when fd >= 0), read the token file and the page's files.
 * Returns 0 or -errno with a message in err. */
int ctl_http_open(struct ctl_http **ret, struct event_base *base,
                  struct ctl_context *ctx, const struct dspd_config *cfg, int fd,
                  char *err, size_t err_len);
/* status.http: {"listen", "token", "streams", "max_clients",
 * "streams_refused", "streams_closed", "levels_interval_ms"} (http_view.c);
 * null when h is NULL. */
json_object *http_json(const struct ctl_http *h);
/* Close every stream and connection, answer nothing more. */
void ctl_http_close(struct ctl_http *h);

#endif
