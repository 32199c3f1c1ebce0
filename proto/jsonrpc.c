/* jsonrpc.c - JSON-RPC 2.0 parsing and formatting (see jsonrpc.h). */
#include "jsonrpc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cut a string back to whole UTF-8 characters (after truncation by a
 * fixed-size buffer, a multi-byte character may have lost its tail). */
static void trim_partial_utf8(char *s)
{
	size_t len = strlen(s), start = len;
	unsigned char lead;
	size_t need;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)s[start - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (len - (start - 1) < need)
		s[start - 1] = '\0';
}

/* Length of the RFC 3629 UTF-8 character at s (at most len bytes), or 0
 * when it is not one: no overlong forms, no surrogates, nothing past
 * U+10FFFF (json-c's own check lets all three through). */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 1;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 2;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n >= len)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n + 1;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_char_len(s + i, len - i)) == 0)
			return false;
	return true;
}

void proto_utf8_scrub(char *text)
{
	unsigned char *s = (unsigned char *)text;
	size_t len = strlen(text);

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_char_len(s + i, len - i)) == 0) {
			s[i] = '?';
			n = 1;
		}
}

int proto_utf8_prefix(const char *s, int max_bytes)
{
	int len = 0;

	while (s[len] && len < max_bytes)
		len++;
	/* step back over a character the limit cut in two */
	if (s[len] && ((unsigned char)s[len] & 0xC0) == 0x80)
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	return len;
}

void rpc_error_set(struct rpc_error *err, int code, const char *field,
                   const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->data = NULL;
	snprintf(err->message, sizeof(err->message), "%s", proto_error_message(code));
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	trim_partial_utf8(err->field);
	trim_partial_utf8(err->reason);
}

/* json-c accepts NaN and Infinity even in strict mode; JSON has neither.
 * A number too large for a double (1e400) is valid JSON and is left for the
 * parameter checks to refuse.  Recursion is bounded by PROTO_MAX_DEPTH. */
static bool has_non_json_literal(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_double: {
		const char *text;

		if (isfinite(json_object_get_double(v)))
			return false;
		text = json_object_to_json_string(v);
		if (*text == '-')
			text++;
		return !(*text >= '0' && *text <= '9');
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (has_non_json_literal(json_object_array_get_idx(v, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (has_non_json_literal(val))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static int parse_json(const char *line, size_t len, json_object **ret,
                      struct rpc_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *obj;
	size_t end;

	if (memchr(line, '\0', len)) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL, "NUL byte in line");
		return -EINVAL;
	}
	if (!valid_utf8((const unsigned char *)line, len)) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL, "invalid UTF-8");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(PROTO_MAX_DEPTH);
	if (!tok) {
		rpc_error_set(err, RPC_SERVER_ERROR, NULL, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* a bare number ("42") only ends at a terminator: give it one */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr == json_tokener_continue) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL, "incomplete JSON");
	} else if (jerr != json_tokener_success) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL, "%s at byte %zu",
		              json_tokener_error_desc(jerr), end);
	} else if (end < len && strspn(line + end, " \t\r") != len - end) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL,
		              "trailing characters after the JSON value at byte %zu", end);
		jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_success && has_non_json_literal(obj)) {
		rpc_error_set(err, RPC_PARSE_ERROR, NULL,
		              "NaN and Infinity are not JSON numbers");
		jerr = json_tokener_error_parse_unexpected;
	}
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		return -EINVAL;
	}
	*ret = obj;
	return 0;
}

int proto_parse_json(const char *line, size_t len, json_object **ret,
                     struct rpc_error *err)
{
	*ret = NULL;
	return parse_json(line, len, ret, err);
}

/* An integer id must come back as sent: json-c reads integers past the
 * int64 range saturated (100000000000000000000000000000 as 2^64-1,
 * -1e29 written out as INT64_MIN), so ids from -(2^63-1) to 2^63-1 only. */
static bool valid_id(json_object *id)
{
	int64_t v;

	switch (json_object_get_type(id)) {
	case json_type_null:
	case json_type_string:
		return true;
	case json_type_int:
		v = json_object_get_int64(id);
		if (v == INT64_MIN)
			return false;
		/* INT64_MAX also stands for every larger one, kept as uint64 */
		return v != INT64_MAX ||
		       strcmp(json_object_to_json_string(id), "9223372036854775807") == 0;
	default:
		return false;
	}
}

int proto_request_from(json_object *obj, struct rpc_request *req,
                       struct rpc_error *err)
{
	json_object *version, *method, *id;

	memset(req, 0, sizeof(*req));
	req->root = json_object_get(obj);
	if (!json_object_is_type(req->root, json_type_object)) {
		rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "request must be a JSON object");
		return -EINVAL;
	}
	if (json_object_object_get_ex(req->root, "id", &id)) {
		if (!valid_id(id)) {
			rpc_error_set(err, RPC_INVALID_REQUEST, "id",
			              "id must be a string, null or an integer from "
			              "-(2^63-1) to 2^63-1");
			return -EINVAL;
		}
		req->id = id;
		req->has_id = true;
	}
	if (!json_object_object_get_ex(req->root, "jsonrpc", &version) ||
	    !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "jsonrpc", "must be \"2.0\"");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(req->root, "method", &method) ||
	    !json_object_is_type(method, json_type_string)) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "method", "must be a string");
		return -EINVAL;
	}
	req->method = json_object_get_string(method);
	if (strlen(req->method) != (size_t)json_object_get_string_len(method)) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "method", "contains a NUL character");
		return -EINVAL;
	}
	/* an array (by-position parameters) is a valid Request: the method
	 * refuses it with RPC_INVALID_PARAMS (dispatch) */
	if (json_object_object_get_ex(req->root, "params", &req->params) &&
	    !json_object_is_type(req->params, json_type_object) &&
	    !json_object_is_type(req->params, json_type_array) &&
	    !json_object_is_type(req->params, json_type_null)) {
		rpc_error_set(err, RPC_INVALID_REQUEST, "params",
		              "params must be an object (by-name parameters)");
		return -EINVAL;
	}
	if (json_object_is_type(req->params, json_type_null))
		req->params = NULL;
	json_object_object_foreach(req->root, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "id") &&
		    strcmp(key, "method") && strcmp(key, "params")) {
			rpc_error_set(err, RPC_INVALID_REQUEST, key, "unknown member");
			return -EINVAL;
		}
	}
	return 0;
}

int proto_parse_request(const char *line, size_t len, struct rpc_request *req,
                        struct rpc_error *err)
{
	json_object *root;
	int r;

	memset(req, 0, sizeof(*req));
	if ((r = parse_json(line, len, &root, err)) < 0)
		return r;
	r = proto_request_from(root, req, err);
	json_object_put(root);          /* req->root holds it */
	return r;
}

static char *finish_line(json_object *msg)
{
	const char *text = json_object_to_json_string_ext(msg,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = NULL;

	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	json_object_put(msg);
	return line;
}

static json_object *envelope(json_object *id)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", id ? json_object_get(id) : NULL);
	return msg;
}

char *proto_result_line(json_object *id, json_object *result)
{
	json_object *msg = envelope(id);

	json_object_object_add(msg, "result", result);
	return finish_line(msg);
}

char *proto_error_line(json_object *id, const struct rpc_error *err)
{
	json_object *msg = envelope(id);
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(err->code));
	json_object_object_add(e, "message", json_object_new_string(err->message));
	if (err->data) {
		json_object_object_add(e, "data", err->data);
	} else if (err->field[0] || err->reason[0]) {
		json_object *data = json_object_new_object();

		if (err->field[0])
			json_object_object_add(data, "field", json_object_new_string(err->field));
		json_object_object_add(data, "reason", json_object_new_string(err->reason));
		json_object_object_add(e, "data", data);
	}
	json_object_object_add(msg, "error", e);
	return finish_line(msg);
}

/* The value of key, and whether the key is there at all: "x": null is
 * present (and then a type error), not absent. */
static json_object *param(json_object *params, const char *key, bool *present)
{
	json_object *v = NULL;

	*present = params && json_object_object_get_ex(params, key, &v);
	return v;
}

int proto_param_double(json_object *params, const char *key, bool required,
                       double min, double max, double *out,
                       struct rpc_error *err)
{
	bool present;
	json_object *v = param(params, key, &present);
	double d;

	if (!present) {
		if (!required)
			return 0;
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "required");
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "must be a number");
		return -EINVAL;
	}
	d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key,
		              "must be a finite number between %g and %g", min, max);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

int proto_param_bool(json_object *params, const char *key, bool required,
                     bool *out, struct rpc_error *err)
{
	bool present;
	json_object *v = param(params, key, &present);

	if (!present) {
		if (!required)
			return 0;
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "required");
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, key, "must be true or false");
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int proto_params_only(json_object *params, const char *const *allowed,
                      struct rpc_error *err)
{
	if (!params)
		return 0;
	json_object_object_foreach(params, key, val) {
		const char *const *a;

		(void)val;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			rpc_error_set(err, RPC_INVALID_PARAMS, key, "unknown parameter");
			return -EINVAL;
		}
	}
	return 0;
}
