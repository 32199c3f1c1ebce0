/* eq_text.c - parsing the EqualizerAPO / AutoEq / REW EQ text forms (see
 * eq_text.h for the lines).  A scanner over one line at a time: a line is
 * copied (decimal commas made points), its command read up to the first
 * ':', and its fields matched keyword by keyword, so that REW's padded
 * columns and EqualizerAPO's tighter forms ("Fc 105Hz") both read.  Every
 * error names the line.  Pure: any thread. */
#include "eq_text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[EQ_N_KINDS] = {
	[EQ_PK] = "PK", [EQ_LP] = "LP", [EQ_HP] = "HP", [EQ_BP] = "BP",
	[EQ_NO] = "NO", [EQ_AP] = "AP", [EQ_LS] = "LS", [EQ_HS] = "HS",
};

/* EqualizerAPO's names (BiQuadFilterFactory) */
static const struct {
	const char *name;
	int kind;
	bool corner;
} type_names[] = {
	{ "PK", EQ_PK, false }, { "PEQ", EQ_PK, false },
	{ "Modal", EQ_PK, false }, { "LP", EQ_LP, false },
	{ "LPQ", EQ_LP, false }, { "HP", EQ_HP, false },
	{ "HPQ", EQ_HP, false }, { "BP", EQ_BP, false },
	{ "NO", EQ_NO, false }, { "AP", EQ_AP, false },
	{ "LS", EQ_LS, true }, { "HS", EQ_HS, true },
	{ "LSC", EQ_LS, false }, { "HSC", EQ_HS, false },
};

struct scan {
	char *p;
	unsigned line;
	char *err;
	size_t err_len;
};

static int fail(struct scan *s, const char *fmt, ...)
{
	int n = snprintf(s->err, s->err_len, "line %u: ", s->line);
	va_list ap;

	if (n >= 0 && (size_t)n < s->err_len) {
		va_start(ap, fmt);
		vsnprintf(s->err + n, s->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void skip_space(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t')
		s->p++;
}

/* The next word (up to a space) quoted for an error, at most 24 bytes. */
static const char *shown(const char *p, char *buf, size_t size)
{
	size_t n = 0;

	while (p[n] && p[n] != ' ' && p[n] != '\t' && n + 1 < size && n < 24)
		n++;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* keyword w at the cursor, followed by a non-letter */
static bool word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	skip_space(s);
	if (strncmp(s->p, w, n) != 0 || isalpha((unsigned char)s->p[n]))
		return false;
	s->p += n;
	return true;
}

/* A decimal number, [-+0-9.eE]+ as EqualizerAPO reads it (no hex, no
 * inf/nan), finite.  digits: the characters read, for the Fc quirk. */
static int number(struct scan *s, const char *what, double *ret,
                  char *digits, size_t size)
{
	char buf[48], seen[32];
	size_t n = 0;
	char *end;

	skip_space(s);
	while (s->p[n] && strchr("-+0123456789.eE", s->p[n]))
		n++;
	if (n == 0 || n >= sizeof(buf))
		return fail(s, "%s: a number expected, got '%s'", what,
		            shown(s->p, seen, sizeof(seen)));
	memcpy(buf, s->p, n);
	buf[n] = '\0';
	*ret = strtod(buf, &end);
	if (*end || !isfinite(*ret))
		return fail(s, "%s: '%s' is not a number", what, buf);
	if (digits)
		snprintf(digits, size, "%s", buf);
	s->p += n;
	return 0;
}

/* unit u right after a number ("105 Hz", "105Hz", "6.5 dB") */
static int unit(struct scan *s, const char *what, const char *u)
{
	char seen[32];

	if (word(s, u))
		return 0;
	return fail(s, "%s: '%s' expected after the number, got '%s'", what, u,
	            shown(s->p, seen, sizeof(seen)));
}

/* EqualizerAPO's getFreq(): "1.000" (5 or more characters, no exponent,
 * a point 3 from the end) is REW's thousands separator: 1000 Hz. */
static double rew_thousands(const char *digits, double v)
{
	size_t n = strlen(digits);

	if (n >= 5 && !strpbrk(digits, "eE") && digits[n - 4] == '.')
		return v * 1000.0;
	return v;
}

static int check_range(struct scan *s, const char *what, double v, double lo,
                       double hi, bool open_lo)
{
	if ((open_lo ? v > lo : v >= lo) && v <= hi)
		return 0;
	return fail(s, "%s %g is out of range (%s%g..%g)", what, v,
	            open_lo ? "above " : "", lo, hi);
}

/* ---- Filter ------------------------------------------------------------- */

/* The type after ON; 1 = skip (None), 0 = f->kind set. */
static int filter_type(struct scan *s, struct eq_filter *f)
{
	char name[16];
	size_t n = 0;

	skip_space(s);
	while (isalpha((unsigned char)s->p[n]) && n + 1 < sizeof(name))
		n++;
	memcpy(name, s->p, n);
	name[n] = '\0';
	if (n == 0)
		return fail(s, "filter type expected after ON");
	s->p += n;
	if (strcmp(name, "None") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(type_names[i].name, name) == 0) {
			f->kind = type_names[i].kind;
			f->corner = type_names[i].corner;
			return 0;
		}
	return fail(s, "unknown filter type '%s'", name);
}

static bool shelf(int kind)
{
	return kind == EQ_LS || kind == EQ_HS;
}

/* The keys after the type, in any order, each once. */
static int filter_fields(struct scan *s, struct eq_filter *f, bool *has_fc,
                         bool *has_gain)
{
	char digits[48], seen[32];
	bool q = false, bw = false;

	for (;;) {
		skip_space(s);
		if (!*s->p)
			return 0;
		if (word(s, "Fc")) {
			if (*has_fc)
				return fail(s, "Fc given twice");
			if (number(s, "Fc", &f->freq, digits, sizeof(digits)) < 0 ||
			    unit(s, "Fc", "Hz") < 0)
				return -EINVAL;
			f->freq = rew_thousands(digits, f->freq);
			*has_fc = true;
		} else if (word(s, "Gain")) {
			if (*has_gain)
				return fail(s, "Gain given twice");
			if (number(s, "Gain", &f->gain_db, NULL, 0) < 0 ||
			    unit(s, "Gain", "dB") < 0)
				return -EINVAL;
			*has_gain = true;
		} else if (word(s, "Q")) {
			if (q || bw)
				return fail(s, "give one Q or BW");
			if (number(s, "Q", &f->q, NULL, 0) < 0)
				return -EINVAL;
			q = true;
		} else if (word(s, "BW")) {
			if (q || bw)
				return fail(s, "give one Q or BW");
			if (!word(s, "Oct"))
				return fail(s, "BW: 'Oct' expected (BW Oct N)");
			if (number(s, "BW", &f->bw_oct, NULL, 0) < 0)
				return -EINVAL;
			bw = true;
		} else {
			return fail(s, "unexpected '%s' (Fc, Gain, Q or BW Oct "
			            "expected)", shown(s->p, seen, sizeof(seen)));
		}
	}
}

/* What each kind needs, and the ranges dspd takes. */
static int filter_check(struct scan *s, struct eq_filter *f, bool has_fc,
                        bool has_gain)
{
	const char *k = kind_names[f->kind];

	if (!has_fc)
		return fail(s, "Fc expected (Fc F Hz)");
	if (!has_gain && (f->kind == EQ_PK || shelf(f->kind)))
		return fail(s, "Gain expected (%s needs Gain G dB)", k);
	if ((f->kind == EQ_PK || f->kind == EQ_AP) && !f->q && !f->bw_oct)
		return fail(s, "Q expected (%s needs Q or BW Oct)", k);
	if (shelf(f->kind) && f->bw_oct)
		return fail(s, "BW does not apply to a shelf (give Q or a "
		            "slope in dB)");
	if (f->slope_db && f->q)
		return fail(s, "give either a slope or Q, not both");
	if (!has_gain || !(f->kind == EQ_PK || shelf(f->kind) ||
	                   f->kind == EQ_BP))
		f->gain_db = 0.0;       /* EqualizerAPO ignores it */
	if (check_range(s, "Fc", f->freq, 0.0, EQ_FREQ_MAX, true) < 0 ||
	    check_range(s, "Gain", f->gain_db, EQ_GAIN_MIN, EQ_GAIN_MAX,
	                false) < 0)
		return -EINVAL;
	if (f->q && check_range(s, "Q", f->q, EQ_Q_MIN, EQ_Q_MAX, false) < 0)
		return -EINVAL;
	if (f->bw_oct && check_range(s, "BW", f->bw_oct, 0.0, 10.0, true) < 0)
		return -EINVAL;
	if (f->slope_db && check_range(s, "slope", f->slope_db, 0.0, 12.0,
	                               true) < 0)
		return -EINVAL;
	return 0;
}

static int parse_filter(struct scan *s, struct eq_text *t)
{
	struct eq_filter f = { .line = s->line };
	bool has_fc = false, has_gain = false;
	int r;

	if (word(s, "OFF")) {
		t->n_off++;
		return 0;
	}
	if (!word(s, "ON"))
		return fail(s, "ON or OFF expected after 'Filter:'");
	if ((r = filter_type(s, &f)) != 0) {
		t->n_off += r > 0;
		return r > 0 ? 0 : r;
	}
	/* "LS 6dB": a slope right after the type */
	skip_space(s);
	if (*s->p && strchr("-+0123456789.", *s->p)) {
		if (!shelf(f.kind))
			return fail(s, "a slope applies only to LS, HS, LSC and "
			            "HSC");
		if (number(s, "slope", &f.slope_db, NULL, 0) < 0 ||
		    unit(s, "slope", "dB") < 0)
			return -EINVAL;
		if (f.slope_db <= 0)
			return fail(s, "slope %g dB must be above 0", f.slope_db);
	}
	if (filter_fields(s, &f, &has_fc, &has_gain) < 0 ||
	    filter_check(s, &f, has_fc, has_gain) < 0)
		return -EINVAL;
	if (t->n_filters >= EQ_TEXT_MAX_FILTERS)
		return fail(s, "more than %d filters (a peq block's bands)",
		            EQ_TEXT_MAX_FILTERS);
	t->filters[t->n_filters++] = f;
	return 0;
}

/* ---- Preamp, GraphicEQ -------------------------------------------------- */

static int parse_preamp(struct scan *s, struct eq_text *t)
{
	double g;
	char seen[32];

	if (number(s, "Preamp", &g, NULL, 0) < 0 || unit(s, "Preamp", "dB") < 0)
		return -EINVAL;
	skip_space(s);
	if (*s->p)
		return fail(s, "unexpected '%s' after the preamp",
		            shown(s->p, seen, sizeof(seen)));
	t->preamp_db += g;
	if (t->preamp_db < EQ_PREAMP_MIN || t->preamp_db > EQ_PREAMP_MAX)
		return fail(s, "Preamp %g dB is out of range (%g..%g)",
		            t->preamp_db, EQ_PREAMP_MIN, EQ_PREAMP_MAX);
	return 0;
}

static int parse_graphic(struct scan *s, struct eq_text *t)
{
	char what[40];

	if (t->graphic_line)
		return fail(s, "a second GraphicEQ line (the first is line %u)",
		            t->graphic_line);
	t->graphic_line = s->line;
	for (;;) {
		struct eq_point pt;
		unsigned i = t->n_points;

		skip_space(s);
		if (!*s->p)
			break;
		snprintf(what, sizeof(what), "GraphicEQ point %u", i + 1);
		if (i >= EQ_TEXT_MAX_POINTS)
			return fail(s, "more than %d GraphicEQ points",
			            EQ_TEXT_MAX_POINTS);
		if (number(s, what, &pt.freq, NULL, 0) < 0 ||
		    number(s, what, &pt.gain_db, NULL, 0) < 0)
			return -EINVAL;
		if (pt.freq <= 0 || pt.freq > EQ_FREQ_MAX)
			return fail(s, "%s: frequency %g Hz is out of range", what,
			            pt.freq);
		if (i && pt.freq <= t->points[i - 1].freq)
			return fail(s, "%s: frequency %g Hz is not above the "
			            "previous point's %g Hz", what, pt.freq,
			            t->points[i - 1].freq);
		if (pt.gain_db < EQ_GEQ_GAIN_MIN || pt.gain_db > EQ_GEQ_GAIN_MAX)
			return fail(s, "%s: gain %g dB is out of range (%g..%g)",
			            what, pt.gain_db, EQ_GEQ_GAIN_MIN,
			            EQ_GEQ_GAIN_MAX);
		t->points[t->n_points++] = pt;
		skip_space(s);
		if (*s->p == ';')
			s->p++;
		else if (*s->p)
			return fail(s, "%s: ';' expected between points", what);
	}
	if (t->n_points < 2)
		return fail(s, "GraphicEQ needs at least 2 points");
	return 0;
}

/* ---- lines -------------------------------------------------------------- */

static int parse_line(struct scan *s, struct eq_text *t)
{
	char *colon, cmd[40];
	size_t n;

	skip_space(s);
	if (!*s->p || *s->p == '#')
		return 0;
	colon = strchr(s->p, ':');
	n = colon ? (size_t)(colon - s->p) : strlen(s->p);
	n = n < 30 ? n : 30;
	memcpy(cmd, s->p, n);
	while (n && (cmd[n - 1] == ' ' || cmd[n - 1] == '\t'))
		n--;
	cmd[n] = '\0';
	if (!colon)
		return fail(s, "'%s' is not a command (Preamp:, Filter:, "
		            "GraphicEQ: or a # comment)", cmd);
	s->p = colon + 1;
	if (strcmp(cmd, "Preamp") == 0)
		return parse_preamp(s, t);
	if (strcmp(cmd, "GraphicEQ") == 0)
		return parse_graphic(s, t);
	if (strncmp(cmd, "Filter", 6) == 0) {
		const char *num = cmd + 6;

		while (*num == ' ' || *num == '\t')
			num++;
		while (isdigit((unsigned char)*num))
			num++;
		if (!*num)
			return parse_filter(s, t);
	}
	return fail(s, "unsupported command '%s' (dspd reads Preamp, Filter "
	            "and GraphicEQ)", cmd);
}

int eq_text_parse(const char *text, size_t len, struct eq_text *ret,
                  char *err, size_t err_len)
{
	struct scan s = { .err = err, .err_len = err_len };
	size_t pos = 0;
	char *buf;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > EQ_TEXT_MAX_BYTES) {
		snprintf(err, err_len, "the file has %zu bytes, at most %d are "
		         "read", len, EQ_TEXT_MAX_BYTES);
		return -E2BIG;
	}
	if (!(buf = malloc(EQ_TEXT_MAX_LINE + 1)))
		return -ENOMEM;
	while (pos < len && r == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		s.line++;
		if (n > EQ_TEXT_MAX_LINE) {
			r = fail(&s, "longer than %d bytes", EQ_TEXT_MAX_LINE);
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[n - 1] = '\0';
		for (char *c = buf; *c; c++) {
			if (*c == ',')
				*c = '.';       /* decimal comma, as EqualizerAPO */
			else if ((unsigned char)*c < ' ' && *c != '\t')
				*c = ' ';
		}
		if (pos == 0 && strncmp(buf, "\xef\xbb\xbf", 3) == 0)
			memset(buf, ' ', 3);    /* a UTF-8 byte order mark */
		s.p = buf;
		if (memchr(text + pos, '\0', n))
			r = fail(&s, "holds a NUL byte: not a text file");
		else
			r = parse_line(&s, ret);
		pos += n + (nl != NULL);
	}
	free(buf);
	if (r < 0)
		return r;
	if (!ret->n_filters && !ret->n_points && !ret->preamp_db && !ret->n_off) {
		snprintf(err, err_len, "no Preamp, Filter or GraphicEQ line");
		return -EINVAL;
	}
	return 0;
}
