/* biquad_design.h - filter design: from a kind and its parameters to
 * second-order section coefficients (double, a0 normalised to 1), plus the
 * table of which keys each kind takes.  Pure functions, no state: any
 * thread, though callers design on the control thread and hand the result
 * to the RT thread (biquad.h). */
#ifndef DSPD_BIQUAD_DESIGN_H
#define DSPD_BIQUAD_DESIGN_H

#include <stddef.h>
#include <stdint.h>

#define BIQUAD_MAX_SECTIONS 32
#define BIQUAD_MAX_ORDER 8              /* butterworth, linkwitz_riley */

/* "kind" of a biquad block or of a peq band.  The shape kinds (those a peq
 * band may use) come first. */
enum biquad_kind {
	BQ_KIND_NONE = -1,              /* not given (yet) */
	BQ_LOWPASS,
	BQ_HIGHPASS,
	BQ_BANDPASS,                    /* constant 0 dB peak */
	BQ_NOTCH,
	BQ_ALLPASS,
	BQ_PEAKING,
	BQ_LOWSHELF,
	BQ_HIGHSHELF,
	BQ_LOWPASS1,                    /* first order */
	BQ_HIGHPASS1,
	BQ_LOWSHELF1,
	BQ_HIGHSHELF1,
	BQ_ALLPASS1,
	BQ_N_SHAPE_KINDS,
	BQ_LINKWITZ_TRANSFORM = BQ_N_SHAPE_KINDS,
	BQ_FREE,
	BQ_N_KINDS,
};

/* The numeric keys of a biquad; the first BQK_N_SHAPE ones are a peq
 * band's.  Index into param[], bit (1u << key) of given. */
enum biquad_key {
	BQK_FREQ,
	BQK_Q,
	BQK_GAIN_DB,
	BQK_SLOPE,
	BQK_N_SHAPE,
	BQK_FREQ_ACT = BQK_N_SHAPE,
	BQK_Q_ACT,
	BQK_FREQ_TARGET,
	BQK_Q_TARGET,
	BQK_B0,
	BQK_B1,
	BQK_B2,
	BQK_A1,
	BQK_A2,
	BQK_N,
};

enum geq_resolution { GEQ_THIRD, GEQ_OCTAVE };

/* H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2) */
struct biquad_coef {
	double b0, b1, b2, a1, a2;
};

struct biquad_kind_info {
	unsigned keys;                  /* bits (1u << enum biquad_key) allowed */
	unsigned required;              /* ... that must be given */
};

extern const struct biquad_kind_info biquad_kinds[BQ_N_KINDS];
/* As in the config file, ending with NULL. */
extern const char *const biquad_kind_names[BQ_N_KINDS + 1];
extern const char *const biquad_key_names[BQK_N];
/* Default of an optional key (q: 1/sqrt 2, Butterworth). */
extern const double biquad_key_defaults[BQK_N];

/* "freq, q" for the keys in mask, into buf. */
void biquad_key_list(unsigned mask, char *buf, size_t size);

/* Coefficients for kind with param[] (BQK_N values, missing keys at their
 * defaults) at rate Hz.  Returns 0, or -EINVAL with the reason in why
 * (a frequency not below rate/2, free coefficients with a pole on or
 * outside the unit circle). */
int biquad_design(int kind, const double *param, double rate,
                  struct biquad_coef *ret, char *why, size_t why_len);
/* Frames until the impulse response of a cascade of n sections has decayed
 * below `level` (e.g. 1e-4, -80 dB), from its slowest pole; at most ten
 * seconds at 192 kHz.  What a filter started from silence needs before its
 * output is what it would have been had it always run. */
uint32_t biquad_decay_frames(const struct biquad_coef *coef, unsigned n,
                             double level);

/* Largest pole radius of 1 + a1 z^-1 + a2 z^-2. */
double biquad_pole_radius(const struct biquad_coef *c);

/* Butterworth lowpass or highpass (kind BQ_LOWPASS/BQ_HIGHPASS) of order
 * 1..BIQUAD_MAX_ORDER at freq, as cascaded sections (a first-order one
 * last for odd orders).  freq must be below rate/2.  Returns the number of
 * sections written to ret. */
unsigned butterworth_design(int kind, unsigned order, double freq,
                            double rate, struct biquad_coef *ret);
/* Linkwitz-Riley of even order 2..BIQUAD_MAX_ORDER: a Butterworth of half
 * the order, twice. */
unsigned linkwitz_riley_design(int kind, unsigned order, double freq,
                               double rate, struct biquad_coef *ret);

/* Graphic EQ bands: count, exact base-10 mid-band frequencies (IEC 61260:
 * 1000 * 10^(k/10) Hz, k in steps of 1 or 3) and the peaking Q whose
 * bandwidth is the band spacing. */
unsigned geq_band_count(int resolution);
double geq_band_freq(int resolution, unsigned band);
double geq_band_q(int resolution);

#endif
