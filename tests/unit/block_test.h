/* block_test.h - what the block unit tests share: a configuration with one
 * pipeline parsed from text, and a block created from its first entry the
 * way the pipeline creates it.  Include after <cmocka.h>.
 * Single-threaded. */
#ifndef DSPD_BLOCK_TEST_H
#define DSPD_BLOCK_TEST_H

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fx.h"

static struct dspd_config cfg;
static struct cfg_errors errs;

static inline void bt_dump_errors(void)
{
	for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
		print_message("    %s\n", errs.msg[i]);
}

/* Parse a configuration at rate whose pipeline is `blocks`. */
static inline int bt_load(unsigned rate, unsigned capture, unsigned playback,
                          const char *blocks)
{
	static char text[16384];

	snprintf(text, sizeof(text), "{\"rate\": %u, \"capture\": {\"channels\": %u}, "
	         "\"playback\": {\"channels\": %u}, \"pipeline\": [%s]}",
	         rate, capture, playback, blocks);
	return config_load_string(text, strlen(text), "t.conf", &cfg, &errs);
}

/* Parse and create the first block; fails the test when either fails. */
static inline struct fx *bt_create(unsigned rate, unsigned max_frames,
                                   unsigned channels, unsigned playback,
                                   const char *block,
                                   const _Atomic float *master)
{
	struct fx_env env = { rate, max_frames, channels, master, 0 };
	struct fx *fx = NULL;
	char err[256] = "";

	if (bt_load(rate, channels, playback, block) != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	if (fx_create(&cfg.blocks[0], &env, &fx, err, sizeof(err)) != 0)
		print_error("fx_create: %s\n", err);
	assert_non_null(fx);
	return fx;
}

#endif
