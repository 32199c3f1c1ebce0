/* test_response.c - each block type's own response (fx_response.h) and a
 * pipeline's (pipeline_response.h) against values computed here: textbook
 * prototypes through the bilinear transform (biquad_test.h), the ideal
 * Butterworth magnitude, a naive DTFT of FIR and interpolator taps,
 * e^(-jwd) for delays, the route gains of a mixer; group delays against a
 * central difference of the phase; the Linkwitz-Riley crossover's ways
 * summed by a mixer (a flat allpass with the second-order allpass's
 * phase); the paths and channels that carry nothing.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "biquad_test.h"
#include "block_test.h"
#include "fx_delay.h"
#include "fx_response.h"
#include "pipeline.h"
#include "pipeline_response.h"

#define RATE 48000
#define N 64

static double w[N], hz[N];
static double complex h[N], dh[N];

/* 10 Hz .. 0.45 x the rate, log-spaced */
static void setup_freqs(void)
{
	for (int i = 0; i < N; i++) {
		hz[i] = 10.0 * pow(0.45 * RATE / 10.0, i / (N - 1.0));
		w[i] = 2 * M_PI * hz[i] / RATE;
	}
}

static struct fx *block(unsigned channels, const char *text)
{
	setup_freqs();
	return bt_create(RATE, 256, channels, channels, text, NULL);
}

/* The group delay of the path against -dphase/dw from H itself. */
static void expect_group_delay(const struct fx *fx, unsigned ch)
{
	for (int i = 0; i < N; i += 7) {
		double e = 1e-6, we[2] = { w[i] - e, w[i] + e };
		double complex he[2], dhe[2];

		assert_true(fx_response(fx, ch, ch, we, 2, he, dhe));
		if (cabs(h[i]) < 1e-6)
			continue;
		double want = -carg(he[1] / he[0]) / (2 * e);
		double got = -cimag(dh[i] / h[i]);

		if (fabs(got - want) > 1e-4 * (1 + fabs(want)))
			fail_msg("%s at %.1f Hz: group delay %g, want %g samples",
			         fx->name, hz[i], got, want);
	}
}

static void expect_near(double complex got, double complex want, double tol,
                        const char *what, int i)
{
	if (cabs(got - want) > tol * (1 + cabs(want)))
		fail_msg("%s at %.2f Hz: got %g%+gj, want %g%+gj", what, hz[i],
		         creal(got), cimag(got), creal(want), cimag(want));
}

static void test_gain(void **state)
{
	struct fx *fx = block(3, "{\"type\":\"gain\",\"name\":\"g\",\"db\":-6.5,"
	                         "\"invert\":true,\"channels\":[1]}");
	float g = (float)pow(10.0, -6.5 / 20);

	(void)state;
	assert_true(fx_response(fx, 1, 1, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_near(h[i], -g, 1e-12, "inverted gain", i);
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));   /* outside the mask */
	expect_near(h[5], 1.0, 0, "channel 0", 5);
	assert_false(fx_response(fx, 0, 1, w, N, h, dh));  /* no cross path */
	assert_false(fx_response_level_dependent(fx));
	fx->ops->destroy(fx);
	fx = block(2, "{\"type\":\"gain\",\"name\":\"m\",\"db\":0,\"mute\":true}");
	assert_true(fx_response(fx, 1, 1, w, N, h, dh));
	assert_true(h[3] == 0.0);                          /* a path with nothing */
	fx->bypass = true;                                 /* bypassed: unchanged */
	assert_true(fx_response(fx, 1, 1, w, N, h, dh));
	assert_true(h[3] == 1.0);
	fx->ops->destroy(fx);
}

static void test_butterworth_magnitude(void **state)
{
	struct fx *fx = block(2, "{\"type\":\"butterworth\",\"name\":\"bw\","
	                         "\"kind\":\"lowpass\",\"order\":5,\"freq\":1000}");

	(void)state;
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++) {
		double want = butterworth_db(0, 5, hz[i], 1000, RATE);

		if (want > -120 && fabs(db(h[i]) - want) > 1e-6)
			fail_msg("%.1f Hz: %g dB, want %g", hz[i], db(h[i]), want);
	}
	expect_group_delay(fx, 0);
	fx->ops->destroy(fx);
}

static void test_peq_and_biquad_against_prototype(void **state)
{
	struct fx *fx = block(1, "{\"type\":\"peq\",\"name\":\"eq\",\"bands\":["
	                         "{\"kind\":\"peaking\",\"freq\":120,\"q\":3,\"gain_db\":-7},"
	                         "{\"kind\":\"highshelf\",\"freq\":6000,\"q\":0.7,\"gain_db\":4}]}");
	struct shape pk = { .kind = BQ_PEAKING, .freq = 120, .q = 3, .gain_db = -7, .rate = RATE };
	struct shape hs = { .kind = BQ_HIGHSHELF, .freq = 6000, .q = 0.7, .gain_db = 4, .rate = RATE };

	(void)state;
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_response(h[i], analytic(&pk, hz[i]) * analytic(&hs, hz[i]), hz[i],
		                "peq", 1e-6, 1e-5);
	expect_group_delay(fx, 0);
	fx->ops->destroy(fx);
	fx = block(1, "{\"type\":\"biquad\",\"name\":\"n\",\"kind\":\"notch\","
	              "\"freq\":3000,\"q\":4}");
	pk = (struct shape){ .kind = BQ_NOTCH, .freq = 3000, .q = 4, .rate = RATE };
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_response(h[i], analytic(&pk, hz[i]), hz[i], "notch", 1e-6, 1e-5);
	fx->ops->destroy(fx);
}

/* Its bands' peaking sections, at the band centres and Q of the octave
 * resolution. */
static void test_geq_is_its_peaks(void **state)
{
	char text[1024];
	unsigned bands = geq_band_count(GEQ_OCTAVE);
	int len = snprintf(text, sizeof(text), "{\"type\":\"geq\",\"name\":\"geq\","
	                   "\"resolution\":\"octave\",\"bands\":[");
	struct fx *fx;

	(void)state;
	for (unsigned i = 0; i < bands; i++)
		len += snprintf(text + len, sizeof(text) - len, "%s%d", i ? "," : "",
		                (int)(i % 5) - 2);
	snprintf(text + len, sizeof(text) - len, "]}");
	fx = block(1, text);
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++) {
		double complex want = 1.0;

		for (unsigned b = 0; b < bands; b++) {
			struct shape pk = { .kind = BQ_PEAKING, .freq = geq_band_freq(GEQ_OCTAVE, b),
			                    .q = geq_band_q(GEQ_OCTAVE),
			                    .gain_db = (int)(b % 5) - 2, .rate = RATE };

			if (pk.freq < RATE / 2.0)
				want *= analytic(&pk, hz[i]);
		}
		expect_response(h[i], want, hz[i], "geq", 1e-6, 1e-5);
	}
	expect_group_delay(fx, 0);
	fx->ops->destroy(fx);
}

static double complex naive(const float *t, size_t n, double wi)
{
	double complex s = 0.0;

	for (size_t k = 0; k < n; k++)
		s += t[k] * cexp(-I * wi * (double)k);
	return s;
}

static void test_fir_taps(void **state)
{
	float taps[5] = { 0.5f, -0.25f, 0.125f, 0.75f, -0.1f };
	struct fx *fx = block(2, "{\"type\":\"fir\",\"name\":\"f\",\"values\":"
	                         "[0.5,-0.25,0.125,0.75,-0.1],\"channels\":[1]}");

	(void)state;
	assert_true(fx_response(fx, 1, 1, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_near(h[i], naive(taps, 5, w[i]), 1e-12, "fir", i);
	expect_group_delay(fx, 1);
	assert_int_equal(fx->latency_frames, 0);
	assert_int_equal(fx_response_cost(fx), 5);
	fx->ops->destroy(fx);
}

static void test_delay_whole_and_fraction(void **state)
{
	struct fx *fx = block(1, "{\"type\":\"delay\",\"name\":\"d\",\"value\":7,"
	                         "\"unit\":\"samples\"}");
	float taps[FX_DELAY_FRAC_TAPS];

	(void)state;
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_near(h[i], cexp(-I * w[i] * 7), 1e-12, "delay 7", i);
	fx->ops->destroy(fx);
	fx = block(1, "{\"type\":\"delay\",\"name\":\"d\",\"value\":20.3,\"unit\":\"samples\"}");
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	fx_delay_design_fraction(0.3, taps);
	for (int i = 0; i < N; i++) {
		/* exactly what runs: the ring's 5 samples, then the taps */
		expect_near(h[i], cexp(-I * w[i] * 5) * naive(taps, FX_DELAY_FRAC_TAPS, w[i]),
		            1e-6, "delay 20.3", i);
		/* and within the promised accuracy of the ideal delay */
		if (hz[i] <= 0.4 * RATE) {
			assert_true(fabs(db(h[i])) < 0.01);
			assert_true(fabs(-cimag(dh[i] / h[i]) - 20.3) < 0.01);
		}
	}
	expect_group_delay(fx, 0);
	fx->ops->destroy(fx);
}

static void test_mixer_routes(void **state)
{
	struct fx *fx = block(2, "{\"type\":\"mixer\",\"name\":\"m\",\"channels_in\":2,"
	                         "\"channels_out\":3,\"routes\":["
	                         "{\"in\":0,\"out\":0,\"gain_db\":-6},"
	                         "{\"in\":1,\"out\":0,\"invert\":true},"
	                         "{\"in\":1,\"out\":2,\"gain_db\":3}]}");
	double complex th[N], tdh[N];

	(void)state;
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	expect_near(h[9], (float)pow(10, -6 / 20.0), 1e-12, "0 -> 0", 9);
	assert_true(fx_response(fx, 0, 1, w, N, h, dh));
	expect_near(h[9], -1.0, 1e-12, "1 -> 0", 9);
	assert_false(fx_response(fx, 1, 0, w, N, h, dh));
	assert_false(fx_response(fx, 1, 1, w, N, h, dh));  /* output 1: silence */
	assert_true(fx_response(fx, 2, 1, w, N, h, dh));
	expect_near(h[9], (float)pow(10, 3 / 20.0), 1e-12, "1 -> 2", 9);
	/* the block's own curve of an output: its routes with the same input */
	assert_true(pipeline_block_response(fx, 0, w, N, h, dh, th, tdh));
	expect_near(h[9], (float)pow(10, -6 / 20.0) - 1.0, 1e-12, "output 0", 9);
	assert_false(pipeline_block_response(fx, 1, w, N, h, dh, th, tdh));
	fx->ops->destroy(fx);
}

static void test_dynamics_small_signal(void **state)
{
	struct fx *fx = block(2, "{\"type\":\"compressor\",\"name\":\"c\","
	                         "\"threshold_db\":-20,\"ratio\":4,\"makeup_gain_db\":4}");

	(void)state;
	assert_true(fx_response(fx, 1, 1, w, N, h, dh));
	expect_near(h[2], (float)pow(10, 4 / 20.0), 1e-12, "makeup", 2);
	assert_true(fx_response_level_dependent(fx));
	fx->ops->destroy(fx);
	fx = block(2, "{\"type\":\"limiter\",\"name\":\"l\",\"lookahead_ms\":1}");
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_near(h[i], cexp(-I * w[i] * 48), 1e-12, "lookahead", i);
	assert_true(fx_response_level_dependent(fx));
	fx->ops->destroy(fx);
	fx = block(2, "{\"type\":\"gate\",\"name\":\"g\",\"threshold_db\":-50}");
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	expect_near(h[30], 1.0, 0, "open gate", 30);
	assert_true(fx_response_level_dependent(fx));
	fx->ops->destroy(fx);
}

static void test_identity_blocks(void **state)
{
	static const char *const blocks[] = {
		"{\"type\":\"meter\",\"name\":\"m\"}",
		"{\"type\":\"dither\",\"name\":\"d\",\"bits\":16}",
	};

	(void)state;
	for (int b = 0; b < 2; b++) {
		struct fx *fx = block(2, blocks[b]);

		assert_true(fx_response(fx, 1, 1, w, N, h, dh));
		expect_near(h[40], 1.0, 0, blocks[b], 40);
		assert_true(dh[40] == 0.0);
		assert_false(fx_response(fx, 0, 1, w, N, h, dh));
		fx->ops->destroy(fx);
	}
}

/* A LADSPA plugin is measured through an instance of its own: amp_stereo
 * with Gain 0.5 is 0.5 on each channel, nothing across; swh's
 * Butterworth low-pass what it does (its level
 * as a sine through the block's own instance finds it).  Skipped without ladspa-sdk's amp.so. */
static void test_ladspa_measured(void **state)
{
	struct fx *fx;

	(void)state;
	if (access("/usr/lib/ladspa/amp.so", R_OK) != 0) {
		print_message("    skipped: /usr/lib/ladspa/amp.so is not installed\n");
		return;
	}
	fx = block(2, "{\"type\": \"ladspa\", \"name\": \"s\", \"label\": \"amp_stereo\", "
	              "\"controls\": {\"Gain\": 0.5}}");
	assert_true(fx_response_level_dependent(fx));
	for (unsigned ch = 0; ch < 2; ch++) {
		assert_true(fx_response(fx, ch, ch, w, N, h, dh));
		for (int i = 0; i < N; i++)
			expect_near(h[i], 0.5, 1e-6, "amp_stereo", i);
	}
	assert_false(fx_response(fx, 0, 1, w, N, h, dh));
	fx->ops->destroy(fx);
	if (access("/usr/lib/ladspa/butterworth_1902.so", R_OK) != 0)
		return;
	for (int i = 20; i < N; i += 10) {
		/* a sine through the block's own running instance, about 1 s */
		static float row[187 * 256];
		double in_sq = 0, out_sq = 0;

		fx = block(1, "{\"type\": \"ladspa\", \"name\": \"lp\", \"label\": \"buttlow_iir\", "
		              "\"controls\": {\"Cutoff Frequency (Hz)\": 1000, \"Resonance\": 0.7071}}");
		assert_true(fx_response(fx, 0, 0, w, N, h, dh));
		for (int k = 0; k < 187 * 256; k++)
			row[k] = (float)(0.001 * sin(w[i] * k));
		for (int k = 0; k < 187 * 256; k += 256) {
			float *bufs[1] = { row + k };

			fx->ops->process(fx, bufs, 256);
		}
		for (int k = 90 * 256; k < 187 * 256; k++) {
			double x = 0.001 * sin(w[i] * k);

			in_sq += x * x;
			out_sq += (double)row[k] * row[k];
		}
		if (fabs(10 * log10(out_sq / in_sq) - db(h[i])) > 0.05)
			fail_msg("buttlow_iir at %.1f Hz: response %g dB, a sine %g dB", hz[i],
			         db(h[i]), 10 * log10(out_sq / in_sq));
		fx->ops->destroy(fx);
	}
}

static void test_loudness_comp_follows_the_volume(void **state)
{
	_Atomic float master = (float)pow(10, -10 / 20.0);   /* half the boost */
	struct fx *fx;
	struct shape lo = { .kind = BQ_LOWSHELF, .freq = 70, .q = M_SQRT1_2,
	                    .gain_db = 0.5 * 12, .rate = RATE };
	struct shape hi = { .kind = BQ_HIGHSHELF, .freq = 3500, .q = M_SQRT1_2,
	                    .gain_db = 0.5 * 6, .rate = RATE };

	(void)state;
	setup_freqs();
	fx = bt_create(RATE, 256, 2, 2, "{\"type\":\"loudness_comp\",\"name\":\"lc\","
	               "\"reference_db\":0,\"low_boost_db\":12,\"high_boost_db\":6}", &master);
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	for (int i = 0; i < N; i++)
		expect_response(h[i], analytic(&lo, hz[i]) * analytic(&hi, hz[i]), hz[i],
		                "loudness_comp", 1e-3, 1e-2);
	master = 1.0f;                                /* at the reference: flat */
	assert_true(fx_response(fx, 0, 0, w, N, h, dh));
	expect_near(h[3], 1.0, 0, "at the reference", 3);
	fx->ops->destroy(fx);
}

/* A pipeline from config text (capture and playback channels). */
static struct pipeline *build(unsigned cap, unsigned play, const char *blocks)
{
	struct pipeline *p = NULL;
	char err[256] = "";

	setup_freqs();
	if (bt_load(RATE, cap, play, blocks) != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	if (pipeline_build_for(&cfg, NULL, &p, err, sizeof(err)) != 0)
		fail_msg("pipeline_build_for: %s", err);
	return p;
}

/* LR4 low + high summed by a mixer: |H| = 1 everywhere, and its phase is
 * the second-order allpass (s^2 - sqrt2 s + 1) / (s^2 + sqrt2 s + 1) at
 * s = j tan(w/2) / tan(wc/2). */
static void test_crossover_sum_is_allpass(void **state)
{
	struct pipeline *p = build(2, 1,
		"{\"type\":\"linkwitz_riley\",\"name\":\"lo\",\"kind\":\"lowpass\",\"order\":4,"
		"\"freq\":2000,\"channels\":[0]},"
		"{\"type\":\"linkwitz_riley\",\"name\":\"hi\",\"kind\":\"highpass\",\"order\":4,"
		"\"freq\":2000,\"channels\":[1]},"
		"{\"type\":\"mixer\",\"name\":\"sum\",\"channels_in\":2,\"channels_out\":1,"
		"\"routes\":[{\"in\":0,\"out\":0},{\"in\":1,\"out\":0}]}");
	struct pipeline_response r;

	(void)state;
	assert_int_equal(pipeline_response(p, w, N, PIPELINE_RESPONSE_ALL_INPUTS, &r), 0);
	assert_int_equal(r.channels, 1);
	assert_int_equal(r.inputs[0], 3);
	for (int i = 0; i < N; i++) {
		double complex s = I * tan(w[i] / 2) / tan(M_PI * 2000 / RATE);
		double complex ap = (s * s - M_SQRT2 * s + 1.0) / (s * s + M_SQRT2 * s + 1.0);
		double e = 1e-6, gd;
		double complex a = I * tan((w[i] - e) / 2) / tan(M_PI * 2000 / RATE);
		double complex b = I * tan((w[i] + e) / 2) / tan(M_PI * 2000 / RATE);

		a = (a * a - M_SQRT2 * a + 1.0) / (a * a + M_SQRT2 * a + 1.0);
		b = (b * b - M_SQRT2 * b + 1.0) / (b * b + M_SQRT2 * b + 1.0);
		gd = -carg(b / a) / (2 * e);
		assert_true(fabs(db(r.h[i])) < 1e-9);
		assert_true(phase_diff_deg(r.h[i], ap) < 1e-6);
		assert_true(fabs(-cimag(r.dh[i] / r.h[i]) - gd) < 1e-4 * (1 + gd));
	}
	pipeline_response_free(&r);
	/* one input alone: only its way */
	assert_int_equal(pipeline_response(p, w, N, 1u << 1, &r), 0);
	assert_int_equal(r.inputs[0], 2);
	assert_true(db(r.h[0]) < -100);                 /* the high way at 10 Hz */
	pipeline_response_free(&r);
	assert_int_equal(pipeline_response(p, w, N, 1u << 2, &r), -EINVAL);
	pipeline_free(p);
}

/* A limiter on channel 0 alone: the pipeline aligns channel 1 to it, and
 * both show the lookahead; a channel nothing reaches has no path. */
static void test_alignment_and_silent_outputs(void **state)
{
	struct pipeline *p = build(2, 3,
		"{\"type\":\"limiter\",\"name\":\"l\",\"lookahead_ms\":0.5,\"channels\":[0]},"
		"{\"type\":\"mixer\",\"name\":\"m\",\"channels_in\":2,\"channels_out\":3,"
		"\"routes\":[{\"in\":0,\"out\":0},{\"in\":1,\"out\":1}]}");
	struct pipeline_response r;

	(void)state;
	assert_int_equal(pipeline_response(p, w, N, PIPELINE_RESPONSE_ALL_INPUTS, &r), 0);
	assert_int_equal(r.channels, 3);
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < N; i++)
			expect_near(r.h[ch * N + i], cexp(-I * w[i] * 24), 1e-12, "aligned", i);
	assert_int_equal(r.inputs[2], 0);
	pipeline_response_free(&r);
	pipeline_free(p);
}

/* The work counts a FIR's taps for each channel it filters. */
static void test_work(void **state)
{
	struct pipeline *p = build(2, 2,
		"{\"type\":\"fir\",\"name\":\"f\",\"values\":[1,0,0,0,0,0,0,0,0,0]},"
		"{\"type\":\"gain\",\"name\":\"g\",\"db\":-1}");

	(void)state;
	assert_true(pipeline_response_work(p, 100) >= 2 * 10 * 100);
	assert_true(pipeline_response_work(p, 100) < 2 * 10 * 100 + 2 * 100 + 100);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gain),
		cmocka_unit_test(test_butterworth_magnitude),
		cmocka_unit_test(test_peq_and_biquad_against_prototype),
		cmocka_unit_test(test_geq_is_its_peaks),
		cmocka_unit_test(test_fir_taps),
		cmocka_unit_test(test_delay_whole_and_fraction),
		cmocka_unit_test(test_mixer_routes),
		cmocka_unit_test(test_dynamics_small_signal),
		cmocka_unit_test(test_identity_blocks),
		cmocka_unit_test(test_ladspa_measured),
		cmocka_unit_test(test_loudness_comp_follows_the_volume),
		cmocka_unit_test(test_crossover_sum_is_allpass),
		cmocka_unit_test(test_alignment_and_silent_outputs),
		cmocka_unit_test(test_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
