/* json_patch.h - RFC 6902 JSON Patch on json-c trees (json_patch.c).  Pure;
 * dspd calls it on the control thread only. */
#ifndef DSPD_JSON_PATCH_H
#define DSPD_JSON_PATCH_H

#include <stddef.h>
#include <json-c/json.h>

#define JSON_PATCH_MAX_OPS 64  /* operations in one json_patch_apply() */

/* Apply an RFC 6902 JSON Patch: ops is an array of at most
 * JSON_PATCH_MAX_OPS objects {"op", "path", "value"?, "from"?} with op one
 * of add, remove, replace, test, move, copy, applied in order.  Any op
 * that would remove or replace the root ("" as the path of add, remove,
 * replace, move or copy, or as the from of move) is refused: the
 * configuration must stay an object.  "test" compares with
 * json_equal() (so 1 equals 1.0).  Unknown members of an op
 * are ignored (RFC 6902 section 4).  An empty array is a valid patch that
 * changes nothing.  More than JSON_PATCH_MAX_OPS ops is -E2BIG before any
 * op runs.  Errors name the op: "op 3 (add /rate): ...". */
int json_patch_apply(json_object *doc, json_object *ops, char *err, size_t err_len);

/* Limits on what a patch may make of a document, checked after every op
 * (the 19 ops {"op":"copy","from":"","path":"/zN"} would double the
 * document each, to 2^19 times its size).  A batch of patches shares one
 * struct: max_ops is what is left for all of them. */
struct json_patch_limits {
	size_t max_bytes;        /* the document as compact JSON, about */
	size_t max_nodes;        /* values in the document (members, elements) */
	size_t max_growth;       /* bytes the patches may add to the document
	                            as first measured (0: no such limit) */
	size_t max_ops;          /* ops left; each op applied takes one */
	size_t bytes, nodes;     /* an upper bound of the document's size now;
	                            bytes 0: not measured yet */
};

/* json_patch_apply() within lim: more ops than lim->max_ops left is -E2BIG
 * before any op runs; an op after which the document would pass
 * max_bytes or max_nodes is -E2BIG naming the op (a copy is refused
 * before it is made).  The size is kept as an upper bound (what each op
 * adds) and measured again only when that bound passes a limit, so a patch
 * costs O(ops + document) mostly. */
int json_patch_apply_limited(json_object *doc, json_object *ops,
                             struct json_patch_limits *lim,
                             char *err, size_t err_len);

/* The size of v as compact JSON (about: numbers count as their longest
 * text) and its number of values, counting stops as soon as either passes
 * its limit.  Returns 0, or -E2BIG when a limit was passed (*bytes and
 * *nodes then only say how far the count went). */
int json_measure(json_object *v, size_t max_bytes, size_t max_nodes,
                 size_t *bytes, size_t *nodes);

#endif
