/* test_align.c - channels kept in step: the alignment block delays each
 * channel by its own count across period boundaries, and the pipeline
 * follows each channel's latency (a limiter's lookahead on some channels
 * only), appends the alignment that evens them out, aligns a mixer's
 * inputs before it, and reports the largest latency, not the sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "block_test.h"
#include "fx_align.h"
#include "pipeline.h"

#define FRAMES 64

static float rows[FX_MAX_CHANNELS][FRAMES];
static float *bufs[FX_MAX_CHANNELS];

/* An impulse on every channel at frame `at` of a run of periods; returns
 * where each channel's came out in frames[]. */
static void run_impulse(struct pipeline *p, struct fx *fx, unsigned channels,
                        unsigned at, unsigned periods, int *found)
{
	for (unsigned ch = 0; ch < channels; ch++)
		found[ch] = -1;
	for (unsigned n = 0; n < periods; n++) {
		for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++) {
			bufs[ch] = rows[ch];
			memset(rows[ch], 0, sizeof(rows[ch]));
			if (ch < channels && at >= n * FRAMES && at < (n + 1) * FRAMES)
				rows[ch][at - n * FRAMES] = 0.5f;
		}
		if (p)
			pipeline_process(p, bufs, FRAMES);
		else
			fx->ops->process(fx, bufs, FRAMES);
		for (unsigned ch = 0; ch < channels; ch++)
			for (unsigned i = 0; i < FRAMES; i++)
				if (rows[ch][i] > 0.25f && found[ch] < 0)
					found[ch] = (int)(n * FRAMES + i);
	}
}

static void test_align_block_delays(void **state)
{
	const unsigned delays[3] = { 0, 5, 100 };
	struct fx *fx;
	int found[3];

	assert_int_equal(fx_align_create(delays, 3, &fx), 0);
	assert_true(fx_is_align(fx));
	assert_int_equal(fx_align_delay(fx, 2), 100);
	assert_int_equal(fx->warmup_frames, 100);
	run_impulse(NULL, fx, 3, 30, 4, found);       /* 130 crosses periods */
	assert_int_equal(found[0], 30);
	assert_int_equal(found[1], 35);
	assert_int_equal(found[2], 130);
	fx->ops->destroy(fx);
	{
		const unsigned too_far[1] = { FX_ALIGN_MAX_FRAMES + 1 };

		assert_int_equal(fx_align_create(too_far, 1, &fx), -EINVAL);
	}
}

/* A limiter with a 1 ms lookahead (48 frames) on channel 0 of 3. */
static void test_pipeline_aligns_a_subset(void **state)
{
	struct pipeline *p;
	char err[256] = "";
	int found[3];

	if (bt_load(48000, 3, 3,
	        "{\"type\": \"limiter\", \"name\": \"l\", \"channels\": [0], "
	        "\"lookahead_ms\": 1, \"ceiling_db\": 0}") != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	assert_int_equal(pipeline_build(&cfg, 3, FRAMES, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p->fx[0]->latency_frames, 48);
	assert_int_equal(p->n_fx, 2);
	assert_true(fx_is_align(p->fx[1]));
	assert_int_equal(fx_align_delay(p->fx[1], 0), 0);
	assert_int_equal(fx_align_delay(p->fx[1], 1), 48);
	assert_int_equal(p->latency_frames, 48);
	run_impulse(p, NULL, 3, 10, 3, found);
	assert_int_equal(found[0], 58);
	assert_int_equal(found[1], 58);
	assert_int_equal(found[2], 58);
	pipeline_free(p);
}

/* Two limiters on different channels: the latency is the larger one, not
 * the sum; every channel already in step needs no alignment. */
static void test_parallel_branches_and_mixer(void **state)
{
	struct pipeline *p;
	char err[256] = "";

	assert_int_equal(bt_load(48000, 2, 2,
	        "{\"type\": \"limiter\", \"name\": \"a\", \"channels\": [0], \"lookahead_ms\": 1},"
	        "{\"type\": \"limiter\", \"name\": \"b\", \"channels\": [1], \"lookahead_ms\": 2},"
	        "{\"type\": \"mixer\", \"name\": \"m\", \"channels_in\": 2,"
	        " \"channels_out\": 2, \"routes\": [{\"out\": 0, \"in\": 0},"
	        " {\"out\": 0, \"in\": 1}, {\"out\": 1, \"in\": 1}]}"), 0);
	if (errs.count)
		bt_dump_errors();
	assert_int_equal(pipeline_build(&cfg, 2, FRAMES, NULL, &p, err, sizeof(err)), 0);
	/* a, b, the alignment before the mixer, the mixer; none at the end */
	assert_int_equal(p->n_fx, 4);
	assert_true(fx_is_align(p->fx[2]));
	assert_int_equal(fx_align_delay(p->fx[2], 0), 48);
	assert_int_equal(fx_align_delay(p->fx[2], 1), 0);
	assert_int_equal(p->latency_frames, 96);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_align_block_delays),
		cmocka_unit_test(test_pipeline_aligns_a_subset),
		cmocka_unit_test(test_parallel_branches_and_mixer),
	};

	return cmocka_run_group_tests_name("align", tests, NULL, NULL);
}
