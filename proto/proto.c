/* proto.c - the names and messages of proto.h.  Constant data and pure
 * functions: any thread. */
#include <string.h>

#include "proto.h"

const char *const proto_topic_names[PROTO_TOPICS + 1] = {
	[PROTO_TOPIC_LEVELS] = "levels",
	[PROTO_TOPIC_XRUN] = "xrun",
	[PROTO_TOPIC_STATE] = "state",
	[PROTO_TOPIC_GAIN] = "gain",
	[PROTO_TOPIC_CONFIG] = "config",
	[PROTO_TOPIC_SOURCE] = "source",
	[PROTO_TOPICS] = NULL,
};

const char *const proto_tap_names[PROTO_TAPS + 1] = {
	[PROTO_TAP_CAPTURE] = "capture",
	[PROTO_TAP_PLAYBACK] = "playback",
	[PROTO_TAPS] = NULL,
};

const char *proto_error_message(int code)
{
	switch (code) {
	case RPC_PARSE_ERROR: return "parse error";
	case RPC_INVALID_REQUEST: return "invalid request";
	case RPC_METHOD_NOT_FOUND: return "method not found";
	case RPC_INVALID_PARAMS: return "invalid params";
	case RPC_PERMISSION_DENIED: return "permission denied";
	case RPC_CLIENT_TOO_SLOW: return "client too slow";
	case RPC_CONFIG_REJECTED: return "configuration rejected";
	default: return "server error";
	}
}

int proto_name_index(const char *const *names, const char *name)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}
