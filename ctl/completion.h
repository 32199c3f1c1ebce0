/* completion.h - the bash completion script of dspctl, generated from its
 * command table (dspctl --complete-script; etc/bash-completion/dspctl).
 * Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_COMPLETION_H
#define DSPCTL_COMPLETION_H

#include <stdio.h>

/* Global options offered before the command, space separated. */
#define COMPLETION_GLOBAL_OPTIONS \
	"-s --socket -j --json -t --timeout -h --help -V --version --complete-script"

void completion_script(FILE *out);

#endif
