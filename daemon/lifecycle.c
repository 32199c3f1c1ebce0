/* lifecycle.c - configuration identity, engine start, reload from the file
 * (SIGHUP, config.reload) and the engine restart a device or rate change
 * needs (see daemon.h).  What a reload changes and how is
 * control/change.c's; this file reads the file and tells systemd.  Control thread. */
#include "clock.h"
#include "build.h"
#include "change.h"
#include "config_edit.h"
#include "daemon.h"
#include "fftw_wisdom.h"
#include "ir_policy.h"
#include "resampler.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loudness.h"
#include "pipeline.h"
#include "subscriptions.h"
#include "sha256.h"

/* The whole file, NUL-terminated, if it is a readable regular file within
 * the size limit; NULL otherwise (config_load_file then explains why). */
static char *read_text(const char *path, size_t *ret_len)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CFG_MAX_FILE_BYTES ||
	    !(text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*ret_len = (size_t)n;
	return text;
}

int daemon_load_config(const char *path, struct dspd_config *cfg,
                       struct ctl_config_identity *id, struct cfg_errors *errs,
                       bool check_blocks)
{
	char dir[CFG_FIR_PATH_MAX];
	size_t len = 0;
	char *text;
	int r;

	/* relative IR paths, in this file and in configurations that come
	 * without a file (the socket, the state file), are this directory's */
	if (config_dir_of(path, dir, sizeof(dir)) == 0)
		config_set_default_dir(dir);
	text = read_text(path, &len);
	errs->count = 0;
	if (!text)
		return config_load_file(path, cfg, errs);
	/* validate exactly the bytes that are hashed and kept */
	r = config_load_string_at(text, len, path, NULL, cfg, errs);
	if (r == 0) {
		/* before the first FFT plan: the FIRs below are built to check */
		fftw_wisdom_use(cfg->fftw_wisdom);
		if (check_blocks)
			r = ctl_check_pipeline(cfg, path, errs);
	}
	if (r == 0) {
		if (!realpath(path, id->path))
			snprintf(id->path, sizeof(id->path), "%s", path);
		if (!id->started_path[0])
			memcpy(id->started_path, id->path, sizeof(id->path));
		sha256_hex(text, len, id->sha256);
		memcpy(id->file_sha256, id->sha256, sizeof(id->file_sha256));
		id->loaded_at = (int64_t)time(NULL);
		id->changed_at_ns = id->loaded_at * 1000000000;
		id->source = "file";
		id->edits = 0;
		json_object_put(id->json);
		id->json = json_tokener_parse(text);
	}
	free(text);
	return r;
}

int daemon_start_engine(const struct dspd_config *cfg, struct engine **ret)
{
	char err[512], desc[256];
	struct eng_status st;
	int sched_err, mlock_err, r;
	struct engine *e;

	if ((r = engine_create(&e, cfg, err, sizeof(err))) < 0) {
		log_err("%s", err);
		return r;
	}
	if ((r = engine_start(e, &sched_err, &mlock_err)) < 0) {
		log_err("cannot start the audio thread: %s", strerror(-r));
		engine_destroy(e);
		return r;
	}
	if (mlock_err)
		log_warning("mlockall refused (%s): running without locked memory",
		            strerror(-mlock_err));
	if (sched_err)
		log_warning("SCHED_FIFO priority %d refused (%s): running without "
		            "realtime scheduling (status shows rt: false)",
		            cfg->realtime.priority, strerror(-sched_err));
	else if (cfg->realtime.enabled)
		log_info("audio thread runs SCHED_FIFO priority %d", cfg->realtime.priority);
	engine_status(e, &st);
	pcm_describe(st.capture, desc, sizeof(desc));
	log_info("%s", desc);
	pcm_describe(st.playback, desc, sizeof(desc));
	log_info("%s", desc);
	if (st.resampling)
		log_info("capture resampled %u Hz -> %u Hz (%s quality, %.1f frames of "
		         "delay), rate adjust %s", st.capture_rate, st.rate,
		         rs_quality_name((enum rs_quality)cfg->resampler.quality),
		         st.resampler_delay, st.rate_adjust ? "on" : "off");
	log_info("latency %u frames (%.2f ms) capture to playback",
	         st.latency_frames, 1000.0 * st.latency_frames / st.rate);
	*ret = e;
	return 0;
}

void daemon_start_loudness(struct daemon *d)
{
	int r = loudness_start(&d->ctx.loudness, d->engine, d->cfg.loudness.tap);

	if (r < 0)
		log_err("cannot start the loudness meter: %s", strerror(-r));
	else if (d->ctx.loudness)
		log_info("EBU R128 loudness metering on the %s tap",
		         d->cfg.loudness.tap == METER_TAP_CAPTURE ? "capture" : "playback");
}

void daemon_watch_clocks(struct daemon *d)
{
	static bool was_clamped;
	struct eng_status st;

	engine_status(d->engine, &st);
	if (!st.rate_adjust || st.clocks.clamped == was_clamped)
		return;
	was_clamped = st.clocks.clamped;
	if (was_clamped)
		log_warning("the capture clock is more than rate_adjust.max_ppm = %g ppm "
		            "off the playback clock: the correction is held at %+.1f ppm "
		            "and the buffer level drifts (%.0f frames, target %.0f)",
		            d->cfg.rate_adjust.max_ppm, st.clocks.adjust * 1e6,
		            st.clocks.level, st.clocks.target);
	else
		log_info("the clocks are within rate_adjust.max_ppm again (%+.1f ppm)",
		         st.clocks.adjust * 1e6);
}

void daemon_notify_status(struct daemon *d)
{
	struct eng_status st;

	engine_status(d->engine, &st);
	sd_notifyf(0, "STATUS=%u Hz %s %uch -> %s %uch, period %u, %s, %llu xruns",
	           st.rate, st.capture->codec->name, st.capture->channels,
	           st.playback->codec->name, st.playback->channels,
	           st.period_frames, eng_state_name(st.state),
	           (unsigned long long)(st.xruns_capture + st.xruns_playback));
}

/* ctx->ops.restart: replace the running engine by one for next; on failure
 * restart the old configuration.  Returns 0, or -errno when the new one
 * failed (the old one runs again), or -ENOTRECOVERABLE when neither runs. */
int daemon_restart_engine(struct ctl_context *ctx, const struct dspd_config *next)
{
	static struct dspd_config start;
	struct daemon *d = ctx->ops.daemon;
	struct eng_status st;
	struct engine *e;
	int r;

	/* the volume the user set survives, unless the file changes it */
	engine_status(d->engine, &st);
	start = *next;
	if (next->volume.db == d->cfg.volume.db && next->volume.mute == d->cfg.volume.mute) {
		start.volume.db = st.gain_db;
		start.volume.mute = st.mute;
	}
	if (st.state == ENG_WAITING) {
		/* the old devices are gone: try the new ones first, and keep
		 * waiting for the old ones if they cannot start either */
		if ((r = daemon_start_engine(&start, &e)) < 0)
			return r;
		ctl_abort_recordings(&d->ctx, "the devices were changed");
		loudness_stop(d->ctx.loudness);
		d->ctx.loudness = NULL;
		engine_destroy(d->engine);
		memset(&d->ctx.device_wait, 0, sizeof(d->ctx.device_wait));
		d->engine = d->ctx.engine = e;
		d->cfg = *next;
		daemon_start_loudness(d);
		return 0;
	}
	ctl_abort_recordings(&d->ctx, "the devices were restarted for a new configuration");
	loudness_stop(d->ctx.loudness);
	d->ctx.loudness = NULL;
	engine_stop(d->engine);
	engine_destroy(d->engine);
	d->engine = d->ctx.engine = NULL;
	if ((r = daemon_start_engine(&start, &e)) == 0) {
		d->cfg = *next;
	} else {
		start = d->cfg;
		start.volume.db = st.gain_db;
		start.volume.mute = st.mute;
		if (daemon_start_engine(&start, &e) < 0) {
			log_err("cannot restart the previous configuration either; exiting");
			event_base_loopbreak(d->base);
			return -ENOTRECOVERABLE;
		}
	}
	d->engine = d->ctx.engine = e;
	daemon_start_loudness(d);
	return r;
}

/* Read, hash and validate a file into next (its pipeline is checked when
 * it is applied). */
static int load_next(const char *path, struct ctl_next_config *next,
                     struct cfg_errors *errs)
{
	size_t len = 0;
	char *text = read_text(path, &len);
	int r;

	errs->count = 0;
	next->json = NULL;
	if (!text)
		return config_load_file(path, &next->cfg, errs);
	r = ctl_next_from_text(text, len, path, "file", next, errs);
	free(text);
	if (r == 0 && !realpath(path, next->path))
		snprintf(next->path, sizeof(next->path), "%s", path);
	return r;
}

int daemon_reload(struct ctl_context *ctx, const char *path,
                  const struct ctl_origin *by, struct cfg_errors *errs,
                  struct ctl_change_result *res)
{
	static struct ctl_next_config next;
	const char *file = path ? path : ctx->config.path;
	int r;

	memset(res, 0, sizeof(*res));
	/* systemd waits for READY=1 before it considers the reload done */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	           (unsigned long long)(monotonic_ns() / 1000u), file);
	log_info("reloading %s", file);
	r = load_next(file, &next, errs);
	if (r < 0) {
		json_object_put(next.json);
		ctl_config_rejected(ctx, by, file, errs, r);
	} else {
		r = ctl_apply_config_for(ctx, &next, by, NULL, errs, res);
	}
	if (!ctx->engine) {
		sd_notify(0, "STOPPING=1\nSTATUS=no configuration can start the devices; exiting");
		return r;
	}
	sd_notify(0, "READY=1");
	if (ctx->ops.daemon)
		daemon_notify_status(ctx->ops.daemon);
	return r;
}

void daemon_restore_state(struct daemon *d, struct state_restored *restored)
{
	static struct ctl_next_config next;
	static struct cfg_errors errs;
	const char *path = d->cfg.state_file;
	char ignored[256];

	state_file_init(&d->state, path);
	if (!path[0] || state_file_read(path, d->ctx.config.file_sha256, restored) < 0)
		return;
	if (restored->has_volume)
		log_info("volume %.1f dB%s as saved in %s", restored->db,
		         restored->mute ? " (muted)" : "", path);
	if (!restored->config)
		return;
	/* control.*, state_file, fftw_wisdom and the devices are the file's,
	 * whatever an older state file carries */
	if (config_edit_take_file_only(restored->config, d->ctx.config.json,
	                               ignored, sizeof(ignored)) == 0 && ignored[0])
		log_warning("%s: ignored %s (only the configuration file sets them)",
		            path, ignored);
	if (ctl_next_from_json(restored->config, path, "edit", &next, &errs) < 0 ||
	    ctl_ir_policy_check(&d->ctx, NULL, &next.cfg, path, &errs) < 0 ||
	    ctl_check_pipeline(&next.cfg, path, &errs) < 0) {
		log_warning("%s: the saved runtime edits are no longer valid (%s); "
		            "starting from the file", path, errs.count ? errs.msg[0] : "?");
		json_object_put(next.json);
		restored->config = NULL;
		return;
	}
	restored->config = NULL;           /* next.json has it */
	d->cfg = next.cfg;
	json_object_put(d->ctx.config.json);
	d->ctx.config.json = next.json;
	memcpy(d->ctx.config.sha256, next.sha256, sizeof(next.sha256));
	d->ctx.config.source = "edit";
	d->ctx.config.edits = restored->edits;
	log_info("restored %u runtime edit%s of %s from %s", restored->edits,
	         restored->edits == 1 ? "" : "s", d->ctx.config.path, path);
}

void daemon_save_state(struct daemon *d, bool final)
{
	struct state_snapshot now;
	struct eng_status st;

	if (strcmp(d->state.path, d->cfg.state_file) != 0)
		state_file_init(&d->state, d->cfg.state_file);
	if (!d->state.path[0] || !d->engine)
		return;
	engine_status(d->engine, &st);
	now.db = st.gain_db;
	now.mute = st.mute;
	now.edits = d->ctx.config.edits;
	memcpy(now.sha256, d->ctx.config.sha256, sizeof(now.sha256));
	memcpy(now.base_sha256, d->ctx.config.file_sha256, sizeof(now.base_sha256));
	now.config = d->ctx.config.json;
	if (final)
		d->state.last_save_ns = 0;
	state_file_update(&d->state, &now, (unsigned long long)(monotonic_ns() / 1000u) * 1000u);
}
