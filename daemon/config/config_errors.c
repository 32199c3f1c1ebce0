/* config_errors.c - the error collection every pass of a config load
 * reports through: messages bounded and marked when truncated, a text
 * offset as line:column, the current RFC 6901 JSON pointer, user values
 * quoted back.  Calls nothing else of the config parser.  Control thread
 * only (startup, SIGHUP, --check-config). */
#include "config_errors.h"

#include <stdio.h>
#include <string.h>

/* ---- messages ---------------------------------------------------------- */

/* Append to a message, marking truncation with "...". */
static void msg_vappend(char *buf, size_t size, size_t *len,
                        const char *fmt, va_list ap)
{
	int n;

	if (*len >= size - 1)
		return;
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= size - *len) {
		*len = size - 1;
		memcpy(buf + size - 4, "...", 4);
		return;
	}
	*len += (size_t)n;
}

void cfg_msg_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vappend(buf, size, len, fmt, ap);
	va_end(ap);
}

/* One error: "<origin><where>: <reason>".  Counts past CFG_MAX_ERRORS. */
static void add_verror(struct parser *p, const char *where, const char *fmt,
                       va_list ap)
{
	struct cfg_errors *e = p->errs;
	size_t len = 0;

	if (e->count < CFG_MAX_ERRORS) {
		char *msg = e->msg[e->count];
		size_t size = sizeof(e->msg[0]);

		msg[0] = '\0';
		cfg_msg_append(msg, size, &len, "%s%s: ", p->origin, where);
		msg_vappend(msg, size, &len, fmt, ap);
	}
	e->count++;
}

void cfg_line_column(const struct parser *p, size_t offset,
                     unsigned *ret_line, unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	for (size_t i = 0; i < offset && i < p->len; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (c == '\n') {
			line++;
			column = 1;
		} else if ((c & 0xc0) != 0x80) {  /* count characters, not bytes */
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

/* Once the message slots are full, errors are only counted: skip the
 * work of locating them (cfg_line_column() is linear in the offset). */
bool cfg_errors_full(struct parser *p)
{
	if (p->errs->count < CFG_MAX_ERRORS)
		return false;
	p->errs->count++;
	return true;
}

/* Error at a text offset: "origin:line:column: ..." */
void cfg_error_at(struct parser *p, size_t offset, const char *fmt, ...)
{
	char where[32];
	unsigned line, column;
	va_list ap;

	if (cfg_errors_full(p))
		return;
	cfg_line_column(p, offset, &line, &column);
	snprintf(where, sizeof(where), ":%u:%u", line, column);
	va_start(ap, fmt);
	add_verror(p, where, fmt, ap);
	va_end(ap);
}

/* Error at the current JSON pointer: "origin: /a/b: ..." */
void cfg_error_here(struct parser *p, const char *fmt, ...)
{
	char where[CFG_POINTER_MAX + 2];
	va_list ap;

	snprintf(where, sizeof(where), "%s%s", p->pointer_len ? ": " : "",
	         p->pointer);
	va_start(ap, fmt);
	add_verror(p, where, fmt, ap);
	va_end(ap);
}

/* Error without a position: "origin: ..." */
void cfg_error_file(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_verror(p, "", fmt, ap);
	va_end(ap);
}

/* A user string as a bounded, quoted, printable literal. */
void cfg_quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t out = 0;

	cfg_msg_append(buf, size, &out, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == CFG_SHOWN_VALUE_MAX) {
			cfg_msg_append(buf, size, &out, "...");
			break;
		}
		if (c == '"' || c == '\\')
			cfg_msg_append(buf, size, &out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			cfg_msg_append(buf, size, &out, "\\x%02x", c);
		else
			cfg_msg_append(buf, size, &out, "%c", c);
	}
	cfg_msg_append(buf, size, &out, "\"");
}

/* How a value is spelled in the file, bounded (numbers keep their text). */
void cfg_show_value(struct json_object *val, char *buf, size_t size)
{
	const char *s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
	size_t len = 0;

	buf[0] = '\0';
	cfg_msg_append(buf, size, &len, "%.*s%s", CFG_SHOWN_VALUE_MAX, s,
	               strlen(s) > CFG_SHOWN_VALUE_MAX ? "..." : "");
}

const char *cfg_kind_name(struct json_object *val)
{
	switch (json_object_get_type(val)) {
	case json_type_null:    return "null";
	case json_type_boolean: return "boolean";
	case json_type_int:
	case json_type_double:  return "number";
	case json_type_object:  return "object";
	case json_type_array:   return "array";
	case json_type_string:  return "string";
	}
	return "unknown";
}

/* ---- JSON pointer (RFC 6901) ---------------------------------------- */

/* Append "/segment" with ~ and / escaped; returns the length to pop to. */
size_t cfg_pointer_push(struct parser *p, const char *seg, size_t seg_len)
{
	size_t mark = p->pointer_len;
	size_t len = p->pointer_len;
	char *buf = p->pointer;
	size_t size = sizeof(p->pointer);

	cfg_msg_append(buf, size, &len, "/");
	for (size_t i = 0; i < seg_len; i++) {
		unsigned char c = (unsigned char)seg[i];

		if (c == '~')
			cfg_msg_append(buf, size, &len, "~0");
		else if (c == '/')
			cfg_msg_append(buf, size, &len, "~1");
		else if (c < 0x20 || c == 0x7f)
			cfg_msg_append(buf, size, &len, "\\x%02x", c);
		else
			cfg_msg_append(buf, size, &len, "%c", c);
	}
	p->pointer_len = len;
	return mark;
}

size_t cfg_pointer_push_index(struct parser *p, size_t index)
{
	char seg[24];
	int n = snprintf(seg, sizeof(seg), "%zu", index);

	return cfg_pointer_push(p, seg, (size_t)n);
}

void cfg_pointer_pop(struct parser *p, size_t mark)
{
	p->pointer_len = mark;
	p->pointer[mark] = '\0';
}
