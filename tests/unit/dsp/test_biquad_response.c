/* test_biquad_response.c - the filter designs against the textbook, on
 * coefficients alone: every biquad kind's magnitude and phase against its
 * analog prototype evaluated here (biquad_test.h), never against the design
 * code; landmarks that need no prototype (peak gain, shelf midpoint, allpass
 * phase); Butterworth magnitude, -3 dB corner and asymptotic slope for
 * orders 1..8; Linkwitz-Riley -6 dB corners and flat (or notching) LP+HP
 * sums.  The running blocks built from a configuration are test_biquad.c's.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "biquad_design.h"
#include "biquad_test.h"

#define N_FREQS 24                      /* log-spaced, 20 Hz..20 kHz */

/* ---- prototypes ----------------------------------------------------------- */

static double test_freq(int i)
{
	return 20.0 * pow(1000.0, i / (N_FREQS - 1.0));
}

/* The response of designed coefficients, evaluated here. */
static cplx cascade_response(const struct biquad_coef *c, unsigned n,
                             double f, double rate)
{
	cplx z1 = cexp(-I * 2 * M_PI * f / rate), h = 1.0;

	for (unsigned k = 0; k < n; k++)
		h *= (c[k].b0 + c[k].b1 * z1 + c[k].b2 * z1 * z1) /
		     (1.0 + c[k].a1 * z1 + c[k].a2 * z1 * z1);
	return h;
}

static void shape_params(const struct shape *sh, double *param)
{
	memcpy(param, biquad_key_defaults, BQK_N * sizeof(*param));
	param[BQK_FREQ] = sh->freq;
	param[BQK_Q] = sh->q;
	param[BQK_GAIN_DB] = sh->gain_db;
	param[BQK_SLOPE] = sh->slope;
	param[BQK_FREQ_ACT] = sh->f_act;
	param[BQK_Q_ACT] = sh->q_act;
	param[BQK_FREQ_TARGET] = sh->f_target;
	param[BQK_Q_TARGET] = sh->q_target;
}

static const struct shape shapes[] = {
	{ BQ_LOWPASS, 1000, 0.7071, 0, 0, .rate = 48000 },
	{ BQ_LOWPASS, 80, 5.0, 0, 0, .rate = 44100 },
	{ BQ_HIGHPASS, 1000, 0.7071, 0, 0, .rate = 48000 },
	{ BQ_HIGHPASS, 20, 0.5, 0, 0, .rate = 192000 },
	{ BQ_BANDPASS, 2500, 3.0, 0, 0, .rate = 48000 },
	{ BQ_NOTCH, 1000, 10.0, 0, 0, .rate = 48000 },
	{ BQ_NOTCH, 60, 2.0, 0, 0, .rate = 96000 },
	{ BQ_ALLPASS, 700, 0.9, 0, 0, .rate = 48000 },
	{ BQ_PEAKING, 1000, 2.0, 6.0, 0, .rate = 48000 },
	{ BQ_PEAKING, 8000, 0.5, -12.0, 0, .rate = 44100 },
	{ BQ_PEAKING, 30, 8.0, 10.0, 0, .rate = 192000 },
	{ BQ_LOWSHELF, 200, 0.7071, 6.0, 0, .rate = 48000 },
	{ BQ_LOWSHELF, 200, 0, -9.0, 6.0, .rate = 48000 },     /* by slope */
	{ BQ_HIGHSHELF, 5000, 0.9, -4.5, 0, .rate = 48000 },
	{ BQ_HIGHSHELF, 3000, 0, 8.0, 12.0, .rate = 96000 },   /* by slope */
	{ BQ_LOWPASS1, 500, 0, 0, 0, .rate = 48000 },
	{ BQ_HIGHPASS1, 50, 0, 0, 0, .rate = 48000 },
	{ BQ_LOWSHELF1, 300, 0, 6.0, 0, .rate = 48000 },
	{ BQ_HIGHSHELF1, 4000, 0, -6.0, 0, .rate = 44100 },
	{ BQ_ALLPASS1, 1500, 0, 0, 0, .rate = 48000 },
	{ BQ_LINKWITZ_TRANSFORM, .f_act = 50, .q_act = 0.9, .f_target = 25,
	  .q_target = 0.5, .rate = 48000 },
	{ BQ_LINKWITZ_TRANSFORM, .f_act = 80, .q_act = 1.2, .f_target = 40,
	  .q_target = 0.7071, .rate = 192000 },
};

#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

static void design_shape(const struct shape *sh, struct biquad_coef *c)
{
	double param[BQK_N];
	char why[200];

	shape_params(sh, param);
	if (biquad_design(sh->kind, param, sh->rate, c, why, sizeof(why)) < 0)
		fail_msg("design of %s failed: %s", biquad_kind_names[sh->kind], why);
}

static void test_every_kind_matches_prototype(void **state)
{
	unsigned covered = 0;

	for (size_t i = 0; i < N_SHAPES; i++) {
		const struct shape *sh = &shapes[i];
		struct biquad_coef c;
		char what[96];

		design_shape(sh, &c);
		covered |= 1u << sh->kind;
		snprintf(what, sizeof(what), "shape %zu (%s)", i,
		         biquad_kind_names[sh->kind]);
		for (int k = 0; k < N_FREQS; k++) {
			double f = test_freq(k);

			expect_response(cascade_response(&c, 1, f, sh->rate),
			                analytic(sh, f), f, what, DB_TOL, DEG_TOL);
		}
	}
	/* every kind but free, which has no prototype (its own test) */
	assert_int_equal(covered, (1u << BQ_FREE) - 1);
}

/* Anchors that do not depend on the prototypes above. */
static void test_kind_landmarks(void **state)
{
	struct biquad_coef c;
	struct shape sh = { BQ_PEAKING, 1000, 2.0, 6.0, 0, .rate = 48000 };

	design_shape(&sh, &c);
	assert_true(fabs(db(cascade_response(&c, 1, 1000, 48000)) - 6.0) < 1e-9);
	sh = (struct shape){ BQ_BANDPASS, 3000, 4.0, .rate = 48000 };
	design_shape(&sh, &c);
	assert_true(fabs(db(cascade_response(&c, 1, 3000, 48000))) < 1e-9);
	sh = (struct shape){ BQ_LOWSHELF, 100, 0, 10.0, 12.0, .rate = 48000 };
	design_shape(&sh, &c);
	assert_true(fabs(db(cascade_response(&c, 1, 1e-3, 48000)) - 10.0) < 1e-6);
	assert_true(fabs(db(cascade_response(&c, 1, 100, 48000)) - 5.0) < 1e-9);
	sh = (struct shape){ BQ_ALLPASS, 500, 0.7, .rate = 48000 };
	design_shape(&sh, &c);
	for (int k = 0; k < N_FREQS; k++)
		assert_true(fabs(db(cascade_response(&c, 1, test_freq(k), 48000)))
		            < 1e-9);
	assert_true(fabs(carg(cascade_response(&c, 1, 500, 48000)) + M_PI) < 1e-9 ||
	            fabs(carg(cascade_response(&c, 1, 500, 48000)) - M_PI) < 1e-9);
}

/* ---- Butterworth and Linkwitz-Riley ------------------------------------ */

static void test_butterworth(void **state)
{
	struct biquad_coef c[BIQUAD_MAX_ORDER];

	for (unsigned order = 1; order <= 8; order++) {
		for (int kind = BQ_LOWPASS; kind <= BQ_HIGHPASS; kind++) {
			unsigned n = butterworth_design(kind, order, 1000, 48000, c);

			assert_int_equal(n, (order + 1) / 2);
			assert_true(fabs(db(cascade_response(c, n, 1000, 48000)) +
			                 3.0103) < DB_TOL);
			for (int k = 0; k < N_FREQS; k++) {
				double f = test_freq(k);
				double got = db(cascade_response(c, n, f, 48000));
				double want = butterworth_db(kind, order, f, 1000, 48000);

				if (want > -200 && fabs(got - want) > DB_TOL)
					fail_msg("order %u %s at %g Hz: %.4f dB, expected "
					         "%.4f", order, biquad_kind_names[kind], f,
					         got, want);
			}
		}
		/* asymptotic slope: highpass an octave below 100 Hz with fc
		 * 4 kHz; lowpass an octave above 640 Hz with fc 20 Hz at
		 * 192 kHz (far from both the corner and Nyquist) */
		unsigned n = butterworth_design(BQ_HIGHPASS, order, 4000, 48000, c);
		double slope = db(cascade_response(c, n, 100, 48000)) -
		               db(cascade_response(c, n, 50, 48000));

		assert_true(fabs(slope - 6.0206 * order) < 0.05);
		n = butterworth_design(BQ_LOWPASS, order, 20, 192000, c);
		slope = db(cascade_response(c, n, 640, 192000)) -
		        db(cascade_response(c, n, 1280, 192000));
		assert_true(fabs(slope - 6.0206 * order) < 0.05);
	}
}

/* |LP + sign * HP| over 20 Hz..20 kHz, worst deviation from 0 dB. */
static double crossover_sum_error(unsigned order, double sign, double fc)
{
	struct biquad_coef lp[BIQUAD_MAX_ORDER], hp[BIQUAD_MAX_ORDER];
	unsigned nl = linkwitz_riley_design(BQ_LOWPASS, order, fc, 48000, lp);
	unsigned nh = linkwitz_riley_design(BQ_HIGHPASS, order, fc, 48000, hp);
	double worst = 0;

	for (int k = 0; k < 200; k++) {
		double f = 20.0 * pow(1000.0, k / 199.0);
		cplx sum = cascade_response(lp, nl, f, 48000) +
		           sign * cascade_response(hp, nh, f, 48000);

		worst = fmax(worst, fabs(db(sum)));
	}
	return worst;
}

static void test_linkwitz_riley_sums_flat(void **state)
{
	struct biquad_coef c[BIQUAD_MAX_ORDER];
	unsigned n;

	assert_true(crossover_sum_error(4, 1.0, 2000) < 0.01);
	assert_true(crossover_sum_error(8, 1.0, 300) < 0.01);
	/* LR2 and LR6 sum flat with one way inverted, and notch without */
	assert_true(crossover_sum_error(2, -1.0, 2000) < 0.01);
	assert_true(crossover_sum_error(6, -1.0, 800) < 0.01);
	assert_true(crossover_sum_error(2, 1.0, 2000) > 30.0);
	for (unsigned order = 2; order <= 8; order += 2) {
		n = linkwitz_riley_design(BQ_LOWPASS, order, 1000, 48000, c);
		assert_true(fabs(db(cascade_response(c, n, 1000, 48000)) + 6.0206)
		            < DB_TOL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_matches_prototype),
		cmocka_unit_test(test_kind_landmarks),
		cmocka_unit_test(test_butterworth),
		cmocka_unit_test(test_linkwitz_riley_sums_flat),
	};

	return cmocka_run_group_tests_name("biquad_response", tests, NULL, NULL);
}
