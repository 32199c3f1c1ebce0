/* biquad_design.c - second-order section design: the RBJ Audio EQ Cookbook
 * formulas for the second-order kinds, the bilinear transform (with the
 * frequency pre-warped so f0 lands exactly) for the first-order kinds and
 * the Linkwitz transform, Butterworth and Linkwitz-Riley cascades, and the
 * graphic EQ band plan.  Everything in double.  Pure functions: any thread
 * (used on the control thread).
 *
 * Precision at low frequency and high rate: 1 - cos(w0) would lose half the
 * mantissa to cancellation for 20 Hz at 192 kHz (w0 = 6.5e-4), so it is
 * written as 2 sin^2(w0 / 2). */
#include "biquad_design.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define B(k) (1u << (k))
#define SHAPE_Q (B(BQK_FREQ) | B(BQK_Q))
#define SHAPE_GAIN (B(BQK_FREQ) | B(BQK_GAIN_DB))
#define LT_KEYS (B(BQK_FREQ_ACT) | B(BQK_Q_ACT) | B(BQK_FREQ_TARGET) | \
                 B(BQK_Q_TARGET))
#define FREE_KEYS (B(BQK_B0) | B(BQK_B1) | B(BQK_B2) | B(BQK_A1) | B(BQK_A2))

const struct biquad_kind_info biquad_kinds[BQ_N_KINDS] = {
	[BQ_LOWPASS]   = { SHAPE_Q, B(BQK_FREQ) },
	[BQ_HIGHPASS]  = { SHAPE_Q, B(BQK_FREQ) },
	[BQ_BANDPASS]  = { SHAPE_Q, B(BQK_FREQ) },
	[BQ_NOTCH]     = { SHAPE_Q, B(BQK_FREQ) },
	[BQ_ALLPASS]   = { SHAPE_Q, B(BQK_FREQ) },
	[BQ_PEAKING]   = { SHAPE_Q | SHAPE_GAIN, SHAPE_GAIN },
	[BQ_LOWSHELF]  = { SHAPE_Q | SHAPE_GAIN | B(BQK_SLOPE),
	                   SHAPE_GAIN },
	[BQ_HIGHSHELF] = { SHAPE_Q | SHAPE_GAIN | B(BQK_SLOPE),
	                   SHAPE_GAIN },
	[BQ_LOWPASS1]  = { B(BQK_FREQ), B(BQK_FREQ) },
	[BQ_HIGHPASS1] = { B(BQK_FREQ), B(BQK_FREQ) },
	[BQ_LOWSHELF1] = { SHAPE_GAIN, SHAPE_GAIN },
	[BQ_HIGHSHELF1] = { SHAPE_GAIN, SHAPE_GAIN },
	[BQ_ALLPASS1]  = { B(BQK_FREQ), B(BQK_FREQ) },
	[BQ_LINKWITZ_TRANSFORM] = { LT_KEYS, LT_KEYS },
	[BQ_FREE]      = { FREE_KEYS, FREE_KEYS },
};

const char *const biquad_kind_names[BQ_N_KINDS + 1] = {
	"lowpass", "highpass", "bandpass", "notch", "allpass", "peaking",
	"lowshelf", "highshelf", "lowpass1", "highpass1", "lowshelf1",
	"highshelf1", "allpass1", "linkwitz_transform", "free", NULL,
};

const char *const biquad_key_names[BQK_N] = {
	[BQK_FREQ] = "freq", [BQK_Q] = "q", [BQK_GAIN_DB] = "gain_db",
	[BQK_SLOPE] = "slope", [BQK_FREQ_ACT] = "freq_act",
	[BQK_Q_ACT] = "q_act", [BQK_FREQ_TARGET] = "freq_target",
	[BQK_Q_TARGET] = "q_target", [BQK_B0] = "b0", [BQK_B1] = "b1",
	[BQK_B2] = "b2", [BQK_A1] = "a1", [BQK_A2] = "a2",
};

/* slope 0: not given, the shelf uses q */
const double biquad_key_defaults[BQK_N] = {
	[BQK_Q] = M_SQRT1_2,
};

void biquad_key_list(unsigned mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < BQK_N && len < size; k++)
		if (mask & B(k)) {
			int n = snprintf(buf + len, size - len, "%s%s",
			                 len ? ", " : "", biquad_key_names[k]);

			len += n > 0 ? (size_t)n : 0;
		}
}

/* Normalise by a0. */
static void set_coef(struct biquad_coef *c, double b0, double b1, double b2,
                     double a0, double a1, double a2)
{
	c->b0 = b0 / a0;
	c->b1 = b1 / a0;
	c->b2 = b2 / a0;
	c->a1 = a1 / a0;
	c->a2 = a2 / a0;
}

/* The cookbook's intermediate values for w0 = 2 pi f0 / rate. */
struct rbj {
	double cosw, sinw, one_minus_cos, alpha, a;
};

static struct rbj rbj_setup(double freq, double q, double gain_db, double rate)
{
	double w0 = 2.0 * M_PI * freq / rate, half_sin = sin(w0 / 2.0);
	struct rbj r = {
		.cosw = cos(w0),
		.sinw = sin(w0),
		.one_minus_cos = 2.0 * half_sin * half_sin,
		.a = pow(10.0, gain_db / 40.0),
	};

	r.alpha = r.sinw / (2.0 * q);
	return r;
}

/* Shelf alpha from the cookbook's slope S (slope dB/oct / 12), or from q. */
static double shelf_alpha(const struct rbj *r, double q, double slope_db)
{
	double s = slope_db / 12.0;

	if (slope_db <= 0.0)
		return r->sinw / (2.0 * q);
	return r->sinw / 2.0 * sqrt((r->a + 1.0 / r->a) * (1.0 / s - 1.0) + 2.0);
}

static void design_shelf(int kind, const struct rbj *r, double alpha,
                         struct biquad_coef *c)
{
	double a = r->a, sq = 2.0 * sqrt(a) * alpha, cw = r->cosw;

	if (kind == BQ_LOWSHELF)
		set_coef(c, a * ((a + 1) - (a - 1) * cw + sq),
		         2 * a * ((a - 1) - (a + 1) * cw),
		         a * ((a + 1) - (a - 1) * cw - sq),
		         (a + 1) + (a - 1) * cw + sq,
		         -2 * ((a - 1) + (a + 1) * cw),
		         (a + 1) + (a - 1) * cw - sq);
	else
		set_coef(c, a * ((a + 1) + (a - 1) * cw + sq),
		         -2 * a * ((a - 1) + (a + 1) * cw),
		         a * ((a + 1) + (a - 1) * cw - sq),
		         (a + 1) - (a - 1) * cw + sq,
		         2 * ((a - 1) - (a + 1) * cw),
		         (a + 1) - (a - 1) * cw - sq);
}

static void design_second_order(int kind, const double *param, double rate,
                                struct biquad_coef *c)
{
	struct rbj r = rbj_setup(param[BQK_FREQ], param[BQK_Q],
	                         param[BQK_GAIN_DB], rate);
	double al = r.alpha, cw2 = -2.0 * r.cosw, omc = r.one_minus_cos;

	switch (kind) {
	case BQ_LOWPASS:
		set_coef(c, omc / 2, omc, omc / 2, 1 + al, cw2, 1 - al);
		break;
	case BQ_HIGHPASS:
		set_coef(c, (2 - omc) / 2, -(2 - omc), (2 - omc) / 2,
		         1 + al, cw2, 1 - al);
		break;
	case BQ_BANDPASS:
		set_coef(c, al, 0, -al, 1 + al, cw2, 1 - al);
		break;
	case BQ_NOTCH:
		set_coef(c, 1, cw2, 1, 1 + al, cw2, 1 - al);
		break;
	case BQ_ALLPASS:
		set_coef(c, 1 - al, cw2, 1 + al, 1 + al, cw2, 1 - al);
		break;
	case BQ_PEAKING:
		set_coef(c, 1 + al * r.a, cw2, 1 - al * r.a,
		         1 + al / r.a, cw2, 1 - al / r.a);
		break;
	default:        /* the shelves */
		design_shelf(kind, &r, shelf_alpha(&r, param[BQK_Q],
		                                   param[BQK_SLOPE]), c);
		break;
	}
}

/* First order, bilinear transform of the analog prototype with s scaled
 * so that 1 rad/s maps to f0: t = tan(w0 / 2).  a = 10^(gain_db / 40).
 *   lowpass1 1/(s+1)   highpass1 s/(s+1)   allpass1 (1-s)/(1+s)
 *   lowshelf1 (s+a)/(s+1/a)   highshelf1 a(as+1)/(s+a)   */
static void design_first_order(int kind, const double *param, double rate,
                               struct biquad_coef *c)
{
	double t = tan(M_PI * param[BQK_FREQ] / rate);
	double a = pow(10.0, param[BQK_GAIN_DB] / 40.0);

	switch (kind) {
	case BQ_LOWPASS1:
		set_coef(c, t, t, 0, 1 + t, t - 1, 0);
		break;
	case BQ_HIGHPASS1:
		set_coef(c, 1, -1, 0, 1 + t, t - 1, 0);
		break;
	case BQ_ALLPASS1:
		set_coef(c, t - 1, t + 1, 0, t + 1, t - 1, 0);
		break;
	case BQ_LOWSHELF1:
		set_coef(c, 1 + a * t, a * t - 1, 0, 1 + t / a, t / a - 1, 0);
		break;
	default:        /* BQ_HIGHSHELF1 */
		set_coef(c, a * (a + t), a * (t - a), 0, 1 + a * t, a * t - 1, 0);
		break;
	}
}

/* Linkwitz transform: (s^2 + s w0/q0 + w0^2) / (s^2 + s wp/qp + wp^2),
 * actual (w0, q0) to target (wp, qp), by the bilinear transform
 * s = g (1 - z^-1) / (1 + z^-1) pre-warped at the geometric mean fc of the
 * two frequencies: g = 2 pi fc / tan(pi fc / rate).  With W = w / g each
 * quadratic becomes (1 + W/q + W^2) + 2 (W^2 - 1) z^-1 + (1 - W/q + W^2) z^-2. */
static void design_linkwitz_transform(const double *param, double rate,
                                      struct biquad_coef *c)
{
	double fc = sqrt(param[BQK_FREQ_ACT] * param[BQK_FREQ_TARGET]);
	double g = 2.0 * M_PI * fc / tan(M_PI * fc / rate);
	double w0 = 2.0 * M_PI * param[BQK_FREQ_ACT] / g;
	double wp = 2.0 * M_PI * param[BQK_FREQ_TARGET] / g;
	double q0 = param[BQK_Q_ACT], qp = param[BQK_Q_TARGET];

	set_coef(c, 1 + w0 / q0 + w0 * w0, 2 * (w0 * w0 - 1),
	         1 - w0 / q0 + w0 * w0, 1 + wp / qp + wp * wp,
	         2 * (wp * wp - 1), 1 - wp / qp + wp * wp);
}

double biquad_pole_radius(const struct biquad_coef *c)
{
	double disc = c->a1 * c->a1 - 4.0 * c->a2, r1, r2;

	if (disc < 0.0)
		return sqrt(c->a2);     /* complex pair: |p|^2 = a2 */
	/* real poles; the larger root without cancellation, the other
	 * from the product of the roots */
	r1 = (-c->a1 - copysign(sqrt(disc), c->a1)) / 2.0;
	r2 = r1 != 0.0 ? c->a2 / r1 : 0.0;
	return fmax(fabs(r1), fabs(r2));
}

static int check_freq(const double *param, int key, double rate, char *why,
                      size_t why_len)
{
	if (param[key] < rate / 2.0)
		return 0;
	snprintf(why, why_len, "%s %g Hz is not below half the rate (%g Hz)",
	         biquad_key_names[key], param[key], rate / 2.0);
	return -EINVAL;
}

static int design_free(const double *param, struct biquad_coef *c, char *why,
                       size_t why_len)
{
	double radius;

	*c = (struct biquad_coef){ param[BQK_B0], param[BQK_B1], param[BQK_B2],
	                           param[BQK_A1], param[BQK_A2] };
	radius = biquad_pole_radius(c);
	if (radius < 1.0)
		return 0;
	snprintf(why, why_len, "unstable coefficients: a pole has radius %.9g "
	         "(a1 %g, a2 %g); every pole must lie strictly inside the unit "
	         "circle", radius, c->a1, c->a2);
	return -EINVAL;
}

int biquad_design(int kind, const double *param, double rate,
                  struct biquad_coef *ret, char *why, size_t why_len)
{
	if (kind == BQ_FREE)
		return design_free(param, ret, why, why_len);
	if (kind == BQ_LINKWITZ_TRANSFORM) {
		if (check_freq(param, BQK_FREQ_ACT, rate, why, why_len) < 0 ||
		    check_freq(param, BQK_FREQ_TARGET, rate, why, why_len) < 0)
			return -EINVAL;
		design_linkwitz_transform(param, rate, ret);
		return 0;
	}
	if (check_freq(param, BQK_FREQ, rate, why, why_len) < 0)
		return -EINVAL;
	if (kind >= BQ_LOWPASS1)
		design_first_order(kind, param, rate, ret);
	else
		design_second_order(kind, param, rate, ret);
	return 0;
}

/* The Butterworth poles, as angles psi from the negative real axis: each
 * conjugate pair is s^2 + 2 cos(psi) s + 1, i.e. Q = 1 / (2 cos psi), with
 * psi = (2k + 1) pi / 2n for even n, k pi / n (k >= 1) for odd n (whose
 * k = 0 is the real pole, a first-order section). */
unsigned butterworth_design(int kind, unsigned order, double freq,
                            double rate, struct biquad_coef *ret)
{
	double param[BQK_N] = { [BQK_FREQ] = freq };
	unsigned pairs = order / 2, n = 0;
	char why[200];

	for (unsigned k = 0; k < pairs; k++) {
		double psi = order % 2 ? (k + 1) * M_PI / order
		                       : (2 * k + 1) * M_PI / (2 * order);

		param[BQK_Q] = 1.0 / (2.0 * cos(psi));
		biquad_design(kind, param, rate, &ret[n++], why, sizeof(why));
	}
	if (order % 2)
		biquad_design(kind == BQ_LOWPASS ? BQ_LOWPASS1 : BQ_HIGHPASS1,
		              param, rate, &ret[n++], why, sizeof(why));
	return n;
}

unsigned linkwitz_riley_design(int kind, unsigned order, double freq,
                               double rate, struct biquad_coef *ret)
{
	unsigned n = butterworth_design(kind, order / 2, freq, rate, ret);

	memcpy(ret + n, ret, n * sizeof(*ret));
	return 2 * n;
}

unsigned geq_band_count(int resolution)
{
	return resolution == GEQ_OCTAVE ? 10 : 31;
}

/* third: k = -17..13 (19.95 Hz..19.95 kHz); octave: k = -15..12 step 3
 * (31.6 Hz..15.8 kHz) */
double geq_band_freq(int resolution, unsigned band)
{
	int k = resolution == GEQ_OCTAVE ? -15 + 3 * (int)band : -17 + (int)band;

	return 1000.0 * pow(10.0, k / 10.0);
}

/* Band edges at f * r^(+-1/2) for a band ratio r: Q = 1 / (r^1/2 - r^-1/2),
 * where the cookbook's peaking filter reaches half its dB gain. */
double geq_band_q(int resolution)
{
	double half = pow(10.0, (resolution == GEQ_OCTAVE ? 3.0 : 1.0) / 20.0);

	return 1.0 / (half - 1.0 / half);
}

/* Largest pole radius of 1 + a1 z^-1 + a2 z^-2. */
static double pole_radius(const struct biquad_coef *c)
{
	double disc = c->a1 * c->a1 - 4.0 * c->a2;

	if (disc < 0.0)
		return sqrt(c->a2);
	return fmax(fabs(-c->a1 + sqrt(disc)), fabs(-c->a1 - sqrt(disc))) / 2.0;
}

uint32_t biquad_decay_frames(const struct biquad_coef *coef, unsigned n,
                             double level)
{
	const double limit = 10.0 * 192000.0;
	double r = 0.0, frames;

	for (unsigned k = 0; k < n; k++)
		r = fmax(r, pole_radius(&coef[k]));
	if (r <= 0.0)
		return 2;       /* FIR sections: two samples of history */
	if (r >= 1.0)
		return (uint32_t)limit;
	frames = log(level) / log(r);
	/* repeated poles of a cascade decay like n^(k-1) r^n: some margin */
	frames *= 1.0 + 0.25 * (n - 1);
	return frames >= limit ? (uint32_t)limit : (uint32_t)ceil(frames) + 2;
}
