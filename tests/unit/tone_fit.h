/* tone_fit.h - least-squares fit of a sine of known frequency, shared by
 * the resampler's unit test and its bench: how loud the tone came out and
 * how much else (noise, distortion, imaging) came with it. */
#ifndef DSPD_TONE_FIT_H
#define DSPD_TONE_FIT_H

#include <math.h>
#include <stddef.h>

/* Fit a*sin(w j) + b*cos(w j) to y[0..n): the amplitude hypot(a, b) and
 * the RMS of what the fit leaves. */
static inline void fit_tone(const float *y, size_t n, double w, double *amp,
                            double *residual_rms)
{
	double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0, det, a, b, r2 = 0;

	for (size_t j = 0; j < n; j++) {
		double s = sin(w * (double)j), c = cos(w * (double)j);

		ss += s * s;
		sc += s * c;
		cc += c * c;
		ys += y[j] * s;
		yc += y[j] * c;
	}
	det = ss * cc - sc * sc;
	a = (ys * cc - yc * sc) / det;
	b = (yc * ss - ys * sc) / det;
	for (size_t j = 0; j < n; j++) {
		double e = y[j] - a * sin(w * (double)j) - b * cos(w * (double)j);

		r2 += e * e;
	}
	*amp = hypot(a, b);
	*residual_rms = sqrt(r2 / (double)n);
}

#endif
