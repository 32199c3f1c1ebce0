/* fx_meter.c - level tap block (see fx_meter.h).  create/destroy: control
 * thread; process/reset: RT thread; the readers: any thread. */
#include "fx_meter.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gain.h"

struct fx_meter {
	struct fx fx;
	double peak_fall;                      /* per-frame factor: 20 dB/s */
	double rms_coef;                       /* one-pole, window_ms */
	double peak[FX_MAX_CHANNELS], ms[FX_MAX_CHANNELS];  /* RT only */
	_Atomic float peak_out[FX_MAX_CHANNELS];
	_Atomic float ms_out[FX_MAX_CHANNELS];
};

static void meter_channel(struct fx *fx, unsigned ch, float *x, uint32_t frames)
{
	struct fx_meter *m = (struct fx_meter *)fx;
	double peak = m->peak[ch] * pow(m->peak_fall, frames), ms = m->ms[ch];

	for (uint32_t i = 0; i < frames; i++) {
		double a = fabs(x[i]);

		peak = a > peak ? a : peak;
		ms += m->rms_coef * (a * a - ms);
	}
	/* non-finite input would stick forever: the pipeline resets us */
	m->peak[ch] = isfinite(peak) ? peak : 0.0;
	m->ms[ch] = isfinite(ms) ? ms : 0.0;
	atomic_store_explicit(&m->peak_out[ch], (float)m->peak[ch], memory_order_relaxed);
	atomic_store_explicit(&m->ms_out[ch], (float)m->ms[ch], memory_order_relaxed);
}

static void meter_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (fx->channel_mask & (1u << ch))
			meter_channel(fx, ch, bufs[ch], frames);
}

static void meter_reset(struct fx *fx)
{
	struct fx_meter *m = (struct fx_meter *)fx;

	memset(m->peak, 0, sizeof(m->peak));
	memset(m->ms, 0, sizeof(m->ms));
}

static void meter_destroy(struct fx *fx)
{
	free(fx);
}

/* A reload does not drop the meter's reading to silence. */
static void meter_adopt(struct fx *fx, const struct fx *old_fx)
{
	struct fx_meter *m = (struct fx_meter *)fx;
	const struct fx_meter *old = (const struct fx_meter *)old_fx;

	memcpy(m->peak, old->peak, sizeof(m->peak));
	memcpy(m->ms, old->ms, sizeof(m->ms));
}

static const struct fx_ops meter_ops = {
	.type = "meter",
	.process = meter_process,
	.process_channel = meter_channel,
	.reset = meter_reset,
	.destroy = meter_destroy,
	.adopt = meter_adopt,
};

bool fx_is_meter(const struct fx *fx)
{
	return fx->ops == &meter_ops;
}

double fx_meter_peak_dbfs(const struct fx *fx, unsigned ch)
{
	const struct fx_meter *m = (const struct fx_meter *)fx;

	return gain_linear_to_db(atomic_load_explicit(&m->peak_out[ch], memory_order_relaxed));
}

double fx_meter_rms_dbfs(const struct fx *fx, unsigned ch)
{
	const struct fx_meter *m = (const struct fx_meter *)fx;

	return gain_linear_to_db(sqrt(atomic_load_explicit(&m->ms_out[ch], memory_order_relaxed)));
}

int fx_meter_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len)
{
	struct fx_meter *m = calloc(1, sizeof(*m));

	(void)err, (void)err_len;
	if (!m)
		return -ENOMEM;
	fx_init(&m->fx, &meter_ops, cfg, env);
	m->peak_fall = pow(10.0, -20.0 / 20.0 / env->rate);
	m->rms_coef = 1.0 - exp(-1.0 / (cfg->u.meter.window_ms / 1000.0 * env->rate));
	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++) {
		atomic_init(&m->peak_out[ch], 0.0f);
		atomic_init(&m->ms_out[ch], 0.0f);
	}
	*ret = &m->fx;
	return 0;
}
