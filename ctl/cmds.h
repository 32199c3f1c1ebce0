/* cmds.h - the handlers of dspctl's command table (commands.c).
 *
 * Each gets the global options and the words after the command name,
 * checks them (usage errors exit 2 before the socket is touched), runs and
 * returns an exit status (cli.h).  Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_CMDS_H
#define DSPCTL_CMDS_H

#include "cli.h"

/* cmd_basic.c */
int cmd_status(const struct options *o, int argc, char **argv);
int cmd_stats(const struct options *o, int argc, char **argv);
int cmd_levels(const struct options *o, int argc, char **argv);
int cmd_xruns(const struct options *o, int argc, char **argv);
int cmd_pipeline(const struct options *o, int argc, char **argv);
int cmd_loudness(const struct options *o, int argc, char **argv);
int cmd_get_gain(const struct options *o, int argc, char **argv);
int cmd_get_mute(const struct options *o, int argc, char **argv);
int cmd_set_gain(const struct options *o, int argc, char **argv);
int cmd_adjust_gain(const struct options *o, int argc, char **argv);
int cmd_set_mute(const struct options *o, int argc, char **argv);
int cmd_call(const struct options *o, int argc, char **argv);

/* cmd_config.c */
int cmd_config_check(const struct options *o, int argc, char **argv);
int cmd_config_reload(const struct options *o, int argc, char **argv);
int cmd_config_load(const struct options *o, int argc, char **argv);
int cmd_config_patch(const struct options *o, int argc, char **argv);
int cmd_config_show(const struct options *o, int argc, char **argv);
int cmd_wait_ready(const struct options *o, int argc, char **argv);
/* OP PATH [VALUE] / move|copy FROM PATH as one JSON Patch operation
 * (batch lines too); usage errors name command. */
int config_patch_op(const char *command, int argc, char **argv,
		    json_object **ret_op);

/* cmd_effect.c */
int cmd_effect_add(const struct options *o, int argc, char **argv);
int cmd_effect_remove(const struct options *o, int argc, char **argv);
int cmd_effect_bypass(const struct options *o, int argc, char **argv);
int cmd_effect_set(const struct options *o, int argc, char **argv);
int cmd_effect_list(const struct options *o, int argc, char **argv);
int cmd_batch(const struct options *o, int argc, char **argv);
/* A change result (docs/protocol.md): "unchanged", or "applied: parameters
 * change, crossfade 20 ms (generation 7)". */
void render_change(FILE *out, json_object *result);
/* Sends one change; prints its result on a terminal (always with --json);
 * a rejected change prints every error and returns EXIT_CONFIG_REJECTED. */
int ctl_change(const struct options *o, const char *method, json_object *params);
/* A value word: JSON when it parses as JSON, else the word as a string. */
json_object *cli_value(const char *text);
/* All of in, at most max bytes, NUL-terminated; -EFBIG when longer. */
int read_all(FILE *in, size_t max, char **ret_text, size_t *ret_len);

/* cmd_stream.c */
int cmd_monitor(const struct options *o, int argc, char **argv);
int levels_follow(const struct options *o, int interval_ms);

/* cmd_plugins.c */
int cmd_plugins(const struct options *o, int argc, char **argv);

/* cmd_record.c */
int cmd_record(const struct options *o, int argc, char **argv);

/* prometheus.c: stats --prometheus */
int stats_prometheus(const struct options *o);

#endif
