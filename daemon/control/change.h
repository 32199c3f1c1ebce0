/* change.h - applying a new configuration to the running daemon
 * (change.c): every change - SIGHUP, config.reload, config.load,
 * config.patch, effect.*, batch - ends here.  Control thread only. */
#ifndef DSPD_CHANGE_H
#define DSPD_CHANGE_H

#include "control.h"

/* Apply next in the least disruptive way config_diff() allows: a new graph
 * crossfaded in, a volume ramp, new settings, or (devices, rate...) a
 * restart of the streams, all at once on the control thread: callers go
 * through ctl_apply_config_for() (build.h), which waits for or refuses
 * during a build off the loop.  The pipeline is built before anything changes;
 * on any error nothing running changes, errs says what and where, and the
 * rejection is logged and notified.  Takes next->json in every case.
 * Returns 0 or -errno. */
int ctl_apply_config(struct ctl_context *ctx, struct ctl_next_config *next,
                     const struct ctl_origin *by, struct cfg_errors *errs,
                     struct ctl_change_result *res);
/* The halves of ctl_apply_config(), for the builder (build.c), which
 * does the graph's part on a thread of its own.
 * Begin: the identity checks (socket override, the source's rate), the
 * IR policy (ir_policy.h), the classification into res->changes; old
 * gets the running configuration.  0 or -errno (refused). */
int ctl_change_begin(struct ctl_context *ctx, struct ctl_next_config *next,
                     const struct ctl_origin *by, struct dspd_config *old,
                     bool *trusted, struct cfg_errors *errs,
                     struct ctl_change_result *res);
/* Run: the restart, or the graph built and handed over, then finish.
 * r is begin's. */
int ctl_change_run(struct ctl_context *ctx, struct ctl_next_config *next,
                   const struct ctl_origin *by, const struct dspd_config *old,
                   bool trusted, int r, struct cfg_errors *errs,
                   struct ctl_change_result *res);
/* Build cfg's graph (at every rate when it follows the source): any
 * thread, nothing shared touched. */
struct pipeline;
int ctl_build_graph(const struct dspd_config *cfg, const _Atomic float *master,
                    const char *origin, struct cfg_errors *errs, struct pipeline **ret);
/* Hand p (built for cfg) to the engine (control thread). */
void ctl_hand_over_graph(struct ctl_context *ctx, const struct dspd_config *cfg,
                         struct pipeline *p, struct ctl_change_result *res);
/* Everything after the graph: r < 0 rejects (logged, notified, next->json
 * put); else volume, settings, identity, log and notification. */
int ctl_change_finish(struct ctl_context *ctx, struct ctl_next_config *next,
                      const struct ctl_origin *by, const struct dspd_config *old,
                      bool trusted, int r, struct cfg_errors *errs,
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
