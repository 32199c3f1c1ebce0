/* biquad_scalar.c - the biquad cascade run section after section, two at
 * a time over the period (the second lagging the first by a sample in the
 * CPU's pipeline): biquad_run_scalar() of biquad.h.  RT thread (no
 * allocation).  It leaves the state unflushed, as it would be in
 * mid-period; biquad.c flushes it. */
#include "biquad.h"

static void run_one(const struct biquad_coef *c, struct biquad_state *s,
                    double *x, uint32_t frames)
{
	const double b0 = c->b0, b1 = c->b1, b2 = c->b2, a1 = c->a1, a2 = c->a2;
	double x1 = s->x1, x2 = s->x2, y1 = s->y1, y2 = s->y2;

	for (uint32_t i = 0; i < frames; i++) {
		double in = x[i];
		double out = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;

		x2 = x1;
		x1 = in;
		y2 = y1;
		y1 = out;
		x[i] = out;
	}
	*s = (struct biquad_state){ x1, x2, y1, y2 };
}

/* Sections c[0] then c[1]; the output history of the first is the input
 * history of the second, but each keeps its own copy so that either can
 * also run alone. */
static void run_two(const struct biquad_coef *c, struct biquad_state *s,
                    double *x, uint32_t frames)
{
	const double p0 = c[0].b0, p1 = c[0].b1, p2 = c[0].b2;
	const double pa1 = c[0].a1, pa2 = c[0].a2;
	const double q0 = c[1].b0, q1 = c[1].b1, q2 = c[1].b2;
	const double qa1 = c[1].a1, qa2 = c[1].a2;
	double x1 = s[0].x1, x2 = s[0].x2, m1 = s[0].y1, m2 = s[0].y2;
	double y1 = s[1].y1, y2 = s[1].y2;

	for (uint32_t i = 0; i < frames; i++) {
		double in = x[i];
		double mid = p0 * in + p1 * x1 + p2 * x2 - pa1 * m1 - pa2 * m2;
		double out = q0 * mid + q1 * m1 + q2 * m2 - qa1 * y1 - qa2 * y2;

		x2 = x1;
		x1 = in;
		m2 = m1;
		m1 = mid;
		y2 = y1;
		y1 = out;
		x[i] = out;
	}
	s[0] = (struct biquad_state){ x1, x2, m1, m2 };
	s[1] = (struct biquad_state){ m1, m2, y1, y2 };
}

void biquad_run_scalar(const struct biquad_coef *coef,
                       struct biquad_state *state, unsigned n_sections,
                       double *x, uint32_t frames)
{
	unsigned k = 0;

	for (; k + 2 <= n_sections; k += 2)
		run_two(coef + k, state + k, x, frames);
	if (k < n_sections)
		run_one(coef + k, state + k, x, frames);
}
