/* json_pointer.h - RFC 6901 JSON pointers on json-c trees: parse, resolve,
 * and the two container writes (put a value at a pointer, take it out),
 * plus deep JSON equality and the one-line error messages the editing
 * modules (config_edit.c, json_patch.c) build with them.
 *
 * Pure: no globals, no I/O.  Control thread only (json-c objects are not
 * shared between threads).  Functions return 0 or a negative errno and
 * then write one line into err (err_len bytes, may be NULL/0); the errno
 * values: -EINVAL (a malformed pointer or request, a wrong type), -ENOENT
 * (no such member or element), -ENOMEM. */
#ifndef DSPD_JSON_POINTER_H
#define DSPD_JSON_POINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define JPTR_NAMES_MAX_CHARS 160  /* lists of names in messages stop here with "..." */
#define JPTR_VALUE_MAX_CHARS 60   /* values quoted in messages stop here with "..." */

/* ---- messages ---- */

__attribute__((format(printf, 3, 4)))
void jptr_set_err(char *err, size_t err_len, const char *fmt, ...);

/* Put "PREFIX: " in front of the message already in err. */
__attribute__((format(printf, 3, 4)))
void jptr_prefix_err(char *err, size_t err_len, const char *fmt, ...);

/* "an object", "an array", "a string", "a number", "a boolean" or "null". */
const char *json_type_phrase(json_object *o);

/* The compact JSON text of v, cut to JPTR_VALUE_MAX_CHARS (then "..."). */
void json_quote_value(json_object *v, char *out, size_t out_len);

/* Append name to a ", "-separated list in out (at most
 * JPTR_NAMES_MAX_CHARS used); false once the list is full (it then ends
 * with "..."). */
bool jptr_list_append(char *out, size_t out_len, const char *name);

/* -EINVAL with the message that the configuration must stay an object
 * (the root "" cannot be replaced or removed). */
int jptr_refuse_root(char *err, size_t err_len);

/* ---- values ---- */

/* Deep JSON equality.  Numbers compare by value, exactly: 1 == 1.0, but
 * 9007199254740993 != 9007199254740992.0.  Object member order is ignored.
 * JSON null is a NULL pointer in json-c, so NULL == NULL. */
bool json_equal(json_object *a, json_object *b);

/* The string value of member key of obj (borrowed), or NULL when obj has
 * no such member or it is not a string. */
const char *json_string_member(json_object *obj, const char *key);

/* *ret = a deep copy of src (NULL for a JSON null), owned by the caller. */
int json_copy_value(json_object *src, json_object **ret, char *err, size_t err_len);

/* Insert value at idx (0..length) of arr; takes ownership of value. */
int json_array_insert(json_object *arr, size_t idx, json_object *value);

/* ---- pointers ---- */

/* A parsed pointer: unescaped tokens that remember where each one ends in
 * the original text, so that a message can name the exact prefix that
 * failed ("/pipeline/7 does not exist") in the user's own spelling. */
struct jptr {
	const char *text;  /* the pointer as given, for messages (borrowed) */
	const char *root;  /* what "" names in messages: "the root", "the block" */
	char *buf;         /* the unescaped tokens, NUL-separated */
	char **tok;
	size_t *end;       /* tok[i] ends at text + end[i] */
	size_t n;
};

/* Parse text ("" or "/..."; "~0" = "~", "~1" = "/") into p, which borrows
 * text and must be freed with jptr_free(). */
int jptr_parse(const char *text, struct jptr *p, char *err, size_t err_len);
void jptr_free(struct jptr *p);

/* The value at the first depth tokens of p in doc (borrowed). */
int jptr_resolve(json_object *doc, const struct jptr *p, size_t depth,
		 json_object **ret, char *err, size_t err_len);

/* Resolve an RFC 6901 pointer ("" is doc itself; "~0" = "~", "~1" = "/";
 * array indexes are decimal without leading zeros; "-" names no element).
 * *ret is borrowed from doc (NULL for a JSON null). */
int jptr_get(json_object *doc, const char *pointer, json_object **ret,
	     char *err, size_t err_len);

enum jptr_put_mode {
	JPTR_PUT_ADD,      /* objects: set; arrays: insert at 0..len or "-" */
	JPTR_PUT_REPLACE,  /* the member or element must exist */
	JPTR_PUT_SET,      /* objects: set; arrays: replace 0..len-1 or "-" appends */
};

/* Store value at p (not the root) in doc; always takes ownership of value,
 * also on error. */
int jptr_put(json_object *doc, const struct jptr *p, json_object *value,
	     enum jptr_put_mode mode, char *err, size_t err_len);

/* Detach the value at p (not the root) from doc; *ret holds a reference
 * the caller owns. */
int jptr_take(json_object *doc, const struct jptr *p, json_object **ret,
	      char *err, size_t err_len);

#endif
