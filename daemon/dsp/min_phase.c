/* min_phase.c - minimum-phase FIR design from GraphicEQ points (see
 * min_phase.h), by the homomorphic (cepstral) method:
 *   L[k] = ln |H(f_k)|, f_k = k rate / N, N = 2 n_taps (the points'
 *          curve, EqualizerAPO's interpolation);
 *   c    = IDFT(L), the real cepstrum (real and even);
 *   c'   = c[0], 2 c[1..N/2), c[N/2], 0 after: the causal fold;
 *   H'   = exp(DFT(c')), the minimum-phase spectrum of the same magnitude;
 *   h    = IDFT(H')[0..n_taps), times the falling half of a Hann window.
 * FFTW single precision (the library dspd links), plans made and freed
 * under conv_planner_lock().  Control or builder thread; never RT. */
#include "min_phase.h"

#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <string.h>

#include "conv_filter.h"

#define MAX_TAPS 65536u

unsigned min_phase_taps(double rate)
{
	unsigned taps = 8192;

	while (taps < MAX_TAPS && rate > 48000.0 * (taps / 8192))
		taps *= 2;
	return taps;
}

struct plans {
	fftwf_plan fwd, inv;
};

static int make_plans(unsigned n, float *t, fftwf_complex *c,
                      struct plans *ret)
{
	conv_planner_lock();
	ret->fwd = fftwf_plan_dft_r2c_1d((int)n, t, c, FFTW_ESTIMATE);
	ret->inv = fftwf_plan_dft_c2r_1d((int)n, c, t, FFTW_ESTIMATE);
	conv_planner_unlock();
	return ret->fwd && ret->inv ? 0 : -ENOMEM;
}

static void free_plans(struct plans *p)
{
	conv_planner_lock();
	if (p->fwd)
		fftwf_destroy_plan(p->fwd);
	if (p->inv)
		fftwf_destroy_plan(p->inv);
	conv_planner_unlock();
}

/* c holds the log magnitude (bins 0..n/2); leaves the minimum-phase
 * impulse response in t[0..n). */
static void cepstral(const struct plans *p, unsigned n, float *t,
                     fftwf_complex *c)
{
	unsigned half = n / 2;

	fftwf_execute(p->inv);                  /* c -> t: n times the cepstrum */
	for (unsigned i = 0; i < n; i++)
		t[i] /= (float)n;
	for (unsigned i = 1; i < half; i++)
		t[i] *= 2.0f;
	memset(t + half + 1, 0, (n - half - 1) * sizeof(*t));
	fftwf_execute(p->fwd);                  /* t -> c: ln H, minimum phase */
	for (unsigned k = 0; k <= half; k++) {
		double m = exp(c[k][0]), ph = c[k][1];

		c[k][0] = (float)(m * cos(ph));
		c[k][1] = (float)(m * sin(ph));
	}
	fftwf_execute(p->inv);                  /* c -> t: n times h */
}

int min_phase_design(const struct eq_point *pts, unsigned n, double rate,
                     float *taps, unsigned n_taps)
{
	unsigned size = 2 * n_taps, half = n_taps;
	float *t = fftwf_alloc_real(size);
	fftwf_complex *c = fftwf_alloc_complex(half + 1);
	struct plans p = { NULL, NULL };
	int r = -ENOMEM;

	if (t && c && (r = make_plans(size, t, c, &p)) == 0) {
		for (unsigned k = 0; k <= half; k++) {
			double db = eq_graphic_gain_at(pts, n, k * rate / size);

			c[k][0] = (float)(db * M_LN10 / 20.0);
			c[k][1] = 0.0f;
		}
		cepstral(&p, size, t, c);
		for (unsigned i = 0; i < n_taps; i++)
			taps[i] = (float)(t[i] / size * 0.5 *
			                  (1.0 + cos(M_PI * i / n_taps)));
	}
	free_plans(&p);
	fftwf_free(t);
	fftwf_free(c);
	return r;
}
