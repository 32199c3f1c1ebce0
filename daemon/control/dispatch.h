/* dispatch.h - the method table: a parsed request in, the answer line out.
 * The server hands requests here through its handler (main.c wires them).
 * Control thread only. */
#ifndef DSPD_DISPATCH_H
#define DSPD_DISPATCH_H

#include "control.h"
#include "server.h"

/* Answer one parsed request; returns the response line (malloc'ed) or NULL
 * when there is nothing to send now (notification, or an answer that
 * comes later, like record's). */
char *methods_dispatch(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req);
/* Answer one line: a Request, or a batch (JSON-RPC 2.0 section 6: an array
 * of at most PROTO_MAX_BATCH Requests, answered by one array of their
 * responses, none for notifications; an empty or oversized array is one
 * RPC_INVALID_REQUEST).  The answer line (malloc'ed), or NULL when there
 * is nothing to send. */
char *dispatch_line(struct ctl_context *ctx, struct ctl_session *session,
                    const char *line, size_t len);
/* The handler a server hands its lines and closed sessions to. */
struct ctl_server_handler dispatch_handler(struct ctl_context *ctx);
/* Comma-free list of method names for `hello`. */
json_object *methods_names(void);

#endif
