/* eq_file.c - EQ text files of blocks (see eq_file.h): read whole
 * (regular files only, non-blocking, bounded: lib/file_read.c), parsed by lib/eq_text.c;
 * a peq's filters resolved to dspd's band parameters at the block's rate,
 * a fir's GraphicEQ points handed to the design.
 * Control thread or the builder thread. */
#include "eq_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biquad_design.h"
#include "eq_text.h"
#include "file_read.h"

static int kind_index(const char *name)
{
	for (int k = 0; k < BQ_N_SHAPE_KINDS; k++)
		if (strcmp(biquad_kind_names[k], name) == 0)
			return k;
	return -1;
}

static int to_band(const struct eq_band *b, struct cfg_peq_band *out)
{
	*out = (struct cfg_peq_band){ .kind = kind_index(b->kind) };
	if (out->kind < 0)
		return -EINVAL;
	out->param[BQK_FREQ] = b->freq;
	out->given = 1u << BQK_FREQ;
	if (b->has_gain) {
		out->param[BQK_GAIN_DB] = b->gain_db;
		out->given |= 1u << BQK_GAIN_DB;
	}
	if (b->slope_db) {
		out->param[BQK_SLOPE] = b->slope_db;
		out->given |= 1u << BQK_SLOPE;
	} else {
		out->param[BQK_Q] = b->q ? b->q : M_SQRT1_2;
		out->given |= 1u << BQK_Q;
	}
	return 0;
}

static int convert(const struct eq_text *t, double rate, struct cfg_peq *ret,
                   char *why, size_t why_len)
{
	struct eq_band b;

	if (t->graphic_line) {
		snprintf(why, why_len, "line %u: a GraphicEQ is not a peq (give "
		         "the file to a fir block's \"graphic_eq\")",
		         t->graphic_line);
		return -EINVAL;
	}
	for (unsigned i = 0; i < t->n_filters; i++) {
		if (eq_filter_band(&t->filters[i], rate, &b, why, why_len) < 0)
			return -EINVAL;
		if (to_band(&b, &ret->bands[i]) < 0) {
			snprintf(why, why_len, "line %u: no dspd kind",
			         t->filters[i].line);
			return -EINVAL;
		}
	}
	ret->n_bands = t->n_filters;
	return 0;
}

/* path read and parsed into *ret (allocated), or an error in err */
static int load_text(const char *path, const char *what, struct eq_text **ret,
                     char *err, size_t err_len)
{
	struct eq_text *t = malloc(sizeof(*t));
	char why[EQ_TEXT_ERR_MAX];
	size_t len = 0;
	char *text = NULL;
	int r;

	if (!t)
		return -ENOMEM;
	if ((r = file_read_whole(AT_FDCWD, path, EQ_TEXT_MAX_BYTES, 0, &text, &len)) < 0) {
		snprintf(err, err_len, "%s \"%s\": %s", what, path,
		         r == -EINVAL || r == -EISDIR ? "not a regular file" :
		         r == -EFBIG ? "larger than 256 KiB" : strerror(-r));
		free(t);
		return r;
	}
	r = eq_text_parse(text, len, t, why, sizeof(why));
	free(text);
	if (r < 0) {
		snprintf(err, err_len, "%s \"%s\": %s", what, path, why);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int eq_file_points(const char *path, struct eq_point *pts, unsigned *ret_n,
                   double *ret_preamp_db, char *err, size_t err_len)
{
	struct eq_text *t;
	int r = load_text(path, "GraphicEQ file", &t, err, err_len);

	if (r < 0)
		return r;
	if (t->n_filters || !t->n_points) {
		snprintf(err, err_len, "GraphicEQ file \"%s\": %s", path,
		         t->n_filters ? "has Filter lines: a peq block's \"file\" "
		                        "takes them" : "has no GraphicEQ line");
		r = -EINVAL;
	} else {
		memcpy(pts, t->points, t->n_points * sizeof(*pts));
		*ret_n = t->n_points;
		*ret_preamp_db = t->preamp_db;
	}
	free(t);
	return r;
}

int eq_file_load(const char *path, double rate, struct cfg_peq *ret,
                 double *ret_preamp_db, char *err, size_t err_len)
{
	char why[EQ_TEXT_ERR_MAX];
	struct eq_text *t;
	int r = load_text(path, "EQ file", &t, err, err_len);

	if (r < 0)
		return r;
	r = convert(t, rate, ret, why, sizeof(why));
	if (r == 0)
		*ret_preamp_db = t->preamp_db;
	else
		snprintf(err, err_len, "EQ file \"%s\": %s", path, why);
	free(t);
	return r;
}
