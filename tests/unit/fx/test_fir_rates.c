/* test_fir_rates.c - unit tests for a FIR block's per-rate files: the
 * pipeline built for a rate loads the file "path" names for that rate (a
 * "{rate}" placeholder or a map), and a map without the rate fails with
 * the rate named (ir_load.c, config_fir_path()).  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "pipeline.h"
#include "rate_files.h"

static struct dspd_config cfg;

/* The FIR's taps in a pipeline built at rate (its warm-up is its length). */
static int taps_at(unsigned rate, char *err, size_t err_len)
{
	struct pipeline *p = NULL;
	int r;

	cfg.rate = rate;
	r = pipeline_build_for(&cfg, NULL, &p, err, err_len);
	if (r == 0)
		r = (int)p->fx[0]->warmup_frames;
	pipeline_free(p);
	return r;
}

static void test_placeholder_picks_the_rate(void **state)
{
	char err[256];

	(void)state;
	rate_wav("room-44100.wav", 100, 44100);
	rate_wav("room-48000.wav", 200, 48000);
	rate_config(&cfg, "{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", "
	            "\"path\": \"@/room-{rate}.wav\"}]}");
	assert_int_equal(taps_at(44100, err, sizeof(err)), 100);
	assert_int_equal(taps_at(48000, err, sizeof(err)), 200);
	assert_int_equal(taps_at(96000, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "room-96000.wav"));
}

static void test_map_picks_the_rate(void **state)
{
	char err[256];

	(void)state;
	rate_wav("a.wav", 300, 44100);
	rate_wav("b.wav", 400, 48000);
	rate_config(&cfg, "{\"pipeline\": [{\"type\": \"fir\", \"name\": \"r\", "
	            "\"path\": {\"44100\": \"@/a.wav\", \"48000\": \"@/b.wav\"}}]}");
	assert_int_equal(taps_at(44100, err, sizeof(err)), 300);
	assert_int_equal(taps_at(48000, err, sizeof(err)), 400);
	assert_int_equal(taps_at(88200, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "block \"r\": \"path\" names no IR file for "
	                            "88200 Hz (its map has no \"88200\")"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholder_picks_the_rate),
		cmocka_unit_test(test_map_picks_the_rate),
	};

	return cmocka_run_group_tests(tests, rate_dir_make, rate_dir_remove);
}
