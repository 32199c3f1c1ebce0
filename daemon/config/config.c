/* config.c - dspd.conf's public API: defaults, config_load_file() and
 * config_load_string(), reading the file with its size and type checks.
 * Control thread only (startup, SIGHUP, --check-config).
 *
 * A load runs three passes over one text:
 *   1. syntax (config_syntax.c): json-c's tokener in non-strict mode
 *      (accepts // and block comments); its failure offset becomes
 *      file:line:column.
 *   2. duplicate keys (config_syntax.c): json-c silently keeps the last of
 *      two equal keys, so a small lexical walk over the already-validated
 *      text finds them.
 *   3. meaning (config_schema.c, config_blocks.c): table-driven walk of the
 *      tree; every problem is addressed by an RFC 6901 JSON pointer
 *      ("/pipeline/1/name"), unknown keys included.  Cross-field checks
 *      come last.
 * Every error is collected instead of stopping at the first.
 *
 * The parts, each calling only parts listed below it:
 *   config.c              public API, file reading
 *   config_syntax.c       passes 1 and 2
 *   config_schema.c       pass 3: the top level's keys, cross-field checks
 *   config_blocks.c       pass 3 for "pipeline": the table of block types
 *   config_fx_*.c         each block family's key tables
 *   config_volume.c       "volume" and "silence": tables, cross-field checks
 *   config_source.c       "rate"/capture.rate "follow", "source", the
 *                         pitch method: tables, cross-field checks
 *   config_block_fields.c the keys every block type has: type, name, channels
 *   config_fields.c       the generic field parsers, the key-table walk
 *   config_errors.c       the error collection: messages, line:column,
 *                         JSON pointers
 *   config_derived.c      what a config implies (capture rate, target level)
 * Each has a header of its own name, except config_derived.c (declared in
 * config.h) and the families (their tables in config_block_fields.h). */
#include "config_errors.h"
#include "config_schema.h"
#include "config_syntax.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- public API -------------------------------------------------------- */

/* source.rates when not given: both families up to 192 kHz */
static const unsigned default_rates[] = {
	44100, 48000, 88200, 96000, 176400, 192000
};

void config_defaults(struct dspd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rate = 48000;
	cfg->period_frames = 256;
	cfg->periods = 4;
	snprintf(cfg->capture.device, sizeof(cfg->capture.device), "hw:0");
	cfg->capture.channels = 2;
	cfg->capture.format = CFG_FORMAT_AUTO;
	cfg->playback = cfg->capture;
	snprintf(cfg->socket_path, sizeof(cfg->socket_path),
	         "/run/dspd/control.sock");
	cfg->monitor_socket_path[0] = '\0';  /* none */
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "audio");
	cfg->max_clients = 1024;
	cfg->n_ir_dirs = 0;             /* the defaults: config_ir_dirs() */
	cfg->limits.max_taps_total = CFG_DEFAULT_MAX_TAPS_TOTAL;
	cfg->limits.filter_memory_mb = CFG_DEFAULT_FILTER_MEMORY_MB;
	cfg->max_clients_per_uid = 64;
	cfg->output_budget = 16u << 20;
	cfg->max_client_output = 1u << 20;
	cfg->monitor_record = false;
	cfg->http.enabled = false;
	snprintf(cfg->http.listen, sizeof(cfg->http.listen), "127.0.0.1:8080");
	snprintf(cfg->http.root, sizeof(cfg->http.root), "%s", DSPD_WEB_DIR);
	cfg->http.max_clients = 16;
	cfg->realtime.enabled = true;
	cfg->realtime.priority = 70;
	cfg->realtime.mlock = true;
	cfg->realtime.threads = 1;
	cfg->volume.db = 0.0;
	cfg->volume.mute = false;
	cfg->volume.ramp_ms = 20.0;
	cfg->volume.max_db = CFG_VOLUME_DB_MAX;   /* no ceiling */
	cfg->volume.create = true;
	cfg->volume.create_min_db = -60.0;
	cfg->volume.create_max_db = 0.0;
	cfg->source.kind = CFG_SOURCE_STREAM;
	cfg->source.subdevice = 0;
	cfg->source.device = 1;
	for (unsigned i = 0; i < sizeof(default_rates) / sizeof(default_rates[0]); i++)
		cfg->source.rates[cfg->source.n_rates++] = default_rates[i];
	cfg->source.initial_rate = 48000;
	cfg->silence.threshold_db = -80.0;
	cfg->silence.seconds = 0.0;     /* off */
	cfg->silence.release_playback = false;
	cfg->silence.fade_in_ms = 50.0;
	cfg->transition.crossfade_ms = 20.0;
	cfg->transition.curve = CFG_FADE_EQUAL_GAIN;
	cfg->transition.max_warmup_ms = 3000.0;
	cfg->loudness.tap = -1;
	cfg->rate_adjust.enabled = false;
	cfg->rate_adjust.target_level = 0;
	cfg->rate_adjust.max_ppm = 2000.0;
	cfg->rate_adjust.bandwidth_hz = 0.05;
	cfg->rate_adjust.method = CFG_ADJUST_RESAMPLE;
	cfg->resampler.quality = 1;     /* RS_MEDIUM */
	cfg->n_blocks = 0;
}

static char default_dir[CFG_FIR_PATH_MAX];

void config_set_default_dir(const char *dir)
{
	snprintf(default_dir, sizeof(default_dir), "%s", dir ? dir : "");
}

const char *config_default_dir(void)
{
	return default_dir;
}

int config_dir_of(const char *path, char *out, size_t size)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	char *slash;

	if (!realpath(path, abs)) {
		if (path[0] == '/')
			snprintf(abs, sizeof(abs), "%s", path);
		else if (!getcwd(cwd, sizeof(cwd)) ||
		         snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= (int)sizeof(abs))
			return -ENAMETOOLONG;
	}
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';       /* a file in "/" */
	else if (slash)
		*slash = '\0';
	if (strlen(abs) >= size)
		return -ENAMETOOLONG;
	memcpy(out, abs, strlen(abs) + 1);
	return 0;
}

int config_load_string(const char *text, size_t len, const char *origin,
                       struct dspd_config *cfg, struct cfg_errors *errs)
{
	return config_load_string_at(text, len, origin, NULL, cfg, errs);
}

int config_load_string_at(const char *text, size_t len, const char *origin,
                          const char *dir, struct dspd_config *cfg,
                          struct cfg_errors *errs)
{
	struct cfg_errors scratch_errs;
	struct parser *p;
	struct json_object *root = NULL;
	size_t end;
	int r;

	if (!errs)
		errs = &scratch_errs;
	errs->count = 0;
	if (!text)
		text = "";
	config_defaults(cfg);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->origin = origin ? origin : "config";
	p->dir = dir ? dir : default_dir[0] ? default_dir : NULL;
	p->errs = errs;
	if (len > CFG_MAX_FILE_BYTES) {
		cfg_error_file(p, "the configuration is %zu bytes, larger than "
		               "the limit of %u bytes (4 MiB)", len,
		               CFG_MAX_FILE_BYTES);
		free(p);
		return -EFBIG;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;  /* a UTF-8 byte order mark is not content */
		len -= 3;
	}
	p->text = text;
	p->len = len;
	r = cfg_parse_syntax(p, &root, &end);
	if (r == 0) {
		cfg_check_duplicate_keys(p, end);
		cfg_validate(p, root, cfg);
		json_object_put(root);
		r = errs->count ? -EINVAL : 0;
	}
	free(p);
	return r;
}

/* Read at most CFG_MAX_FILE_BYTES (one more to notice a larger file). */
static int read_bounded(int fd, char **ret_buf, size_t *ret_len)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *grown;

			if (cap > CFG_MAX_FILE_BYTES) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > CFG_MAX_FILE_BYTES ?
			      CFG_MAX_FILE_BYTES + 1 : cap * 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static int file_error(struct parser *p, int r, const char *what)
{
	if (r == -EFBIG)
		cfg_error_file(p, "the file is larger than the limit of %u bytes "
		               "(4 MiB)", CFG_MAX_FILE_BYTES);
	else if (r == -EISDIR)
		cfg_error_file(p, "is a directory, not a configuration file");
	else if (r == -EINVAL)
		cfg_error_file(p, "is not a regular file (a FIFO or device could "
		               "block the daemon)");
	else
		cfg_error_file(p, "cannot %s: %s", what, strerror(-r));
	return r;
}

int config_load_file(const char *path, struct dspd_config *cfg,
                     struct cfg_errors *errs)
{
	struct cfg_errors scratch_errs;
	struct parser p = { .origin = path };
	char dir[CFG_FIR_PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (!errs)
		errs = &scratch_errs;
	errs->count = 0;
	p.errs = errs;
	config_defaults(cfg);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(&p, -errno, "open");
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > CFG_MAX_FILE_BYTES)
		r = -EFBIG;
	else
		r = read_bounded(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return file_error(&p, r, "read");
	if (config_dir_of(path, dir, sizeof(dir)) < 0)
		dir[0] = '\0';
	r = config_load_string_at(buf, len, path, dir[0] ? dir : NULL, cfg, errs);
	free(buf);
	return r;
}
