/* methods_fader.c - named faders: gain.get and gain.set with a "block"
 * param read and set the level of any "gain" block of the pipeline.  The
 * change is effect.set's edit of the active configuration (methods_effect.c),
 * so the running configuration, config.get and the state file's edits stay
 * one story; it reaches the audio with the pipeline's crossfade
 * (transition.crossfade_ms), which is the block's ramp.  A level above the
 * volume ceiling (volume.max_db) is refused.  Control thread only. */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gain.h"

int ceiling_refused(double db, double max_db, const char *field, struct rpc_error *err)
{
	rpc_error_set(err, RPC_INVALID_PARAMS, field, "%g dB is above the volume "
	              "ceiling volume.max_db (%g dB); refused, nothing changed", db, max_db);
	return -ERANGE;
}

/* The gain block named by params' "block", or NULL with err set. */
static const struct cfg_block *gain_block(struct ctl_context *ctx, json_object *params,
                                          struct rpc_error *err)
{
	const struct dspd_config *cfg = ctx->running;
	char names[160] = "";
	size_t len = 0;
	json_object *v;
	const char *name;

	json_object_object_get_ex(params, "block", &v);
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "block", "must be the name of a gain block");
		return NULL;
	}
	name = json_object_get_string(v);
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];

		if (b->type != CFG_BLOCK_GAIN)
			continue;
		if (strcmp(b->name, name) == 0)
			return b;
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
			                        len ? ", " : "", b->name);
	}
	rpc_error_set(err, RPC_INVALID_PARAMS, "block", "no gain block named \"%.60s\" "
	              "(gain blocks: %s)", name, len ? names : "none");
	return NULL;
}

static json_object *fader_json(const struct cfg_block *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "block", json_object_new_string(b->name));
	json_object_object_add(o, "db", json_number(b->db, 0.01));
	json_object_object_add(o, "mute", json_object_new_boolean(b->mute));
	return o;
}

int fader_get(struct ctl_context *ctx, struct ctl_session *session,
              const struct rpc_request *req, json_object **ret,
              struct rpc_error *err)
{
	const struct cfg_block *b = gain_block(ctx, req->params, err);

	if (!b)
		return -EINVAL;
	*ret = fader_json(b);
	return 0;
}

int fader_set(struct ctl_context *ctx, struct ctl_session *session,
              const struct rpc_request *req, json_object **ret,
              struct rpc_error *err)
{
	const struct cfg_block *b = gain_block(ctx, req->params, err);
	json_object *values, *change = NULL;
	char name[CFG_NAME_MAX];
	double db;
	bool mute;
	int r;

	if (!b)
		return -EINVAL;
	db = b->db;
	mute = b->mute;
	snprintf(name, sizeof(name), "%s", b->name);
	if (json_object_object_get_ex(req->params, "ramp_ms", NULL)) {
		rpc_error_set(err, RPC_INVALID_PARAMS, "ramp_ms", "not with \"block\": a "
		              "block's level changes with the pipeline's crossfade "
		              "(transition.crossfade_ms)");
		return -EINVAL;
	}
	if ((r = proto_param_double(req->params, "db", false, GAIN_DB_MIN, GAIN_DB_MAX, &db, err)) < 0 ||
	    (r = proto_param_bool(req->params, "mute", false, &mute, err)) < 0)
		return r;
	if (db > ctx->running->volume.max_db)
		return ceiling_refused(db, ctx->running->volume.max_db, "db", err);
	values = json_object_new_object();
	if (json_object_object_get_ex(req->params, "db", NULL))
		json_object_object_add(values, "db", json_object_new_double(db));
	if (json_object_object_get_ex(req->params, "mute", NULL))
		json_object_object_add(values, "mute", json_object_new_boolean(mute));
	r = edit_block_values(ctx, session, PROTO_METHOD_GAIN_SET, name, values, &change, err);
	json_object_put(values);
	if (r < 0)
		return r;
	/* ctx->running is the new configuration now */
	if (!(b = gain_block(ctx, req->params, err))) {
		json_object_put(change);
		return -EINVAL;
	}
	*ret = fader_json(b);
	json_object_object_add(*ret, "change", change);
	return 0;
}
