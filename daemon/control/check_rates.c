/* check_rates.c - ctl_check_pipeline() (change.h): a configuration's
 * pipeline checked at every rate it may run at - every source.rates with
 * "rate": "follow", else the one rate - so a switch of the source's rate
 * never meets an error at runtime.  At each rate, first every FIR block's
 * file for that rate is looked up (a map without the rate, a missing or
 * unreadable file: every one reported), then every other block is built
 * and freed on its own (the checks only the blocks make: biquads below
 * Nyquist, the file's own rate and length, the filter budget), every
 * failing block reported, not only the first.  An error found at several rates is
 * reported once, naming them all.  FFT plans of equal sizes are measured
 * once per process (FFTW keeps their wisdom), so more rates cost little
 * more than the builds.  The control thread, or the pipeline builder's
 * thread (build.c) while the control thread waits for it: no statics. */
#include "change.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"

/* One distinct error and the rates it was found at. */
struct rate_error {
	char where[48];                 /* "/pipeline/2/path" */
	char what[256];
	unsigned rates[CFG_MAX_RATES];
	unsigned n_rates;
};

struct rate_check {
	struct rate_error e[CFG_MAX_ERRORS];
	unsigned n;
	unsigned dropped;               /* beyond CFG_MAX_ERRORS */
	int first;                      /* the first error's -errno */
};

static void add(struct rate_check *c, unsigned rate, const char *where,
                const char *what, int r)
{
	struct rate_error *e;

	if (!c->first)
		c->first = r;
	for (unsigned i = 0; i < c->n; i++) {
		e = &c->e[i];
		if (strcmp(e->where, where) == 0 && strcmp(e->what, what) == 0) {
			if (e->n_rates < CFG_MAX_RATES)
				e->rates[e->n_rates++] = rate;
			return;
		}
	}
	if (c->n == CFG_MAX_ERRORS) {
		c->dropped++;
		return;
	}
	e = &c->e[c->n++];
	snprintf(e->where, sizeof(e->where), "%s", where);
	snprintf(e->what, sizeof(e->what), "%s", what);
	e->rates[0] = rate;
	e->n_rates = 1;
}

/* Every FIR block's file at rate: named by the path, present, readable.
 * Returns the blocks that failed, bit n for block n. */
static uint64_t check_files(const struct dspd_config *cfg, unsigned rate,
                            struct rate_check *c)
{
	char path[CFG_FIR_PATH_MAX], where[48], what[sizeof(c->e[0].what)];
	uint64_t bad = 0;

	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];
		const struct cfg_fir *fir = &b->u.fir;
		int r;

		if (b->type != CFG_BLOCK_FIR || fir->n_values > 0 ||
		    (!fir->path[0] && !fir->n_rate_paths))
			continue;
		snprintf(where, sizeof(where), "/pipeline/%u/path", i);
		r = config_fir_path(fir, rate, path, sizeof(path));
		if (r == -ENOENT)
			snprintf(what, sizeof(what), "block \"%s\": \"path\" names "
			         "no IR file for %u Hz (its map has no \"%u\")",
			         b->name, rate, rate);
		else if (r < 0)
			snprintf(what, sizeof(what), "block \"%s\": %s", b->name,
			         strerror(-r));
		else if (access(path, R_OK) < 0 && (r = -errno) < 0)
			snprintf(what, sizeof(what), "block \"%s\": IR file \"%.160s\": "
			         "%s", b->name, path, strerror(-r));
		if (r < 0) {
			add(c, rate, where, what, r);
			bad |= 1ull << i;
		}
	}
	return bad;
}

/* Where a build error points: the block its message names ("block
 * \"NAME\": ..." or "block \"NAME\" (kind): ..."; names are unique), and
 * that block's "path" when the message is about its IR file ("file" or
 * "graphic_eq" for an EQ text file). */
static void locate(const struct dspd_config *cfg, const char *err,
                   char *where, size_t size)
{
	snprintf(where, size, "/pipeline");
	if (strncmp(err, "block \"", 7) != 0)
		return;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];
		size_t n = strlen(b->name);

		if (strncmp(err + 7, b->name, n) != 0 ||
		    (strncmp(err + 7 + n, "\": ", 3) != 0 &&
		     strncmp(err + 7 + n, "\" (", 3) != 0))
			continue;
		snprintf(where, size, "/pipeline/%u%s", i,
		         b->type == CFG_BLOCK_FIR &&
		         strncmp(err + 10 + n, "IR ", 3) == 0 ? "/path" :
		         b->type == CFG_BLOCK_FIR &&
		         strncmp(err + 10 + n, "GraphicEQ file ", 15) == 0 ? "/graphic_eq" :
		         b->type == CFG_BLOCK_PEQ &&
		         strncmp(err + 10 + n, "EQ file ", 8) == 0 ? "/file" : "");
		return;
	}
}

struct at_rate {
	const struct dspd_config *cfg;
	struct rate_check *c;
};

static void on_block_error(void *arg, unsigned block, int r, const char *err)
{
	struct at_rate *a = arg;
	char where[48];

	locate(a->cfg, err, where, sizeof(where));
	/* the block is known even when its message does not say "block
	 * \"NAME\": " ("block \"eq\" band 0 ...") */
	if (strcmp(where, "/pipeline") == 0 && block < a->cfg->n_blocks)
		snprintf(where, sizeof(where), "/pipeline/%u", block);
	add(a->c, a->cfg->rate, where, err, r);
}

/* Every block at rate, each error reported (not only the first). */
static void check_at(const struct dspd_config *cfg, unsigned rate,
                     struct dspd_config *at, struct rate_check *c)
{
	struct at_rate a = { at, c };
	uint64_t bad_files;

	*at = *cfg;
	at->rate = rate;
	bad_files = check_files(at, rate, c);
	pipeline_check_blocks(at, bad_files, on_block_error, &a);
}

/* "at 44100 Hz", "at 44100, 88200 Hz", "at every rate (...)" */
static void rates_text(const struct rate_error *e, unsigned n_all, char *buf,
                       size_t size)
{
	int len = snprintf(buf, size, "at ");

	for (unsigned i = 0; i < e->n_rates && len > 0 && (size_t)len < size; i++)
		len += snprintf(buf + len, size - (size_t)len, "%s%u", i ? ", " : "",
		                e->rates[i]);
	if (len > 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, " Hz%s",
		         n_all > 1 && e->n_rates == n_all ? " (every rate of "
		         "source.rates)" : "");
}

int ctl_check_pipeline(const struct dspd_config *cfg, const char *origin,
                       struct cfg_errors *errs)
{
	/* large, and the pipeline builder's thread runs this too: no statics */
	struct rate_check *c = calloc(1, sizeof(*c));
	struct dspd_config *scratch = malloc(sizeof(*scratch));
	unsigned rates[CFG_MAX_RATES];
	unsigned n = config_pipeline_rates(cfg, rates);
	char at[160];
	int r;

	errs->count = 0;
	if (!c || !scratch) {
		free(c);
		free(scratch);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		check_at(cfg, rates[i], scratch, c);
	for (unsigned i = 0; i < c->n; i++) {
		char *msg = errs->msg[errs->count++];
		size_t size = sizeof(errs->msg[0]);

		rates_text(&c->e[i], n, at, sizeof(at));
		if (snprintf(msg, size, "%.60s: %s: %s: %s", origin,
		             c->e[i].where, at, c->e[i].what) >= (int)size)
			memcpy(msg + size - 4, "...", 4);
	}
	errs->count += c->dropped;
	r = c->first;
	free(c);
	free(scratch);
	return r;
}
