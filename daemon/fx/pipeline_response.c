/* pipeline_response.c - a pipeline's response carried through its blocks
 * (see pipeline_response.h).  Any thread; it reads the blocks only.
 *
 * The column h[ch] (with dh[ch]) is the response at channel ch of the
 * point reached so far.  A block maps it to h'[o] = sum_k B[o][k] h[k],
 * dh'[o] = sum_k (dB[o][k] h[k] + B[o][k] dh[k]) over its paths k -> o;
 * a block with no response of its own (meter, dither, bypassed) is
 * skipped, as it passes the channels unchanged. */
#include "pipeline_response.h"
#include "fx_response.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned widest(const struct pipeline *p)
{
	unsigned most = p->channels_in;

	for (unsigned i = 0; i < p->n_fx; i++)
		if (p->fx[i]->channels_out > most)
			most = p->fx[i]->channels_out;
	return most > FX_MAX_CHANNELS ? FX_MAX_CHANNELS : most;
}

static bool passes_unchanged(const struct fx *fx)
{
	return fx->channels_in == fx->channels_out &&
	       (fx->bypass || !fx->ops->response);
}

/* One block on the column (h, dh, reach), into (nh, ndh, nreach). */
static void through_block(const struct fx *fx, const double *w, size_t n,
                          const double complex *h, const double complex *dh,
                          const uint32_t *reach, double complex *nh,
                          double complex *ndh, uint32_t *nreach,
                          double complex *b, double complex *db)
{
	for (unsigned o = 0; o < fx->channels_out && o < FX_MAX_CHANNELS; o++) {
		double complex *y = nh + o * n, *dy = ndh + o * n;

		memset(y, 0, n * sizeof(*y));
		memset(dy, 0, n * sizeof(*dy));
		nreach[o] = 0;
		for (unsigned k = 0; k < fx->channels_in && k < FX_MAX_CHANNELS; k++) {
			const double complex *x = h + k * n, *dx = dh + k * n;

			if (!reach[k] || !fx_response(fx, o, k, w, n, b, db))
				continue;
			for (size_t i = 0; i < n; i++) {
				y[i] += b[i] * x[i];
				dy[i] += db[i] * x[i] + b[i] * dx[i];
			}
			nreach[o] |= reach[k];
		}
	}
}

int pipeline_response(const struct pipeline *p, const double *w, size_t n,
                      uint32_t inputs, struct pipeline_response *ret)
{
	unsigned width = widest(p);
	size_t row = n * sizeof(double complex);
	double complex *cur = NULL, *dcur = NULL, *next = NULL, *dnext = NULL;
	double complex *b = NULL, *db = NULL, *swap;
	uint32_t reach[FX_MAX_CHANNELS] = { 0 }, nreach[FX_MAX_CHANNELS];

	memset(ret, 0, sizeof(*ret));
	if (p->channels_in < 32)
		inputs &= (1u << p->channels_in) - 1;
	if (!inputs)
		return -EINVAL;
	cur = calloc(width, row);
	dcur = calloc(width, row);
	next = calloc(width, row);
	dnext = calloc(width, row);
	b = malloc(row ? row : 1);
	db = malloc(row ? row : 1);
	if (!cur || !dcur || !next || !dnext || !b || !db) {
		free(cur), free(dcur), free(next), free(dnext), free(b), free(db);
		return -ENOMEM;
	}
	for (unsigned ch = 0; ch < p->channels_in && ch < width; ch++) {
		if (!(inputs & (1u << ch)))
			continue;
		for (size_t i = 0; i < n; i++)
			cur[ch * n + i] = 1.0;
		reach[ch] = 1u << ch;
	}
	for (unsigned f = 0; f < p->n_fx; f++) {
		const struct fx *fx = p->fx[f];

		if (passes_unchanged(fx))
			continue;
		through_block(fx, w, n, cur, dcur, reach, next, dnext, nreach, b, db);
		swap = cur, cur = next, next = swap;
		swap = dcur, dcur = dnext, dnext = swap;
		memset(reach, 0, sizeof(reach));
		memcpy(reach, nreach, fx->channels_out * sizeof(reach[0]));
	}
	free(next), free(dnext), free(b), free(db);
	ret->n = n;
	ret->channels = p->channels_out < width ? p->channels_out : width;
	ret->h = cur;
	ret->dh = dcur;
	memcpy(ret->inputs, reach, sizeof(reach));
	return 0;
}

void pipeline_response_free(struct pipeline_response *r)
{
	free(r->h);
	free(r->dh);
	r->h = r->dh = NULL;
}

bool pipeline_block_response(const struct fx *fx, unsigned out, const double *w,
                             size_t n, double complex *h, double complex *dh,
                             double complex *tmp_h, double complex *tmp_dh)
{
	bool any = false;

	memset(h, 0, n * sizeof(*h));
	memset(dh, 0, n * sizeof(*dh));
	for (unsigned k = 0; k < fx->channels_in; k++) {
		if (!fx_response(fx, out, k, w, n, tmp_h, tmp_dh))
			continue;
		for (size_t i = 0; i < n; i++) {
			h[i] += tmp_h[i];
			dh[i] += tmp_dh[i];
		}
		any = true;
	}
	return any;
}

uint64_t pipeline_response_work(const struct pipeline *p, size_t n)
{
	uint64_t work = 0;

	for (unsigned f = 0; f < p->n_fx; f++) {
		const struct fx *fx = p->fx[f];
		unsigned paths = 0;

		if (passes_unchanged(fx))
			continue;
		for (unsigned ch = 0; ch < fx->channels_in; ch++)
			paths += !!(fx->channel_mask & (1u << ch));
		if (fx->channels_out != fx->channels_in || paths < fx->channels_out)
			paths = fx->channels_out > paths ? fx->channels_out : paths;
		/* the pairs each block is asked about, and its paths' work */
		work += (uint64_t)fx->channels_in * fx->channels_out +
		        (uint64_t)fx_response_cost(fx) * paths * n;
	}
	return work;
}
