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
/* The handler a server hands its requests and closed sessions to. */
struct ctl_server_handler dispatch_handler(struct ctl_context *ctx);
/* Comma-free list of method names for `hello`. */
json_object *methods_names(void);

#endif
