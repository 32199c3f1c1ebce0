/* dspctl.c - the command line client of dspd: global options, usage and
 * dispatch, main().
 *
 * A run is: parse the global options (stopping at the command, so negative
 * numbers after it are arguments), find the command in ctl_commands
 * (commands.c) - the one table that usage(), dispatch and the bash
 * completion script (completion.c) are generated from - and hand it the
 * remaining words.  Its handler (cmd_*.c) checks them before touching the
 * socket, talks to dspd (rpc_client.c) and prints the result, as text
 * (render.c) or, with --json, as one JSON document per line.  Every failure ends in one message on
 * stderr and a documented exit status (cli.h, usage()).
 *
 * Single-threaded. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "completion.h"

#ifndef DSPD_VERSION
#error "DSPD_VERSION must be defined by the build"
#endif

#define KEEP_GOING (-1)  /* parse_options(): options fine, run the command */
#define COMPLETE_SCRIPT 256  /* getopt value of --complete-script */
#define HELP_COLUMN 30

static void put_command_help(FILE *out, const struct command *cmd)
{
	const char *help = cmd->help;
	int used = fprintf(out, "  %s%s%s", cmd->name, *cmd->synopsis ? " " : "",
			   cmd->synopsis);

	if (used >= HELP_COLUMN) {
		fputc('\n', out);
		used = 0;
	}
	while (*help) {
		size_t len = strcspn(help, "\n");

		fprintf(out, "%*s%.*s\n", HELP_COLUMN - used, "", (int)len, help);
		used = 0;
		help += len + (help[len] == '\n');
	}
}

static void usage(FILE *out)
{
	fputs("Usage: dspctl [OPTIONS] COMMAND [ARGS...]\n"
	      "Control and monitor the dspd audio DSP daemon.\n\nCommands:\n", out);
	for (size_t i = 0; i < ctl_n_commands; i++)
		put_command_help(out, &ctl_commands[i]);
	fputs(
"Setters and changes print the new value or what the change did (applied:\n"
"topology change, crossfade 20 ms) only when stdout is a terminal (always\n"
"with --json).  Arguments after the command are not options: dspctl set\n"
"gain -6.  A change is all or nothing: a rejected one changes nothing.\n"
"\n"
"Options (before the command):\n"
"  -s, --socket PATH      control or monitor socket (default: $DSPD_SOCKET,\n"
"                         else " DEFAULT_SOCKET ")\n"
"  -j, --json             print each result as one JSON document on one line\n"
"  -t, --timeout SECONDS  wait at most this long for each answer (default 5)\n"
"      --complete-script  print the bash completion script and exit\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the version and exit\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  dspd answered with an error, or with a reply dspctl cannot read\n"
"  2  usage error (nothing was sent), also an input file dspctl cannot read\n"
"  3  dspd unreachable (no socket, not running, hung up) or no answer in time\n"
"  4  permission denied (control socket, or a changing command on the\n"
"     read-only monitor socket)\n"
"  5  configuration or change rejected (config check|reload|load|patch,\n"
"     effect add|remove|bypass|set, batch): every error is printed\n", out);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "complete-script", no_argument, NULL, COMPLETE_SCRIPT },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("DSPD_SOCKET");
	double seconds;
	int c;

	o->socket_path = env && *env ? env : DEFAULT_SOCKET;
	o->json = false;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->tty = isatty(STDOUT_FILENO);
	/* '+': stop at the first non-option, the command; ':': report a
	 * missing value as ':' and let us word the messages. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (!parse_decimal(optarg, "s", &seconds) || seconds <= 0 ||
			    seconds > MAX_TIMEOUT_S || lround(seconds * 1000) < 1)
				return usage_error("--timeout: \"%s\" is not a number of "
						   "seconds between 0.001 and %.0f",
						   optarg, MAX_TIMEOUT_S);
			o->timeout_ms = (int)lround(seconds * 1000);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("dspctl %s\n", DSPD_VERSION);
			return EXIT_OK;
		case COMPLETE_SCRIPT:
			completion_script(stdout);
			return EXIT_OK;
		case ':':
			return usage_error("option \"%s\" needs a value",
					   argv[optind - 1]);
		default:
			if (optopt && !strchr("sjthV", optopt))
				return usage_error("unknown option \"-%c\"", optopt);
			return usage_error("unknown or malformed option \"%s\"",
					   argv[optind - 1]);
		}
	}
	if (*o->socket_path == '\0')
		return usage_error("--socket: the path is empty");
	if (strlen(o->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage_error("socket path \"%s\" is too long (at most %zu bytes)",
				   o->socket_path,
				   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	return KEEP_GOING;
}

/* 1 when name ("set gain") matches the first words of argv. */
static int name_words_matched(const char *name, int argc, char **argv)
{
	size_t first = strcspn(name, " ");

	if (argc < 1 || strlen(argv[0]) != first ||
	    strncmp(argv[0], name, first) != 0)
		return 0;
	if (name[first] == '\0')
		return 1;
	return argc >= 2 && strcmp(argv[1], name + first + 1) == 0 ? 2 : -1;
}

/* "set: missing or unknown setting "x" (expected gain or mute)". */
static int unknown_second_word(int argc, char **argv)
{
	size_t len = strlen(argv[0]);
	char expected[128] = "";

	for (size_t i = 0; i < ctl_n_commands; i++) {
		const char *name = ctl_commands[i].name;

		if (strncmp(name, argv[0], len) == 0 && name[len] == ' ' &&
		    strlen(expected) + strlen(name) < sizeof(expected) - 2)
			snprintf(expected + strlen(expected),
				 sizeof(expected) - strlen(expected), "%s%s",
				 *expected ? ", " : "", name + len + 1);
	}
	if (argc < 2)
		return usage_error("%s: missing what to %s (%s)", argv[0], argv[0],
				   expected);
	return usage_error("%s: unknown word \"%s\" (expected %s)", argv[0],
			   argv[1], expected);
}

static int dispatch(const struct options *o, int argc, char **argv)
{
	bool first_word_known = false;

	if (argc == 0)
		return usage_error("missing command");
	for (size_t i = 0; i < ctl_n_commands; i++) {
		int words = name_words_matched(ctl_commands[i].name, argc, argv);

		if (words > 0)
			return ctl_commands[i].run(o, argc - words, argv + words);
		first_word_known |= words < 0;
	}
	if (first_word_known)
		return unknown_second_word(argc, argv);
	return usage_error("unknown command \"%s\"", argv[0]);
}

int main(int argc, char **argv)
{
	struct options opts;
	int r = parse_options(argc, argv, &opts);

	if (r == KEEP_GOING)
		r = dispatch(&opts, argc - optind, argv + optind);
	if ((fflush(stdout) == EOF || ferror(stdout)) && r == EXIT_OK) {
		fprintf(stderr, "dspctl: cannot write the output: %s\n",
			strerror(errno));
		r = EXIT_DAEMON_ERROR;
	}
	return r;
}
