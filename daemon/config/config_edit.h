/* config_edit.h - runtime edits of the configuration document: RFC 6902
 * JSON Patch, RFC 6901 pointers and the effect.* edits of the pipeline.
 *
 * Pure document editing on json-c trees: no globals, no I/O, no
 * validation of what the edited configuration means (the caller validates
 * the result with the config module before applying it).  Control thread
 * only (json-c objects are not shared between threads).
 *
 * Every editing function works in place on doc and may leave it partly
 * edited when it fails: callers edit a deep copy (json_object_deep_copy)
 * and discard it on error.  Values taken from the caller (ops, block,
 * values) are deep-copied in; the caller keeps ownership of its arguments.
 *
 * Every function returns 0 (or an index, as said) or a negative errno:
 *   -EINVAL  bad request (malformed op, bad pointer, wrong type, ...)
 *   -ENOENT  the target does not exist (member, array element, block)
 *   -EEXIST  a block of that name already exists
 *   -E2BIG   a limit below was exceeded
 * and then writes one line into err (err_len bytes, may be NULL/0) that says
 * what was wrong and where, e.g.
 *   op 2 (replace /pipeline/7/db): /pipeline/7 does not exist (the array has 3 elements)
 * On success err is left untouched. */
#ifndef DSPD_CONFIG_EDIT_H
#define DSPD_CONFIG_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define CONFIG_EDIT_MAX_BLOCKS  64  /* blocks config_edit_effect_add() lets the pipeline grow to */
#define CONFIG_EDIT_MAX_VALUES  64  /* members in one config_edit_effect_set() */
#define CONFIG_EDIT_MAX_NODES (1u << 17)  /* values an edited document may hold */
#define CONFIG_EDIT_MAX_GROWTH (1u << 20) /* bytes one request's patches may add
                                             (a bigger configuration comes
                                             from a file or config.load) */

/* Index of the block named name in doc's "pipeline" array, or -ENOENT
 * (the message lists the existing names).  A missing or non-array
 * "pipeline" counts as an empty pipeline. */
int config_edit_find_block(json_object *doc, const char *name, char *err, size_t err_len);

/* Insert a deep copy of block (an object with string "type" and non-empty
 * string "name", the name not used yet) into doc's "pipeline", creating the
 * array when missing.  Position: before the block named before, after the
 * block named after, at index (0..length; -1 = not given), or by default
 * at the end; at most one of the three.  -E2BIG when the pipeline already
 * has CONFIG_EDIT_MAX_BLOCKS blocks. */
int config_edit_effect_add(json_object *doc, json_object *block, const char *before,
			   const char *after, int index, char *err, size_t err_len);

/* Remove the block named name from the pipeline. */
int config_edit_effect_remove(json_object *doc, const char *name, char *err, size_t err_len);

/* bypass true sets the block's "bypass": true; false removes the member, so
 * a block that was never bypassed keeps its document as it was. */
int config_edit_effect_bypass(json_object *doc, const char *name, bool bypass,
			      char *err, size_t err_len);

/* Set members of the block named name.  values is a non-empty object of at
 * most CONFIG_EDIT_MAX_VALUES members; each key is a JSON pointer relative
 * to the block with the leading "/" optional ("db", "/db",
 * "bands/1/gain_db"), each value (deep-copied) replaces or adds that
 * member: in an object the member is set, in an array an existing index is
 * replaced or "-" appends.  Containers on the way must exist.  Keys whose
 * first segment is "name" or "type" are refused. */
int config_edit_effect_set(json_object *doc, const char *name, json_object *values,
			   char *err, size_t err_len);

/* The keys only the configuration file may change (config_file_only_keys()
 * in config_diff.h: control.*, state_file, fftw_wisdom, the PCM devices) of
 * doc become those of from: each is removed from doc and, where from has
 * it, a copy of from's value is put in its place (a missing parent object
 * is created).  from NULL removes them all.  changed (may be NULL) lists the
 * pointers doc had with another value than from's (or from lacks), "" when
 * none.  Returns 0 or
 * -ENOMEM. */
int config_edit_take_file_only(json_object *doc, json_object *from,
			       char *changed, size_t changed_len);

#endif
