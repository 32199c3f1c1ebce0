/* cmd_batch.c - dspctl batch: reads a file of changes, one per line in
 * dspctl's own words (effect add|remove|bypass|set, config patch), turns
 * each line into the params the single command would send (cmd_effect.c,
 * cmd_config.c) and sends them all in one request that applies all or
 * none.  A bad line is a usage error naming the file and line (exit 2,
 * nothing sent); a batch dspd rejects exits 5 with every error printed.
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "change.h"
#include "cmds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX_WORDS 256  /* per line of a batch file */

/* The changes a batch line may hold: dspctl's words for them. */
static const struct batch_change {
	const char *words[2];
	const char *method;
	change_params_fn build;
} batch_changes[] = {
	{ { "effect", "add" }, PROTO_METHOD_EFFECT_ADD, effect_add_params },
	{ { "effect", "remove" }, PROTO_METHOD_EFFECT_REMOVE, effect_remove_params },
	{ { "effect", "bypass" }, PROTO_METHOD_EFFECT_BYPASS, effect_bypass_params },
	{ { "effect", "set" }, PROTO_METHOD_EFFECT_SET, effect_set_params },
	{ { "config", "patch" }, PROTO_METHOD_CONFIG_PATCH, config_patch_params },
};

/* Splits line in place into words: blanks separate them, '...' keeps its
 * text as is, "..." too except for \" and \\, and a word starting with #
 * ends the line.  Errors: -E2BIG (too many words), -EINVAL (an open quote). */
static int split_words(char *line, char **words, size_t max, size_t *ret_n)
{
	static const char blanks[] = " \t\r\v\f";
	char *r = line, *w;

	*ret_n = 0;
	for (;;) {
		r += strspn(r, blanks);
		if (*r == '\0' || *r == '#')
			return 0;
		if (*ret_n == max)
			return -E2BIG;
		words[(*ret_n)++] = w = r;
		while (*r && !strchr(blanks, *r)) {
			char quote = *r;

			if (quote != '\'' && quote != '"') {
				*w++ = *r++;
				continue;
			}
			for (r++; *r && *r != quote; *w++ = *r++)
				if (quote == '"' && *r == '\\' &&
				    (r[1] == '"' || r[1] == '\\'))
					r++;
			if (*r != quote)
				return -EINVAL;
			r++;
		}
		if (*r == '\0') {
			*w = '\0';
			return 0;
		}
		*w = '\0';  /* may overwrite the blank at r: w <= r */
		r++;
	}
}

/* One line's words as {"method": ..., "params": ...}. */
static int batch_entry(const char *where, int n, char **words,
		       json_object **ret_entry)
{
	json_object *params = NULL;
	char command[256];
	int r;

	for (size_t i = 0; i < sizeof(batch_changes) / sizeof(batch_changes[0]);
	     i++) {
		const struct batch_change *c = &batch_changes[i];

		if (n < 2 || strcmp(words[0], c->words[0]) != 0 ||
		    strcmp(words[1], c->words[1]) != 0)
			continue;
		snprintf(command, sizeof(command), "%s: %s %s", where,
			 c->words[0], c->words[1]);
		r = c->build(command, n - 2, words + 2, &params);
		if (r != EXIT_OK)
			return r;
		*ret_entry = json_object_new_object();
		json_object_object_add(*ret_entry, "method",
				       json_object_new_string(c->method));
		json_object_object_add(*ret_entry, "params", params);
		return EXIT_OK;
	}
	return usage_error("%s: \"%s%s%s\" is not a change (expected effect add, "
			   "effect remove, effect bypass, effect set or config "
			   "patch)", where, words[0], n > 1 ? " " : "",
			   n > 1 ? words[1] : "");
}

/* Every line of text as one entry of changes. */
static int parse_batch(const char *source, char *text, json_object *changes)
{
	char *words[BATCH_MAX_WORDS], where[128], *line = text;

	for (unsigned number = 1; line; number++) {
		char *newline = strchr(line, '\n');
		json_object *entry = NULL;
		size_t n;
		int r;

		if (newline)
			*newline = '\0';
		snprintf(where, sizeof(where), "batch: %s line %u", source, number);
		r = split_words(line, words, BATCH_MAX_WORDS, &n);
		if (r == -E2BIG)
			return usage_error("%s: more than %d words", where,
					   BATCH_MAX_WORDS);
		if (r < 0)
			return usage_error("%s: a quote is not closed", where);
		line = newline ? newline + 1 : NULL;
		if (n == 0)
			continue;
		if (json_object_array_length(changes) == PROTO_BATCH_MAX_CHANGES)
			return usage_error("%s: more than %d changes in one batch",
					   where, PROTO_BATCH_MAX_CHANGES);
		r = batch_entry(where, (int)n, words, &entry);
		if (r != EXIT_OK)
			return r;
		json_object_array_add(changes, entry);
	}
	if (json_object_array_length(changes) == 0)
		return usage_error("batch: %s holds no changes", source);
	return EXIT_OK;
}

/* The whole of FILE, or of stdin for "-". */
static int read_batch_file(const char *file, char **ret_text)
{
	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	size_t len;
	int r;

	if (!in) {
		fprintf(stderr, "dspctl: batch: %s: %s\n", file, strerror(errno));
		return EXIT_USAGE;
	}
	r = read_all(in, INPUT_MAX_BYTES, ret_text, &len);
	if (in != stdin)
		fclose(in);
	if (r == -EFBIG)
		return usage_error("batch: %s is larger than %u MiB", file,
				   INPUT_MAX_BYTES >> 20);
	if (r < 0) {
		fprintf(stderr, "dspctl: batch: %s: %s\n", file, strerror(-r));
		return EXIT_USAGE;
	}
	if (strlen(*ret_text) != len) {
		free(*ret_text);
		return usage_error("batch: %s contains a NUL byte", file);
	}
	return EXIT_OK;
}

int cmd_batch(const struct options *o, int argc, char **argv)
{
	const char *file = "-";
	json_object *params, *changes;
	char *text;
	size_t n;
	int r = parse_args("batch", argc, argv, NULL, 0, &file, 1, &n);

	if (r == EXIT_OK)
		r = read_batch_file(file, &text);
	if (r != EXIT_OK)
		return r;
	changes = json_object_new_array();
	params = json_object_new_object();
	json_object_object_add(params, "changes", changes);
	r = parse_batch(strcmp(file, "-") == 0 ? "stdin" : file, text, changes);
	free(text);
	if (r == EXIT_OK)
		r = ctl_change(o, PROTO_METHOD_BATCH, params);
	json_object_put(params);
	return r;
}
