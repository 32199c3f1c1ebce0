/* eq_text_band.c - EqualizerAPO's filter definitions as dspd's peq band
 * parameters, the ParametricEQ form written back, and the GraphicEQ
 * interpolation (see eq_text.h).  Pure: any thread.
 *
 * The definitions (EqualizerAPO's BiQuad.cpp, BiQuadFilter.cpp and
 * BiQuadFilterFactory.cpp; the shelves and peaks are the RBJ Audio EQ
 * Cookbook's, which is what dspd's biquad_design.c computes):
 *  - PK, LP, HP, BP, NO, AP with Q: the cookbook with that Q.  Without Q,
 *    LP, HP and BP take 1/sqrt(2) and NO 30 ("found out by experimentation
 *    with RoomEQWizard").
 *  - "BW Oct N": the cookbook's bandwidth form, alpha = sin w0
 *    sinh(ln 2 / 2 N w0 / sin w0), i.e. Q = 1 / (2 sinh(ln 2 / 2 N w0 /
 *    sin w0)): it depends on the rate, so the band is resolved at one.
 *  - Shelves with Q: the cookbook shelf with that Q.  With "S dB": the
 *    cookbook's shelf slope S = S dB / 12 (dspd's "slope" is the dB
 *    figure, the same S).  With neither: S = 0.9 (dspd slope 10.8 dB).
 *  - LS/HS (no C) with a Q or a slope: Fc is the corner frequency, the
 *    filter is designed at centre = Fc * 10^(|G| / (80 S)) (low shelf;
 *    divided for the high shelf), S from Q by 1/S = (1/Q^2 - 2) /
 *    (A + 1/A) + 1, A = 10^(G/40) ("frequency adjustment for DCX2496").
 *    With neither (S = 0.9 by default), EqualizerAPO uses Fc as the
 *    centre; so does this. */
#include "eq_text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHELF_DEFAULT_S 0.9
#define NOTCH_DEFAULT_Q 30.0

static const char *const dspd_kind[EQ_N_KINDS] = {
	[EQ_PK] = "peaking", [EQ_LP] = "lowpass", [EQ_HP] = "highpass",
	[EQ_BP] = "bandpass", [EQ_NO] = "notch", [EQ_AP] = "allpass",
	[EQ_LS] = "lowshelf", [EQ_HS] = "highshelf",
};

static int band_fail(const struct eq_filter *f, char *err, size_t err_len,
                     const char *what, double v)
{
	snprintf(err, err_len, "line %u: %s (%g)", f->line, what, v);
	return -EINVAL;
}

static int q_from_bw(const struct eq_filter *f, double rate, double *q,
                     char *err, size_t err_len)
{
	double w0, sn;

	if (!(rate > 0) || f->freq >= rate / 2.0)
		return band_fail(f, err, err_len, "BW Oct needs Fc below half the "
		                 "rate", f->freq);
	w0 = 2.0 * M_PI * f->freq / rate;
	sn = sin(w0);
	*q = 1.0 / (2.0 * sinh(M_LN2 / 2.0 * f->bw_oct * w0 / sn));
	if (!isfinite(*q) || *q < EQ_Q_MIN || *q > EQ_Q_MAX)
		return band_fail(f, err, err_len, "BW Oct gives a Q out of range",
		                 *q);
	return 0;
}

/* The shelf's S for the corner adjustment. */
static int shelf_s(const struct eq_filter *f, double *s, char *err,
                   size_t err_len)
{
	double a = pow(10.0, f->gain_db / 40.0);

	if (f->slope_db) {
		*s = f->slope_db / 12.0;
		return 0;
	}
	*s = 1.0 / ((1.0 / (f->q * f->q) - 2.0) / (a + 1.0 / a) + 1.0);
	if (isfinite(*s) && *s > 0)
		return 0;
	return band_fail(f, err, err_len, "this Q has no corner frequency "
	                 "(use LSC/HSC)", f->q);
}

static int shelf_band(const struct eq_filter *f, struct eq_band *b,
                      char *err, size_t err_len)
{
	double s, factor;

	if (!f->q && !f->slope_db) {
		b->slope_db = 12.0 * SHELF_DEFAULT_S;
		return 0;
	}
	b->q = f->q;
	b->slope_db = f->slope_db;
	if (!f->corner)
		return 0;
	if (shelf_s(f, &s, err, err_len) < 0)
		return -EINVAL;
	factor = pow(10.0, fabs(f->gain_db) / 80.0 / s);
	b->freq = f->kind == EQ_LS ? f->freq * factor : f->freq / factor;
	if (!(b->freq > 0) || b->freq > EQ_FREQ_MAX)
		return band_fail(f, err, err_len, "the corner frequency puts the "
		                 "centre out of range", b->freq);
	return 0;
}

int eq_filter_band(const struct eq_filter *f, double rate,
                   struct eq_band *ret, char *err, size_t err_len)
{
	*ret = (struct eq_band){
		.kind = dspd_kind[f->kind],
		.freq = f->freq,
		.gain_db = f->gain_db,
		.has_gain = f->kind == EQ_PK || f->kind == EQ_LS ||
		            f->kind == EQ_HS,
	};
	if (f->kind == EQ_LS || f->kind == EQ_HS)
		return shelf_band(f, ret, err, err_len);
	if (f->bw_oct)
		return q_from_bw(f, rate, &ret->q, err, err_len);
	ret->q = f->q ? f->q : f->kind == EQ_NO ? NOTCH_DEFAULT_Q : M_SQRT1_2;
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* The shortest %g that reads back as v; for Fc, never "d.ddd" with 5 or
 * more characters (EqualizerAPO would read 1000 times that). */
static void shortest(double v, bool freq, char *buf, size_t size)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (freq) {
		size_t n = strlen(buf);

		if (n >= 5 && !strpbrk(buf, "eE") && buf[n - 4] == '.' &&
		    n + 1 < size)
			memcpy(buf + n, "0", 2);
	}
}

static const struct {
	const char *dspd, *apo;
} export_names[] = {
	{ "peaking", "PK" }, { "lowshelf", "LSC" }, { "highshelf", "HSC" },
	{ "lowpass", "LP" }, { "highpass", "HP" }, { "bandpass", "BP" },
	{ "notch", "NO" }, { "allpass", "AP" },
};

static const char *apo_name(const char *kind)
{
	for (size_t i = 0; i < sizeof(export_names) / sizeof(export_names[0]); i++)
		if (kind && strcmp(export_names[i].dspd, kind) == 0)
			return export_names[i].apo;
	return NULL;
}

static int put(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > size)
		return -ENOSPC;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

/* One "Filter N: ON ..." line. */
static int format_band(unsigned i, const struct eq_band *b, const char *apo,
                       char *line, size_t size)
{
	char f[40], g[40], q[40], s[40];
	bool shelf = strcmp(apo, "LSC") == 0 || strcmp(apo, "HSC") == 0;
	int n;

	shortest(b->freq, true, f, sizeof(f));
	shortest(b->gain_db, false, g, sizeof(g));
	shortest(b->q ? b->q : M_SQRT1_2, false, q, sizeof(q));
	shortest(b->slope_db, false, s, sizeof(s));
	if (shelf && b->slope_db)
		n = snprintf(line, size, "Filter %u: ON %s %s dB Fc %s Hz Gain %s "
		             "dB\n", i + 1, apo, s, f, g);
	else if (b->has_gain)
		n = snprintf(line, size, "Filter %u: ON %s Fc %s Hz Gain %s dB "
		             "Q %s\n", i + 1, apo, f, g, q);
	else
		n = snprintf(line, size, "Filter %u: ON %s Fc %s Hz Q %s\n", i + 1,
		             apo, f, q);
	return n > 0 && (size_t)n < size ? 0 : -ENOSPC;
}

int eq_text_format(double preamp_db, const struct eq_band *bands,
                   unsigned n, char *buf, size_t size, char *err,
                   size_t err_len)
{
	char line[256], p[40];
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	shortest(preamp_db, false, p, sizeof(p));
	snprintf(line, sizeof(line), "Preamp: %s dB\n", p);
	if (put(buf, size, &len, line) < 0)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		const char *apo = apo_name(bands[i].kind);

		if (!apo) {
			snprintf(err, err_len, "band %u (%s): no EqualizerAPO form "
			         "(it has PK, LSC, HSC, LP, HP, BP, NO and AP)", i,
			         bands[i].kind ? bands[i].kind : "no kind");
			return -EINVAL;
		}
		if (format_band(i, &bands[i], apo, line, sizeof(line)) < 0 ||
		    put(buf, size, &len, line) < 0)
			return -ENOSPC;
	}
	return (int)len;
}

/* ---- GraphicEQ ---------------------------------------------------------- */

double eq_graphic_gain_at(const struct eq_point *pts, unsigned n, double freq)
{
	unsigned lo = 0, hi = n - 1;

	if (n == 0)
		return 0.0;
	if (freq <= pts[0].freq)
		return pts[0].gain_db;
	if (freq >= pts[n - 1].freq)
		return pts[n - 1].gain_db;
	while (hi - lo > 1) {           /* pts[lo].freq < freq < pts[hi].freq */
		unsigned mid = (lo + hi) / 2;

		if (pts[mid].freq <= freq)
			lo = mid;
		else
			hi = mid;
	}
	if (hi >= n)
		return pts[lo].gain_db;
	if (pts[lo].gain_db == pts[hi].gain_db)
		return pts[lo].gain_db;
	return pts[lo].gain_db + (log(freq) - log(pts[lo].freq)) /
	       (log(pts[hi].freq) - log(pts[lo].freq)) *
	       (pts[hi].gain_db - pts[lo].gain_db);
}
