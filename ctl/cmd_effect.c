/* cmd_effect.c - dspctl effect add|remove|bypass|set|list: edits of the
 * running pipeline.
 *
 * Each change is built by a function that only checks words and makes the
 * request's params (usage errors exit 2, nothing sent); batch (cmd_batch.c)
 * turns each line of its file into params with the same functions.  A
 * change dspd rejects exits 5 with every error printed (change.c, cli.c).
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "change.h"
#include "cmds.h"
#include "jvalue.h"
#include "render.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* argv[0..argc) as "KEY=VALUE" members of obj; keys pass through key_fix
 * (NULL: kept as they are), which returns NULL for a refused key. */
static int add_assignments(const char *command, int argc, const char **argv,
			   json_object *obj,
			   const char *(*key_fix)(const char *command,
						  const char *key))
{
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *key;
		const char *fixed;
		int r = EXIT_OK;

		if (!eq || eq == argv[i])
			return usage_error("%s: \"%s\" is not KEY=VALUE", command,
					   argv[i]);
		key = strndup(argv[i], (size_t)(eq - argv[i]));
		if (!key)
			return usage_error("%s: out of memory", command);
		fixed = key_fix ? key_fix(command, key) : key;
		if (!fixed)
			r = EXIT_USAGE;
		else if (json_object_object_get_ex(obj, fixed, NULL))
			r = usage_error("%s: %s given twice", command, fixed);
		else
			json_object_object_add(obj, fixed, cli_value(eq + 1));
		free(key);
		if (r != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

/* effect add: the block's own keys; type and name come first, as words. */
static const char *block_key(const char *command, const char *key)
{
	if (strcmp(key, "type") == 0 || strcmp(key, "name") == 0) {
		usage_error("%s: give the %s as a word (TYPE NAME), not as %s=",
			    command, key, key);
		return NULL;
	}
	return key;
}

/* effect set: a JSON pointer relative to the block, sent without its
 * leading "/"; the name and type are not values. */
static const char *set_key(const char *command, const char *key)
{
	const char *member = key + (key[0] == '/');

	if (*member == '\0') {
		usage_error("%s: \"%s\" names the whole block, not a value",
			    command, key);
		return NULL;
	}
	if (strcmp(member, "type") == 0 || strcmp(member, "name") == 0) {
		usage_error("%s: the %s of a block cannot be set (remove the "
			    "block and add it again)", command, member);
		return NULL;
	}
	return member;
}

/* A block given as one JSON object; it must carry its type and name. */
static int json_block(const char *command, const char *text,
		      json_object **ret_block)
{
	const char *why = "not an object";
	json_object *block = rpc_parse_json(text, strlen(text), &why);

	if (!json_object_is_type(block, json_type_object)) {
		json_object_put(block);
		return usage_error("%s: the block is not a JSON object: %s",
				   command, why);
	}
	if (!jv_string(jv_field(block, "type")) ||
	    !jv_string(jv_field(block, "name"))) {
		json_object_put(block);
		return usage_error("%s: the block needs a string \"type\" and "
				   "\"name\"", command);
	}
	*ret_block = block;
	return EXIT_OK;
}

/* TYPE NAME [KEY=VALUE...] as a block object. */
static int word_block(const char *command, size_t n, const char **words,
		      json_object **ret_block)
{
	json_object *block;
	int r;

	if (n < 2)
		return usage_error("%s: missing %s", command, n ? "NAME" : "TYPE");
	for (size_t i = 0; i < 2; i++)
		if (*words[i] == '\0' || strchr(words[i], '='))
			return usage_error("%s: \"%s\" is not a block %s (give "
					   "TYPE NAME before KEY=VALUE)", command,
					   words[i], i ? "name" : "type");
	block = json_object_new_object();
	json_object_object_add(block, "type", json_object_new_string(words[0]));
	json_object_object_add(block, "name", json_object_new_string(words[1]));
	r = add_assignments(command, (int)n - 2, words + 2, block, block_key);
	if (r != EXIT_OK) {
		json_object_put(block);
		return r;
	}
	*ret_block = block;
	return EXIT_OK;
}

/* --before NAME | --after NAME | --index N into params. */
static int add_position(const char *command, struct arg_option *where,
			json_object *params)
{
	struct arg_option *chosen = NULL;
	char *end;
	long index;

	for (size_t i = 0; i < 3; i++) {
		if (!where[i].seen)
			continue;
		if (chosen)
			return usage_error("%s: %s and %s exclude each other",
					   command, chosen->name, where[i].name);
		chosen = &where[i];
	}
	if (!chosen)
		return EXIT_OK;
	if (chosen != &where[2]) {
		if (*chosen->value == '\0')
			return usage_error("%s: %s: the block name is empty",
					   command, chosen->name);
		json_object_object_add(params, chosen->name + 2,
				       json_object_new_string(chosen->value));
		return EXIT_OK;
	}
	errno = 0;
	index = strtol(chosen->value, &end, 10);
	if (chosen->value[0] < '0' || chosen->value[0] > '9' || *end != '\0' ||
	    errno || index > INT_MAX)
		return usage_error("%s: --index: \"%s\" is not a position (0 is "
				   "the first block)", command, chosen->value);
	json_object_object_add(params, "index", json_object_new_int((int)index));
	return EXIT_OK;
}

int effect_add_params(const char *command, int argc, char **argv,
		      json_object **ret_params)
{
	struct arg_option where[] = {
		{ .name = "--before", .takes_value = true },
		{ .name = "--after", .takes_value = true },
		{ .name = "--index", .takes_value = true },
	};
	const char **words = calloc((size_t)argc + 1, sizeof(*words));
	json_object *block = NULL, *params = NULL;
	size_t n;
	int r = words ? parse_args(command, argc, argv, where, 3, words,
				   (size_t)argc, &n)
		      : usage_error("%s: out of memory", command);

	if (r == EXIT_OK && n == 0)
		r = usage_error("%s: missing TYPE NAME [KEY=VALUE...] or a JSON "
				"block", command);
	else if (r == EXIT_OK && words[0][0] == '{' && n > 1)
		r = usage_error("%s: unexpected argument \"%s\" after the JSON "
				"block", command, words[1]);
	else if (r == EXIT_OK)
		r = words[0][0] == '{' ? json_block(command, words[0], &block)
				       : word_block(command, n, words, &block);
	if (r == EXIT_OK) {
		params = json_object_new_object();
		json_object_object_add(params, "block", block);
		r = add_position(command, where, params);
	}
	free(words);
	if (r != EXIT_OK) {
		json_object_put(params);
		return r;
	}
	*ret_params = params;
	return EXIT_OK;
}

/* {"name": NAME}, with the one optional word of effect bypass. */
static int name_params(const char *command, int argc, char **argv,
		       const char **ret_extra, json_object **ret_params)
{
	const char *words[2] = { NULL, NULL };
	size_t n;
	int r = parse_args(command, argc, argv, NULL, 0, words,
			   ret_extra ? 2 : 1, &n);

	if (r != EXIT_OK)
		return r;
	if (n == 0 || *words[0] == '\0')
		return usage_error("%s: missing NAME", command);
	if (ret_extra)
		*ret_extra = words[1];
	*ret_params = json_object_new_object();
	json_object_object_add(*ret_params, "name",
			       json_object_new_string(words[0]));
	return EXIT_OK;
}

int effect_remove_params(const char *command, int argc, char **argv,
			 json_object **ret_params)
{
	return name_params(command, argc, argv, NULL, ret_params);
}

int effect_bypass_params(const char *command, int argc, char **argv,
			 json_object **ret_params)
{
	const char *state = NULL;
	int r = name_params(command, argc, argv, &state, ret_params);

	if (r != EXIT_OK)
		return r;
	if (state && strcmp(state, "on") != 0 && strcmp(state, "off") != 0) {
		json_object_put(*ret_params);
		*ret_params = NULL;
		return usage_error("%s: \"%s\" is not on or off", command, state);
	}
	json_object_object_add(*ret_params, "bypass", json_object_new_boolean(
		!state || strcmp(state, "on") == 0));
	return EXIT_OK;
}

int effect_set_params(const char *command, int argc, char **argv,
		      json_object **ret_params)
{
	const char **words = calloc((size_t)argc + 1, sizeof(*words));
	json_object *values = json_object_new_object(), *params;
	size_t n;
	int r = words ? parse_args(command, argc, argv, NULL, 0, words,
				   (size_t)argc, &n)
		      : usage_error("%s: out of memory", command);

	if (r == EXIT_OK && (n == 0 || *words[0] == '\0'))
		r = usage_error("%s: missing NAME", command);
	else if (r == EXIT_OK && n == 1)
		r = usage_error("%s: missing KEY=VALUE", command);
	if (r == EXIT_OK)
		r = add_assignments(command, (int)n - 1, words + 1, values,
				    set_key);
	if (r == EXIT_OK) {
		params = json_object_new_object();
		json_object_object_add(params, "name",
				       json_object_new_string(words[0]));
		json_object_object_add(params, "values", values);
		*ret_params = params;
	} else {
		json_object_put(values);
	}
	free(words);
	return r;
}

/* Build the params with build, then send them as method. */
static int run_change(const struct options *o, const char *command,
		      const char *method, change_params_fn build, int argc,
		      char **argv)
{
	json_object *params = NULL;
	int r = build(command, argc, argv, &params);

	if (r == EXIT_OK)
		r = ctl_change(o, method, params);
	json_object_put(params);
	return r;
}

int cmd_effect_add(const struct options *o, int argc, char **argv)
{
	return run_change(o, "effect add", PROTO_METHOD_EFFECT_ADD, effect_add_params,
			  argc, argv);
}

int cmd_effect_remove(const struct options *o, int argc, char **argv)
{
	return run_change(o, "effect remove", PROTO_METHOD_EFFECT_REMOVE,
			  effect_remove_params, argc, argv);
}

int cmd_effect_bypass(const struct options *o, int argc, char **argv)
{
	return run_change(o, "effect bypass", PROTO_METHOD_EFFECT_BYPASS,
			  effect_bypass_params, argc, argv);
}

int cmd_effect_set(const struct options *o, int argc, char **argv)
{
	return run_change(o, "effect set", PROTO_METHOD_EFFECT_SET, effect_set_params,
			  argc, argv);
}

int cmd_effect_list(const struct options *o, int argc, char **argv)
{
	size_t n;
	int r = parse_args("effect list", argc, argv, NULL, 0, NULL, 0, &n);

	return r != EXIT_OK ? r : ctl_simple(o, PROTO_METHOD_PIPELINE_LIST, NULL,
					     render_pipeline);
}
