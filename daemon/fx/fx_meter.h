/* fx_meter.h - the "meter" block: a level tap at any point of the
 * pipeline.  It leaves the audio untouched and keeps, per channel, a peak
 * that falls at 20 dB/s and an RMS integrated over window_ms, published as
 * atomics: the RT thread writes them once per period, any thread reads. */
#ifndef DSPD_FX_METER_H
#define DSPD_FX_METER_H

#include <stdbool.h>

#include "fx.h"

int fx_meter_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len);
bool fx_is_meter(const struct fx *fx);
/* Levels of channel ch (must be in the block's mask); -200 dB floor. */
double fx_meter_peak_dbfs(const struct fx *fx, unsigned ch);
double fx_meter_rms_dbfs(const struct fx *fx, unsigned ch);

#endif
