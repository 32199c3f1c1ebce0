/* rate_files.h - what the per-rate FIR tests share: a temporary directory
 * of one-channel WAV impulse responses, each of a given length and sample
 * rate, and loading a config text or failing the test.  Include after
 * <cmocka.h>.  Single-threaded. */
#ifndef DSPD_RATE_FILES_H
#define DSPD_RATE_FILES_H

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char rate_dir[64];

/* rate_dir/name: frames taps (a decaying impulse) sampled at rate. */
static inline void rate_wav(const char *name, size_t frames, int rate)
{
	SF_INFO info = { .samplerate = rate, .channels = 1,
	                 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	char path[160];
	SNDFILE *sf;
	float *buf = calloc(frames, sizeof(float));

	snprintf(path, sizeof(path), "%s/%s", rate_dir, name);
	sf = sf_open(path, SFM_WRITE, &info);
	assert_non_null(sf);
	assert_non_null(buf);
	for (size_t i = 0; i < frames; i++)
		buf[i] = 0.5f / (float)(i + 1);
	assert_int_equal(sf_writef_float(sf, buf, (sf_count_t)frames),
	                 (sf_count_t)frames);
	sf_close(sf);
	free(buf);
}

static inline int rate_dir_make(void **state)
{
	(void)state;
	snprintf(rate_dir, sizeof(rate_dir), "/tmp/dspd-rates-XXXXXX");
	return mkdtemp(rate_dir) ? 0 : -1;
}

static inline int rate_dir_remove(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rate_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The text with every "@" replaced by rate_dir, loaded into *cfg. */
static inline void rate_config(struct dspd_config *cfg, const char *text)
{
	char buf[4096], *o = buf;
	struct cfg_errors e;

	for (const char *s = text; *s && o < buf + sizeof(buf) - 80; s++)
		if (*s == '@')
			o += sprintf(o, "%s", rate_dir);
		else
			*o++ = *s;
	*o = '\0';
	if (config_load_string(buf, strlen(buf), "t.conf", cfg, &e) != 0) {
		for (unsigned i = 0; i < e.count && i < CFG_MAX_ERRORS; i++)
			print_error("%s\n", e.msg[i]);
		fail();
	}
}

#endif
