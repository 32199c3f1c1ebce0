/* response.c - exact frequency responses from coefficients (response.h).
 * Any thread: pure functions.
 *
 * The FIR's DTFT is the costly one (taps x frequencies).  The frequencies
 * are taken RESP_FIR_LANES at a time; each keeps its phasor e^(-jwk) in a
 * lane, advanced from tap to tap by a complex multiply with e^(-jw) (no
 * cos/sin per tap), and set afresh from cos()/sin() every RESP_FIR_ANCHOR
 * taps so the rounding of the rotations never builds up.  The lanes are
 * separate real and imaginary arrays, which the compiler vectorises. */
#include "response.h"

#include "cpu.h"

#include <errno.h>
#include <math.h>

#define RESP_FIR_LANES 8

void resp_identity(size_t n, double complex *h, double complex *dh)
{
	resp_constant(1.0, n, h, dh);
}

void resp_constant(double g, size_t n, double complex *h, double complex *dh)
{
	for (size_t i = 0; i < n; i++) {
		h[i] = g;
		dh[i] = 0.0;
	}
}

void resp_gain(double g, size_t n, double complex *h, double complex *dh)
{
	for (size_t i = 0; i < n; i++) {
		h[i] *= g;
		dh[i] *= g;
	}
}

/* h x s, with its derivative by the product rule. */
static inline void chain(double complex *h, double complex *dh,
                         double complex s, double complex ds)
{
	*dh = *dh * s + *h * ds;
	*h *= s;
}

void resp_delay(double d, const double *w, size_t n, double complex *h,
                double complex *dh)
{
	for (size_t i = 0; i < n; i++) {
		double complex s = cos(w[i] * d) - I * sin(w[i] * d);

		chain(&h[i], &dh[i], s, -I * d * s);
	}
}

void resp_biquads(const struct biquad_coef *coef, unsigned n_sections,
                  const double *w, size_t n, double complex *h,
                  double complex *dh)
{
	for (size_t i = 0; i < n; i++) {
		double complex z1 = cos(w[i]) - I * sin(w[i]);   /* e^-jw */
		double complex z2 = z1 * z1;

		for (unsigned s = 0; s < n_sections; s++) {
			const struct biquad_coef *c = &coef[s];
			double complex b = c->b0 + c->b1 * z1 + c->b2 * z2;
			double complex a = 1.0 + c->a1 * z1 + c->a2 * z2;
			double complex db = -I * (c->b1 * z1 + 2.0 * c->b2 * z2);
			double complex da = -I * (c->a1 * z1 + 2.0 * c->a2 * z2);

			chain(&h[i], &dh[i], b / a, (db * a - b * da) / (a * a));
		}
	}
}

/* Lanes [0, lanes) of the frequencies w: their sums over the taps.  The
 * body is compiled twice, plain and on x86-64 for AVX2 and FMA, picked at
 * run time through cpu.h (1.4 times as fast here:
 * tests/unit/dsp/test_response_kernels.c prints the rate).  Not an ifunc:
 * its resolver runs before the sanitizers' runtimes are up, and a TSan
 * build crashed in it at load. */
static inline __attribute__((always_inline)) void
fir_lanes_body(const float *taps, size_t n_taps, const double *w,
               unsigned lanes, double complex *hs, double complex *dhs)
{
	double pr[RESP_FIR_LANES], pi[RESP_FIR_LANES];
	double rr[RESP_FIR_LANES], ri[RESP_FIR_LANES];
	double ar[RESP_FIR_LANES] = { 0 }, ai[RESP_FIR_LANES] = { 0 };
	double br[RESP_FIR_LANES] = { 0 }, bi[RESP_FIR_LANES] = { 0 };
	double wl[RESP_FIR_LANES] = { 0 };

	for (unsigned l = 0; l < lanes; l++)
		wl[l] = w[l];
	for (unsigned l = 0; l < RESP_FIR_LANES; l++) {
		rr[l] = cos(wl[l]);
		ri[l] = -sin(wl[l]);
	}
	for (size_t k0 = 0; k0 < n_taps; k0 += RESP_FIR_ANCHOR) {
		size_t end = k0 + RESP_FIR_ANCHOR < n_taps ? k0 + RESP_FIR_ANCHOR : n_taps;

		for (unsigned l = 0; l < RESP_FIR_LANES; l++) {
			pr[l] = cos(wl[l] * (double)k0);
			pi[l] = -sin(wl[l] * (double)k0);
		}
		for (size_t k = k0; k < end; k++) {
			double t = taps[k], tk = t * (double)k;

			for (unsigned l = 0; l < RESP_FIR_LANES; l++) {
				double nr = pr[l] * rr[l] - pi[l] * ri[l];
				double ni = pr[l] * ri[l] + pi[l] * rr[l];

				ar[l] += t * pr[l];
				ai[l] += t * pi[l];
				br[l] += tk * pr[l];
				bi[l] += tk * pi[l];
				pr[l] = nr;
				pi[l] = ni;
			}
		}
	}
	for (unsigned l = 0; l < lanes; l++) {
		hs[l] = ar[l] + I * ai[l];
		/* d/dw of t e^-jwk is -jk t e^-jwk */
		dhs[l] = bi[l] - I * br[l];
	}
}

static void fir_lanes_plain(const float *taps, size_t n_taps, const double *w,
                            unsigned lanes, double complex *hs, double complex *dhs)
{
	fir_lanes_body(taps, n_taps, w, lanes, hs, dhs);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma")))
static void fir_lanes_fma(const float *taps, size_t n_taps, const double *w,
                          unsigned lanes, double complex *hs, double complex *dhs)
{
	fir_lanes_body(taps, n_taps, w, lanes, hs, dhs);
}
#endif

static void fir_lanes(const float *taps, size_t n_taps, const double *w,
                      unsigned lanes, double complex *hs, double complex *dhs)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (cpu_has(CPU_AVX2 | CPU_FMA)) {
		fir_lanes_fma(taps, n_taps, w, lanes, hs, dhs);
		return;
	}
#endif
	fir_lanes_plain(taps, n_taps, w, lanes, hs, dhs);
}

void resp_fir(const float *taps, size_t n_taps, const double *w, size_t n,
              double complex *h, double complex *dh)
{
	double complex hs[RESP_FIR_LANES], dhs[RESP_FIR_LANES];

	for (size_t i = 0; i < n; i += RESP_FIR_LANES) {
		unsigned lanes = n - i < RESP_FIR_LANES ? (unsigned)(n - i) : RESP_FIR_LANES;

		fir_lanes(taps, n_taps, w + i, lanes, hs, dhs);
		for (unsigned l = 0; l < lanes; l++)
			chain(&h[i + l], &dh[i + l], hs[l], dhs[l]);
	}
}

int resp_values(double complex h, double complex dh, double *db,
                double *phase_deg, double *group_delay)
{
	double mag = cabs(h), ph;

	if (!(mag > 0.0) || !isfinite(mag))
		return -EDOM;
	*db = 20.0 * log10(mag);
	ph = carg(h) * (180.0 / M_PI);
	*phase_deg = ph <= -180.0 ? ph + 360.0 : ph;
	*group_delay = -cimag(dh / h);
	return 0;
}
