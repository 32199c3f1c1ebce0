/* config_errors.h - the parser state every pass of a config load shares,
 * and the error collection it reports through (config_errors.c): messages,
 * line:column, JSON pointers.  Not for use outside daemon/config/config*.c.
 * Control thread only (startup, SIGHUP, --check-config). */
#ifndef DSPD_CONFIG_ERRORS_H
#define DSPD_CONFIG_ERRORS_H

#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_POINTER_MAX 200             /* longest JSON pointer shown */
#define CFG_SHOWN_VALUE_MAX 48          /* longest user value quoted back */

struct parser {
	const char *origin;
	const char *dir;                /* relative IR paths resolve here; NULL:
	                                   they are refused */
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

/* ---- messages ---------------------------------------------------------- */

/* Append to a message, marking truncation with "...". */
void cfg_msg_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void cfg_line_column(const struct parser *p, size_t offset,
                     unsigned *ret_line, unsigned *ret_column);

/* Once the message slots are full, errors are only counted: true means
 * "counted, do not bother locating it". */
bool cfg_errors_full(struct parser *p);

/* "origin:line:column: ..." */
void cfg_error_at(struct parser *p, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "origin: /json/pointer: ..." */
void cfg_error_here(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "origin: ..." */
void cfg_error_file(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A user string as a bounded, quoted, printable literal. */
void cfg_quote(const char *s, size_t len, char *buf, size_t size);
/* How a value is spelled in the file, bounded (numbers keep their text). */
void cfg_show_value(struct json_object *val, char *buf, size_t size);
/* "number", "string", ... */
const char *cfg_kind_name(struct json_object *val);

/* ---- JSON pointer (RFC 6901) ------------------------------------------- */

/* Append "/segment" with ~ and / escaped; returns the length to pop to. */
size_t cfg_pointer_push(struct parser *p, const char *seg, size_t seg_len);
size_t cfg_pointer_push_index(struct parser *p, size_t index);
void cfg_pointer_pop(struct parser *p, size_t mark);

#endif
