/* ctl_server.h - one listening control socket: libevent listener on a Unix
 * stream socket, one bufferevent per client, newline-framed JSON-RPC with
 * limits on everything a client controls.  dspd runs one for the control
 * socket and, optionally, a read-only one for monitoring.
 * Control thread only. */
#ifndef DSPD_CTL_SERVER_H
#define DSPD_CTL_SERVER_H

#include <event2/event.h>
#include <stdbool.h>

#include "methods.h"

#define CTL_MAX_OUTPUT (1u << 20)      /* unread bytes before a client is closed */
#define CTL_LEVELS_BACKLOG (64u << 10) /* unread bytes that pause level updates */

struct ctl_listen {
	const char *path;                  /* for bind, and for messages */
	int fd;                            /* an inherited listening socket, or -1 */
	bool read_only;
	unsigned mode;                     /* file mode when binding, e.g. 0660 */
	const char *group;                 /* "" = leave it */
	unsigned max_clients;
};

/* Bind (replacing a stale socket file, refusing a live one) or adopt an
 * inherited socket, and listen.  Returns 0 or -errno with a message in err;
 * a group that cannot be applied is a warning, not an error. */
int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const struct ctl_listen *how, struct ctl_context *ctx,
                    char *err, size_t err_len);
void ctl_server_close(struct ctl_server *s);

#endif
