/* fuzz_dispatch.c - libFuzzer target for the control plane's request path:
 * input bytes -> lines (split at '\n' as server.c does) ->
 * proto_parse_request() -> methods_dispatch(), or dispatch_line() for a
 * JSON-RPC batch array (one that names no file), against a real engine opened
 * on ALSA's "null" PCM (created once, never started: no RT thread).
 *
 * Every input runs twice, on a fresh control session and on a fresh
 * read-only (monitor) session, so one line can meet both permission paths;
 * the lines of one input share their session (subscribe, then record...).
 * Everything an input allocates is freed before the next, so LeakSanitizer
 * checks the handlers too.  Each answer must be one line of valid UTF-8,
 * a JSON-RPC 2.0 response with finite numbers that echoes the request's id,
 * and every line that failed to parse must be answered: a broken answer
 * aborts, which libFuzzer reports as a crash.
 *
 * File paths in params are confined to FUZZ_DIR: a path from the fuzzer
 * could name a FIFO or /dev/stdin, on which config_load_file() blocks
 * forever (a daemon bug, see tests/fuzz/README.md).
 *
 * Single-threaded: the fuzzer's thread plays dspd's control thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "dispatch.h"
#include "subscriptions.h"
#include "sha256.h"

#define FUZZ_DIR "/tmp/dspd-fuzz-dispatch"
#define GOOD_CONF FUZZ_DIR "/good.conf"
#define BAD_CONF FUZZ_DIR "/bad.conf"
#define MISSING_CONF FUZZ_DIR "/missing.conf"

static const char good_text[] =
	"{ \"rate\": 48000, \"period_frames\": 256, \"periods\": 4,\n"
	"  \"capture\": { \"device\": \"null\", \"channels\": 2, \"format\": \"S16_LE\" },\n"
	"  \"playback\": { \"device\": \"null\", \"channels\": 2, \"format\": \"S16_LE\" },\n"
	"  \"realtime\": { \"enabled\": false, \"mlock\": false },\n"
	"  \"pipeline\": [ { \"type\": \"gain\", \"name\": \"master\", \"db\": -6 } ] }\n";
static const char bad_text[] =
	"{ \"rate\": 1, \"period_frames\": \"big\",\n"
	"  \"capture\": { \"channels\": 0, \"format\": \"S33_LE\" }, \"bogus\": true }\n";

static struct ctl_context ctx;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_dispatch: %s: %s\n", what, detail);
	abort();
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write", path);
}

/* ctx->ops.restart: the fuzzer keeps its one engine on the null PCM, so a
 * change of devices or rate is refused (everything else is applied for
 * real: new graphs go to the running engine). */
static int fuzz_restart(struct ctl_context *c, const struct dspd_config *next)
{
	(void)c;
	(void)next;
	return -EPERM;
}

static struct dspd_config running;

/* The engine runs good_text on ALSA's null PCM. */
static void setup_engine(void)
{
	struct cfg_errors errs;
	char err[512] = "";
	int r;

	if (config_load_string(good_text, strlen(good_text), GOOD_CONF, &running, &errs) < 0)
		die("the fuzzer's own configuration is invalid", errs.msg[0]);
	r = engine_create(&ctx.engine, &running, err, sizeof(err));
	if (r < 0)
		die("engine_create on the ALSA null PCM failed", err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdir(FUZZ_DIR, 0755) < 0 && errno != EEXIST)
		die("cannot create", FUZZ_DIR);
	write_file(GOOD_CONF, good_text);
	write_file(BAD_CONF, bad_text);
	unlink(MISSING_CONF);
	setup_engine();
	snprintf(ctx.config.path, sizeof(ctx.config.path), "%s", GOOD_CONF);
	sha256_hex(good_text, strlen(good_text), ctx.config.sha256);
	ctx.config.json = json_tokener_parse(good_text);
	ctx.ops.restart = fuzz_restart;
	ctx.ops.reload = daemon_reload;   /* as dspd wires it (main.c) */
	ctx.running = &running;
	ctx.config.source = "file";
	ctx.last_state = ENG_STARTING;
	return 0;
}

/* Keep "path" params inside FUZZ_DIR (see the top of the file). */
static void confine_path(const struct rpc_request *req)
{
	json_object *v;

	if (!req->params || !json_object_object_get_ex(req->params, "path", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	if (strncmp(json_object_get_string(v), FUZZ_DIR "/", strlen(FUZZ_DIR) + 1) == 0 &&
	    !strstr(json_object_get_string(v), ".."))
		return;
	json_object_object_add(req->params, "path", json_object_new_string(MISSING_CONF));
}

static bool all_finite(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!all_finite(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (!all_finite(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* Length of the UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool valid_utf8(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_sequence(s + i, len - i)) == 0)
			return false;
	return true;
}

/* One JSON-RPC 2.0 response object with result xor error and finite
 * numbers; answering id unless any_id (an element of a batch's array). */
static void check_response(json_object *msg, json_object *id, bool any_id,
                           const char *answer)
{
	json_object *v;
	bool has_result, has_error;

	if (!msg || !json_object_is_type(msg, json_type_object))
		die("answer is not a JSON object", answer);
	if (!json_object_object_get_ex(msg, "jsonrpc", &v) ||
	    strcmp(json_object_get_string(v), "2.0") != 0 ||
	    !json_object_object_get_ex(msg, "id", &v))
		die("answer lacks jsonrpc 2.0 or id", answer);
	if (!any_id && !json_object_equal(v, id))
		die("answer does not echo the request's id", answer);
	has_result = json_object_object_get_ex(msg, "result", NULL);
	has_error = json_object_object_get_ex(msg, "error", &v);
	if (has_result == has_error)
		die("answer needs exactly one of result and error", answer);
	if (has_error && !json_object_is_type(json_object_object_get(v, "code"), json_type_int))
		die("error without an integer code", answer);
	if (!all_finite(msg))
		die("answer has a non-finite number", answer);
}

/* One line of valid UTF-8, parsed (the caller puts it). */
static json_object *parse_answer(const char *answer)
{
	size_t len = strlen(answer);

	if (len == 0 || answer[len - 1] != '\n' || memchr(answer, '\n', len - 1))
		die("answer is not one line", answer);
	if (!valid_utf8(answer, len))
		die("answer is not valid UTF-8", answer);
	return json_tokener_parse(answer);
}

/* One newline-terminated JSON-RPC 2.0 response with result xor error,
 * answering id (NULL: the id of a request too broken to have one). */
static void check_answer(const char *answer, json_object *id)
{
	json_object *msg = parse_answer(answer);

	check_response(msg, id, false, answer);
	json_object_put(msg);
}

/* A batch array's answer: an array of 1..n responses, or one error
 * object (an empty or oversized batch). */
static void check_batch_answer(const char *answer, size_t n)
{
	json_object *msg = parse_answer(answer);

	if (msg && json_object_is_type(msg, json_type_array)) {
		size_t got = json_object_array_length(msg);

		if (got == 0 || got > n)
			die("a batch answered with the wrong number of responses", answer);
		for (size_t i = 0; i < got; i++)
			check_response(json_object_array_get_idx(msg, i), NULL, true, answer);
	} else {
		check_response(msg, NULL, true, answer);
	}
	json_object_put(msg);
}

/* A batch array, through dispatch_line() as the server runs it.  Not one
 * that names a file (its paths could not be confined). */
static void run_batch(struct ctl_session *s, const char *line, size_t len)
{
	char *text = strndup(line, len);       /* lines are not terminated */
	json_object *arr = text ? json_tokener_parse(text) : NULL;
	char *answer;

	free(text);

	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    memmem(line, len, "path", 4) || memmem(line, len, "text", 4)) {
		json_object_put(arr);
		return;
	}
	answer = dispatch_line(&ctx, s, line, len);
	if (answer)
		check_batch_answer(answer, json_object_array_length(arr) ?
		                   json_object_array_length(arr) : 1);
	free(answer);
	json_object_put(arr);
}

static void run_line(struct ctl_session *s, const char *line, size_t len)
{
	struct rpc_request req;
	struct rpc_error err;
	char *answer;

	if (len > 0 && line[0] == '[') {
		run_batch(s, line, len);
		return;
	}

	if (proto_parse_request(line, len, &req, &err) < 0) {
		answer = proto_error_line(req.has_id ? req.id : NULL, &err);
		if (!answer)
			die("no answer to a bad line", "proto_error_line returned NULL");
	} else {
		confine_path(&req);
		answer = methods_dispatch(&ctx, s, &req);
	}
	if (answer)
		check_answer(answer, req.has_id ? req.id : NULL);
	free(answer);
	json_object_put(req.root);
}

static void run_session(const uint8_t *data, size_t size, bool read_only)
{
	struct ctl_session s = { .read_only = read_only, .pid = 1, .uid = 1000 };
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);   /* the input ends with '\n' */

		if (len > PROTO_MAX_LINE)
			break;          /* the transport closes such a client */
		run_line(&s, p, len);
		p = nl + 1;
	}
	ctl_session_release(&ctx, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a final line without '\n' counts: seeds are easier to write */
	uint8_t *copy = malloc(size + 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\n';
	run_session(copy, size + 1, false);
	run_session(copy, size + 1, true);
	free(copy);
	return 0;
}
