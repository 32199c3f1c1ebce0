/* config.c - dspd.conf: read, parse (json-c, comments allowed) and validate
 * into a struct dspd_config, collecting every error instead of stopping at
 * the first.  Control thread only (startup, SIGHUP, --check-config).
 *
 * Three passes over one text:
 *   1. syntax: json-c's tokener in non-strict mode (accepts // and block
 *      comments); its failure offset becomes file:line:column.
 *   2. duplicate keys: json-c silently keeps the last of two equal keys, so
 *      a small lexical walk over the already-validated text finds them.
 *   3. meaning: table-driven walk of the tree; every problem is addressed by
 *      an RFC 6901 JSON pointer ("/pipeline/1/name"), unknown keys included.
 *      Cross-field checks (buffer size, channel indexes) come last.
 * Pipeline blocks are described by a table of block types, each with its
 * own key table, so new block types only add a table entry. */
#include "config.h"
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_JSON_DEPTH 64               /* nesting limit handed to json-c */
#define CFG_MAX_BUFFER_FRAMES (1u << 20) /* period_frames * periods */
#define CFG_POINTER_MAX 200             /* longest JSON pointer shown */
#define CFG_SHOWN_VALUE_MAX 48          /* longest user value quoted back */

/* Field flags. */
#define FIELD_REQUIRED    0x1u
#define TAINTS_PERIOD     0x2u /* failure disables the buffer-size check */
#define TAINTS_CHANNELS   0x4u /* failure disables the block channel check */

struct parser {
	const char *origin;
	const char *text;
	size_t len;
	struct cfg_errors *errs;
	char pointer[CFG_POINTER_MAX];
	size_t pointer_len;
	unsigned tainted;               /* TAINTS_* of fields that failed */
	unsigned block_index;           /* pipeline block being parsed */
	/* position in the block's "channels" array of each channel given */
	uint32_t channel_pos[CFG_MAX_BLOCKS][CFG_MAX_CHANNELS];
};

struct field;
typedef int field_parse_fn(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst);

struct field {
	const char *key;
	field_parse_fn *parse;
	size_t offset;                  /* of the destination within the base */
	double min, max;                /* numeric range */
	size_t size;                    /* string destination buffer size */
	const char *hint;               /* appended to a too-long message */
	const struct field *fields;     /* parse_object: the nested keys */
	unsigned flags;
};

struct block_type {
	const char *name;
	enum cfg_block_type type;
	void (*defaults)(struct cfg_block *block);
	const struct field *fields;     /* every key the block may have */
};

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

static void msg_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void msg_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
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
		msg_append(msg, size, &len, "%s%s: ", p->origin, where);
		msg_vappend(msg, size, &len, fmt, ap);
	}
	e->count++;
}

static void line_column(const struct parser *p, size_t offset,
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
 * work of locating them (line_column() is linear in the offset). */
static bool errors_full(struct parser *p)
{
	if (p->errs->count < CFG_MAX_ERRORS)
		return false;
	p->errs->count++;
	return true;
}

/* Error at a text offset: "origin:line:column: ..." */
static void error_at(struct parser *p, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void error_at(struct parser *p, size_t offset, const char *fmt, ...)
{
	char where[32];
	unsigned line, column;
	va_list ap;

	if (errors_full(p))
		return;
	line_column(p, offset, &line, &column);
	snprintf(where, sizeof(where), ":%u:%u", line, column);
	va_start(ap, fmt);
	add_verror(p, where, fmt, ap);
	va_end(ap);
}

/* Error at the current JSON pointer: "origin: /a/b: ..." */
static void error_here(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void error_here(struct parser *p, const char *fmt, ...)
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
static void error_file(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void error_file(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_verror(p, "", fmt, ap);
	va_end(ap);
}

/* A user string as a bounded, quoted, printable literal. */
static void quote(const char *s, size_t len, char *buf, size_t size)
{
	size_t out = 0;

	msg_append(buf, size, &out, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == CFG_SHOWN_VALUE_MAX) {
			msg_append(buf, size, &out, "...");
			break;
		}
		if (c == '"' || c == '\\')
			msg_append(buf, size, &out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			msg_append(buf, size, &out, "\\x%02x", c);
		else
			msg_append(buf, size, &out, "%c", c);
	}
	msg_append(buf, size, &out, "\"");
}

/* How a value is spelled in the file, bounded (numbers keep their text). */
static void show_value(struct json_object *val, char *buf, size_t size)
{
	const char *s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
	size_t len = 0;

	buf[0] = '\0';
	msg_append(buf, size, &len, "%.*s%s", CFG_SHOWN_VALUE_MAX, s,
	           strlen(s) > CFG_SHOWN_VALUE_MAX ? "..." : "");
}

static const char *kind_name(struct json_object *val)
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
static size_t pointer_push(struct parser *p, const char *seg, size_t seg_len)
{
	size_t mark = p->pointer_len;
	size_t len = p->pointer_len;
	char *buf = p->pointer;
	size_t size = sizeof(p->pointer);

	msg_append(buf, size, &len, "/");
	for (size_t i = 0; i < seg_len; i++) {
		unsigned char c = (unsigned char)seg[i];

		if (c == '~')
			msg_append(buf, size, &len, "~0");
		else if (c == '/')
			msg_append(buf, size, &len, "~1");
		else if (c < 0x20 || c == 0x7f)
			msg_append(buf, size, &len, "\\x%02x", c);
		else
			msg_append(buf, size, &len, "%c", c);
	}
	p->pointer_len = len;
	return mark;
}

static size_t pointer_push_index(struct parser *p, size_t index)
{
	char seg[24];
	int n = snprintf(seg, sizeof(seg), "%zu", index);

	return pointer_push(p, seg, (size_t)n);
}

static void pointer_pop(struct parser *p, size_t mark)
{
	p->pointer_len = mark;
	p->pointer[mark] = '\0';
}

/* ---- lexical helpers (the text json-c accepts in non-strict mode) ----- */

/* Skip whitespace and comments.  Returns 0, or -EINVAL with *ret_start at
 * an unterminated block comment. */
static int skip_blank(const char *text, size_t len, size_t *pos,
                      size_t *ret_start)
{
	size_t i = *pos;

	while (i < len) {
		if (isspace((unsigned char)text[i])) {
			i++;
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
			const char *end = NULL;

			for (size_t j = i + 2; j + 1 < len; j++)
				if (text[j] == '*' && text[j + 1] == '/') {
					end = text + j;
					break;
				}
			if (!end) {
				*pos = len;
				*ret_start = i;
				return -EINVAL;
			}
			i = (size_t)(end - text) + 2;
		} else {
			break;
		}
	}
	*pos = i;
	return 0;
}

/* Skip a string starting at its quote (" or ').  Returns 0, or -EINVAL
 * when the text ends first. */
static int skip_string(const char *text, size_t len, size_t *pos)
{
	char q = text[*pos];

	for (size_t i = *pos + 1; i < len; i++) {
		if (text[i] == '\\')
			i++;
		else if (text[i] == q) {
			*pos = i + 1;
			return 0;
		}
	}
	*pos = len;
	return -EINVAL;
}

static void describe_char(const char *text, size_t len, size_t offset,
                          char *buf, size_t size)
{
	unsigned char c;

	if (offset >= len) {
		snprintf(buf, size, "end of file");
		return;
	}
	c = (unsigned char)text[offset];
	if (c == '\n')
		snprintf(buf, size, "end of line");
	else if (c == ' ')
		snprintf(buf, size, "space");
	else if (c == '\t')
		snprintf(buf, size, "tab");
	else if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
}

/* ---- pass 1: syntax ---------------------------------------------------- */

static void report_unterminated_comment(struct parser *p, size_t start)
{
	unsigned line, column;

	line_column(p, start, &line, &column);
	error_at(p, p->len, "syntax error: unexpected end of file inside the "
	         "comment opened at %u:%u", line, column);
}

/* The input ended inside something: say what, and where it began. */
static void report_unfinished(struct parser *p)
{
	size_t open[CFG_JSON_DEPTH + 1];
	size_t depth = 0, pos = 0, start;

	for (;;) {
		if (skip_blank(p->text, p->len, &pos, &start) < 0) {
			report_unterminated_comment(p, start);
			return;
		}
		if (pos >= p->len)
			break;
		switch (p->text[pos]) {
		case '"':
		case '\'':
			start = pos;
			if (skip_string(p->text, p->len, &pos) < 0) {
				unsigned line, column;

				line_column(p, start, &line, &column);
				error_at(p, p->len, "syntax error: unexpected end "
				         "of file inside the string started at %u:%u",
				         line, column);
				return;
			}
			continue;
		case '{':
		case '[':
			if (depth < CFG_JSON_DEPTH + 1)
				open[depth++] = pos;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		}
		pos++;
	}
	if (depth > 0) {
		unsigned line, column;

		line_column(p, open[depth - 1], &line, &column);
		error_at(p, p->len, "syntax error: unexpected end of file: "
		         "'%c' opened at %u:%u is not closed",
		         p->text[open[depth - 1]], line, column);
		return;
	}
	error_at(p, p->len, "syntax error: unexpected end of file");
}

static void report_tokener_error(struct parser *p, enum json_tokener_error err,
                                 size_t offset)
{
	char what[32];

	describe_char(p->text, p->len, offset, what, sizeof(what));
	switch (err) {
	case json_tokener_error_depth:
		error_at(p, offset, "syntax error: nesting deeper than %d levels",
		         CFG_JSON_DEPTH);
		break;
	case json_tokener_error_parse_utf8_string:
		error_at(p, offset, "syntax error: invalid UTF-8 (%s)", what);
		break;
	default:
		error_at(p, offset, "syntax error: unexpected %s (%s)", what,
		         json_tokener_error_desc(err));
		break;
	}
}

static const char *kind_of_first_char(char c)
{
	switch (c) {
	case '[':  return "array";
	case '"':
	case '\'': return "string";
	case 't':
	case 'T':
	case 'f':
	case 'F':  return "boolean";
	case 'n':
	case 'N':  return "null or number";
	}
	if (c == '-' || c == 'I' || isdigit((unsigned char)c))
		return "number";
	return NULL;
}

/* The top level must be an object; anything else is reported here. */
static int check_top_level_start(struct parser *p)
{
	size_t pos = 0, start;
	const char *kind;
	char what[32];

	if (skip_blank(p->text, p->len, &pos, &start) < 0) {
		report_unterminated_comment(p, start);
		return -EINVAL;
	}
	if (pos >= p->len) {
		error_file(p, "the configuration is empty (expected a JSON "
		           "object such as {\"rate\": 48000})");
		return -EINVAL;
	}
	if (p->text[pos] == '{')
		return 0;
	kind = kind_of_first_char(p->text[pos]);
	if (kind) {
		error_at(p, pos, "the top level must be an object, got %s", kind);
	} else {
		describe_char(p->text, p->len, pos, what, sizeof(what));
		error_at(p, pos, "syntax error: unexpected %s (expected '{' "
		         "opening the top-level object)", what);
	}
	return -EINVAL;
}

static int check_trailing(struct parser *p, size_t pos)
{
	size_t start;
	char what[32];

	if (skip_blank(p->text, p->len, &pos, &start) < 0) {
		report_unterminated_comment(p, start);
		return -EINVAL;
	}
	if (pos >= p->len)
		return 0;
	describe_char(p->text, p->len, pos, what, sizeof(what));
	error_at(p, pos, "syntax error: unexpected %s after the top-level "
	         "object (only whitespace and comments may follow it)", what);
	return -EINVAL;
}

static int parse_syntax(struct parser *p, struct json_object **ret_root,
                        size_t *ret_end)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error err;
	const char *nul = memchr(p->text, '\0', p->len);
	size_t end;

	if (nul) {
		error_at(p, (size_t)(nul - p->text), "syntax error: NUL byte "
		         "in the configuration");
		return -EINVAL;
	}
	if (check_top_level_start(p) < 0)
		return -EINVAL;
	tok = json_tokener_new_ex(CFG_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, p->text, (int)p->len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (err == json_tokener_continue) {
		report_unfinished(p);
		return -EINVAL;
	}
	if (!root) {
		report_tokener_error(p, err, end);
		return -EINVAL;
	}
	if (check_trailing(p, end) < 0) {
		json_object_put(root);
		return -EINVAL;
	}
	*ret_root = root;
	*ret_end = end;
	return 0;
}

/* ---- pass 2: duplicate keys ---------------------------------------- */

struct seen_key {
	struct json_object *key;        /* decoded by json-c */
	size_t offset;
	size_t first;                   /* offset of the first spelling if dup */
	bool duplicate;
};

struct key_scan {
	struct parser *p;
	struct json_tokener *tok;       /* decodes key literals */
	size_t pos, end;
};

static int compare_seen_keys(const void *a, const void *b)
{
	const struct seen_key *ka = *(const struct seen_key *const *)a;
	const struct seen_key *kb = *(const struct seen_key *const *)b;
	int la = json_object_get_string_len(ka->key);
	int lb = json_object_get_string_len(kb->key);
	int c = memcmp(json_object_get_string(ka->key),
	               json_object_get_string(kb->key), (size_t)(la < lb ? la : lb));

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return ka->offset < kb->offset ? -1 : ka->offset > kb->offset;
}

static void report_duplicate_keys(struct key_scan *s, struct seen_key *keys,
                                  size_t n)
{
	struct seen_key **sorted;

	if (n < 2)
		return;
	sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &keys[i];
	qsort(sorted, n, sizeof(*sorted), compare_seen_keys);
	for (size_t i = 1; i < n; i++) {
		struct seen_key *prev = sorted[i - 1];

		if (json_object_equal(prev->key, sorted[i]->key)) {
			sorted[i]->duplicate = true;
			sorted[i]->first = prev->duplicate ? prev->first : prev->offset;
		}
	}
	free(sorted);
	for (size_t i = 0; i < n; i++) {
		unsigned line, column;
		size_t mark;

		if (!keys[i].duplicate || errors_full(s->p))
			continue;
		line_column(s->p, keys[i].first, &line, &column);
		mark = pointer_push(s->p, json_object_get_string(keys[i].key),
		                    (size_t)json_object_get_string_len(keys[i].key));
		error_at(s->p, keys[i].offset, "%s: duplicate key (first at %u:%u)",
		         s->p->pointer, line, column);
		pointer_pop(s->p, mark);
	}
}

static void scan_value(struct key_scan *s);

static struct json_object *decode_key(struct key_scan *s, size_t start,
                                      size_t end)
{
	json_tokener_reset(s->tok);
	return json_tokener_parse_ex(s->tok, s->p->text + start,
	                             (int)(end - start));
}

static void scan_object(struct key_scan *s)
{
	const char *text = s->p->text;
	struct seen_key *keys = NULL;
	size_t n = 0, cap = 0, ignored;

	s->pos++;
	while (skip_blank(text, s->end, &s->pos, &ignored) == 0 &&
	       s->pos < s->end && text[s->pos] != '}') {
		size_t start = s->pos, mark;
		struct json_object *key;

		if (text[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (skip_string(text, s->end, &s->pos) < 0)
			break;
		key = decode_key(s, start, s->pos);
		if (!key || !json_object_is_type(key, json_type_string)) {
			json_object_put(key);
			break;
		}
		if (n == cap) {
			size_t new_cap = cap ? cap * 2 : 16;
			struct seen_key *grown = realloc(keys, new_cap * sizeof(*keys));

			if (!grown) {
				json_object_put(key);
				break;
			}
			keys = grown;
			cap = new_cap;
		}
		keys[n++] = (struct seen_key){ .key = key, .offset = start };
		if (skip_blank(text, s->end, &s->pos, &ignored) < 0 ||
		    s->pos >= s->end || text[s->pos] != ':')
			break;
		s->pos++;
		mark = pointer_push(s->p, json_object_get_string(key),
		                    (size_t)json_object_get_string_len(key));
		scan_value(s);
		pointer_pop(s->p, mark);
	}
	if (s->pos < s->end && text[s->pos] == '}')
		s->pos++;
	report_duplicate_keys(s, keys, n);
	for (size_t i = 0; i < n; i++)
		json_object_put(keys[i].key);
	free(keys);
}

static void scan_array(struct key_scan *s)
{
	const char *text = s->p->text;
	size_t index = 0, ignored;

	s->pos++;
	while (skip_blank(text, s->end, &s->pos, &ignored) == 0 &&
	       s->pos < s->end && text[s->pos] != ']') {
		size_t mark, before = s->pos;

		if (text[s->pos] == ',') {
			s->pos++;
			continue;
		}
		mark = pointer_push_index(s->p, index++);
		scan_value(s);
		pointer_pop(s->p, mark);
		if (s->pos == before)  /* never loop on text json-c would refuse */
			break;
	}
	if (s->pos < s->end && text[s->pos] == ']')
		s->pos++;
}

static void scan_value(struct key_scan *s)
{
	const char *text = s->p->text;
	size_t ignored;

	if (skip_blank(text, s->end, &s->pos, &ignored) < 0 || s->pos >= s->end)
		return;
	switch (text[s->pos]) {
	case '{':
		scan_object(s);
		return;
	case '[':
		scan_array(s);
		return;
	case '"':
	case '\'':
		skip_string(text, s->end, &s->pos);
		return;
	}
	while (s->pos < s->end && !strchr(",:]}/", text[s->pos]) &&
	       !isspace((unsigned char)text[s->pos]))
		s->pos++;
}

/* json-c keeps only the last of equal keys; find the others in the text.
 * The text up to end has been accepted by json-c, nesting included. */
static void check_duplicate_keys(struct parser *p, size_t end)
{
	struct key_scan s = { .p = p, .pos = 0, .end = end };

	s.tok = json_tokener_new_ex(2);
	if (!s.tok)
		return;
	scan_value(&s);
	json_tokener_free(s.tok);
}

/* ---- pass 3: meaning --------------------------------------------------- */

/* A number that must be an integer in [min, max]. */
static int get_integer(struct parser *p, struct json_object *val,
                       double min, double max, int64_t *ret)
{
	char shown[CFG_SHOWN_VALUE_MAX + 4];
	double d;

	if (!json_object_is_type(val, json_type_int) &&
	    !json_object_is_type(val, json_type_double)) {
		error_here(p, "must be an integer, got %s", kind_name(val));
		return -EINVAL;
	}
	show_value(val, shown, sizeof(shown));
	d = json_object_get_double(val);
	if (json_object_is_type(val, json_type_double) &&
	    (!isfinite(d) || floor(d) != d)) {
		error_here(p, "must be an integer, got %s", shown);
		return -EINVAL;
	}
	if (d < min || d > max) {
		error_here(p, "must be an integer between %.0f and %.0f, got %s",
		           min, max, shown);
		return -EINVAL;
	}
	*ret = (int64_t)d;
	return 0;
}

static int parse_unsigned(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	int64_t v;

	if (get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

static int parse_int(struct parser *p, struct json_object *val,
                     const struct field *f, void *dst)
{
	int64_t v;

	if (get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(int *)dst = (int)v;
	return 0;
}

static int parse_number(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	char shown[CFG_SHOWN_VALUE_MAX + 4];
	double d;

	if (!json_object_is_type(val, json_type_int) &&
	    !json_object_is_type(val, json_type_double)) {
		error_here(p, "must be a number, got %s", kind_name(val));
		return -EINVAL;
	}
	show_value(val, shown, sizeof(shown));
	d = json_object_get_double(val);
	if (!isfinite(d)) {
		error_here(p, "must be a finite number, got %s", shown);
		return -EINVAL;
	}
	if (d < f->min || d > f->max) {
		error_here(p, "must be a number between %g and %g, got %s",
		           f->min, f->max, shown);
		return -EINVAL;
	}
	*(double *)dst = d;
	return 0;
}

static int parse_bool(struct parser *p, struct json_object *val,
                      const struct field *f, void *dst)
{
	(void)f;
	if (!json_object_is_type(val, json_type_boolean)) {
		error_here(p, "must be true or false, got %s", kind_name(val));
		return -EINVAL;
	}
	*(bool *)dst = json_object_get_boolean(val);
	return 0;
}

/* A non-empty string without NUL that fits size bytes with its NUL. */
static int get_string(struct parser *p, struct json_object *val, size_t size,
                      const char *hint, const char **ret)
{
	const char *s;
	size_t len;

	if (!json_object_is_type(val, json_type_string)) {
		error_here(p, "must be a non-empty string, got %s", kind_name(val));
		return -EINVAL;
	}
	s = json_object_get_string(val);
	len = (size_t)json_object_get_string_len(val);
	if (len == 0) {
		error_here(p, "must be a non-empty string");
		return -EINVAL;
	}
	if (strlen(s) != len) {
		error_here(p, "must not contain NUL characters");
		return -EINVAL;
	}
	if (len >= size) {
		error_here(p, "is too long: %zu bytes, at most %zu allowed%s",
		           len, size - 1, hint ? hint : "");
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

static int parse_string(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	const char *s;

	if (get_string(p, val, f->size, f->hint, &s) < 0)
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_format(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	const struct fmt_codec *codec, *table;
	char quoted[CFG_SHOWN_VALUE_MAX + 8], names[256];
	size_t count, len = 0;
	const char *s;

	(void)f;
	if (get_string(p, val, SIZE_MAX, NULL, &s) < 0)
		return -EINVAL;
	if (strcasecmp(s, "auto") == 0) {
		*(snd_pcm_format_t *)dst = CFG_FORMAT_AUTO;
		return 0;
	}
	codec = fmt_codec_by_name(s);
	if (codec) {
		*(snd_pcm_format_t *)dst = codec->format;
		return 0;
	}
	table = fmt_codec_table(&count);
	names[0] = '\0';
	msg_append(names, sizeof(names), &len, "auto");
	for (size_t i = 0; i < count; i++)
		msg_append(names, sizeof(names), &len, ", %s", table[i].name);
	quote(s, strlen(s), quoted, sizeof(quoted));
	error_here(p, "unknown format %s (supported: %s)", quoted, names);
	return -EINVAL;
}

static const struct field *find_field(const struct field *fields,
                                      const char *key)
{
	for (const struct field *f = fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static void report_unknown_key(struct parser *p, const struct field *fields)
{
	char known[200];
	size_t len = 0;

	known[0] = '\0';
	for (const struct field *f = fields; f->key; f++)
		msg_append(known, sizeof(known), &len, "%s%s",
		           f == fields ? "" : ", ", f->key);
	error_here(p, "unknown key (known: %s)", known);
}

/* Walk an object against its key table, writing into base. */
static int parse_fields(struct parser *p, struct json_object *obj,
                        const struct field *fields, void *base)
{
	unsigned errors_before = p->errs->count;

	if (!json_object_is_type(obj, json_type_object)) {
		error_here(p, "must be an object, got %s", kind_name(obj));
		return -EINVAL;
	}
	json_object_object_foreach(obj, key, val) {
		const struct field *f = find_field(fields, key);
		size_t mark = pointer_push(p, key, strlen(key));

		if (!f)
			report_unknown_key(p, fields);
		else if (f->parse(p, val, f, (char *)base + f->offset) < 0)
			p->tainted |= f->flags;
		pointer_pop(p, mark);
	}
	for (const struct field *f = fields; f->key; f++)
		if ((f->flags & FIELD_REQUIRED) &&
		    !json_object_object_get_ex(obj, f->key, NULL)) {
			error_here(p, "missing required key \"%s\"", f->key);
			p->tainted |= f->flags;
		}
	return p->errs->count == errors_before ? 0 : -EINVAL;
}

static int parse_object(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	return parse_fields(p, val, f->fields, dst);
}

/* -- pipeline blocks -- */

static int parse_block_type_key(struct parser *p, struct json_object *val,
                                const struct field *f, void *dst)
{
	(void)p, (void)val, (void)f, (void)dst;
	return 0;  /* already resolved by parse_block() */
}

static int parse_block_name(struct parser *p, struct json_object *val,
                            const struct field *f, void *dst)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];
	const char *s;

	(void)f;
	if (get_string(p, val, CFG_NAME_MAX, NULL, &s) < 0)
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
			quote(s, strlen(s), quoted, sizeof(quoted));
			error_here(p, "invalid name %s: use letters, digits, "
			           "'_', '.' and '-' only", quoted);
			return -EINVAL;
		}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_channels(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	uint32_t mask = 0;
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		error_here(p, "must be an array of channel indexes, got %s",
		           kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n == 0) {
		error_here(p, "must list at least one channel (omit the key "
		           "for all channels)");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = pointer_push_index(p, i);
		int64_t ch;

		if (get_integer(p, json_object_array_get_idx(val, i), 0,
		                CFG_MAX_CHANNELS - 1, &ch) < 0) {
			r = -EINVAL;
		} else if (mask & (1u << ch)) {
			error_here(p, "channel %d is listed twice (first at "
			           "index %u)", (int)ch,
			           p->channel_pos[p->block_index][ch]);
			r = -EINVAL;
		} else {
			mask |= 1u << ch;
			p->channel_pos[p->block_index][ch] = (uint32_t)i;
		}
		pointer_pop(p, mark);
	}
	*(uint32_t *)dst = mask;
	return r;
}

static void gain_defaults(struct cfg_block *block)
{
	block->db = 0.0;
	block->mute = false;
	block->invert = false;
	block->channel_mask = UINT32_MAX;
}

#define BLOCK_COMMON_FIELDS                                                   \
	{ .key = "type", .parse = parse_block_type_key,                       \
	  .flags = FIELD_REQUIRED },                                          \
	{ .key = "name", .parse = parse_block_name,                           \
	  .offset = offsetof(struct cfg_block, name), .flags = FIELD_REQUIRED }

static const struct field gain_fields[] = {
	BLOCK_COMMON_FIELDS,
	{ .key = "db", .parse = parse_number,
	  .offset = offsetof(struct cfg_block, db), .min = -150, .max = 40 },
	{ .key = "mute", .parse = parse_bool,
	  .offset = offsetof(struct cfg_block, mute) },
	{ .key = "invert", .parse = parse_bool,
	  .offset = offsetof(struct cfg_block, invert) },
	{ .key = "channels", .parse = parse_channels,
	  .offset = offsetof(struct cfg_block, channel_mask) },
	{ 0 }
};

static const struct block_type block_types[] = {
	{ "gain", CFG_BLOCK_GAIN, gain_defaults, gain_fields },
};

#define N_BLOCK_TYPES (sizeof(block_types) / sizeof(block_types[0]))

static const struct block_type *find_block_type(const char *name)
{
	for (size_t i = 0; i < N_BLOCK_TYPES; i++)
		if (strcmp(block_types[i].name, name) == 0)
			return &block_types[i];
	return NULL;
}

/* Resolve the block's "type"; the type's key table does the rest. */
static const struct block_type *get_block_type(struct parser *p,
                                               struct json_object *obj)
{
	const struct block_type *bt;
	struct json_object *val;
	char quoted[CFG_SHOWN_VALUE_MAX + 8], known[128];
	size_t len = 0, mark;

	if (!json_object_object_get_ex(obj, "type", &val)) {
		error_here(p, "missing required key \"type\"");
		return NULL;
	}
	mark = pointer_push(p, "type", 4);
	if (!json_object_is_type(val, json_type_string)) {
		error_here(p, "must be a string naming a block type, got %s",
		           kind_name(val));
		pointer_pop(p, mark);
		return NULL;
	}
	bt = find_block_type(json_object_get_string(val));
	if (!bt) {
		known[0] = '\0';
		for (size_t i = 0; i < N_BLOCK_TYPES; i++)
			msg_append(known, sizeof(known), &len, "%s%s",
			           i ? ", " : "", block_types[i].name);
		quote(json_object_get_string(val),
		      (size_t)json_object_get_string_len(val), quoted,
		      sizeof(quoted));
		error_here(p, "unknown block type %s (known: %s)", quoted, known);
	}
	pointer_pop(p, mark);
	return bt;
}

static int parse_block(struct parser *p, struct json_object *obj,
                       struct cfg_block *block)
{
	const struct block_type *bt;

	if (!json_object_is_type(obj, json_type_object)) {
		error_here(p, "must be an object (a pipeline block), got %s",
		           kind_name(obj));
		return -EINVAL;
	}
	bt = get_block_type(p, obj);
	if (!bt)
		return -EINVAL;
	block->type = bt->type;
	bt->defaults(block);
	return parse_fields(p, obj, bt->fields, block);
}

static void check_duplicate_name(struct parser *p,
                                 const struct dspd_config *cfg, unsigned i)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];
	const char *name = cfg->blocks[i].name;

	if (!name[0])
		return;
	for (unsigned j = 0; j < i; j++)
		if (strcmp(cfg->blocks[j].name, name) == 0) {
			size_t mark = pointer_push(p, "name", 4);

			quote(name, strlen(name), quoted, sizeof(quoted));
			error_here(p, "duplicate name %s (first at /pipeline/%u)",
			           quoted, j);
			pointer_pop(p, mark);
			return;
		}
}

static int parse_pipeline(struct parser *p, struct json_object *val,
                          const struct field *f, void *dst)
{
	struct dspd_config *cfg = dst;
	size_t n;
	int r = 0;

	(void)f;
	if (!json_object_is_type(val, json_type_array)) {
		error_here(p, "must be an array of blocks, got %s", kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n > CFG_MAX_BLOCKS) {
		error_here(p, "has %zu blocks, at most %d are allowed (only the "
		           "first %d were checked)", n, CFG_MAX_BLOCKS,
		           CFG_MAX_BLOCKS);
		n = CFG_MAX_BLOCKS;
		r = -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t mark = pointer_push_index(p, i);

		p->block_index = i;
		if (parse_block(p, json_object_array_get_idx(val, i),
		                &cfg->blocks[i]) < 0)
			r = -EINVAL;
		check_duplicate_name(p, cfg, i);
		pointer_pop(p, mark);
	}
	cfg->n_blocks = (unsigned)n;
	return r;
}

/* -- the top level -- */

#define CFG_OFFSET(member) offsetof(struct dspd_config, member)

static const struct field pcm_fields[] = {
	{ .key = "device", .parse = parse_string,
	  .offset = offsetof(struct cfg_pcm, device), .size = CFG_DEVICE_MAX },
	{ .key = "channels", .parse = parse_unsigned,
	  .offset = offsetof(struct cfg_pcm, channels),
	  .min = 1, .max = CFG_MAX_CHANNELS, .flags = TAINTS_CHANNELS },
	{ .key = "format", .parse = parse_format,
	  .offset = offsetof(struct cfg_pcm, format) },
	{ 0 }
};

static const struct field control_fields[] = {
	{ .key = "socket", .parse = parse_string,
	  .offset = CFG_OFFSET(socket_path), .size = CFG_PATH_MAX,
	  .hint = " (the size of a Unix socket's sun_path)" },
	{ 0 }
};

static const struct field realtime_fields[] = {
	{ .key = "enabled", .parse = parse_bool,
	  .offset = CFG_OFFSET(realtime.enabled) },
	{ .key = "priority", .parse = parse_int,
	  .offset = CFG_OFFSET(realtime.priority), .min = 1, .max = 99 },
	{ .key = "mlock", .parse = parse_bool,
	  .offset = CFG_OFFSET(realtime.mlock) },
	{ 0 }
};

static const struct field volume_fields[] = {
	{ .key = "db", .parse = parse_number,
	  .offset = CFG_OFFSET(volume.db), .min = -150, .max = 40 },
	{ .key = "mute", .parse = parse_bool,
	  .offset = CFG_OFFSET(volume.mute) },
	{ .key = "ramp_ms", .parse = parse_number,
	  .offset = CFG_OFFSET(volume.ramp_ms), .min = 0, .max = 10000 },
	{ 0 }
};

/* control, realtime and volume fill members of the top-level struct, so
 * their nested tables use top-level offsets and a base offset of 0. */
static const struct field top_fields[] = {
	{ .key = "rate", .parse = parse_unsigned, .offset = CFG_OFFSET(rate),
	  .min = 8000, .max = 768000 },
	{ .key = "period_frames", .parse = parse_unsigned,
	  .offset = CFG_OFFSET(period_frames), .min = 16, .max = 65536,
	  .flags = TAINTS_PERIOD },
	{ .key = "periods", .parse = parse_unsigned,
	  .offset = CFG_OFFSET(periods), .min = 2, .max = 64,
	  .flags = TAINTS_PERIOD },
	{ .key = "capture", .parse = parse_object,
	  .offset = CFG_OFFSET(capture), .fields = pcm_fields },
	{ .key = "playback", .parse = parse_object,
	  .offset = CFG_OFFSET(playback), .fields = pcm_fields },
	{ .key = "control", .parse = parse_object, .fields = control_fields },
	{ .key = "realtime", .parse = parse_object, .fields = realtime_fields },
	{ .key = "volume", .parse = parse_object, .fields = volume_fields },
	{ .key = "pipeline", .parse = parse_pipeline },
	{ 0 }
};

static void check_buffer_size(struct parser *p, struct json_object *root,
                              const struct dspd_config *cfg)
{
	uint64_t frames = (uint64_t)cfg->period_frames * cfg->periods;
	const char *key;
	size_t mark;

	if ((p->tainted & TAINTS_PERIOD) || frames <= CFG_MAX_BUFFER_FRAMES)
		return;
	key = json_object_object_get_ex(root, "periods", NULL) ?
	      "periods" : "period_frames";
	mark = pointer_push(p, key, strlen(key));
	error_here(p, "the buffer period_frames * periods = %u * %u = %llu "
	           "frames exceeds %u frames", cfg->period_frames, cfg->periods,
	           (unsigned long long)frames, CFG_MAX_BUFFER_FRAMES);
	pointer_pop(p, mark);
}

/* Every channel a block names must exist on the wider of the two PCMs. */
static void check_block_channels(struct parser *p,
                                 const struct dspd_config *cfg)
{
	unsigned channels = cfg->capture.channels > cfg->playback.channels ?
	                    cfg->capture.channels : cfg->playback.channels;

	if (p->tainted & TAINTS_CHANNELS)
		return;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		uint32_t mask = cfg->blocks[i].channel_mask;

		if (mask == UINT32_MAX)
			continue;
		for (unsigned ch = channels; ch < CFG_MAX_CHANNELS; ch++) {
			char seg[48];
			size_t mark;

			if (!(mask & (1u << ch)))
				continue;
			snprintf(seg, sizeof(seg), "pipeline/%u/channels/%u", i,
			         p->channel_pos[i][ch]);
			mark = p->pointer_len;
			msg_append(p->pointer, sizeof(p->pointer), &p->pointer_len,
			           "/%s", seg);
			error_here(p, "channel %u does not exist: the pipeline has "
			           "%u channels (the larger of capture and playback "
			           "channels), numbered from 0", ch, channels);
			pointer_pop(p, mark);
		}
	}
}

static void validate(struct parser *p, struct json_object *root,
                     struct dspd_config *cfg)
{
	parse_fields(p, root, top_fields, cfg);
	check_buffer_size(p, root, cfg);
	check_block_channels(p, cfg);
}

/* ---- public API -------------------------------------------------------- */

void config_defaults(struct dspd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rate = 48000;
	cfg->period_frames = 256;
	cfg->periods = 4;
	snprintf(cfg->capture.device, sizeof(cfg->capture.device), "hw:0");
	cfg->capture.channels = 2;
	cfg->capture.format = CFG_FORMAT_AUTO;
	cfg->playback = cfg->capture;
	snprintf(cfg->socket_path, sizeof(cfg->socket_path),
	         "/run/dspd/control.sock");
	cfg->realtime.enabled = true;
	cfg->realtime.priority = 70;
	cfg->realtime.mlock = true;
	cfg->volume.db = 0.0;
	cfg->volume.mute = false;
	cfg->volume.ramp_ms = 20.0;
	cfg->n_blocks = 0;
}

int config_load_string(const char *text, size_t len, const char *origin,
                       struct dspd_config *cfg, struct cfg_errors *errs)
{
	struct cfg_errors scratch_errs;
	struct parser *p;
	struct json_object *root = NULL;
	size_t end;
	int r;

	if (!errs)
		errs = &scratch_errs;
	errs->count = 0;
	if (!text)
		text = "";
	config_defaults(cfg);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->origin = origin ? origin : "config";
	p->errs = errs;
	if (len > CFG_MAX_FILE_BYTES) {
		error_file(p, "the configuration is %zu bytes, larger than the "
		           "limit of %u bytes (4 MiB)", len, CFG_MAX_FILE_BYTES);
		free(p);
		return -EFBIG;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;  /* a UTF-8 byte order mark is not content */
		len -= 3;
	}
	p->text = text;
	p->len = len;
	r = parse_syntax(p, &root, &end);
	if (r == 0) {
		check_duplicate_keys(p, end);
		validate(p, root, cfg);
		json_object_put(root);
		r = errs->count ? -EINVAL : 0;
	}
	free(p);
	return r;
}

/* Read at most CFG_MAX_FILE_BYTES (one more to notice a larger file). */
static int read_bounded(int fd, char **ret_buf, size_t *ret_len)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *grown;

			if (cap > CFG_MAX_FILE_BYTES) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > CFG_MAX_FILE_BYTES ?
			      CFG_MAX_FILE_BYTES + 1 : cap * 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static int file_error(struct parser *p, int r, const char *what)
{
	if (r == -EFBIG)
		error_file(p, "the file is larger than the limit of %u bytes "
		           "(4 MiB)", CFG_MAX_FILE_BYTES);
	else if (r == -EISDIR)
		error_file(p, "is a directory, not a configuration file");
	else
		error_file(p, "cannot %s: %s", what, strerror(-r));
	return r;
}

int config_load_file(const char *path, struct dspd_config *cfg,
                     struct cfg_errors *errs)
{
	struct cfg_errors scratch_errs;
	struct parser p = { .origin = path };
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (!errs)
		errs = &scratch_errs;
	errs->count = 0;
	p.errs = errs;
	config_defaults(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return file_error(&p, -errno, "open");
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (S_ISREG(st.st_mode) && st.st_size > CFG_MAX_FILE_BYTES)
		r = -EFBIG;
	else
		r = read_bounded(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return file_error(&p, r, "read");
	r = config_load_string(buf, len, path, cfg, errs);
	free(buf);
	return r;
}
