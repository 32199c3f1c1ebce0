/* eq_text.h - the EQ text files users bring from EqualizerAPO, AutoEq and
 * REW: parsed into plain values (eq_text_parse), resolved to dspd's peq
 * band parameters (eq_filter_band) and written back in the EqualizerAPO
 * ParametricEQ form (eq_text_format).  Shared by dspd (the peq "file" key)
 * and dspctl ("eq import", "eq export"), so it knows dspd's kind names as
 * strings but includes nothing of the daemon.  Pure: no I/O beyond the
 * text given, no globals, any thread (callers use it on the control
 * thread or in dspctl).
 *
 * The lines understood (EqualizerAPO's configuration reference and its
 * BiQuadFilterFactory / GraphicEQFilterFactory; fields may be separated
 * by any run of spaces or tabs, as in REW's padded export; a decimal comma
 * is read as a point, as EqualizerAPO does):
 *   # comment            blank lines              CRLF line ends
 *   Preamp: G dB         (several add up)
 *   Filter[ N]: ON TYPE [S dB] [Fc F Hz] [Gain G dB] [Q Q | BW Oct B]
 *   Filter[ N]: OFF ...  skipped;  "ON None" skipped (REW's empty slot)
 *   GraphicEQ: F G; F G; ...
 * TYPE: PK PEQ Modal (peaking), LP LPQ HP HPQ BP NO AP, LS HS (shelf at
 * a corner frequency), LSC HSC (shelf at its centre frequency).  Any
 * other command (Channel:, Include:, Convolution: ...) is an error. */
#ifndef DSPD_EQ_TEXT_H
#define DSPD_EQ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define EQ_TEXT_MAX_BYTES (256 * 1024)  /* a whole file */
#define EQ_TEXT_MAX_LINE 16384          /* one line (a GraphicEQ line is long) */
#define EQ_TEXT_MAX_FILTERS 32          /* a peq block's bands */
#define EQ_TEXT_MAX_POINTS 1024         /* GraphicEQ points */
#define EQ_TEXT_ERR_MAX 200

/* The limits dspd's peq bands take (daemon/config/config_fx_filters.c). */
#define EQ_FREQ_MAX 384000.0
#define EQ_Q_MIN 0.05
#define EQ_Q_MAX 100.0
#define EQ_GAIN_MIN -60.0
#define EQ_GAIN_MAX 40.0
#define EQ_PREAMP_MIN -150.0
#define EQ_PREAMP_MAX 40.0
#define EQ_GEQ_GAIN_MIN -100.0
#define EQ_GEQ_GAIN_MAX 40.0

enum eq_kind {
	EQ_PK, EQ_LP, EQ_HP, EQ_BP, EQ_NO, EQ_AP, EQ_LS, EQ_HS, EQ_N_KINDS
};

/* One filter as written. */
struct eq_filter {
	int kind;                       /* enum eq_kind */
	bool corner;                    /* LS/HS: Fc is the corner frequency */
	double freq;                    /* Hz, as written */
	double gain_db;                 /* 0 when not given */
	double q;                       /* 0 when not given */
	double bw_oct;                  /* "BW Oct": 0 when not given */
	double slope_db;                /* shelves' "S dB": 0 when not given */
	unsigned line;                  /* 1-based */
};

struct eq_point {
	double freq, gain_db;
};

struct eq_text {
	double preamp_db;               /* sum of the Preamp lines */
	unsigned n_filters;             /* ON filters */
	struct eq_filter filters[EQ_TEXT_MAX_FILTERS];
	unsigned n_off;                 /* filters skipped (OFF, ON None) */
	unsigned graphic_line;          /* line of the GraphicEQ, 0 = none */
	unsigned n_points;
	struct eq_point points[EQ_TEXT_MAX_POINTS];
};

/* dspd's parameters of one band: kind is a peq band kind name
 * ("peaking", "lowshelf", ...); q or slope_db (dB per octave, dspd's
 * "slope") is set, the other 0; has_gain says whether gain_db applies. */
struct eq_band {
	const char *kind;
	double freq;
	double gain_db;
	bool has_gain;
	double q;
	double slope_db;
};

/* Parses len bytes of text (need not end in NUL) into ret (which is
 * large: allocate it).  Returns 0, or -EINVAL with "line N: what" in err
 * (-E2BIG for a text over EQ_TEXT_MAX_BYTES).  An empty file, or one
 * with neither a filter, a GraphicEQ nor a Preamp, is an error too. */
int eq_text_parse(const char *text, size_t len, struct eq_text *ret,
                  char *err, size_t err_len);

/* The dspd band that has EqualizerAPO's response for f at rate Hz (the
 * rate matters only for "BW Oct", whose Q depends on it).  Returns 0 or
 * -EINVAL with "line N: what" in err. */
int eq_filter_band(const struct eq_filter *f, double rate,
                   struct eq_band *ret, char *err, size_t err_len);

/* The EqualizerAPO ParametricEQ form of preamp_db and n bands into buf.
 * Returns the length written, -EINVAL with "band N (kind): no
 * EqualizerAPO form" in err for a kind it has none for (the first-order
 * ones), -ENOSPC when buf is too small. */
int eq_text_format(double preamp_db, const struct eq_band *bands,
                   unsigned n, char *buf, size_t size, char *err,
                   size_t err_len);

/* EqualizerAPO's interpolation of GraphicEQ points: linear in dB over
 * log frequency, constant beyond the first and last point. */
double eq_graphic_gain_at(const struct eq_point *pts, unsigned n,
                          double freq);

#endif
