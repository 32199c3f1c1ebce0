/* commands.h - dspctl's command table (commands.c): usage(), dispatch
 * (dspctl.c) and the bash completion script (completion.c) are all generated
 * from it.  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_COMMANDS_H
#define DSPCTL_COMMANDS_H

#include <stddef.h>

#include "cli.h"

/* One row of the table: one synopsis of a command (a command may have
 * several rows, one after the other, all with the same name and handler). */
struct command {
	const char *name;      /* one or two words: "status", "set gain" */
	const char *synopsis;  /* its arguments: "DB [--ramp MS]" */
	const char *help;      /* lines separated by '\n' */
	const char *complete;  /* words to complete arguments with; "@file":
				  file names */
	int (*run)(const struct options *o, int argc, char **argv);
};

extern const struct command ctl_commands[];
extern const size_t ctl_n_commands;

#endif
