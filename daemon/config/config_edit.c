/* config_edit.c - the effect.* edits of the configuration document: find,
 * add, remove, bypass and set blocks of its "pipeline".  Control thread
 * only; see config_edit.h for the contract, lib/json_pointer.c for the
 * pointers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_diff.h"
#include "config_edit.h"
#include "json_pointer.h"

/* ---- the pipeline's blocks ------------------------------------------------ */

/* The "pipeline" array of doc, or NULL when missing or not an array. */
static json_object *pipeline_of(json_object *doc)
{
	json_object *pl;

	if (!json_object_object_get_ex(doc, "pipeline", &pl) ||
	    !json_object_is_type(pl, json_type_array))
		return NULL;
	return pl;
}

static const char *block_name(json_object *block)
{
	return json_string_member(block, "name");
}

static int block_index(json_object *pl, const char *name)
{
	size_t n = pl ? json_object_array_length(pl) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *bn = block_name(json_object_array_get_idx(pl, i));

		if (bn && strcmp(bn, name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

static int no_such_block(json_object *pl, const char *name, char *err, size_t err_len)
{
	char names[JPTR_NAMES_MAX_CHARS + 8] = "";
	size_t n = pl ? json_object_array_length(pl) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *bn = block_name(json_object_array_get_idx(pl, i));

		if (bn && !jptr_list_append(names, sizeof(names), bn))
			break;
	}
	if (names[0])
		jptr_set_err(err, err_len, "no block named \"%s\" (blocks: %s)", name, names);
	else
		jptr_set_err(err, err_len, "no block named \"%s\" (the pipeline is empty)", name);
	return -ENOENT;
}

int config_edit_find_block(json_object *doc, const char *name, char *err, size_t err_len)
{
	json_object *pl;
	int idx;

	if (!name) {
		jptr_set_err(err, err_len, "no block name given");
		return -EINVAL;
	}
	pl = json_object_is_type(doc, json_type_object) ? pipeline_of(doc) : NULL;
	idx = block_index(pl, name);
	return idx >= 0 ? idx : no_such_block(pl, name, err, err_len);
}

static int check_new_block(json_object *block, char *err, size_t err_len)
{
	const char *name;

	if (!json_object_is_type(block, json_type_object)) {
		jptr_set_err(err, err_len, "block: must be an object (got %s)", json_type_phrase(block));
		return -EINVAL;
	}
	if (!json_string_member(block, "type")) {
		jptr_set_err(err, err_len, "block: \"type\" must be a string");
		return -EINVAL;
	}
	name = block_name(block);
	if (!name || !name[0]) {
		jptr_set_err(err, err_len, "block: \"name\" must be a non-empty string");
		return -EINVAL;
	}
	return 0;
}

/* The pipeline array of doc, created when missing; NULL with a message
 * when "pipeline" is something else. */
static json_object *pipeline_for_add(json_object *doc, char *err, size_t err_len)
{
	json_object *pl;

	if (json_object_object_get_ex(doc, "pipeline", &pl)) {
		if (json_object_is_type(pl, json_type_array))
			return pl;
		jptr_set_err(err, err_len, "/pipeline is %s, not an array", json_type_phrase(pl));
		return NULL;
	}
	pl = json_object_new_array();
	if (!pl || json_object_object_add(doc, "pipeline", pl) < 0) {
		json_object_put(pl);
		jptr_set_err(err, err_len, "out of memory");
		return NULL;
	}
	return pl;
}

/* Where effect_add puts the new block: 0..len. */
static int insert_position(json_object *pl, const char *before, const char *after,
			   int index, size_t *ret, char *err, size_t err_len)
{
	size_t len = json_object_array_length(pl);
	int at;

	if ((before != NULL) + (after != NULL) + (index != -1) > 1) {
		jptr_set_err(err, err_len, "give at most one of before, after and index");
		return -EINVAL;
	}
	if (before || after) {
		at = block_index(pl, before ? before : after);
		if (at < 0) {
			no_such_block(pl, before ? before : after, err, err_len);
			jptr_prefix_err(err, err_len, "%s", before ? "before" : "after");
			return at;
		}
		*ret = (size_t)at + (after ? 1 : 0);
		return 0;
	}
	if (index == -1) {
		*ret = len;
		return 0;
	}
	if (index < 0 || (size_t)index > len) {
		jptr_set_err(err, err_len, "index %d is out of range (the pipeline has %zu block%s: 0..%zu)",
			index, len, len == 1 ? "" : "s", len);
		return -EINVAL;
	}
	*ret = (size_t)index;
	return 0;
}

int config_edit_effect_add(json_object *doc, json_object *block, const char *before,
			   const char *after, int index, char *err, size_t err_len)
{
	json_object *pl, *copy;
	size_t at;
	int r, dup;

	if (!json_object_is_type(doc, json_type_object))
		return jptr_refuse_root(err, err_len);
	r = check_new_block(block, err, err_len);
	if (r < 0)
		return r;
	pl = pipeline_for_add(doc, err, err_len);
	if (!pl)
		return -EINVAL;
	if (json_object_array_length(pl) >= CONFIG_EDIT_MAX_BLOCKS) {
		jptr_set_err(err, err_len, "the pipeline already has %zu blocks (at most %d)",
			json_object_array_length(pl), CONFIG_EDIT_MAX_BLOCKS);
		return -E2BIG;
	}
	dup = block_index(pl, block_name(block));
	if (dup >= 0) {
		jptr_set_err(err, err_len, "a block named \"%s\" already exists (at /pipeline/%d)",
			block_name(block), dup);
		return -EEXIST;
	}
	r = insert_position(pl, before, after, index, &at, err, err_len);
	if (r < 0)
		return r;
	r = json_copy_value(block, &copy, err, err_len);
	if (r == 0 && json_array_insert(pl, at, copy) < 0) {
		jptr_set_err(err, err_len, "out of memory");
		r = -ENOMEM;
	}
	return r;
}

/* The block object named name, and its index. */
static int find_block_object(json_object *doc, const char *name, json_object **ret,
			     char *err, size_t err_len)
{
	int idx = config_edit_find_block(doc, name, err, err_len);

	if (idx >= 0)
		*ret = json_object_array_get_idx(pipeline_of(doc), (size_t)idx);
	return idx;
}

int config_edit_effect_remove(json_object *doc, const char *name, char *err, size_t err_len)
{
	int idx = config_edit_find_block(doc, name, err, err_len);

	if (idx < 0)
		return idx;
	json_object_array_del_idx(pipeline_of(doc), (size_t)idx, 1);
	return 0;
}

int config_edit_effect_bypass(json_object *doc, const char *name, bool bypass,
			      char *err, size_t err_len)
{
	json_object *block, *flag;
	int idx = find_block_object(doc, name, &block, err, err_len);

	if (idx < 0)
		return idx;
	if (!bypass) {
		json_object_object_del(block, "bypass");
		return 0;
	}
	flag = json_object_new_boolean(1);
	if (!flag || json_object_object_add(block, "bypass", flag) < 0) {
		json_object_put(flag);
		jptr_set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The key of effect.set as a pointer: the leading "/" is optional. */
static int set_key_pointer(const char *key, char **ret_text, struct jptr *ret,
			   char *err, size_t err_len)
{
	int r;

	if (key[0] == '\0' || strcmp(key, "/") == 0) {
		jptr_set_err(err, err_len, "values: an empty key names no member");
		return -EINVAL;
	}
	*ret_text = malloc(strlen(key) + 2);
	if (!*ret_text) {
		jptr_set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	sprintf(*ret_text, "%s%s", key[0] == '/' ? "" : "/", key);
	r = jptr_parse(*ret_text, ret, err, err_len);
	if (r < 0) {
		jptr_prefix_err(err, err_len, "values \"%s\"", key);
		free(*ret_text);
		return r;
	}
	ret->root = "the block";
	if (strcmp(ret->tok[0], "type") == 0 || strcmp(ret->tok[0], "name") == 0) {
		jptr_set_err(err, err_len, "values: \"%s\" cannot be changed (%s)", ret->tok[0],
			ret->tok[0][0] == 't' ? "remove the block and add a new one"
					      : "remove the block and add it under the new name");
		jptr_free(ret);
		free(*ret_text);
		return -EINVAL;
	}
	return 0;
}

static int set_one(json_object *block, const char *block_nm, const char *key,
		   json_object *value, char *err, size_t err_len)
{
	struct jptr p;
	char *text;
	json_object *copy;
	int r = set_key_pointer(key, &text, &p, err, err_len);

	if (r < 0)
		return r;
	r = json_copy_value(value, &copy, err, err_len);
	if (r == 0)
		r = jptr_put(block, &p, copy, JPTR_PUT_SET, err, err_len);
	if (r < 0)
		jptr_prefix_err(err, err_len, "values \"%s\" of block \"%s\"", key, block_nm);
	jptr_free(&p);
	free(text);
	return r;
}

static int check_values(json_object *values, char *err, size_t err_len)
{
	int n;

	if (!json_object_is_type(values, json_type_object)) {
		jptr_set_err(err, err_len, "values: must be an object of pointer: value (got %s)",
			json_type_phrase(values));
		return -EINVAL;
	}
	n = json_object_object_length(values);
	if (n == 0) {
		jptr_set_err(err, err_len, "values: empty (give at least one member to set)");
		return -EINVAL;
	}
	if (n > CONFIG_EDIT_MAX_VALUES) {
		jptr_set_err(err, err_len, "values: %d members (at most %d in one change)",
			n, CONFIG_EDIT_MAX_VALUES);
		return -E2BIG;
	}
	return 0;
}

int config_edit_effect_set(json_object *doc, const char *name, json_object *values,
			   char *err, size_t err_len)
{
	json_object *block;
	int r = check_values(values, err, err_len);

	if (r < 0)
		return r;
	r = find_block_object(doc, name, &block, err, err_len);
	if (r < 0)
		return r;
	json_object_object_foreach(values, key, value) {
		r = set_one(block, name, key, value, err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- keys only the file may change ---------------------------------------- */

/* Put value (taken) at p in doc, creating p's parent object when missing
 * (the file-only pointers are at most two deep). */
static int put_creating(json_object *doc, const struct jptr *p, json_object *value)
{
	json_object *parent;

	if (p->n == 2 && !json_object_object_get_ex(doc, p->tok[0], &parent)) {
		parent = json_object_new_object();
		if (!parent || json_object_object_add(doc, p->tok[0], parent) < 0) {
			json_object_put(parent);
			json_object_put(value);
			return -ENOMEM;
		}
	}
	return jptr_put(doc, p, value, JPTR_PUT_SET, NULL, 0);
}

static int take_one(json_object *doc, json_object *from, const char *pointer,
		    bool *differs)
{
	json_object *mine = NULL, *theirs = NULL, *copy;
	bool have_mine, have_theirs;
	struct jptr p;
	int r = jptr_parse(pointer, &p, NULL, 0);

	if (r < 0)
		return r;
	have_mine = json_object_is_type(doc, json_type_object) &&
		    jptr_take(doc, &p, &mine, NULL, 0) == 0;
	have_theirs = from && jptr_resolve(from, &p, p.n, &theirs, NULL, 0) == 0;
	*differs = have_mine && (!have_theirs || !json_equal(mine, theirs));
	json_object_put(mine);
	r = 0;
	if (have_theirs && json_object_is_type(doc, json_type_object)) {
		r = json_copy_value(theirs, &copy, NULL, 0);
		/* a parent that is not an object stays: validation says so */
		if (r == 0 && put_creating(doc, &p, copy) == -ENOMEM)
			r = -ENOMEM;
	}
	jptr_free(&p);
	return r;
}

int config_edit_take_file_only(json_object *doc, json_object *from,
			       char *changed, size_t changed_len)
{
	if (changed && changed_len)
		changed[0] = '\0';
	for (int i = 0; config_file_only_pointers[i]; i++) {
		bool differs;
		int r = take_one(doc, from, config_file_only_pointers[i], &differs);

		if (r < 0)
			return r;
		if (differs && changed)
			jptr_list_append(changed, changed_len, config_file_only_pointers[i]);
	}
	return 0;
}
