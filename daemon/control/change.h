/* change.h - applying a new configuration to the running daemon
 * (change.c): every change - SIGHUP, config.reload, config.load,
 * config.patch, effect.*, batch - ends here.  Control thread only. */
#ifndef DSPD_CHANGE_H
#define DSPD_CHANGE_H

#include "control.h"

/* Apply next in the least disruptive way config_diff() allows: a new graph
 * crossfaded in, a volume ramp, new settings, or (devices, rate...) a
 * restart of the streams.  The pipeline is built before anything changes;
 * on any error nothing running changes, errs says what and where, and the
 * rejection is logged and notified.  Takes next->json in every case.
 * Returns 0 or -errno. */
int ctl_apply_config(struct ctl_context *ctx, struct ctl_next_config *next,
                     const struct ctl_origin *by, struct cfg_errors *errs,
                     struct ctl_change_result *res);
/* Parse and validate a document (an edit or an inline configuration) into
 * next, which takes doc.  origin prefixes the error messages. */
int ctl_next_from_json(json_object *doc, const char *origin, const char *source,
                       struct ctl_next_config *next, struct cfg_errors *errs);
/* The same from text (comments allowed). */
int ctl_next_from_text(const char *text, size_t len, const char *origin,
                       const char *source, struct ctl_next_config *next,
                       struct cfg_errors *errs);
/* Build (and free) the configuration's pipeline at every rate it may run
 * at (config_pipeline_rates(): each source.rates with "rate": "follow",
 * else the one rate): the checks only the blocks themselves can make
 * (files, rate-dependent limits, stability).  0, or -errno with every
 * error in errs, each naming its rates: "origin: /pipeline/2/path: at
 * 44100 Hz: block ..." (check_rates.c). */
int ctl_check_pipeline(const struct dspd_config *cfg, const char *origin,
                       struct cfg_errors *errs);
/* Every error of errs (or strerror(-r) of path when there is none) to the
 * log. */
void ctl_log_config_errors(const struct cfg_errors *errs, int r, const char *path);
/* Log and notify a configuration that was refused before ctl_apply_config
 * (it could not even be parsed). */
void ctl_config_rejected(struct ctl_context *ctx, const struct ctl_origin *by,
                         const char *path, const struct cfg_errors *errs, int r);

#endif
