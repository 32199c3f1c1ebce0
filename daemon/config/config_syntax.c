/* config_syntax.c - passes 1 and 2 of a config load, both on the raw text:
 * syntax (json-c's tokener in non-strict mode, so // and block comments are
 * accepted; its failure offset becomes line:column, and input that ends
 * early says what was left open and where), then duplicate keys (json-c
 * silently keeps the last of two equal keys, so a lexical walk over the
 * text json-c accepted finds the others).  Control thread only. */
#include "config_syntax.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	cfg_line_column(p, start, &line, &column);
	cfg_error_at(p, p->len, "syntax error: unexpected end of file inside the "
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

				cfg_line_column(p, start, &line, &column);
				cfg_error_at(p, p->len, "syntax error: unexpected "
				             "end of file inside the string "
				             "started at %u:%u", line, column);
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

		cfg_line_column(p, open[depth - 1], &line, &column);
		cfg_error_at(p, p->len, "syntax error: unexpected end of file: "
		             "'%c' opened at %u:%u is not closed",
		             p->text[open[depth - 1]], line, column);
		return;
	}
	cfg_error_at(p, p->len, "syntax error: unexpected end of file");
}

static void report_tokener_error(struct parser *p, enum json_tokener_error err,
                                 size_t offset)
{
	char what[32];

	describe_char(p->text, p->len, offset, what, sizeof(what));
	switch (err) {
	case json_tokener_error_depth:
		cfg_error_at(p, offset, "syntax error: nesting deeper than %d levels",
		             CFG_JSON_DEPTH);
		break;
	case json_tokener_error_parse_utf8_string:
		cfg_error_at(p, offset, "syntax error: invalid UTF-8 (%s)", what);
		break;
	default:
		cfg_error_at(p, offset, "syntax error: unexpected %s (%s)", what,
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
		cfg_error_file(p, "the configuration is empty (expected a JSON "
		               "object such as {\"rate\": 48000})");
		return -EINVAL;
	}
	if (p->text[pos] == '{')
		return 0;
	kind = kind_of_first_char(p->text[pos]);
	if (kind) {
		cfg_error_at(p, pos, "the top level must be an object, got %s", kind);
	} else {
		describe_char(p->text, p->len, pos, what, sizeof(what));
		cfg_error_at(p, pos, "syntax error: unexpected %s (expected '{' "
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
	cfg_error_at(p, pos, "syntax error: unexpected %s after the top-level "
	             "object (only whitespace and comments may follow it)", what);
	return -EINVAL;
}

int cfg_parse_syntax(struct parser *p, struct json_object **ret_root,
                     size_t *ret_end)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error err;
	const char *nul = memchr(p->text, '\0', p->len);
	size_t end;

	if (nul) {
		cfg_error_at(p, (size_t)(nul - p->text), "syntax error: NUL byte "
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
		struct json_object *key = keys[i].key;
		unsigned line, column;
		size_t mark;

		if (!keys[i].duplicate || cfg_errors_full(s->p))
			continue;
		cfg_line_column(s->p, keys[i].first, &line, &column);
		mark = cfg_pointer_push(s->p, json_object_get_string(key),
		                        (size_t)json_object_get_string_len(key));
		cfg_error_at(s->p, keys[i].offset, "%s: duplicate key "
		             "(first at %u:%u)", s->p->pointer, line, column);
		cfg_pointer_pop(s->p, mark);
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
		mark = cfg_pointer_push(s->p, json_object_get_string(key),
		                        (size_t)json_object_get_string_len(key));
		scan_value(s);
		cfg_pointer_pop(s->p, mark);
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
		mark = cfg_pointer_push_index(s->p, index++);
		scan_value(s);
		cfg_pointer_pop(s->p, mark);
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
void cfg_check_duplicate_keys(struct parser *p, size_t end)
{
	struct key_scan s = { .p = p, .pos = 0, .end = end };

	s.tok = json_tokener_new_ex(2);
	if (!s.tok)
		return;
	scan_value(&s);
	json_tokener_free(s.tok);
}
