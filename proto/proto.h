/* proto.h - the wire, defined once for dspd and dspctl: protocol version,
 * method names, error codes, subscription topics, tap points and the
 * limits both sides
 * hold (docs/protocol.md, dspd-protocol(7)).  Plain constants, no json-c:
 * any thread, any program.  dspd's JSON-RPC parser is jsonrpc.h. */
#ifndef DSPD_PROTO_H
#define DSPD_PROTO_H

#define PROTO_VERSION 1                  /* "protocol" in the hello answer */

/* ---- limits ---- */
#define PROTO_MAX_LINE 65536             /* bytes of one request line */
/* ... except one line at a time on the control socket: a config.load of a
 * whole configuration as "text" (4 MiB, the daemon's CFG_MAX_FILE_BYTES,
 * at most twice that once escaped as a JSON string) */
#define PROTO_MAX_LARGE_LINE ((8u << 20) + 65536)
#define PROTO_MAX_DEPTH 32               /* JSON nesting of a request */
#define PROTO_BATCH_MAX_CHANGES 64       /* changes in one "batch" method call */
#define PROTO_MAX_BATCH 64               /* requests in one JSON-RPC batch array */
#define PROTO_RESPONSE_MAX_POINTS 2000   /* frequencies of a pipeline.response */
#define PROTO_RESPONSE_POINTS 256        /* ... when not given */

/* ---- methods (docs/protocol.md): the daemon's table (dispatch.c) and
 * dspctl's requests use these names ---- */
#define PROTO_METHOD_HELLO             "hello"
#define PROTO_METHOD_STATUS            "status"
#define PROTO_METHOD_STATS             "stats"
#define PROTO_METHOD_GAIN_GET          "gain.get"
#define PROTO_METHOD_GAIN_SET          "gain.set"
#define PROTO_METHOD_GAIN_ADJUST       "gain.adjust"
#define PROTO_METHOD_MUTE_GET          "mute.get"
#define PROTO_METHOD_MUTE_SET          "mute.set"
#define PROTO_METHOD_MUTE_TOGGLE       "mute.toggle"
#define PROTO_METHOD_LEVELS            "levels"
#define PROTO_METHOD_XRUNS             "xruns"
#define PROTO_METHOD_PIPELINE_LIST     "pipeline.list"
#define PROTO_METHOD_PIPELINE_RESPONSE "pipeline.response"
#define PROTO_METHOD_LOUDNESS          "loudness"
#define PROTO_METHOD_LOUDNESS_RESET    "loudness.reset"
#define PROTO_METHOD_CONFIG_GET        "config.get"
#define PROTO_METHOD_CONFIG_VALIDATE   "config.validate"
#define PROTO_METHOD_CONFIG_RELOAD     "config.reload"
#define PROTO_METHOD_CONFIG_LOAD       "config.load"
#define PROTO_METHOD_CONFIG_PATCH      "config.patch"
#define PROTO_METHOD_EFFECT_ADD        "effect.add"
#define PROTO_METHOD_EFFECT_REMOVE     "effect.remove"
#define PROTO_METHOD_EFFECT_BYPASS     "effect.bypass"
#define PROTO_METHOD_EFFECT_SET        "effect.set"
#define PROTO_METHOD_BATCH             "batch"
#define PROTO_METHOD_PLUGINS           "plugins"
#define PROTO_METHOD_SUBSCRIBE         "subscribe"
#define PROTO_METHOD_UNSUBSCRIBE       "unsubscribe"
#define PROTO_METHOD_RECORD            "record"

/* ---- error codes: JSON-RPC 2.0's own, then dspd's server errors ---- */
enum rpc_code {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_SERVER_ERROR = -32000,
	RPC_PERMISSION_DENIED = -32001,  /* a changing method on the monitor socket */
	RPC_CLIENT_TOO_SLOW = -32002,    /* unread output over the limit: closed */
	RPC_CONFIG_REJECTED = -32003,    /* "data" lists every error */
};

/* The "message" of an error code ("server error" for unknown ones). */
const char *proto_error_message(int code);

/* ---- subscription topics ("subscribe", notifications) ---- */
enum proto_topic {
	PROTO_TOPIC_LEVELS,
	PROTO_TOPIC_XRUN,
	PROTO_TOPIC_STATE,
	PROTO_TOPIC_GAIN,
	PROTO_TOPIC_CONFIG,
	PROTO_TOPIC_SOURCE,
	PROTO_TOPICS
};
/* Indexed by enum proto_topic, NULL-terminated. */
extern const char *const proto_topic_names[PROTO_TOPICS + 1];

/* ---- tap points ("levels", "record", "loudness") ---- */
enum proto_tap { PROTO_TAP_CAPTURE, PROTO_TAP_PLAYBACK, PROTO_TAPS };
/* Indexed by enum proto_tap, NULL-terminated. */
extern const char *const proto_tap_names[PROTO_TAPS + 1];

/* Index of name in a NULL-terminated list, or -1. */
int proto_name_index(const char *const *names, const char *name);

#endif
