/* config_derived.c - what a configuration implies beyond its keys: the
 * capture's rate and period, whether the capture is resampled, the latency
 * target, the rates the pipeline must run at, a FIR block's file at a rate
 * (see config.h).  Pure functions of a config value: any thread. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

unsigned config_capture_rate(const struct dspd_config *cfg)
{
	return cfg->capture.rate ? cfg->capture.rate : cfg->rate;
}

bool config_resamples(const struct dspd_config *cfg)
{
	bool adjust = cfg->rate_adjust.enabled &&
	              cfg->rate_adjust.method == CFG_ADJUST_RESAMPLE;

	return adjust || cfg->capture.follow || config_capture_rate(cfg) != cfg->rate;
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

unsigned config_pipeline_rates(const struct dspd_config *cfg,
                               unsigned rates[CFG_MAX_RATES])
{
	unsigned n = 0;

	if (!cfg->rate_follow || cfg->source.n_rates == 0) {
		rates[0] = cfg->rate;
		return 1;
	}
	for (unsigned i = 0; i < cfg->source.n_rates && n < CFG_MAX_RATES; i++)
		rates[n++] = cfg->source.rates[i];
	return n;
}

bool config_source_has_rate(const struct dspd_config *cfg, unsigned rate)
{
	for (unsigned i = 0; i < cfg->source.n_rates; i++)
		if (cfg->source.rates[i] == rate)
			return true;
	return false;
}

/* path with every "{rate}" replaced by the rate's digits. */
static int expand_rate(const char *path, unsigned rate, char *out, size_t size)
{
	const char *ph = CFG_FIR_RATE_PLACEHOLDER;
	size_t ph_len = strlen(ph), len = 0;
	char digits[16];
	int n = snprintf(digits, sizeof(digits), "%u", rate);

	for (const char *s = path; *s;) {
		const char *piece = s;
		size_t piece_len = 1;

		if (strncmp(s, ph, ph_len) == 0) {
			piece = digits;
			piece_len = (size_t)n;
			s += ph_len;
		} else {
			s++;
		}
		if (len + piece_len >= size)
			return -ENAMETOOLONG;
		memcpy(out + len, piece, piece_len);
		len += piece_len;
	}
	if (size == 0)
		return -ENAMETOOLONG;
	out[len] = '\0';
	return 0;
}

int config_fir_path(const struct cfg_fir *fir, unsigned rate, char *out,
                    size_t size)
{
	if (fir->path[0])
		return expand_rate(fir->path, rate, out, size);
	for (unsigned i = 0; i < fir->n_rate_paths; i++) {
		const struct cfg_fir_rate_path *e = &fir->rate_paths[i];

		if (e->rate != rate)
			continue;
		if (strlen(e->path) >= size)
			return -ENAMETOOLONG;
		memcpy(out, e->path, strlen(e->path) + 1);
		return 0;
	}
	return -ENOENT;
}

unsigned config_threads(const struct dspd_config *cfg)
{
	long online;

	if (cfg->realtime.threads)
		return cfg->realtime.threads;
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return online < 1 ? 1 : online > CFG_MAX_THREADS ? CFG_MAX_THREADS : (unsigned)online;
}
