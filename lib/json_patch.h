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

#endif
