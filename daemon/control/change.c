/* change.c - applying a new configuration to the running daemon (see
 * ctl_apply_config in change.h): every change - SIGHUP, config.reload,
 * config.load, config.patch, effect.*, batch - ends here.  The change is
 * classified (config_diff.h) and done the least disruptive way: a new graph
 * crossfaded in by the RT thread, a volume ramp, new settings, or a restart
 * of the streams when devices or timing changed.  Whatever can fail (the
 * pipeline build: files, rate limits) happens before anything changes.
 * Control thread only. */
#include "change.h"
#include "ir_policy.h"
#include "methods.h"
#include "subscriptions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_diff.h"
#include "json_pointer.h"
#include "log.h"
#include "loudness.h"
#include "pipeline.h"
#include "sha256.h"
#include "transition.h"

int ctl_next_from_text(const char *text, size_t len, const char *origin,
                       const char *source, struct ctl_next_config *next,
                       struct cfg_errors *errs)
{
	char dir[CFG_FIR_PATH_MAX];
	int r;

	/* a file's relative IR paths are its own directory's */
	if (strcmp(source, "file") != 0 || config_dir_of(origin, dir, sizeof(dir)) < 0)
		dir[0] = '\0';
	r = config_load_string_at(text, len, origin, dir[0] ? dir : NULL,
	                          &next->cfg, errs);
	next->json = NULL;
	if (r < 0)
		return r;
	next->json = json_tokener_parse(text);
	if (!next->json)
		return -ENOMEM;
	sha256_hex(text, len, next->sha256);
	next->source = source;
	return 0;
}

int ctl_next_from_json(json_object *doc, const char *origin, const char *source,
                       struct ctl_next_config *next, struct cfg_errors *errs)
{
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	int r = config_load_string(text, strlen(text), origin, &next->cfg, errs);

	next->json = doc;
	if (r == 0) {
		sha256_hex(text, strlen(text), next->sha256);
		next->source = source;
	}
	return r;
}

static json_object *by_json(const struct ctl_origin *by)
{
	json_object *o = json_object_new_object();

	if (by->session) {
		json_object_object_add(o, "method", json_object_new_string(by->method));
		json_object_object_add(o, "uid", json_object_new_int64(by->session->uid));
		json_object_object_add(o, "pid", json_object_new_int64(by->session->pid));
	} else {
		json_object_object_add(o, "signal", json_object_new_string(by->method));
	}
	return o;
}

static json_object *errors_array(const struct cfg_errors *errs, int r,
                                 const char *path)
{
	json_object *arr = json_object_new_array();
	unsigned shown = errs->count < CFG_MAX_ERRORS ? errs->count : CFG_MAX_ERRORS;
	char msg[sizeof(errs->msg[0]) + 64];

	for (unsigned i = 0; i < shown; i++) {
		snprintf(msg, sizeof(msg), "%s", errs->msg[i]);
		proto_utf8_scrub(msg);
		json_object_array_add(arr, json_object_new_string(msg));
	}
	if (errs->count == 0) {
		snprintf(msg, sizeof(msg), "%.200s: %s", path, strerror(-r));
		proto_utf8_scrub(msg);
		json_object_array_add(arr, json_object_new_string(msg));
	}
	return arr;
}

static void notify(struct ctl_context *ctx, const char *outcome,
                   const struct ctl_origin *by, const char *path,
                   const struct ctl_change_result *res, json_object *errors)
{
	json_object *p = json_object_new_object();
	char when[64], what[sizeof(by->what)];

	format_utc(realtime_ns(), when, sizeof(when));
	snprintf(what, sizeof(what), "%s", by->what[0] ? by->what : by->method);
	proto_utf8_scrub(what);
	json_object_object_add(p, "outcome", json_object_new_string(outcome));
	json_object_object_add(p, "by", by_json(by));
	json_object_object_add(p, "what", json_object_new_string(what));
	json_object_object_add(p, "at", json_object_new_string(when));
	json_object_object_add(p, "path", json_object_new_string(path));
	json_object_object_add(p, "sha256", json_object_new_string(ctx->config.sha256));
	if (res) {
		json_object_object_add(p, "class",
		                       json_object_new_string(config_change_name(res->changes)));
		json_object_object_add(p, "generation", json_object_new_int64((int64_t)res->generation));
	}
	if (errors)
		json_object_object_add(p, "errors", errors);
	ctl_notify(ctx, PROTO_TOPIC_CONFIG, "config", p);
}

void ctl_config_rejected(struct ctl_context *ctx, const struct ctl_origin *by,
                         const char *path, const struct cfg_errors *errs, int r)
{
	ctl_log_config_errors(errs, r, path);
	log_err("%s rejected; the running configuration stays", by->what[0] ? by->what : by->method);
	notify(ctx, "rejected", by, path, NULL, errors_array(errs, r, path));
}

int ctl_build_graph(const struct dspd_config *cfg, const _Atomic float *master,
                    const char *origin, struct cfg_errors *errs, struct pipeline **ret)
{
	char err[256];
	int r;

	/* a graph that follows the source must build at its other rates
	 * too, before it replaces the running one */
	if (cfg->rate_follow && (r = ctl_check_pipeline(cfg, origin, errs)) < 0)
		return r;
	if ((r = pipeline_build_for(cfg, master, ret, err, sizeof(err))) < 0) {
		snprintf(errs->msg[0], sizeof(errs->msg[0]), "%.60s: /pipeline: %.240s",
		         origin, err);
		errs->count = 1;
	}
	return r;
}

void ctl_hand_over_graph(struct ctl_context *ctx, const struct dspd_config *cfg,
                         struct pipeline *p, struct ctl_change_result *res)
{
	pipeline_plan_from_config(&p->plan, cfg);
	res->crossfade_ms = 1000.0 * p->plan.fade_frames / cfg->rate;
	/* against the newest graph, the one this will most likely follow */
	res->warmup_ms = 1000.0 * transition_plan_warmup(engine_pipeline(ctx->engine), p, false) /
	                 cfg->rate;
	res->generation = engine_submit_pipeline(ctx->engine, p);
}

static void apply_volume(struct ctl_context *ctx, const struct dspd_config *old,
                         const struct dspd_config *next)
{
	engine_set_default_ramp(ctx->engine, next->volume.ramp_ms);
	engine_set_ceiling(ctx->engine, next->volume.max_db);
	/* a volume the file did not change stays where the user put it */
	if (old->volume.db != next->volume.db || old->volume.mute != next->volume.mute)
		engine_set_gain(ctx->engine, next->volume.db, next->volume.mute, -1.0);
}

static void apply_settings(struct ctl_context *ctx, const struct dspd_config *old,
                           const struct dspd_config *next)
{
	char keys[256];

	config_socket_keys(old, next, keys, sizeof(keys));
	if (keys[0])
		log_warning("%s: change%s only when dspd restarts", keys,
		            strchr(keys, ',') ? "" : "s");
	if (old->loudness.tap != next->loudness.tap) {
		loudness_stop(ctx->loudness);
		ctx->loudness = NULL;
		if (next->loudness.tap >= 0 &&
		    loudness_start(&ctx->loudness, ctx->engine, next->loudness.tap) < 0)
			log_err("cannot start the loudness meter");
	}
}

static void take_identity(struct ctl_context *ctx, struct ctl_next_config *next,
                          bool changed)
{
	struct ctl_config_identity *id = &ctx->config;
	bool edit = strcmp(next->source, "edit") == 0;

	if (edit && !changed) {
		/* an edit that changes nothing leaves the identity alone */
		json_object_put(next->json);
		next->json = NULL;
		return;
	}
	json_object_put(id->json);
	id->json = next->json;
	next->json = NULL;
	/* path stays the file SIGHUP and config.reload read, whatever the
	 * configuration came from (source says) */
	memcpy(id->sha256, next->sha256, sizeof(id->sha256));
	if (strcmp(next->source, "file") == 0) {
		snprintf(id->path, sizeof(id->path), "%s", next->path);
		memcpy(id->file_sha256, next->sha256, sizeof(id->file_sha256));
	}
	id->changed_at_ns = realtime_ns();
	if (edit) {
		id->edits++;
	} else {
		id->loaded_at = id->changed_at_ns / 1000000000;
		id->edits = 0;
		id->source = next->source;
	}
	if (edit && strcmp(id->source, "file") == 0)
		id->source = "edit";
}

/* doc has a member at pointer. */
static bool doc_has(json_object *doc, const char *pointer)
{
	struct jptr p;
	json_object *v;
	bool has;

	if (jptr_parse(pointer, &p, NULL, 0) < 0)
		return false;
	has = jptr_resolve(doc, &p, p.n, &v, NULL, 0) == 0;
	jptr_free(&p);
	return has;
}

/* A change from a socket client, or from another file than the one dspd
 * started with: the keys only that file may change
 * (config_file_only_keys) keep their running values where the new document
 * leaves them out, and may not take other values.  -EPERM naming them. */
static int keep_file_only(const struct dspd_config *old, struct ctl_next_config *next,
                          const char *origin, bool socket, struct cfg_errors *errs)
{
	char keys[256];

	for (int i = 0; config_file_only_pointers[i]; i++)
		if (next->json && !doc_has(next->json, config_file_only_pointers[i]))
			config_copy_file_only(&next->cfg, old, config_file_only_pointers[i]);
	config_file_only_keys(old, &next->cfg, keys, sizeof(keys));
	if (!keys[0])
		return 0;
	if (socket)
		snprintf(errs->msg[0], sizeof(errs->msg[0]),
		         "%.60s: %.110s: cannot be changed over the socket (only in "
		         "the configuration file, applied by SIGHUP)", origin, keys);
	else
		snprintf(errs->msg[0], sizeof(errs->msg[0]),
		         "%.60s: %.110s: set only by the file dspd started with "
		         "(this one was loaded over the socket)", origin, keys);
	errs->count = 1;
	return -EPERM;
}

int ctl_change_finish(struct ctl_context *ctx, struct ctl_next_config *next,
                      const struct ctl_origin *by, const struct dspd_config *old,
                      bool trusted, int r, struct cfg_errors *errs,
                      struct ctl_change_result *res)
{
	const char *origin = next->path[0] ? next->path : by->method;

	if (r < 0) {
		ctl_config_rejected(ctx, by, origin, errs, r);
		json_object_put(next->json);
		next->json = NULL;
		return r;
	}
	if (!(res->changes & CFG_CHANGE_RESTART)) {
		if (res->changes & CFG_CHANGE_VOLUME)
			apply_volume(ctx, old, &next->cfg);
		if (res->changes & CFG_CHANGE_SETTINGS)
			apply_settings(ctx, old, &next->cfg);
		*ctx->running = next->cfg;
	}
	if (trusted)
		ctl_ir_policy_trust(ctx, next->path, &next->cfg);
	if (!res->generation) {
		struct transition_status ts;

		engine_transition_status(ctx->engine, &ts);
		res->generation = ts.latest_generation;
	}
	take_identity(ctx, next, res->changes != 0);
	log_info("%s: applied (%s change%s)", by->what[0] ? by->what : by->method,
	         config_change_name(res->changes),
	         res->crossfade_ms > 0 ? ", crossfaded" : "");
	notify(ctx, "applied", by, ctx->config.path, res, NULL);
	return 0;
}

static bool reads_eq_files(const struct dspd_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_blocks; i++)
		if ((cfg->blocks[i].type == CFG_BLOCK_PEQ && cfg->blocks[i].u.peq.file[0]) ||
		    (cfg->blocks[i].type == CFG_BLOCK_FIR && cfg->blocks[i].u.fir.geq_file[0]))
			return true;
	return false;
}

int ctl_change_begin(struct ctl_context *ctx, struct ctl_next_config *next,
                     const struct ctl_origin *by, struct dspd_config *old,
                     bool *trusted, struct cfg_errors *errs,
                     struct ctl_change_result *res)
{
	const char *origin = next->path[0] ? next->path : by->method;
	int r = 0;

	memset(res, 0, sizeof(*res));
	errs->count = 0;
	*old = *ctx->running;
	if (ctx->socket_override)
		snprintf(next->cfg.socket_path, sizeof(next->cfg.socket_path), "%s",
		         ctx->socket_override);
	/* following the source: the rate is the source's, not the file's
	 * initial one (source.c restarts at another rate itself) */
	if (old->rate_follow && next->cfg.rate_follow &&
	    config_source_has_rate(&next->cfg, old->rate))
		next->cfg.rate = old->rate;
	/* only the file dspd started with, on SIGHUP, may change them: a
	 * client could have made config.path a file of its own */
	if (by->session || (ctx->config.started_path[0] &&
	                    strcmp(next->path, ctx->config.started_path) != 0))
		r = keep_file_only(old, next, origin, by->session != NULL, errs);
	if (r < 0)
		return r;
	/* who wrote it decides which IR files it may name (ir_policy.h) */
	*trusted = strcmp(next->source, "file") == 0 &&
	           ctl_ir_policy_is_trusted_file(ctx, next->path);
	if (!*trusted)
		r = ctl_ir_policy_check(ctx, strcmp(next->source, "file") == 0 ?
		                        next->path : NULL, &next->cfg, origin, errs);
	if (!*trusted && r == 0)
		r = ctl_ir_policy_check_eq_reader(ctx, by->session, &next->cfg, origin, errs);
	res->changes = r < 0 ? 0 : config_diff(old, &next->cfg);
	/* EQ text files (peq "file", fir "graphic_eq") are read when the
	 * pipeline is built: a load
	 * or reload of a file reads it again, even when the configuration
	 * itself is the same (the EQ file may have been edited) */
	if (r == 0 && !res->changes && strcmp(next->source, "file") == 0 &&
	    reads_eq_files(&next->cfg))
		res->changes = CFG_CHANGE_PARAMETERS;
	return r;
}

int ctl_change_run(struct ctl_context *ctx, struct ctl_next_config *next,
                   const struct ctl_origin *by, const struct dspd_config *old,
                   bool trusted, int r, struct cfg_errors *errs,
                   struct ctl_change_result *res)
{
	const char *origin = next->path[0] ? next->path : by->method;
	struct pipeline *p = NULL;
	char keys[200];

	if (r < 0) {
		/* refused before any file is opened */
	} else if (res->changes & CFG_CHANGE_RESTART) {
		config_restart_keys(old, &next->cfg, keys, sizeof(keys));
		if ((r = ctl_check_pipeline(&next->cfg, origin, errs)) == 0) {
			log_info("%s changed: restarting the streams", keys);
			r = ctx->ops.restart(ctx, &next->cfg);
			if (r < 0 && r != -ENOTRECOVERABLE) {
				snprintf(errs->msg[0], sizeof(errs->msg[0]),
				         "%.120s: valid, but the devices could not start with "
				         "it (%s); the previous configuration runs again",
				         origin, strerror(-r));
				errs->count = 1;
			}
		}
	} else if (res->changes & (CFG_CHANGE_PARAMETERS | CFG_CHANGE_TOPOLOGY)) {
		r = ctl_build_graph(&next->cfg, engine_master_linear(ctx->engine), origin,
		                    errs, &p);
		if (r == 0)
			ctl_hand_over_graph(ctx, &next->cfg, p, res);
	}
	return ctl_change_finish(ctx, next, by, old, trusted, r, errs, res);
}

int ctl_apply_config(struct ctl_context *ctx, struct ctl_next_config *next,
                     const struct ctl_origin *by, struct cfg_errors *errs,
                     struct ctl_change_result *res)
{
	static struct dspd_config old;
	bool trusted = false;
	int r = ctl_change_begin(ctx, next, by, &old, &trusted, errs, res);

	return ctl_change_run(ctx, next, by, &old, trusted, r, errs, res);
}

void ctl_log_config_errors(const struct cfg_errors *errs, int r, const char *path)
{
	unsigned shown = errs->count < CFG_MAX_ERRORS ? errs->count : CFG_MAX_ERRORS;

	for (unsigned i = 0; i < shown; i++)
		log_err("%s", errs->msg[i]);
	if (errs->count > shown)
		log_err("... and %u more errors", errs->count - shown);
	if (errs->count == 0)
		log_err("%s: %s", path, strerror(-r));
}
