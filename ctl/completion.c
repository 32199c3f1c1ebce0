/* completion.c - writes dspctl's bash completion script from the command
 * table (commands.h), so a command added to the table completes without editing
 * the script by hand.
 *
 * The table's "complete" field lists what follows a command, space
 * separated: a plain word or "--flag" is offered as is, "--option=CLASS"
 * takes a value completed from CLASS (tap, topics, file, or none), and
 * "@file" offers file names.  Single-threaded (dspctl's main thread). */
#include "completion.h"
#include "commands.h"
#include "proto.h"

#include <stdbool.h>
#include <string.h>

#define MAX_WORDS 64
#define MAX_WORD 48

struct word_list {
	char words[MAX_WORDS][MAX_WORD];
	size_t n;
};

static void add_unique(struct word_list *list, const char *word, size_t len)
{
	if (len >= MAX_WORD || list->n == MAX_WORDS)
		return;
	for (size_t i = 0; i < list->n; i++)
		if (strlen(list->words[i]) == len &&
		    strncmp(list->words[i], word, len) == 0)
			return;
	memcpy(list->words[list->n], word, len);
	list->words[list->n][len] = '\0';
	list->n++;
}

static void put_list(FILE *out, const struct word_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		fprintf(out, "%s%s", i ? " " : "", list->words[i]);
}

static void put_names(FILE *out, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", names[i]);
}

/* The topics in the order dspctl's help lists them: monitor's defaults,
 * then levels (not proto.h's order, which starts with levels). */
static const enum proto_topic offered_topics[] = {
	PROTO_TOPIC_XRUN, PROTO_TOPIC_STATE, PROTO_TOPIC_GAIN,
	PROTO_TOPIC_CONFIG, PROTO_TOPIC_SOURCE, PROTO_TOPIC_LEVELS,
};
_Static_assert(sizeof(offered_topics) / sizeof(offered_topics[0]) ==
	       PROTO_TOPICS, "every topic of proto.h is offered once");

static void put_topics(FILE *out)
{
	for (size_t i = 0; i < PROTO_TOPICS; i++)
		fprintf(out, "%s%s", i ? " " : "",
			proto_topic_names[offered_topics[i]]);
}

/* The first word of every command name. */
static void first_words(struct word_list *list)
{
	for (size_t i = 0; i < ctl_n_commands; i++)
		add_unique(list, ctl_commands[i].name,
			   strcspn(ctl_commands[i].name, " "));
}

/* The second words of the commands whose first word is first. */
static void second_words(const char *first, struct word_list *list)
{
	size_t len = strlen(first);

	list->n = 0;
	for (size_t i = 0; i < ctl_n_commands; i++) {
		const char *name = ctl_commands[i].name;

		if (strncmp(name, first, len) == 0 && name[len] == ' ')
			add_unique(list, name + len + 1, strlen(name + len + 1));
	}
}

/* Words offered after a command, and whether file names are too. */
static void argument_words(const char *complete, struct word_list *list,
			   bool *ret_files)
{
	const char *p = complete;

	list->n = 0;
	*ret_files = false;
	while (*p) {
		size_t len = strcspn(p, " ");
		size_t word_len = strcspn(p, " =");

		if (len == 5 && strncmp(p, "@file", 5) == 0)
			*ret_files = true;
		else if (len > 0)
			add_unique(list, p, word_len < len ? word_len : len);
		p += len + (p[len] == ' ');
	}
}

/* Every "--option=CLASS" of the table, for the case on the previous word. */
static void put_value_options(FILE *out)
{
	static const char *const classes[] = { "tap", "topics", "file", "none" };

	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		struct word_list options = { .n = 0 };
		char suffix[16];

		snprintf(suffix, sizeof(suffix), "=%s", classes[c]);
		for (size_t i = 0; i < ctl_n_commands; i++) {
			for (const char *p = ctl_commands[i].complete; *p;) {
				size_t len = strcspn(p, " ");
				size_t eq = strcspn(p, "=");

				if (eq < len && len - eq == strlen(suffix) &&
				    strncmp(p + eq, suffix, len - eq) == 0)
					add_unique(&options, p, eq);
				p += len + (p[len] == ' ');
			}
		}
		if (options.n == 0)
			continue;
		fputs("\t", out);
		for (size_t i = 0; i < options.n; i++)
			fprintf(out, "%s%s", i ? "|" : "", options.words[i]);
		fprintf(out, ")\n\t\t_dspctl_%s\n\t\treturn;;\n", classes[c]);
	}
}

static void put_helpers(FILE *out)
{
	fputs("# _dspctl_reply COMPGEN-ARGS: add compgen's words to COMPREPLY, one\n"
	      "# per line, so file names with spaces stay whole\n"
	      "_dspctl_reply()\n{\n"
	      "\tlocal word\n"
	      "\twhile IFS= read -r word; do\n"
	      "\t\tCOMPREPLY+=(\"$word\")\n"
	      "\tdone < <(compgen \"$@\")\n}\n\n", out);
	fputs("_dspctl_tap() { _dspctl_reply -W \"", out);
	put_names(out, proto_tap_names);
	fputs("\" -- \"$cur\"; }\n", out);
	fputs("_dspctl_file() { _dspctl_reply -f -- \"$cur\"; }\n", out);
	fputs("_dspctl_none() { :; }\n", out);
	fputs("# --topics a,b,c: complete the word after the last comma\n"
	      "_dspctl_topics()\n{\n"
	      "\tlocal done_part=\n"
	      "\tcase $cur in *,*) done_part=${cur%,*},;; esac\n"
	      "\t_dspctl_reply -P \"$done_part\" -W \"", out);
	put_topics(out);
	fputs("\" -- \"${cur##*,}\"\n"
	      "\tcompopt -o nospace 2>/dev/null\n}\n\n", out);
}

/* case "$cmd" in "set gain") words...;; esac */
static void put_command_cases(FILE *out)
{
	struct word_list first = { .n = 0 }, words;
	bool files;

	fputs("\tcase $cmd in\n", out);
	first_words(&first);
	for (size_t f = 0; f < first.n; f++) {
		second_words(first.words[f], &words);
		if (words.n == 0)
			continue;
		fprintf(out, "\t%s)\n\t\tif [ $((i + 1)) -eq $COMP_CWORD ]; then\n"
			"\t\t\t_dspctl_reply -W \"", first.words[f]);
		put_list(out, &words);
		fputs("\" -- \"$cur\"\n\t\t\treturn\n\t\tfi\n"
		      "\t\tcmd=\"$cmd ${COMP_WORDS[i + 1]}\";;\n", out);
	}
	fputs("\tesac\n\tcase $cmd in\n", out);
	for (size_t i = 0; i < ctl_n_commands; i++) {
		if (i > 0 && strcmp(ctl_commands[i].name,
				    ctl_commands[i - 1].name) == 0)
			continue;  /* a second synopsis of the same command */
		argument_words(ctl_commands[i].complete, &words, &files);
		fprintf(out, "\t\"%s\")\n", ctl_commands[i].name);
		if (files)
			fputs("\t\t_dspctl_file\n", out);
		if (words.n) {
			fputs("\t\t_dspctl_reply -W \"", out);
			put_list(out, &words);
			fputs("\" -- \"$cur\"\n", out);
		}
		fputs("\t\t;;\n", out);
	}
	fputs("\tesac\n", out);
}

void completion_script(FILE *out)
{
	struct word_list first = { .n = 0 };

	fputs("# bash completion for dspctl(1)\n"
	      "# Generated by `dspctl --complete-script` from dspctl's command "
	      "table: do not edit.\n\n", out);
	put_helpers(out);
	fputs("_dspctl()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tlocal i=1 cmd\n"
	      "\tCOMPREPLY=()\n"
	      "\t# global options come first; skip them and their values\n"
	      "\twhile [ $i -lt $COMP_CWORD ]; do\n"
	      "\t\tcase ${COMP_WORDS[i]} in\n"
	      "\t\t-s|--socket|-t|--timeout) i=$((i + 2));;\n"
	      "\t\t-*) i=$((i + 1));;\n"
	      "\t\t*) break;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tif [ $i -ge $COMP_CWORD ]; then\n"
	      "\t\tcase $prev in\n"
	      "\t\t-s|--socket) _dspctl_file; return;;\n"
	      "\t\t-t|--timeout) return;;\n"
	      "\t\tesac\n"
	      "\t\tcase $cur in\n"
	      "\t\t-*) _dspctl_reply -W \"" COMPLETION_GLOBAL_OPTIONS "\" -- \"$cur\";;\n"
	      "\t\t*) _dspctl_reply -W \"", out);
	first_words(&first);
	put_list(out, &first);
	fputs("\" -- \"$cur\";;\n"
	      "\t\tesac\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcmd=${COMP_WORDS[i]}\n"
	      "\tcase $prev in\n", out);
	put_value_options(out);
	fputs("\tesac\n", out);
	put_command_cases(out);
	fputs("}\n\ncomplete -F _dspctl dspctl\n", out);
}
