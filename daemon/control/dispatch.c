/* dispatch.c - the method table and dispatch: parameter names are checked
 * against the table, changing methods are refused on the read-only monitor
 * socket, and the handler's result or error becomes the response line.
 * Control thread only. */
#include "dispatch.h"
#include "build.h"
#include "response_job.h"
#include "methods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "subscriptions.h"

struct method {
	const char *name;
	method_fn handler;
	bool changes;                     /* refused on the monitor socket */
	const char *const *params;        /* accepted parameter names */
};

static int handle_hello(struct ctl_context *, struct ctl_session *,
                        const struct rpc_request *, json_object **,
                        struct rpc_error *);

static const char *const none[] = { NULL };
static const char *const p_gain_get[] = { "block", NULL };
static const char *const p_response[] = { "points", "fmin", "fmax", "freqs", "channel",
	"input", "block", "blocks", "sum", "config", NULL };
static const char *const p_gain_set[] = { "db", "mute", "ramp_ms", "block", NULL };
static const char *const p_gain_adjust[] = { "db", "ramp_ms", NULL };
static const char *const p_mute_set[] = { "mute", "ramp_ms", NULL };
static const char *const p_ramp[] = { "ramp_ms", NULL };
static const char *const p_levels[] = { "window_ms", NULL };
static const char *const p_path[] = { "path", NULL };
static const char *const p_validate[] = { "path", "config", "text", NULL };
static const char *const p_subscribe[] = { "topics", "interval_ms", NULL };
static const char *const p_unsubscribe[] = { "topics", NULL };
static const char *const p_record[] = { "tap", "seconds", NULL };
static const char *const p_load[] = { "path", "config", "text", NULL };
static const char *const p_patch[] = { "ops", NULL };
static const char *const p_effect_add[] = { "block", "before", "after", "index", NULL };
static const char *const p_name[] = { "name", NULL };
static const char *const p_bypass[] = { "name", "bypass", NULL };
static const char *const p_effect_set[] = { "name", "values", NULL };
static const char *const p_batch[] = { "changes", NULL };
static const char *const p_plugins[] = { "label", NULL };

static const struct method method_table[] = {
	{ PROTO_METHOD_HELLO,              handle_hello,           false, none },
	{ PROTO_METHOD_STATUS,             handle_status,          false, none },
	{ PROTO_METHOD_STATS,              handle_stats,           false, none },
	{ PROTO_METHOD_GAIN_GET,           handle_gain_get,        false, p_gain_get },
	{ PROTO_METHOD_GAIN_SET,           handle_gain_set,        true,  p_gain_set },
	{ PROTO_METHOD_GAIN_ADJUST,        handle_gain_adjust,     true,  p_gain_adjust },
	{ PROTO_METHOD_MUTE_GET,           handle_mute_get,        false, none },
	{ PROTO_METHOD_MUTE_SET,           handle_mute_set,        true,  p_mute_set },
	{ PROTO_METHOD_MUTE_TOGGLE,        handle_mute_toggle,     true,  p_ramp },
	{ PROTO_METHOD_LEVELS,             handle_levels,          false, p_levels },
	{ PROTO_METHOD_XRUNS,              handle_xruns,           false, none },
	{ PROTO_METHOD_PIPELINE_LIST,      handle_pipeline_list,   false, none },
	{ PROTO_METHOD_PIPELINE_RESPONSE,  handle_pipeline_response, false, p_response },
	{ PROTO_METHOD_LOUDNESS,           handle_loudness,        false, none },
	{ PROTO_METHOD_LOUDNESS_RESET,     handle_loudness_reset,  true,  none },
	{ PROTO_METHOD_CONFIG_GET,         handle_config_get,      false, none },
	{ PROTO_METHOD_CONFIG_VALIDATE,    handle_config_validate, false, p_validate },
	{ PROTO_METHOD_CONFIG_RELOAD,      handle_config_reload,   true,  p_path },
	{ PROTO_METHOD_CONFIG_LOAD,        handle_config_load,     true,  p_load },
	{ PROTO_METHOD_CONFIG_PATCH,       handle_edit,            true,  p_patch },
	{ PROTO_METHOD_EFFECT_ADD,         handle_edit,            true,  p_effect_add },
	{ PROTO_METHOD_EFFECT_REMOVE,      handle_edit,            true,  p_name },
	{ PROTO_METHOD_EFFECT_BYPASS,      handle_edit,            true,  p_bypass },
	{ PROTO_METHOD_EFFECT_SET,         handle_edit,            true,  p_effect_set },
	{ PROTO_METHOD_BATCH,              handle_batch,           true,  p_batch },
	{ PROTO_METHOD_PLUGINS,            handle_plugins,         false, p_plugins },
	{ PROTO_METHOD_SUBSCRIBE,          handle_subscribe,       false, p_subscribe },
	{ PROTO_METHOD_UNSUBSCRIBE,        handle_unsubscribe,     false, p_unsubscribe },
	{ PROTO_METHOD_RECORD,             handle_record,          false, p_record },
};

#define N_METHODS (sizeof(method_table) / sizeof(method_table[0]))

/* Test hooks: only with DSPD_TEST_HOOKS=1 in dspd's environment (the
 * end-to-end tests), and not listed by "hello". */
static const char *const p_stall[] = { "worker", "ms", "periods", NULL };
static const struct method test_methods[] = {
	{ "test.stall_worker",             handle_test_stall,      true,  p_stall },
};

static bool test_hooks_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("DSPD_TEST_HOOKS");

		on = v && strcmp(v, "1") == 0;
	}
	return on;
}

json_object *methods_names(void)
{
	json_object *names = json_object_new_array();

	for (size_t i = 0; i < N_METHODS; i++)
		json_object_array_add(names, json_object_new_string(method_table[i].name));
	return names;
}

static int handle_hello(struct ctl_context *ctx, struct ctl_session *session,
                        const struct rpc_request *req, json_object **ret,
                        struct rpc_error *err)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "protocol", json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, "version", json_object_new_string(DSPD_VERSION));
	json_object_object_add(o, "read_only", json_object_new_boolean(session->read_only));
	json_object_object_add(o, "methods", methods_names());
	*ret = o;
	return 0;
}

static const struct method *find(const char *name)
{
	for (size_t i = 0; i < N_METHODS; i++)
		if (strcmp(method_table[i].name, name) == 0)
			return &method_table[i];
	for (size_t i = 0; test_hooks_on() &&
	     i < sizeof(test_methods) / sizeof(test_methods[0]); i++)
		if (strcmp(test_methods[i].name, name) == 0)
			return &test_methods[i];
	return NULL;
}

char *methods_dispatch(struct ctl_context *ctx, struct ctl_session *session,
                       const struct rpc_request *req)
{
	const struct method *m = find(req->method);
	json_object *result = NULL;
	struct rpc_error err = { .data = NULL };
	int r;

	if (!m) {
		rpc_error_set(&err, RPC_METHOD_NOT_FOUND, "method",
		              "no method \"%.*s\" (see \"hello\" for the list)",
		              proto_utf8_prefix(req->method, 100), req->method);
		r = -ENOENT;
	} else if (json_object_is_type(req->params, json_type_array)) {
		rpc_error_set(&err, RPC_INVALID_PARAMS, "params",
		              "%s takes its parameters by name: give an object, "
		              "e.g. {\"params\": {...}} (see \"hello\" and the "
		              "protocol's documentation)", m->name);
		r = -EINVAL;
	} else if (m->changes && session->read_only) {
		rpc_error_set(&err, RPC_PERMISSION_DENIED, "method",
		              "%s changes the daemon; %s", m->name, session->deliver ?
		              "this HTTP client has the read-only role (send "
		              "Authorization: Bearer TOKEN, the http.token_file's)" :
		              "this is the read-only monitor socket (use the control "
		              "socket)");
		r = -EPERM;
	} else if ((r = proto_params_only(req->params, m->params, &err)) == 0) {
		r = m->handler(ctx, session, req, &result, &err);
	}
	if (r == METHOD_DEFERRED)
		return NULL;
	if (!req->has_id) {
		json_object_put(result);
		if (r < 0)
			json_object_put(err.data);
		return NULL;
	}
	if (r < 0)
		return proto_error_line(req->id, &err);
	return proto_result_line(req->id, result);
}

/* One parsed value that should be a Request. */
static char *answer_one(struct ctl_context *ctx, struct ctl_session *session,
                        json_object *value, bool in_batch)
{
	struct rpc_request req;
	struct rpc_error err;
	char *line;

	if (proto_request_from(value, &req, &err) < 0) {
		line = proto_error_line(req.has_id ? req.id : NULL, &err);
	} else {
		req.in_batch = in_batch;
		line = methods_dispatch(ctx, session, &req);
	}
	json_object_put(req.root);
	return line;
}

/* A batch array's answers stop growing here: the rest are not run. */
#define BATCH_MAX_ANSWERS (1u << 20)

/* "[a,b,...]\n" from the answer lines (each ends with '\n'), appended as
 * they come; out grows by doubling. */
struct joined {
	char *text;
	size_t len, cap;
};

static int join(struct joined *j, char *line)
{
	size_t n = strlen(line);      /* with its '\n', which becomes ',' or ']' */

	if (j->len + n + 3 > j->cap) {          /* and "]\n\0" at the end */
		size_t cap = (j->len + n + 3) * 2;
		char *grown = realloc(j->text, cap);

		if (!grown) {
			free(line);
			return -ENOMEM;
		}
		j->text = grown;
		j->cap = cap;
	}
	j->text[j->len] = j->len == 0 ? '[' : ',';
	j->len++;
	memcpy(j->text + j->len, line, n - 1);
	j->len += n - 1;
	free(line);
	return 0;
}

static char *batch_error(size_t n)
{
	struct rpc_error err;

	if (n == 0)
		rpc_error_set(&err, RPC_INVALID_REQUEST, NULL,
		              "empty batch (give an array of 1 to %d requests)",
		              PROTO_MAX_BATCH);
	else
		rpc_error_set(&err, RPC_INVALID_REQUEST, NULL,
		              "batch of %zu requests (at most %d)", n, PROTO_MAX_BATCH);
	return proto_error_line(NULL, &err);
}

/* An element not run: its error, with its id when it has a valid one. */
static char *not_run(json_object *value)
{
	struct rpc_request req;
	struct rpc_error err;
	char *line = NULL;

	if (proto_request_from(value, &req, &err) == 0 && !req.has_id) {
		json_object_put(req.root);
		return NULL;            /* a notification: no answer */
	}
	rpc_error_set(&err, RPC_SERVER_ERROR, NULL, "not run: the batch's answers "
	              "passed %u bytes", BATCH_MAX_ANSWERS);
	line = proto_error_line(req.has_id ? req.id : NULL, &err);
	json_object_put(req.root);
	return line;
}

/* A batch: every element answered in order within one array.  Once the
 * answers pass BATCH_MAX_ANSWERS, the rest are not run: each gets an error
 * (the client could not read them anyway). */
static char *answer_batch(struct ctl_context *ctx, struct ctl_session *session,
                          json_object *arr)
{
	size_t n = json_object_array_length(arr);
	struct joined j = { NULL, 0, 0 };

	if (n == 0 || n > PROTO_MAX_BATCH)
		return batch_error(n);
	for (size_t i = 0; i < n; i++) {
		json_object *value = json_object_array_get_idx(arr, i);
		char *line;

		line = j.len > BATCH_MAX_ANSWERS ? not_run(value)
		                              : answer_one(ctx, session, value, true);
		if (line && join(&j, line) < 0)
			break;
	}
	if (!j.text)
		return NULL;            /* notifications only: nothing at all */
	j.text[j.len++] = ']';
	j.text[j.len++] = '\n';
	j.text[j.len] = '\0';
	return j.text;
}

char *dispatch_line(struct ctl_context *ctx, struct ctl_session *session,
                    const char *line, size_t len)
{
	struct rpc_error err;
	json_object *value;
	char *answer;

	if (proto_parse_json(line, len, &value, &err) < 0)
		return proto_error_line(NULL, &err);
	if (json_object_is_type(value, json_type_array))
		answer = answer_batch(ctx, session, value);
	else
		answer = answer_one(ctx, session, value, false);
	json_object_put(value);
	return answer;
}

static char *request(void *ctx, struct ctl_session *s, const char *line, size_t len)
{
	return dispatch_line(ctx, s, line, len);
}

static void closed(void *ctx, struct ctl_session *s)
{
	ctl_build_forget_session(ctx, s);   /* a change being built still applies */
	ctl_response_forget_session(ctx, s);
	ctl_session_release(ctx, s);
}

struct ctl_server_handler dispatch_handler(struct ctl_context *ctx)
{
	return (struct ctl_server_handler){ request, closed, ctx };
}
