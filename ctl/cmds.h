/* cmds.h - the handlers of dspctl's command table (commands.c), and the
 * params builders of the changing commands that batch lines share.
 *
 * Each handler gets the global options and the words after the command
 * name, checks them (usage errors exit 2 before the socket is touched), runs
 * and returns an exit status (cli.h).  Single-threaded (dspctl's main
 * thread). */
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

/* cmd_response.c */
int cmd_response(const struct options *o, int argc, char **argv);

/* cmd_config.c */
int cmd_config_check(const struct options *o, int argc, char **argv);
int cmd_config_reload(const struct options *o, int argc, char **argv);
int cmd_config_load(const struct options *o, int argc, char **argv);
int cmd_config_patch(const struct options *o, int argc, char **argv);
int cmd_config_show(const struct options *o, int argc, char **argv);
int cmd_wait_ready(const struct options *o, int argc, char **argv);
/* config patch OP PATH [VALUE] or move|copy FROM PATH as its params,
 * {"ops": [one JSON Patch operation]}: a change_params_fn (change.h), for
 * batch lines too. */
int config_patch_params(const char *command, int argc, char **argv,
			json_object **ret_params);

/* cmd_effect.c */
int cmd_effect_add(const struct options *o, int argc, char **argv);
int cmd_effect_remove(const struct options *o, int argc, char **argv);
int cmd_effect_bypass(const struct options *o, int argc, char **argv);
int cmd_effect_set(const struct options *o, int argc, char **argv);
int cmd_effect_list(const struct options *o, int argc, char **argv);
/* The params of effect add|remove|bypass|set from the words after the
 * command: change_params_fn (change.h), for batch lines too. */
int effect_add_params(const char *command, int argc, char **argv,
		      json_object **ret_params);
int effect_remove_params(const char *command, int argc, char **argv,
			 json_object **ret_params);
int effect_bypass_params(const char *command, int argc, char **argv,
			 json_object **ret_params);
int effect_set_params(const char *command, int argc, char **argv,
		      json_object **ret_params);

/* cmd_eq.c */
int cmd_eq_import(const struct options *o, int argc, char **argv);
int cmd_eq_export(const struct options *o, int argc, char **argv);

/* cmd_batch.c */
int cmd_batch(const struct options *o, int argc, char **argv);

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
