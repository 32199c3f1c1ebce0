/* rpc_client.h - dspctl's side of the dspd control protocol (docs/protocol.md):
 * one Unix stream connection, one JSON-RPC 2.0 request line at a time, and
 * the matching answer line read back under a deadline.
 *
 * dspctl is single-threaded; everything here runs on its only thread.
 * Functions return 0 or a negative errno; they never print. */
#ifndef DSPCTL_RPC_CLIENT_H
#define DSPCTL_RPC_CLIENT_H

#include <json-c/json.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_MAX_REPLY_BYTES (16u << 20)  /* a longer answer line is refused */
#define RPC_MAX_JSON_DEPTH 64

struct rpc_conn {
	int fd;
	int timeout_ms;            /* per request: send plus the wait for its answer */
	int64_t next_id;
	char *buf;                 /* bytes received and not consumed yet */
	size_t len;
	size_t cap;
	char bad_reply[160];       /* why the last -EBADMSG reply was rejected */
	/* Streaming commands: waits use ppoll() with wait_mask (NULL: the
	 * current mask) and end with -EINTR once *stop is set. */
	const sigset_t *wait_mask;
	volatile sig_atomic_t *stop;
};

/* Called for each notification that arrives while rpc_call_notify() waits;
 * method and params (NULL when absent) are only borrowed.  A negative return
 * ends the call with that error. */
typedef int (*rpc_notify_fn)(void *ctx, const char *method, json_object *params);

/* One answer: exactly one of result and error is set; both point into
 * envelope, which rpc_reply_free() releases. */
struct rpc_reply {
	json_object *envelope;
	json_object *result;
	json_object *error;
};

/* Errors: -ENAMETOOLONG (path does not fit sun_path), -ENOENT, -ECONNREFUSED,
 * -EACCES, -ETIMEDOUT (listen queue stayed full), or another connect errno. */
int rpc_connect(struct rpc_conn *c, const char *path, int timeout_ms);

/* Sends {"jsonrpc":"2.0","id":N,"method":method,"params":params} (params may
 * be NULL, and is only borrowed) and waits for the answer with id N, skipping
 * notifications.  Errors: -ETIMEDOUT, -ECONNRESET (peer closed or reset the
 * connection before answering), -EBADMSG (the answer is not a valid JSON-RPC
 * reply; c->bad_reply says why), -EMSGSIZE, -ENOMEM. */
int rpc_call(struct rpc_conn *c, const char *method, json_object *params,
	     struct rpc_reply *ret_reply);

/* rpc_call(), handing the notifications received meanwhile to on_notify. */
int rpc_call_notify(struct rpc_conn *c, const char *method, json_object *params,
		    rpc_notify_fn on_notify, void *ctx, struct rpc_reply *ret_reply);

/* Waits up to timeout_ms (-1: forever) for the next message that answers no
 * request: a notification, or an error reply with a null id (the daemon's
 * last words before it closes the connection, e.g. RPC_CLIENT_TOO_SLOW).
 * *ret_msg is the whole envelope; the caller puts it.  Errors as rpc_call(),
 * plus -EINTR. */
int rpc_next_message(struct rpc_conn *c, int timeout_ms, json_object **ret_msg);

void rpc_reply_free(struct rpc_reply *r);
void rpc_close(struct rpc_conn *c);

/* Parses text (len bytes followed by a NUL) as one strict JSON document that
 * must fill all of it; returns NULL and points *ret_why at a message when it
 * does not. */
json_object *rpc_parse_json(const char *text, size_t len, const char **ret_why);

#endif
