/* test_transition.c - graph changes while a sine plays (transition.c):
 * state hand-over, shadow warm-up, the crossfade, newest-wins submission
 * and freeing on the control side.  Click-free is measured the way a
 * listener would notice a click: the largest sample-to-sample step and
 * the energy above 5 kHz around the change. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "biquad_design.h"
#include "config.h"
#include "pipeline.h"
#include "transition.h"

#define RATE 48000
#define PERIOD 256
#define TONE_HZ 1000.0
#define AMP 0.5
#define MAX_FRAMES (RATE * 4)

static float input[MAX_FRAMES], output[MAX_FRAMES], reference[MAX_FRAMES];

static void make_tone(void)
{
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		input[i] = (float)(AMP * sin(2.0 * M_PI * TONE_HZ * i / RATE));
}

/* A mono pipeline from a "pipeline" array and the transition settings. */
static struct pipeline *build(const char *blocks, double fade_ms,
                              const char *curve)
{
	static struct dspd_config cfg;
	struct cfg_errors errs;
	struct pipeline *p = NULL;
	static char text[131072];
	char err[256] = "";

	snprintf(text, sizeof(text), "{\"rate\": %d, \"period_frames\": %d, "
	         "\"capture\": {\"channels\": 1}, \"playback\": {\"channels\": 1}, "
	         "\"transition\": {\"crossfade_ms\": %g, \"curve\": \"%s\"}, "
	         "\"pipeline\": [%s]}", RATE, PERIOD, fade_ms, curve, blocks);
	if (config_load_string(text, strlen(text), "t.conf", &cfg, &errs) != 0) {
		for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
			print_error("%s\n", errs.msg[i]);
		fail();
	}
	if (pipeline_build_for(&cfg, NULL, &p, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		fail();
	}
	pipeline_plan_from_config(&p->plan, &cfg);
	return p;
}

/* Run input[from, to) through t into out, a period at a time. */
static void run(struct transition *t, float *out, unsigned from, unsigned to)
{
	static float rows[FX_MAX_CHANNELS][PERIOD];
	float *bufs[FX_MAX_CHANNELS];

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	for (unsigned i = from; i < to; i += PERIOD) {
		memcpy(rows[0], input + i, PERIOD * sizeof(float));
		transition_process(t, NULL, bufs, PERIOD, 0);
		memcpy(out + i, rows[0], PERIOD * sizeof(float));
		transition_collect(t);   /* the control thread's part */
	}
}

/* Output of one pipeline alone over the whole input. */
static void run_alone(const char *blocks, float *out, unsigned frames)
{
	struct transition t;

	assert_int_equal(transition_init(&t, build(blocks, 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, out, 0, frames);
	transition_free(&t);
}

static double largest_step(const float *y, unsigned from, unsigned to)
{
	double worst = 0.0;

	for (unsigned i = from + 1; i < to; i++)
		worst = fmax(worst, fabs((double)y[i] - y[i - 1]));
	return worst;
}

/* Energy above 5 kHz relative to all, in dB, of a Hann-windowed stretch
 * of n frames from `from` (a plain DFT: n is small). */
static double energy_above_5k_db(const float *y, unsigned from, unsigned n)
{
	double high = 1e-30, all = 1e-30;

	for (unsigned k = 1; k < n / 2; k++) {
		double re = 0.0, im = 0.0, power;

		for (unsigned i = 0; i < n; i++) {
			double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / n);
			double phase = 2.0 * M_PI * k * i / n;

			re += w * y[from + i] * cos(phase);
			im -= w * y[from + i] * sin(phase);
		}
		power = re * re + im * im;
		all += power;
		if ((double)k * RATE / n > 5000.0)
			high += power;
	}
	return 10.0 * log10(high / all);
}

/* The steepest a sine of amplitude `gain` * AMP can move per sample, plus
 * what a crossfade of fade frames between gains g0 and g1 can add (the
 * curve's slope is at most pi/2 per fade length). */
static double step_bound(double gain, double g0, double g1, unsigned fade)
{
	return AMP * gain * 2.0 * sin(M_PI * TONE_HZ / RATE) +
	       AMP * fabs(g1 - g0) * M_PI / 2.0 / fade + 1e-6;
}

static void wait_idle(struct transition *t, unsigned *pos, unsigned limit)
{
	struct transition_status st;

	do {
		run(t, output, *pos, *pos + PERIOD);
		*pos += PERIOD;
		transition_status(t, &st);
	} while ((st.phase != TRANSITION_IDLE || st.pending) && *pos < limit);
	assert_int_equal(st.phase, TRANSITION_IDLE);
}

#define GAIN_BLOCK(db) "{\"type\": \"gain\", \"name\": \"g\", \"db\": " #db "}"

static void test_gain_change_is_click_free(void **state)
{
	struct transition t;
	struct transition_status st;
	unsigned pos = 40 * PERIOD + 0, swap = 40 * PERIOD, fade = RATE / 50;
	double g0 = pow(10.0, -60.0 / 20.0);

	(void)state;
	assert_int_equal(transition_init(&t, build(GAIN_BLOCK(-60), 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, build(GAIN_BLOCK(0), 20, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	run(&t, output, pos, pos + 20 * PERIOD);
	transition_status(&t, &st);
	assert_int_equal(st.active_generation, 2);
	assert_int_equal(st.completed, 1);
	/* a gain has no state to warm up: the fade starts at the boundary */
	assert_true(pos - swap <= fade + PERIOD);
	assert_true(largest_step(output, swap - 1, pos) <= step_bound(1.0, g0, 1.0, fade));
	assert_true(energy_above_5k_db(output, swap - 1024, 4096) < -80.0);
	/* and then exactly the new graph */
	for (unsigned i = pos; i < pos + 20 * PERIOD; i++)
		assert_float_equal(output[i], input[i], 0.0);
	transition_free(&t);
}

/* The same change without a crossfade is a click the metrics catch. */
static void test_hard_switch_is_caught(void **state)
{
	struct transition t;
	unsigned swap = 40 * PERIOD + 0, pos = swap;

	(void)state;
	assert_int_equal(transition_init(&t, build(GAIN_BLOCK(-60), 0, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, build(GAIN_BLOCK(0), 0, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	run(&t, output, pos, pos + 20 * PERIOD);
	/* the tone is near its peak at frame 10240: a jump of ~0.4 */
	print_message("hard switch: step %.4f, above 5 kHz %.1f dB\n",
	              largest_step(output, swap - 1, swap + 2),
	              energy_above_5k_db(output, swap - 1024, 4096));
	assert_true(largest_step(output, swap - 1, swap + 2) > 0.2);
	assert_true(energy_above_5k_db(output, swap - 1024, 4096) > -60.0);
	transition_free(&t);
}

#define PEQ1(gain) "{\"type\": \"peq\", \"name\": \"eq\", \"bands\": [" \
	"{\"kind\": \"peaking\", \"freq\": 1000, \"q\": 2, \"gain_db\": " #gain "}]}"
#define PEQ2 "{\"type\": \"peq\", \"name\": \"eq\", \"bands\": [" \
	"{\"kind\": \"peaking\", \"freq\": 1000, \"q\": 2, \"gain_db\": -6}," \
	"{\"kind\": \"highpass\", \"freq\": 80, \"q\": 0.707}]}"

/* A band's gain moves: same sections, so the filter history is kept and
 * nothing needs warming up. */
static void test_parameter_change_keeps_state(void **state)
{
	struct transition t;
	unsigned swap = 100 * PERIOD + 77 * 0, pos = swap, fade = RATE / 50;
	double g_old = pow(10.0, -6.0 / 20.0), g_new = pow(10.0, -3.0 / 20.0);

	(void)state;
	assert_int_equal(transition_init(&t, build(PEQ1(-6), 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, build(PEQ1(-3), 20, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	assert_true(pos - swap <= fade + PERIOD);           /* no warm-up */
	run(&t, output, pos, pos + 40 * PERIOD);
	assert_true(largest_step(output, swap - 1, pos) <= step_bound(g_new, g_old, g_new, fade) + 1e-3);
	assert_true(energy_above_5k_db(output, swap - 1024, 4096) < -80.0);
	run_alone(PEQ1(-3), reference, pos + 40 * PERIOD);
	/* shortly after, the same as the new filter having always run */
	for (unsigned i = pos + 20 * PERIOD; i < pos + 40 * PERIOD; i++)
		assert_float_equal(output[i], reference[i], 1e-4);
	transition_free(&t);
}

/* A band is added: the section count differs, the new filter starts from
 * silence in the shadow and is heard only once it has settled. */
static void test_added_band_warms_up(void **state)
{
	struct transition t;
	struct transition_status st;
	unsigned swap = 100 * PERIOD, pos = swap;
	struct pipeline *next = build(PEQ2, 20, "equal_gain");
	uint32_t warmup = next->fx[0]->warmup_frames;

	(void)state;
	assert_true(warmup > RATE / 100);      /* the 80 Hz high-pass rings */
	assert_int_equal(transition_init(&t, build(PEQ1(-6), 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, next);
	run(&t, output, pos, pos + PERIOD);
	pos += PERIOD;
	transition_status(&t, &st);
	assert_int_equal(st.phase, TRANSITION_WARMUP);
	wait_idle(&t, &pos, MAX_FRAMES);
	assert_true(pos - swap >= warmup);
	run(&t, output, pos, pos + 20 * PERIOD);
	run_alone(PEQ2, reference, pos + 20 * PERIOD);
	for (unsigned i = pos; i < pos + 20 * PERIOD; i++)
		assert_float_equal(output[i], reference[i], 1e-3);
	assert_true(largest_step(output, swap - 1, pos) <= step_bound(1.0, 0.5, 1.0, RATE / 50));
	assert_true(energy_above_5k_db(output, pos - 2048 - RATE / 50, 4096) < -80.0);
	transition_free(&t);
}

/* A FIR block reading an exponentially decaying IR of `taps` taps from a
 * raw float file written here. */
static void fir_block(char *out, size_t size, unsigned taps, double decay)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_transition.%d.%u.f32", (int)getpid(), taps);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (unsigned i = 0; i < taps; i++) {
		float v = (float)(0.3 * exp(-decay * i) * cos(0.05 * i));

		assert_int_equal(fwrite(&v, sizeof(v), 1, f), 1);
	}
	fclose(f);
	snprintf(out, size, "{\"type\": \"fir\", \"name\": \"room\", \"path\": \"%s\", "
	         "\"format\": \"f32le\"}", path);
}

static void fir_cleanup(unsigned taps)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/test_transition.%d.%u.f32", (int)getpid(), taps);
	unlink(path);
}

/* A new FIR runs in the shadow for its length: once heard it is exactly
 * the filter that had always run. */
static void test_fir_swap_is_exact_after_warmup(void **state)
{
	char pa[256], pb[256];
	struct transition t;
	unsigned swap = 50 * PERIOD, pos = swap;

	(void)state;
	fir_block(pa, sizeof(pa), 2000, 0.002);
	fir_block(pb, sizeof(pb), 3000, 0.001);
	assert_int_equal(transition_init(&t, build(pa, 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, build(pb, 20, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	assert_true(pos - swap >= 3000);
	run(&t, output, pos, pos + 20 * PERIOD);
	run_alone(pb, reference, pos + 20 * PERIOD);
	for (unsigned i = pos; i < pos + 20 * PERIOD; i++)
		assert_float_equal(output[i], reference[i], 1e-5);
	assert_true(energy_above_5k_db(output, pos - 2048 - RATE / 50, 4096) < -80.0);
	transition_free(&t);
	fir_cleanup(2000);
	fir_cleanup(3000);
}

/* Swap "gain g 0 dB" for -1 dB beside a FIR; returns the frames the
 * transition took and leaves the output from then on compared with the
 * new pipeline having always run. */
static unsigned gain_change_beside_fir(bool fir_first)
{
	char fir[256], before[600], after[600];
	struct transition t;
	unsigned swap = 50 * PERIOD, pos = swap;

	fir_block(fir, sizeof(fir), 3000, 0.001);
	snprintf(before, sizeof(before), "%s, %s", fir_first ? fir : GAIN_BLOCK(0),
	         fir_first ? GAIN_BLOCK(0) : fir);
	snprintf(after, sizeof(after), "%s, %s", fir_first ? fir : GAIN_BLOCK(-1),
	         fir_first ? GAIN_BLOCK(-1) : fir);
	assert_int_equal(transition_init(&t, build(before, 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, swap);
	transition_submit(&t, build(after, 20, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	run(&t, output, pos, pos + 20 * PERIOD);
	run_alone(after, reference, pos + 20 * PERIOD);
	for (unsigned i = pos; i < pos + 20 * PERIOD; i++)
		assert_float_equal(output[i], reference[i], 1e-5);
	transition_free(&t);
	fir_cleanup(3000);
	return pos - swap;
}

/* A FIR before the change keeps its history (its input did not change):
 * nothing warms up.  A FIR after it must hear its length of the new input
 * before it is heard, or the old input still in its history would sound
 * as a hard switch filtered by the FIR.  Either way the result is then
 * exactly the new pipeline. */
static void test_fir_before_and_after_a_change(void **state)
{
	unsigned fade = RATE / 50;

	(void)state;
	assert_true(gain_change_beside_fir(true) <= fade + PERIOD);
	assert_true(gain_change_beside_fir(false) >= 3000 + fade);
}

/* Newest wins: graphs submitted before the RT thread took them are freed
 * at once (ASan checks), one in the shadow is replaced. */
static void test_newest_wins(void **state)
{
	char pa[256];
	struct transition t;
	struct transition_status st;
	unsigned pos = 10 * PERIOD;

	(void)state;
	fir_block(pa, sizeof(pa), 2000, 0.002);
	assert_int_equal(transition_init(&t, build(GAIN_BLOCK(0), 20, "equal_gain"), 1, PERIOD), 0);
	run(&t, output, 0, pos);
	for (int db = -10; db < 0; db++) {
		char block[128];

		snprintf(block, sizeof(block), "{\"type\": \"gain\", \"name\": \"g\", \"db\": %d}", db);
		transition_submit(&t, build(block, 20, "equal_gain"));
	}
	transition_status(&t, &st);
	assert_true(st.pending);
	assert_int_equal(st.latest_generation, 11);
	wait_idle(&t, &pos, MAX_FRAMES);
	transition_status(&t, &st);
	assert_int_equal(st.active_generation, 11);
	assert_int_equal(st.completed, 1);
	/* a FIR warming up is replaced by the next graph: never heard */
	transition_submit(&t, build(pa, 20, "equal_gain"));
	run(&t, output, pos, pos + PERIOD);
	pos += PERIOD;
	transition_status(&t, &st);
	assert_int_equal(st.phase, TRANSITION_WARMUP);
	transition_submit(&t, build(GAIN_BLOCK(-1), 20, "equal_gain"));
	wait_idle(&t, &pos, MAX_FRAMES);
	transition_status(&t, &st);
	assert_int_equal(st.superseded, 1);
	assert_int_equal(st.active_generation, 13);
	transition_free(&t);
	fir_cleanup(2000);
}

/* Two graphs fed the same input are correlated: equal gain keeps their
 * sum's amplitude, equal power swells it by up to 3 dB. */
static void test_curves(void **state)
{
	static const char *const curves[] = { "equal_gain", "equal_power" };
	const double expect_peak[] = { 1.0, sqrt(2.0) };

	(void)state;
	for (int c = 0; c < 2; c++) {
		struct transition t;
		unsigned swap = 20 * PERIOD, pos = swap;
		double worst = 0.0;

		assert_int_equal(transition_init(&t, build(GAIN_BLOCK(0), 100, curves[c]), 1, PERIOD), 0);
		run(&t, output, 0, swap);
		transition_submit(&t, build(GAIN_BLOCK(0), 100, curves[c]));
		wait_idle(&t, &pos, MAX_FRAMES);
		for (unsigned i = swap; i < pos; i++)
			if (fabs(input[i]) > 0.1)
				worst = fmax(worst, output[i] / input[i]);
		print_message("%s: largest gain during the fade %.4f\n", curves[c], worst);
		assert_float_equal(worst, expect_peak[c], 0.01);
		transition_free(&t);
	}
}

static void test_bypass(void **state)
{
	struct transition t;
	struct pipeline *p = build("{\"type\": \"gain\", \"name\": \"g\", \"db\": -20, "
	                           "\"bypass\": true}, {\"type\": \"limiter\", \"name\": \"l\", "
	                           "\"bypass\": true}", 20, "equal_gain");

	(void)state;
	assert_int_equal(p->latency_frames, 0);
	assert_int_equal(transition_init(&t, p, 1, PERIOD), 0);
	run(&t, output, 0, 10 * PERIOD);
	for (unsigned i = 0; i < 10 * PERIOD; i++)
		assert_float_equal(output[i], input[i], 0.0);
	transition_free(&t);
}

/* The decay estimate covers the measured ring-out of the filter without
 * overstating it by much (it assumes a pole residue of 1: a peaking
 * filter's is smaller, so it ends earlier). */
static void test_decay_estimate(void **state)
{
	static const double freqs[] = { 20.0, 80.0, 1000.0 };

	(void)state;
	for (unsigned f = 0; f < 3; f++) {
		double param[BQK_N];
		struct biquad_coef c;
		char why[128];
		double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
		unsigned last = 0;
		uint32_t estimate;

		memcpy(param, biquad_key_defaults, sizeof(param));
		param[BQK_FREQ] = freqs[f];
		param[BQK_Q] = 4.0;
		param[BQK_GAIN_DB] = 9.0;
		assert_int_equal(biquad_design(BQ_PEAKING, param, RATE, &c, why, sizeof(why)), 0);
		for (unsigned n = 0; n < 10 * RATE; n++) {
			double x = n == 0 ? 1.0 : 0.0;
			double y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;

			x2 = x1, x1 = x, y2 = y1, y1 = y;
			if (fabs(y) > 1e-4 && n > 0)
				last = n;
		}
		estimate = biquad_decay_frames(&c, 1, 1e-4);
		print_message("%g Hz: rings %u frames, estimate %u\n", freqs[f], last, estimate);
		assert_true(estimate >= last);
		assert_true(estimate <= 6 * last + 16);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gain_change_is_click_free),
		cmocka_unit_test(test_hard_switch_is_caught),
		cmocka_unit_test(test_parameter_change_keeps_state),
		cmocka_unit_test(test_added_band_warms_up),
		cmocka_unit_test(test_fir_swap_is_exact_after_warmup),
		cmocka_unit_test(test_fir_before_and_after_a_change),
		cmocka_unit_test(test_newest_wins),
		cmocka_unit_test(test_curves),
		cmocka_unit_test(test_bypass),
		cmocka_unit_test(test_decay_estimate),
	};

	make_tone();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
