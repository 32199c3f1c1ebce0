/* fx_gain.c - the "gain" block: level in dB, mute, polarity, with the
 * click-free ramp of gain.c.  create/destroy: control thread; process and
 * reset: RT thread. */
#include <errno.h>
#include <stdlib.h>

#include "fx.h"
#include "fx_response.h"
#include "gain.h"
#include "response.h"

struct fx_gain {
	struct fx fx;
	struct gain_ramp ramp;
};

static void gain_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_gain *g = (struct fx_gain *)fx;

	gain_ramp_process(&g->ramp, bufs, fx->channels_in, fx->channel_mask, frames);
}

static void gain_reset(struct fx *fx)
{
	(void)fx;   /* a gain has no memory of past samples */
}

static void gain_destroy(struct fx *fx)
{
	free(fx);
}

/* Any thread: the level it was made with (mute 0, inverted negative), as
 * the float the samples are multiplied by. */
static bool gain_response(const struct fx *fx, unsigned out, unsigned in,
                          const double *w, size_t n, double complex *h,
                          double complex *dh)
{
	const struct fx_gain *g = (const struct fx_gain *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	(void)w;
	if (path == FX_PATH_OWN)
		resp_gain(g->ramp.target, n, h, dh);
	return path != FX_PATH_NONE;
}

static const struct fx_ops gain_ops = {
	.type = "gain",
	.process = gain_process,
	.reset = gain_reset,
	.destroy = gain_destroy,
	.response = gain_response,
};

int fx_gain_create(const struct cfg_block *cfg, const struct fx_env *env,
                   struct fx **ret, char *err, size_t err_len)
{
	struct fx_gain *g = calloc(1, sizeof(*g));
	float linear;

	(void)err, (void)err_len;
	if (!g)
		return -ENOMEM;
	fx_init(&g->fx, &gain_ops, cfg, env);
	linear = cfg->mute ? 0.0f : (float)gain_db_to_linear(cfg->db);
	gain_ramp_init(&g->ramp, cfg->invert ? -linear : linear);
	*ret = &g->fx;
	return 0;
}
