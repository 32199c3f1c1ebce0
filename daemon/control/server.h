/* server.h - one listening control socket: libevent listener on a Unix
 * stream socket, one bufferevent per client, newline-framed JSON-RPC with
 * limits on everything a client controls.  dspd runs one for the control
 * socket and, optionally, a read-only one for monitoring.  Transport only:
 * what a request means is its handler's business (dispatch.c, wired by
 * main.c), so the server never calls up.  Control thread only. */
#ifndef DSPD_SERVER_H
#define DSPD_SERVER_H

#include <event2/event.h>
#include <stdbool.h>

#include "control.h"
#include "jsonrpc.h"

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

/* What a server hands to its owner. */
struct ctl_server_handler {
	/* A line of session s (without its '\n'): the answer line
	 * (malloc'ed) or NULL when there is nothing to send now. */
	char *(*line)(void *data, struct ctl_session *s, const char *line,
	              size_t len);
	/* s is going away (its client closed, or the server): release what it
	 * started. */
	void (*closed)(void *data, struct ctl_session *s);
	void *data;
};

/* Bind (replacing a stale socket file, refusing a live one) or adopt an
 * inherited socket, and listen.  Returns 0 or -errno with a message in err;
 * a group that cannot be applied is a warning, not an error. */
int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const struct ctl_listen *how,
                    const struct ctl_server_handler *handler,
                    char *err, size_t err_len);
void ctl_server_close(struct ctl_server *s);

/* Queue a line for the session's client; takes ownership of line.  A client
 * whose unread output passes CTL_MAX_OUTPUT gets a final RPC_CLIENT_TOO_SLOW
 * error and is closed. */
void ctl_session_send(struct ctl_session *s, char *line);
/* More than CTL_LEVELS_BACKLOG bytes unread: skip level notifications. */
bool ctl_session_congested(const struct ctl_session *s);
void ctl_server_foreach(struct ctl_server *srv,
                        void (*fn)(struct ctl_session *s, void *data), void *data);
unsigned ctl_server_clients(const struct ctl_server *s);

#endif
