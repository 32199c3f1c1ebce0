/* daemon.h - the daemon's control-thread state and its lifecycle: loading
 * a configuration with its identity, starting the engine, reloading.
 * Control thread only. */
#ifndef DSPD_DAEMON_H
#define DSPD_DAEMON_H

#include <event2/event.h>

#include "config.h"
#include "server.h"
#include "engine.h"
#include "control.h"
#include "state_file.h"

#define EXIT_CONFIG 78     /* EX_CONFIG: configuration rejected, not restarted */

struct daemon {
	struct event_base *base;
	struct engine *engine;
	struct ctl_context ctx;
	struct dspd_config cfg;
	struct state_file state;          /* cfg.state_file: volume, edits */
	struct event *tick, *sig_term, *sig_int, *sig_hup;
};

/* Read, hash and validate path into *cfg and *id (the identity's json is
 * replaced).  check_blocks: also build every block at every rate the
 * source may have (files, filter budget); --render leaves it to its own
 * build, which loads each IR once.  Returns 0 or -errno with every error
 * in errs. */
int daemon_load_config(const char *path, struct dspd_config *cfg,
                       struct ctl_config_identity *id, struct cfg_errors *errs,
                       bool check_blocks);
/* Create and start an engine for cfg, logging what was negotiated. */
int daemon_start_engine(const struct dspd_config *cfg, struct engine **ret);
/* ctx->ops.reload (see struct ctl_daemon_ops). */
int daemon_reload(struct ctl_context *ctx, const char *path,
                  const struct ctl_origin *by, struct cfg_errors *errs,
                  struct ctl_change_result *res);
/* ctx->ops.restart: a new engine for next, or the old one back. */
int daemon_restart_engine(struct ctl_context *ctx, const struct dspd_config *next);
void daemon_notify_status(struct daemon *d);
/* Log when the clocks' correction reaches rate_adjust.max_ppm and when it
 * leaves it again (every tick). */
void daemon_watch_clocks(struct daemon *d);
/* Before the engine starts: take the edits a previous run saved (when
 * made to this very file) into d->cfg and the identity; the saved volume
 * is left in *restored for the engine to start with. */
void daemon_restore_state(struct daemon *d, struct state_restored *restored);
/* Every tick, and with final at exit: save what changed (state_file.h). */
void daemon_save_state(struct daemon *d, bool final);
/* Loudness metering for the running engine, as d->cfg asks (logs errors). */
void daemon_start_loudness(struct daemon *d);

#endif
