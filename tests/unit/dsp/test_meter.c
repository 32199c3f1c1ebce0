/* test_meter.c - peak/RMS/clip meters: known signals give known dBFS, the
 * history answers "since last call" and "last N ms", silence is a finite
 * floor, NaN never leaks into a reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "meter.h"

#define FRAMES 480

static float ch0[FRAMES], ch1[FRAMES];

static void sine(float *x, float amplitude, double cycles_per_block)
{
	for (int i = 0; i < FRAMES; i++)
		x[i] = amplitude * (float)sin(2.0 * M_PI * cycles_per_block * i / FRAMES);
}

static void push_block(struct meter_history *h, float clip_level)
{
	struct meter_block b;
	const float *bufs[2] = { ch0, ch1 };
	uint64_t clips[2] = { 3, 0 };

	meter_block_reset(&b, 2, 2);
	meter_block_add(&b, METER_TAP_CAPTURE, bufs, FRAMES, clip_level);
	meter_block_add(&b, METER_TAP_PLAYBACK, bufs, FRAMES, 0.0f);
	meter_block_add_clips(&b, METER_TAP_PLAYBACK, clips);
	meter_history_push(h, &b);
}

static struct meter_history hist;

static void test_sine_and_silence(void **state)
{
	struct meter_reading m;

	meter_history_init(&hist);
	sine(ch0, 0.5f, 10.0);               /* -6.02 dBFS peak, -9.03 dBFS RMS */
	for (int i = 0; i < FRAMES; i++)
		ch1[i] = 0.0f;
	push_block(&hist, 1.0f);
	meter_history_read(&hist, 0, FRAMES, FRAMES, &m);
	assert_int_equal(m.frames, FRAMES);
	assert_true(fabs(m.peak_dbfs[METER_TAP_CAPTURE][0] - -6.0206) < 0.01);
	assert_true(fabs(m.rms_dbfs[METER_TAP_CAPTURE][0] - -9.0309) < 0.01);
	assert_true(m.peak_dbfs[METER_TAP_CAPTURE][1] == METER_FLOOR_DB);
	assert_true(m.rms_dbfs[METER_TAP_CAPTURE][1] == METER_FLOOR_DB);
	assert_int_equal(m.clipped[METER_TAP_PLAYBACK][0], 3);
	assert_int_equal(m.clipped[METER_TAP_CAPTURE][0], 0);
}

static void test_clip_level_counts_full_scale(void **state)
{
	struct meter_reading m;

	meter_history_init(&hist);
	for (int i = 0; i < FRAMES; i++) {
		ch0[i] = (i % 4 == 0) ? -1.0f : 0.1f;   /* 120 full-scale samples */
		ch1[i] = 0.99f;
	}
	push_block(&hist, 32767.0f / 32768.0f);
	meter_history_read(&hist, 0, FRAMES, FRAMES, &m);
	assert_int_equal(m.clipped[METER_TAP_CAPTURE][0], FRAMES / 4);
	assert_int_equal(m.clipped[METER_TAP_CAPTURE][1], 0);
	assert_true(fabs(m.peak_dbfs[METER_TAP_CAPTURE][0]) < 1e-6);
}

static void test_since_last_call(void **state)
{
	struct meter_reading m;
	uint64_t since;

	meter_history_init(&hist);
	sine(ch0, 1.0f, 5.0);
	push_block(&hist, 0.0f);
	since = meter_history_read(&hist, 0, FRAMES, FRAMES, &m);
	sine(ch0, 0.1f, 5.0);                /* quieter afterwards */
	push_block(&hist, 0.0f);
	push_block(&hist, 0.0f);
	since = meter_history_read(&hist, since, FRAMES, FRAMES, &m);
	assert_int_equal(m.frames, 2 * FRAMES);
	assert_true(fabs(m.peak_dbfs[METER_TAP_CAPTURE][0] - -20.0) < 0.01);
	/* the hold looks at the newest block only: the quiet one */
	assert_true(fabs(m.peak_hold_dbfs[METER_TAP_CAPTURE][0] - -20.0) < 0.01);
	meter_history_read(&hist, since, FRAMES, 3 * FRAMES, &m);
	assert_true(fabs(m.peak_hold_dbfs[METER_TAP_CAPTURE][0]) < 0.01);
	/* nothing new: an empty reading, still finite */
	meter_history_read(&hist, since, FRAMES, FRAMES, &m);
	assert_int_equal(m.frames, 0);
	assert_true(m.rms_dbfs[METER_TAP_CAPTURE][0] == METER_FLOOR_DB);
}

static void test_window_and_overflowed_history(void **state)
{
	struct meter_reading m;

	meter_history_init(&hist);
	sine(ch0, 0.5f, 3.0);
	for (int i = 0; i < METER_HISTORY + 50; i++)
		push_block(&hist, 0.0f);
	/* a client that last read before the history wrapped gets what is kept */
	meter_history_read(&hist, 1, FRAMES, FRAMES, &m);
	assert_int_equal(m.frames, METER_HISTORY * FRAMES);
	/* window of 3 blocks */
	meter_history_read(&hist, 0, 3 * FRAMES, FRAMES, &m);
	assert_int_equal(m.frames, 3 * FRAMES);
}

static void test_nan_stays_out(void **state)
{
	struct meter_reading m;

	meter_history_init(&hist);
	sine(ch0, 0.5f, 3.0);
	ch0[7] = NAN;
	push_block(&hist, 1.0f);
	meter_history_read(&hist, 0, FRAMES, FRAMES, &m);
	assert_true(isfinite(m.peak_dbfs[METER_TAP_CAPTURE][0]));
	assert_true(isfinite(m.rms_dbfs[METER_TAP_CAPTURE][0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sine_and_silence),
		cmocka_unit_test(test_clip_level_counts_full_scale),
		cmocka_unit_test(test_since_last_call),
		cmocka_unit_test(test_window_and_overflowed_history),
		cmocka_unit_test(test_nan_stays_out),
	};

	return cmocka_run_group_tests_name("meter", tests, NULL, NULL);
}
