/* ir_policy.c - the IR files (and peq EQ files) a configuration that did not come from the
 * daemon's own file may name (see ir_policy.h).  Control thread only. */
#include "ir_policy.h"
#include "client_files.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ctl_ir_policy {
	char file[PATH_MAX];            /* the daemon's config file, absolute */
	struct dspd_config trusted;     /* as last applied from it */
};

int ctl_ir_policy_trust(struct ctl_context *ctx, const char *path,
                        const struct dspd_config *cfg)
{
	if (!ctx->ir_policy && !(ctx->ir_policy = calloc(1, sizeof(*ctx->ir_policy))))
		return -ENOMEM;
	if (!realpath(path, ctx->ir_policy->file))
		snprintf(ctx->ir_policy->file, sizeof(ctx->ir_policy->file), "%s", path);
	ctx->ir_policy->trusted = *cfg;
	return 0;
}

void ctl_ir_policy_free(struct ctl_context *ctx)
{
	free(ctx->ir_policy);
	ctx->ir_policy = NULL;
}

bool ctl_ir_policy_is_trusted_file(const struct ctl_context *ctx, const char *file)
{
	char real[PATH_MAX];

	if (!ctx->ir_policy || !file || !realpath(file, real))
		return false;
	return strcmp(real, ctx->ir_policy->file) == 0;
}

/* Whether the trusted file names this IR path (as written, resolved
 * against its directory: the template or a map's entry). */
static bool named_by_file(const struct dspd_config *t, const char *path)
{
	for (unsigned i = 0; i < t->n_blocks; i++) {
		const struct cfg_fir *f = &t->blocks[i].u.fir;

		if (t->blocks[i].type == CFG_BLOCK_PEQ &&
		    strcmp(t->blocks[i].u.peq.file, path) == 0)
			return true;
		if (t->blocks[i].type != CFG_BLOCK_FIR)
			continue;
		if (strcmp(f->geq_file, path) == 0)
			return true;
		if (f->path[0] && strcmp(f->path, path) == 0)
			return true;
		for (unsigned k = 0; k < f->n_rate_paths; k++)
			if (strcmp(f->rate_paths[k].path, path) == 0)
				return true;
	}
	return false;
}

static bool under(const char *real, const char *dir)
{
	char dir_real[PATH_MAX];
	size_t n;

	if (!realpath(dir, dir_real))
		return false;
	n = strlen(dir_real);
	if (strcmp(dir_real, "/") == 0)
		return true;
	return strncmp(real, dir_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* The real path of file, or of its directory when the file is missing
 * (the load then says so, within an allowed directory). */
static bool real_of(const char *file, char *out)
{
	char parent[PATH_MAX];
	char *slash;

	if (realpath(file, out))
		return true;
	snprintf(parent, sizeof(parent), "%s", file);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return false;
	*slash = '\0';
	return realpath(parent, out) != NULL;
}

static bool allowed(const struct ctl_ir_policy *pol, const char *file)
{
	static const char *const defaults[] = CTL_IR_DEFAULT_DIRS;
	const struct dspd_config *t = &pol->trusted;
	char real[PATH_MAX], own[CFG_FIR_PATH_MAX];

	if (!real_of(file, real))
		return false;
	if (t->n_ir_dirs) {
		for (unsigned i = 0; i < t->n_ir_dirs; i++)
			if (under(real, t->ir_dirs[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (under(real, defaults[i]))
			return true;
	return config_dir_of(pol->file, own, sizeof(own)) == 0 && under(real, own);
}

static void refuse(struct cfg_errors *errs, const char *origin, const char *where,
                   const char *what)
{
	size_t size = sizeof(errs->msg[0]);

	if (errs->count < CFG_MAX_ERRORS &&
	    snprintf(errs->msg[errs->count], size, "%.60s: %s: %s", origin, where,
	             what) >= (int)size)
		memcpy(errs->msg[errs->count] + size - 4, "...", 4);
	errs->count++;
}

/* One file a block may open; checked unless the trusted file names it. */
static void check_path(const struct ctl_ir_policy *pol, const struct cfg_block *b,
                       unsigned index, const char *written, const char *file,
                       const char *origin, struct cfg_errors *errs)
{
	char where[48], what[400];

	if (named_by_file(&pol->trusted, written) || allowed(pol, file))
		return;
	snprintf(where, sizeof(where), "/pipeline/%u/path", index);
	snprintf(what, sizeof(what), "block \"%s\": IR file \"%.120s\" is not in a "
	         "directory allowed over the socket (control.ir_dirs)", b->name, file);
	refuse(errs, origin, where, what);
}

/* An EQ text file (a peq block's "file", a fir block's "graphic_eq"):
 * the same rule as an IR file. */
static void check_eq_file(const struct ctl_ir_policy *pol, const struct cfg_block *b,
                          unsigned index, const char *file, const char *key,
                          const char *origin, struct cfg_errors *errs)
{
	char where[48], what[400];

	if (named_by_file(&pol->trusted, file) || allowed(pol, file))
		return;
	snprintf(where, sizeof(where), "/pipeline/%u/%s", index, key);
	snprintf(what, sizeof(what), "block \"%s\": EQ file \"%.120s\" is not in a "
	         "directory allowed over the socket (control.ir_dirs)", b->name, file);
	refuse(errs, origin, where, what);
}

static void check_block(const struct ctl_ir_policy *pol, const struct dspd_config *cfg,
                        unsigned index, const char *origin, struct cfg_errors *errs)
{
	const struct cfg_block *b = &cfg->blocks[index];
	const struct cfg_fir *f = &b->u.fir;
	unsigned rates[CFG_MAX_RATES], n = config_pipeline_rates(cfg, rates);
	char file[CFG_FIR_PATH_MAX];
	unsigned before = errs->count;

	if (f->geq_file[0])
		check_eq_file(pol, b, index, f->geq_file, "graphic_eq", origin, errs);
	for (unsigned k = 0; k < f->n_rate_paths; k++)
		check_path(pol, b, index, f->rate_paths[k].path, f->rate_paths[k].path,
		           origin, errs);
	if (!f->path[0])
		return;
	/* "{rate}": every file it stands for, one refusal a block */
	for (unsigned i = 0; i < n && errs->count == before; i++)
		if (config_fir_path(f, rates[i], file, sizeof(file)) == 0)
			check_path(pol, b, index, f->path, file, origin, errs);
}

/* limits.* and control.ir_dirs are the trusted file's: a configuration
 * that leaves them at their defaults gets the file's, one that sets other
 * values is refused. */
static void take_limits(const struct ctl_ir_policy *pol, struct dspd_config *cfg,
                        const char *origin, struct cfg_errors *errs)
{
	static struct dspd_config defaults;

	config_defaults(&defaults);
	if (memcmp(&cfg->limits, &pol->trusted.limits, sizeof(cfg->limits)) != 0 &&
	    memcmp(&cfg->limits, &defaults.limits, sizeof(cfg->limits)) != 0)
		refuse(errs, origin, "/limits", "can be changed only in the config "
		       "file, not over the socket");
	if ((cfg->n_ir_dirs != pol->trusted.n_ir_dirs ||
	     memcmp(cfg->ir_dirs, pol->trusted.ir_dirs, sizeof(cfg->ir_dirs)) != 0) &&
	    cfg->n_ir_dirs != 0)
		refuse(errs, origin, "/control/ir_dirs", "can be changed only in the "
		       "config file, not over the socket");
	cfg->limits = pol->trusted.limits;
	cfg->n_ir_dirs = pol->trusted.n_ir_dirs;
	memcpy(cfg->ir_dirs, pol->trusted.ir_dirs, sizeof(cfg->ir_dirs));
}

int ctl_ir_policy_check(const struct ctl_context *ctx, const char *file,
                        struct dspd_config *cfg, const char *origin,
                        struct cfg_errors *errs)
{
	const struct ctl_ir_policy *pol = ctx->ir_policy;

	errs->count = 0;
	if (!pol || ctl_ir_policy_is_trusted_file(ctx, file))
		return 0;
	take_limits(pol, cfg, origin, errs);
	for (unsigned i = 0; i < cfg->n_blocks; i++)
		if (cfg->blocks[i].type == CFG_BLOCK_FIR)
			check_block(pol, cfg, i, origin, errs);
		else if (cfg->blocks[i].type == CFG_BLOCK_PEQ &&
		         cfg->blocks[i].u.peq.file[0])
			check_eq_file(pol, &cfg->blocks[i], i, cfg->blocks[i].u.peq.file,
			              "file", origin, errs);
	return errs->count ? -EPERM : 0;
}

/* One client-named EQ file: refused unless the client could read it. */
static void check_eq_reader(const struct ctl_ir_policy *pol, const struct ctl_session *s,
                            const struct cfg_block *b, unsigned index, const char *file,
                            const char *key, const char *origin, struct cfg_errors *errs)
{
	char where[48], what[400];
	struct stat st;

	if (named_by_file(&pol->trusted, file) || stat(file, &st) < 0 ||
	    ctl_client_may_read(s, file))
		return;                   /* a missing one: the build says so */
	snprintf(where, sizeof(where), "/pipeline/%u/%s", index, key);
	snprintf(what, sizeof(what), "block \"%s\": EQ file \"%.120s\" is not "
	         "readable by this client (an EQ file's lines are quoted in "
	         "errors: only files the client may read itself)", b->name, file);
	refuse(errs, origin, where, what);
}

int ctl_ir_policy_check_eq_reader(const struct ctl_context *ctx,
                                  const struct ctl_session *s,
                                  const struct dspd_config *cfg, const char *origin,
                                  struct cfg_errors *errs)
{
	const struct ctl_ir_policy *pol = ctx->ir_policy;
	unsigned before = errs->count;

	if (!pol || !s)
		return 0;
	for (unsigned i = 0; i < cfg->n_blocks; i++) {
		const struct cfg_block *b = &cfg->blocks[i];

		if (b->type == CFG_BLOCK_PEQ && b->u.peq.file[0])
			check_eq_reader(pol, s, b, i, b->u.peq.file, "file", origin, errs);
		else if (b->type == CFG_BLOCK_FIR && b->u.fir.geq_file[0])
			check_eq_reader(pol, s, b, i, b->u.fir.geq_file, "graphic_eq",
			                origin, errs);
	}
	return errs->count > before ? -EPERM : 0;
}
