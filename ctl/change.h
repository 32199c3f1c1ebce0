/* change.h - dspctl's changes of the running daemon (effect add|remove|
 * bypass|set, config reload|load|patch, batch): how a command's words become
 * a change's params, and the sending of a change with the report of its
 * result.  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_CHANGE_H
#define DSPCTL_CHANGE_H

#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

/* Checks a change command's words (argv, after the command's name) and
 * makes the params of its request; usage errors name command and exit 2
 * before anything is sent.  The single commands and batch lines share
 * these (cmds.h), so a batch sends what the commands would. */
typedef int (*change_params_fn)(const char *command, int argc, char **argv,
				json_object **ret_params);

/* A change result (docs/protocol.md): "unchanged", or "applied: parameters
 * change, crossfade 20 ms (generation 7)". */
void render_change(FILE *out, json_object *result);
/* Sends one change; prints its result on a terminal (always with --json);
 * a rejected change prints every error and returns EXIT_CONFIG_REJECTED. */
int ctl_change(const struct options *o, const char *method, json_object *params);

#endif
