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

#define CTL_LEVELS_BACKLOG (64u << 10)  /* unread bytes that pause level updates */
#define CTL_RECORD_BACKLOG (256u << 10) /* unread bytes that pause record.data */
#define CTL_FD_RESERVE 32               /* descriptors kept for devices, files */
#define CTL_CLIENT_MEMORY (4u << 10)    /* a connection's own structures */
/* the parse and answer of one request: the worst, a 4 MiB config.load or
 * a config.patch refused at the size limit, raised the high-water mark by
 * 10-12 MiB when measured; twice that */
#define CTL_REQUEST_MEMORY (24u << 20)

struct ctl_listen {
	const char *path;                  /* for bind, and for messages */
	int fd;                            /* an inherited listening socket, or -1 */
	bool read_only;
	unsigned mode;                     /* file mode when binding, e.g. 0660 */
	const char *group;                 /* "" = leave it */
	struct ctl_limits *limits;         /* shared by the servers, see control.h */
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

/* The budgets from the configuration, for `sockets` servers, with
 * max_clients clamped to what RLIMIT_NOFILE allows (logged). */
void ctl_limits_init(struct ctl_limits *l, const struct dspd_config *cfg,
                     unsigned sockets);

/* The resident memory clients can make dspd hold at most, allocator
 * overhead included: three times the output budget (buffers come in
 * chains sized up to powers of two; the clients over their share are
 * closed only once their output has not drained for half a second),
 * CTL_CLIENT_MEMORY per connection allowed, and CTL_REQUEST_MEMORY for
 * the request being handled (status.limits.output.memory_bound_bytes). */
size_t ctl_limits_memory_bound(const struct ctl_limits *l);

/* Bind (replacing a stale socket file, refusing a live one) or adopt an
 * inherited socket, and listen.  Returns 0 or -errno with a message in err;
 * a group that cannot be applied is a warning, not an error. */
int ctl_server_open(struct ctl_server **ret, struct event_base *base,
                    const struct ctl_listen *how,
                    const struct ctl_server_handler *handler,
                    char *err, size_t err_len);
void ctl_server_close(struct ctl_server *s);

/* Queue a line that must not be lost (an answer, an event); takes
 * ownership of line.  The client gets a final RPC_CLIENT_TOO_SLOW error and
 * is closed instead when its unread output would pass max_client_output,
 * or when the output budget is spent and it holds more than its share
 * (output_budget / clients). */
void ctl_session_send(struct ctl_session *s, char *line);
/* Queue a line that may be left out (levels, record.data); takes ownership
 * of line.  Returns 0, or -EAGAIN when it was left out: the client has more
 * than backlog bytes unread, or the output budget is spent and it holds
 * more than its share. */
int ctl_session_offer(struct ctl_session *s, char *line, size_t backlog);
/* Whether ctl_session_offer() would leave a line out now (checked before
 * building one). */
bool ctl_session_paused(struct ctl_session *s, size_t backlog);
void ctl_server_foreach(struct ctl_server *srv,
                        void (*fn)(struct ctl_session *s, void *data), void *data);
unsigned ctl_server_clients(const struct ctl_server *s);

#endif
