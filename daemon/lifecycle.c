/* lifecycle.c - configuration identity, engine start and reload (see
 * daemon.h).  A reload validates the complete new configuration first; on
 * any error the running configuration and engine stay untouched.  A valid
 * configuration that differs replaces the engine; if the new one cannot
 * start, the previous configuration is started again.  Control thread. */
#include "daemon.h"

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
#include "sha256.h"

static unsigned long long monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
}

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

int config_check_pipeline(const struct dspd_config *cfg, const char *origin,
                          struct cfg_errors *errs)
{
	struct pipeline *p = NULL;
	char err[256];
	int r = pipeline_build_for(cfg, NULL, &p, err, sizeof(err));

	pipeline_free(p);
	if (r < 0) {
		snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.60s: /pipeline: %.240s", origin, err);
		errs->count = 1;
	}
	return r;
}

int daemon_load_config(const char *path, struct dspd_config *cfg,
                       struct ctl_config_identity *id, struct cfg_errors *errs)
{
	size_t len = 0;
	char *text = read_text(path, &len);
	int r;

	errs->count = 0;
	if (!text)
		return config_load_file(path, cfg, errs);
	/* validate exactly the bytes that are hashed and kept */
	r = config_load_string(text, len, path, cfg, errs);
	if (r == 0)
		r = config_check_pipeline(cfg, path, errs);
	if (r == 0) {
		if (!realpath(path, id->path))
			snprintf(id->path, sizeof(id->path), "%s", path);
		sha256_hex(text, len, id->sha256);
		id->loaded_at = (int64_t)time(NULL);
		json_object_put(id->json);
		id->json = json_tokener_parse(text);
	}
	free(text);
	return r;
}

void daemon_log_config_errors(const struct cfg_errors *errs, int r,
                              const char *path)
{
	unsigned shown = errs->count < CFG_MAX_ERRORS ? errs->count : CFG_MAX_ERRORS;

	for (unsigned i = 0; i < shown; i++)
		log_err("%s", errs->msg[i]);
	if (errs->count > shown)
		log_err("... and %u more errors", errs->count - shown);
	if (errs->count == 0)
		log_err("%s: %s", path, strerror(-r));
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

static void notify_config(struct ctl_context *ctx, const char *outcome,
                          const char *path, const struct cfg_errors *errs)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "outcome", json_object_new_string(outcome));
	json_object_object_add(p, "path", json_object_new_string(path));
	json_object_object_add(p, "sha256", json_object_new_string(ctx->config.sha256));
	if (errs) {
		json_object *arr = json_object_new_array();
		unsigned shown = errs->count < CFG_MAX_ERRORS ? errs->count : CFG_MAX_ERRORS;

		for (unsigned i = 0; i < shown; i++) {
			char msg[sizeof(errs->msg[i])];

			snprintf(msg, sizeof(msg), "%s", errs->msg[i]);
			proto_utf8_scrub(msg);
			json_object_array_add(arr, json_object_new_string(msg));
		}
		json_object_object_add(p, "errors", arr);
	}
	ctl_notify(ctx, CTL_TOPIC_CONFIG, "config", p);
}

/* Replace the running engine by one for next; on failure restart the old
 * configuration.  Returns 0, or -errno when the new one failed (the old one
 * runs again), or -ENOTRECOVERABLE when neither runs. */
static int switch_engine(struct daemon *d, const struct dspd_config *next)
{
	struct engine *e;
	int r;

	ctl_abort_recordings(&d->ctx, "the configuration was reloaded");
	loudness_stop(d->ctx.loudness);
	d->ctx.loudness = NULL;
	engine_stop(d->engine);
	engine_destroy(d->engine);
	d->engine = d->ctx.engine = NULL;
	if ((r = daemon_start_engine(next, &e)) == 0) {
		d->cfg = *next;
	} else if (daemon_start_engine(&d->cfg, &e) < 0) {
		return -ENOTRECOVERABLE;
	}
	d->engine = d->ctx.engine = e;
	daemon_start_loudness(d);
	return r;
}

int daemon_reload(struct ctl_context *ctx, const char *path,
                  struct cfg_errors *errs, bool *ret_changed)
{
	static struct dspd_config next;
	struct daemon *d = ctx->daemon;
	struct ctl_config_identity id = { .json = NULL };
	const char *file = path ? path : ctx->config.path;
	int r;

	*ret_changed = false;
	/* systemd waits for READY=1 before it considers the reload done */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	           monotonic_usec(), file);
	log_info("reloading %s", file);
	r = daemon_load_config(file, &next, &id, errs);
	if (r == 0 && d->socket_override)
		snprintf(next.socket_path, sizeof(next.socket_path), "%s", d->socket_override);
	if (r < 0) {
		daemon_log_config_errors(errs, r, file);
		log_err("reload rejected; the running configuration stays");
		notify_config(ctx, "rejected", file, errs);
	} else if (memcmp(&next, &d->cfg, sizeof(next)) == 0) {
		log_info("configuration unchanged");
	} else {
		if (strcmp(next.socket_path, d->cfg.socket_path) != 0)
			log_warning("control.socket changes only at restart");
		r = switch_engine(d, &next);
		if (r == -ENOTRECOVERABLE) {
			log_err("cannot restart the previous configuration either; exiting");
			event_base_loopbreak(d->base);
		} else if (r < 0) {
			snprintf(errs->msg[0], sizeof(errs->msg[0]),
			         "%.120s: valid, but the devices could not start with it (%s); "
			         "the previous configuration runs again", file, strerror(-r));
			errs->count = 1;
		} else {
			*ret_changed = true;
			log_info("new configuration running");
		}
	}
	if (r == 0) {
		json_object_put(ctx->config.json);
		ctx->config = id;
		if (*ret_changed || path)
			notify_config(ctx, "reloaded", ctx->config.path, NULL);
	} else {
		json_object_put(id.json);
	}
	if (!d->engine) {
		sd_notify(0, "STOPPING=1\nSTATUS=no configuration can start the devices; exiting");
		return r;
	}
	sd_notify(0, "READY=1");
	daemon_notify_status(d);
	return r;
}
