/* view_levels.c - the "levels" answer and notification: peak, RMS and
 * clips per channel at the capture and playback taps and at every meter
 * block of the running pipeline, over a window.  Control thread only. */
#include "views.h"

#include "fx_meter.h"
#include "pipeline.h"

static json_object *tap_json(const struct meter_reading *m, enum meter_tap tap)
{
	json_object *arr = json_object_new_array();

	for (unsigned ch = 0; ch < m->channels[tap]; ch++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "channel", json_object_new_int((int)ch));
		json_object_object_add(o, "peak_dbfs", json_number(m->peak_dbfs[tap][ch], 0.01));
		json_object_object_add(o, "rms_dbfs", json_number(m->rms_dbfs[tap][ch], 0.01));
		json_object_object_add(o, "peak_hold_dbfs", json_number(m->peak_hold_dbfs[tap][ch], 0.01));
		json_object_object_add(o, "clipped", json_object_new_int64((int64_t)m->clipped[tap][ch]));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* A meter block's channels: [{channel, peak_dbfs, rms_dbfs}] */
json_object *meter_tap_json(const struct fx *fx)
{
	json_object *arr = json_object_new_array();

	for (unsigned ch = 0; ch < fx->channels_in; ch++) {
		json_object *c;

		if (!(fx->channel_mask & (1u << ch)))
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "channel", json_object_new_int((int)ch));
		json_object_object_add(c, "peak_dbfs", json_number(fx_meter_peak_dbfs(fx, ch), 0.01));
		json_object_object_add(c, "rms_dbfs", json_number(fx_meter_rms_dbfs(fx, ch), 0.01));
		json_object_array_add(arr, c);
	}
	return arr;
}

/* Every meter block of the pipeline: {"name": [{channel, peak, rms}]} */
static json_object *meter_taps_json(const struct pipeline *p)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < p->n_fx; i++)
		if (fx_is_meter(p->fx[i]))
			json_object_object_add(o, p->fx[i]->name, meter_tap_json(p->fx[i]));
	return o;
}

json_object *levels_json(struct ctl_context *ctx, uint64_t *since, double window_ms)
{
	const struct dspd_config *cfg = engine_config(ctx->engine);
	struct meter_reading m;
	json_object *o = json_object_new_object();

	engine_levels(ctx->engine, since, window_ms, &m);
	json_object_object_add(o, "capture", tap_json(&m, METER_TAP_CAPTURE));
	json_object_object_add(o, "playback", tap_json(&m, METER_TAP_PLAYBACK));
	json_object_object_add(o, "window_ms", json_number(1000.0 * m.frames / cfg->rate, 0.01));
	json_object_object_add(o, "taps", meter_taps_json(engine_pipeline(ctx->engine)));
	return o;
}
