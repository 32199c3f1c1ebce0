/* config_derived.c - what a configuration implies beyond its keys: the
 * capture's rate and period, whether the capture is resampled, the latency
 * target (see config.h).  Pure functions of a config value. */
#include "config.h"

unsigned config_capture_rate(const struct dspd_config *cfg)
{
	return cfg->capture.rate ? cfg->capture.rate : cfg->rate;
}

bool config_resamples(const struct dspd_config *cfg)
{
	return cfg->rate_adjust.enabled || config_capture_rate(cfg) != cfg->rate;
}

unsigned config_capture_period(const struct dspd_config *cfg)
{
	uint64_t scaled = (uint64_t)cfg->period_frames * config_capture_rate(cfg);

	return (unsigned)((scaled + cfg->rate / 2) / cfg->rate);
}

unsigned config_target_level(const struct dspd_config *cfg)
{
	if (cfg->rate_adjust.target_level)
		return cfg->rate_adjust.target_level;
	return (cfg->periods - 1) * cfg->period_frames;
}
