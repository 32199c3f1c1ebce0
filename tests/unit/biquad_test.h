/* biquad_test.h - what the biquad unit tests (test_biquad.c,
 * test_biquad_response.c) share: the analytic side, evaluated here and never
 * by the design code.  A filter shape, its analog prototype (RBJ cookbook,
 * first-order and Linkwitz-transform H(s)) through the bilinear transform
 * pre-warped at f0, the ideal Butterworth magnitude, and the comparison of
 * two responses in dB and degrees.  Include after <cmocka.h>.
 * Single-threaded. */
#ifndef DSPD_BIQUAD_TEST_H
#define DSPD_BIQUAD_TEST_H

#include <complex.h>
#include <math.h>

#include "biquad_design.h"

#define DB_TOL 0.01
#define DEG_TOL 0.1

typedef double complex cplx;

struct shape {
	int kind;
	double freq, q, gain_db, slope;         /* slope 0: q is used */
	double f_act, q_act, f_target, q_target;
	double rate;
};

/* Cookbook shelf Q from its slope S = slope dB/oct / 12. */
static inline double shelf_q(double a, double slope_db)
{
	double s = slope_db / 12.0;

	return 1.0 / sqrt((a + 1.0 / a) * (1.0 / s - 1.0) + 2.0);
}

/* The analog prototype of a kind at s (normalised so that s = j means f0). */
static inline cplx prototype(const struct shape *sh, cplx s)
{
	double a = pow(10.0, sh->gain_db / 40.0), q = sh->q;
	cplx s2 = s * s, den = s2 + s / q + 1.0;

	if ((sh->kind == BQ_LOWSHELF || sh->kind == BQ_HIGHSHELF) && sh->slope > 0)
		q = shelf_q(a, sh->slope);
	switch (sh->kind) {
	case BQ_LOWPASS: return 1.0 / den;
	case BQ_HIGHPASS: return s2 / den;
	case BQ_BANDPASS: return (s / q) / den;
	case BQ_NOTCH: return (s2 + 1.0) / den;
	case BQ_ALLPASS: return (s2 - s / q + 1.0) / den;
	case BQ_PEAKING:
		return (s2 + s * (a / q) + 1.0) / (s2 + s / (a * q) + 1.0);
	case BQ_LOWSHELF:
		return a * (s2 + sqrt(a) / q * s + a) / (a * s2 + sqrt(a) / q * s + 1.0);
	case BQ_HIGHSHELF:
		return a * (a * s2 + sqrt(a) / q * s + 1.0) / (s2 + sqrt(a) / q * s + a);
	case BQ_LOWPASS1: return 1.0 / (s + 1.0);
	case BQ_HIGHPASS1: return s / (s + 1.0);
	case BQ_ALLPASS1: return (1.0 - s) / (1.0 + s);
	case BQ_LOWSHELF1: return (s + a) / (s + 1.0 / a);
	case BQ_HIGHSHELF1: return a * (a * s + 1.0) / (s + a);
	}
	fail_msg("no prototype for kind %d", sh->kind);
	return 0;
}

/* H(e^jw) of the bilinear transform pre-warped at f0: the analog response
 * at s = j tan(w/2) / tan(w0/2). */
static inline cplx analytic(const struct shape *sh, double f)
{
	double w = M_PI * f / sh->rate;

	if (sh->kind == BQ_LINKWITZ_TRANSFORM) {
		double fc = sqrt(sh->f_act * sh->f_target);
		double g = 2 * M_PI * fc / tan(M_PI * fc / sh->rate);
		cplx s = I * g * tan(w);
		double w0 = 2 * M_PI * sh->f_act, wp = 2 * M_PI * sh->f_target;

		return (s * s + s * w0 / sh->q_act + w0 * w0) /
		       (s * s + s * wp / sh->q_target + wp * wp);
	}
	return prototype(sh, I * tan(w) / tan(M_PI * sh->freq / sh->rate));
}

static inline double db(cplx h)
{
	return 20.0 * log10(cabs(h));
}

static inline double phase_diff_deg(cplx a, cplx b)
{
	return fabs(carg(a / b)) * 180.0 / M_PI;
}

/* Equal within DB_TOL and DEG_TOL; deep in a notch (below -80 dB) the
 * phase means nothing and the complex values must agree instead. */
static inline void expect_response(cplx got, cplx want, double f,
                                   const char *what, double db_tol,
                                   double deg_tol)
{
	if (cabs(want) < 1e-4) {
		if (cabs(got - want) > 1e-6)
			fail_msg("%s at %.2f Hz: |H| %.3g, expected %.3g", what, f,
			         cabs(got), cabs(want));
		return;
	}
	if (fabs(db(got) - db(want)) > db_tol ||
	    phase_diff_deg(got, want) > deg_tol)
		fail_msg("%s at %.2f Hz: %.4f dB %.3f deg, expected %.4f dB "
		         "%.3f deg", what, f, db(got), carg(got) * 180 / M_PI,
		         db(want), carg(want) * 180 / M_PI);
}

static inline double butterworth_db(int kind, unsigned order, double f,
                                    double fc, double rate)
{
	double w = tan(M_PI * f / rate) / tan(M_PI * fc / rate);
	double p = pow(w, 2.0 * order);

	return 10.0 * log10(kind == BQ_LOWPASS ? 1.0 / (1.0 + p) : p / (1.0 + p));
}

#endif
