/* jsonrpc.h - the JSON-RPC 2.0 line protocol, as pure functions: one line in,
 * a parsed request or a precise error out; results and errors back to
 * newline-terminated lines.  No I/O, no global state: any thread, though in
 * dspd only the control thread uses it.  Wire format: docs/protocol.md. */
#ifndef DSPD_JSONRPC_H
#define DSPD_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

struct rpc_error {
	int code;
	char message[128];
	char field[64];           /* "" when the error is not about a field */
	char reason[256];
	json_object *data;        /* when set (after rpc_error_set), "data" is
	                             this object instead of field/reason; owned
	                             and released by proto_error_line */
};

struct rpc_request {
	json_object *root;        /* owns everything below; put it when done */
	bool has_id;              /* false: a notification, never answered */
	json_object *id;          /* borrowed; NULL also for "id": null */
	const char *method;
	json_object *params;      /* borrowed; NULL when absent; an object, or
	                             an array (by-position, refused by dispatch) */
	bool in_batch;            /* an element of a batch array: answered
	                             within it, so never deferred */
};

void rpc_error_set(struct rpc_error *err, int code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Bytes of s to print for at most max_bytes without cutting a UTF-8
 * character in two (for "%.*s" in error texts). */
int proto_utf8_prefix(const char *s, int max_bytes);

/* Replace every byte that is not part of a valid UTF-8 character by '?'
 * (for text that came from elsewhere, e.g. config error messages). */
void proto_utf8_scrub(char *text);

/* The JSON value of one line (without its '\n'), strictly: valid UTF-8,
 * no NUL, at most PROTO_MAX_DEPTH deep, no NaN or Infinity, nothing after
 * the value.  Returns 0 with *ret owned by the caller, or -EINVAL with err
 * filled (RPC_PARSE_ERROR). */
int proto_parse_json(const char *line, size_t len, json_object **ret,
                     struct rpc_error *err);

/* One Request object (a line's value, or an element of a batch): 0 and req
 * filled, or -EINVAL with err filled (RPC_INVALID_REQUEST); either way
 * req->root holds a new reference to obj that must be put.  params may be
 * an object or an array (by-position; methods refuse it).  A numeric id
 * must be an integer within +-(2^63-1). */
int proto_request_from(json_object *obj, struct rpc_request *req,
                       struct rpc_error *err);

/* Parse one line (without its '\n').  Returns 0 and fills req, or -EINVAL
 * and fills err; req->id is then the id to echo (may be NULL) and req->root
 * must still be put. */
int proto_parse_request(const char *line, size_t len, struct rpc_request *req,
                        struct rpc_error *err);

/* Newline-terminated response lines, malloc'ed (NULL on ENOMEM).
 * proto_result_line takes ownership of result. */
char *proto_result_line(json_object *id, json_object *result);
char *proto_error_line(json_object *id, const struct rpc_error *err);

/* Typed access to params.  Each returns 0, or -EINVAL with err filled
 * (RPC_INVALID_PARAMS naming the field).  A missing optional field leaves
 * *out untouched and returns 0. */
int proto_param_double(json_object *params, const char *key, bool required,
                       double min, double max, double *out,
                       struct rpc_error *err);
int proto_param_bool(json_object *params, const char *key, bool required,
                     bool *out, struct rpc_error *err);
/* Reject keys not in the NULL-terminated allowed list. */
int proto_params_only(json_object *params, const char *const *allowed,
                      struct rpc_error *err);

#endif
