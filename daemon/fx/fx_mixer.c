/* fx_mixer.c - the "mixer" block (see fx_mixer.h).  The routes are sorted
 * by output in the constructor so process() writes each output row once:
 * the first route assigns, the others add.  Every output is computed into
 * the scratch rows before any buffer row is overwritten, since an output
 * row may be another output's input.
 * create/destroy: control thread; process/reset: RT thread. */
#include "fx_mixer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gain.h"
#include "response.h"

struct mixer_route {
	unsigned out, in;
	float gain;
};

struct fx_mixer {
	struct fx fx;
	unsigned n_routes;
	struct mixer_route routes[CFG_MIXER_MAX_ROUTES];
	float *scratch[FX_MAX_CHANNELS];  /* channels_out rows of max_frames */
};

static void mix_assign(float *restrict y, const float *restrict x, float g,
                       uint32_t frames)
{
	for (uint32_t i = 0; i < frames; i++)
		y[i] = g * x[i];
}

static void mix_add(float *restrict y, const float *restrict x, float g,
                    uint32_t frames)
{
	for (uint32_t i = 0; i < frames; i++)
		y[i] += g * x[i];
}

static void mixer_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_mixer *m = (struct fx_mixer *)fx;
	unsigned r = 0;

	for (unsigned o = 0; o < fx->channels_out; o++) {
		float *y = m->scratch[o];

		if (r == m->n_routes || m->routes[r].out != o) {
			memset(y, 0, frames * sizeof(float));
			continue;
		}
		mix_assign(y, bufs[m->routes[r].in], m->routes[r].gain, frames);
		for (r++; r < m->n_routes && m->routes[r].out == o; r++)
			mix_add(y, bufs[m->routes[r].in], m->routes[r].gain, frames);
	}
	for (unsigned o = 0; o < fx->channels_out; o++)
		memcpy(bufs[o], m->scratch[o], frames * sizeof(float));
}

static void mixer_reset(struct fx *fx)
{
	(void)fx;   /* a mixer has no memory of past samples */
}

static void mixer_destroy(struct fx *fx)
{
	struct fx_mixer *m = (struct fx_mixer *)fx;

	for (unsigned o = 0; o < FX_MAX_CHANNELS; o++)
		free(m->scratch[o]);
	free(m);
}

/* Any thread: the sum of the routes from in to out (their float gains). */
static bool mixer_response(const struct fx *fx, unsigned out, unsigned in,
                           const double *w, size_t n, double complex *h,
                           double complex *dh)
{
	const struct fx_mixer *m = (const struct fx_mixer *)fx;
	bool path = false;
	double g = 0.0;

	(void)w;
	for (unsigned r = 0; r < m->n_routes; r++)
		if (m->routes[r].out == out && m->routes[r].in == in) {
			g += m->routes[r].gain;
			path = true;
		}
	if (path)
		resp_constant(g, n, h, dh);
	return path;
}

static const struct fx_ops mixer_ops = {
	.type = "mixer",
	.process = mixer_process,
	.reset = mixer_reset,
	.destroy = mixer_destroy,
	.response = mixer_response,
};

static int compare_routes(const void *a, const void *b)
{
	const struct mixer_route *x = a, *y = b;

	if (x->out != y->out)
		return x->out < y->out ? -1 : 1;
	return x->in < y->in ? -1 : x->in > y->in;
}

/* Routes come validated from the config; check them again here since a
 * block may be built from a hand-made struct cfg_block. */
static int load_routes(struct fx_mixer *m, const struct cfg_mixer *c,
                       const char *name, char *err, size_t err_len)
{
	if (c->n_routes == 0 || c->n_routes > CFG_MIXER_MAX_ROUTES) {
		snprintf(err, err_len, "block \"%s\": a mixer needs 1 to %d "
		         "routes, has %u", name, CFG_MIXER_MAX_ROUTES, c->n_routes);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_routes; i++) {
		const struct cfg_mixer_route *r = &c->routes[i];
		float g = (float)gain_db_to_linear(r->gain_db);

		if (r->out >= c->channels_out || r->in >= c->channels_in) {
			snprintf(err, err_len, "block \"%s\": route %u from "
			         "input %u to output %u is outside %u inputs and "
			         "%u outputs", name, i, r->in, r->out,
			         c->channels_in, c->channels_out);
			return -EINVAL;
		}
		m->routes[i] = (struct mixer_route){ r->out, r->in,
		                                     r->invert ? -g : g };
	}
	m->n_routes = c->n_routes;
	qsort(m->routes, m->n_routes, sizeof(m->routes[0]), compare_routes);
	return 0;
}

static int check_channels(const struct cfg_block *cfg,
                          const struct fx_env *env, char *err, size_t err_len)
{
	const struct cfg_mixer *c = &cfg->u.mixer;

	if (c->channels_in != env->channels) {
		snprintf(err, err_len, "block \"%s\": channels_in is %u, but %u "
		         "channels reach the mixer at this point of the "
		         "pipeline", cfg->name, c->channels_in, env->channels);
		return -EINVAL;
	}
	if (c->channels_out < 1 || c->channels_out > FX_MAX_CHANNELS) {
		snprintf(err, err_len, "block \"%s\": channels_out must be 1 to "
		         "%d, is %u", cfg->name, FX_MAX_CHANNELS, c->channels_out);
		return -EINVAL;
	}
	return 0;
}

int fx_mixer_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len)
{
	const struct cfg_mixer *c = &cfg->u.mixer;
	struct fx_mixer *m;
	int r;

	if ((r = check_channels(cfg, env, err, err_len)) < 0)
		return r;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	fx_init(&m->fx, &mixer_ops, cfg, env);
	m->fx.channels_out = c->channels_out;
	if ((r = load_routes(m, c, cfg->name, err, err_len)) < 0) {
		mixer_destroy(&m->fx);
		return r;
	}
	for (unsigned o = 0; o < c->channels_out; o++)
		if (!(m->scratch[o] = calloc(env->max_frames, sizeof(float)))) {
			mixer_destroy(&m->fx);
			return -ENOMEM;
		}
	*ret = &m->fx;
	return 0;
}
