/* ctl_server.h - the control socket: a libevent listener on a Unix stream
 * socket, one bufferevent per client, newline-framed JSON-RPC with limits on
 * everything a client controls.  Control thread only. */
#ifndef DSPD_CTL_SERVER_H
#define DSPD_CTL_SERVER_H

#include <event2/event.h>

#include "methods.h"

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_OUTPUT (1u << 20)   /* queued bytes per client before closing it */

struct ctl_server;

/* Bind (replacing a stale socket file, refusing a live one) and listen.
 * Returns 0 or -errno with a message in err. */
int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const char *path, struct ctl_context *ctx,
                    char *err, size_t err_len);
void ctl_server_close(struct ctl_server *s);
unsigned ctl_server_clients(const struct ctl_server *s);

#endif
