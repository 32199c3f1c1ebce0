/* config.c - dspd.conf's public API: defaults, config_load_file() and
 * config_load_string(), reading the file with its size and type checks, and
 * the error collection every pass reports through (messages, line:column,
 * JSON pointers).  Control thread only (startup, SIGHUP, --check-config).
 *
 * A load runs three passes over one text:
 *   1. syntax (config_syntax.c): json-c's tokener in non-strict mode
 *      (accepts // and block comments); its failure offset becomes
 *      file:line:column.
 *   2. duplicate keys (config_syntax.c): json-c silently keeps the last of
 *      two equal keys, so a small lexical walk over the already-validated
 *      text finds them.
 *   3. meaning (config_schema.c, config_blocks.c): table-driven walk of the
 *      tree; every problem is addressed by an RFC 6901 JSON pointer
 *      ("/pipeline/1/name"), unknown keys included.  Cross-field checks
 *      come last.
 * Every error is collected instead of stopping at the first. */
#include "config_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	cfg->monitor_socket_path[0] = '\0';  /* none */
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "audio");
	cfg->max_clients = 1024;
	cfg->realtime.enabled = true;
	cfg->realtime.priority = 70;
	cfg->realtime.mlock = true;
	cfg->volume.db = 0.0;
	cfg->volume.mute = false;
	cfg->volume.ramp_ms = 20.0;
	cfg->transition.crossfade_ms = 20.0;
	cfg->transition.curve = CFG_FADE_EQUAL_GAIN;
	cfg->transition.max_warmup_ms = 3000.0;
	cfg->loudness.tap = -1;
	cfg->rate_adjust.enabled = false;
	cfg->rate_adjust.target_level = 0;
	cfg->rate_adjust.max_ppm = 2000.0;
	cfg->rate_adjust.bandwidth_hz = 0.05;
	cfg->resampler.quality = 1;     /* RS_MEDIUM */
	cfg->n_blocks = 0;
}

unsigned config_capture_rate(const struct dspd_config *cfg)
{
	return cfg->capture.rate ? cfg->capture.rate : cfg->rate;
}

bool config_resamples(const struct dspd_config *cfg)
{
	return cfg->rate_adjust.enabled || config_capture_rate(cfg) != cfg->rate;
}

unsigned config_capture_period(const struct dspd_config *cfg)
{
	uint64_t scaled = (uint64_t)cfg->period_frames * config_capture_rate(cfg);

	return (unsigned)((scaled + cfg->rate / 2) / cfg->rate);
}

unsigned config_target_level(const struct dspd_config *cfg)
{
	if (cfg->rate_adjust.target_level)
		return cfg->rate_adjust.target_level;
	return (cfg->periods - 1) * cfg->period_frames;
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
		cfg_error_file(p, "the configuration is %zu bytes, larger than "
		               "the limit of %u bytes (4 MiB)", len,
		               CFG_MAX_FILE_BYTES);
		free(p);
		return -EFBIG;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;  /* a UTF-8 byte order mark is not content */
		len -= 3;
	}
	p->text = text;
	p->len = len;
	r = cfg_parse_syntax(p, &root, &end);
	if (r == 0) {
		cfg_check_duplicate_keys(p, end);
		cfg_validate(p, root, cfg);
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
		cfg_error_file(p, "the file is larger than the limit of %u bytes "
		               "(4 MiB)", CFG_MAX_FILE_BYTES);
	else if (r == -EISDIR)
		cfg_error_file(p, "is a directory, not a configuration file");
	else if (r == -EINVAL)
		cfg_error_file(p, "is not a regular file (a FIFO or device could "
		               "block the daemon)");
	else
		cfg_error_file(p, "cannot %s: %s", what, strerror(-r));
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
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(&p, -errno, "open");
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > CFG_MAX_FILE_BYTES)
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
