/* ir_load.c - impulse responses from files and inline values (see
 * ir_load.h).  Every message names the file.  A sound file's sample rate
 * must equal dspd's: there is no silent resampling.  The file is the one
 * "path" names for the rate (config_fir_path(): "{rate}" or a map).
 * Control thread only. */
#include "ir_load.h"
#include "eq_file.h"
#include "min_phase.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK_FRAMES 4096

__attribute__((format(printf, 4, 5)))
static int fail(int r, char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return r;
}

size_t ir_raw_sample_bytes(int format)
{
	switch (format) {
	case CFG_FIR_FORMAT_F32LE: return 4;
	case CFG_FIR_FORMAT_F64LE: return 8;
	case CFG_FIR_FORMAT_S16LE: return 2;
	case CFG_FIR_FORMAT_S24LE: return 3;
	case CFG_FIR_FORMAT_S32LE: return 4;
	default:                   return 0;
	}
}

int ir_open(const char *path, off_t *ret_size, char *err, size_t err_len)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it would
	 * hold the control thread, and a start, for good) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int flags;

	if (fd < 0)
		return fail(-errno, err, err_len, "IR file \"%s\": %s", path,
		            strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(-EINVAL, err, err_len, "IR file \"%s\": not a "
		            "regular file", path);
	}
	/* a regular file never blocks, but reads expect the usual mode */
	if ((flags = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	*ret_size = st.st_size;
	return fd;
}

static uint32_t le_bytes(const unsigned char *b, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static float decode_raw(const unsigned char *b, int format)
{
	uint32_t u;
	uint64_t u64;
	float f;
	double d;

	switch (format) {
	case CFG_FIR_FORMAT_F32LE:
		u = le_bytes(b, 4);
		memcpy(&f, &u, sizeof(f));
		return f;
	case CFG_FIR_FORMAT_F64LE:
		u64 = le_bytes(b, 4) | (uint64_t)le_bytes(b + 4, 4) << 32;
		memcpy(&d, &u64, sizeof(d));
		return (float)d;
	case CFG_FIR_FORMAT_S16LE:
		return (float)(int16_t)le_bytes(b, 2) / 32768.0f;
	case CFG_FIR_FORMAT_S24LE:
		return (float)((int32_t)(le_bytes(b, 3) << 8) >> 8) / 8388608.0f;
	default:
		return (float)((double)(int32_t)le_bytes(b, 4) / 2147483648.0);
	}
}

/* A raw file's tap count from its size, checked; the open descriptor. */
static int open_raw(const struct cfg_fir *cfg, const char *path, size_t *ret_n,
                    char *err, size_t err_len)
{
	size_t width = ir_raw_sample_bytes(cfg->format);
	off_t size;
	int fd, r = 0;

	if (cfg->channel != 0)
		return fail(-EINVAL, err, err_len, "IR file \"%s\": raw files "
		            "have one channel, channel %u does not exist",
		            path, cfg->channel);
	if ((fd = ir_open(path, &size, err, err_len)) < 0)
		return fd;
	if (size == 0)
		r = fail(-EINVAL, err, err_len, "IR file \"%s\" is empty",
		         path);
	else if (size % (off_t)width)
		r = fail(-EINVAL, err, err_len, "IR file \"%s\": size %lld bytes "
		         "is not a whole number of %zu-byte samples",
		         path, (long long)size, width);
	else if ((uintmax_t)size / width > cfg->max_taps)
		r = fail(-EFBIG, err, err_len, "IR file \"%s\" has %lld taps, "
		         "more than max_taps %u", path,
		         (long long)(size / (off_t)width), cfg->max_taps);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_n = (size_t)size / width;
	return fd;
}

static int load_raw(const struct cfg_fir *cfg, const char *path,
                    float **ret_taps, size_t *ret_n, char *err, size_t err_len)
{
	size_t width = ir_raw_sample_bytes(cfg->format), n, size;
	unsigned char *bytes = NULL;
	float *taps = NULL;
	int fd, r = 0;

	if ((fd = open_raw(cfg, path, &n, err, err_len)) < 0)
		return fd;
	size = n * width;
	bytes = malloc(size);
	taps = malloc(n * sizeof(float));
	if (!bytes || !taps) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t got = 0; got < size;) {
		ssize_t k = read(fd, bytes + got, size - got);

		if (k <= 0) {
			r = fail(k < 0 ? -errno : -EIO, err, err_len,
			         "IR file \"%s\": %s", path,
			         k < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		got += (size_t)k;
	}
	for (size_t i = 0; i < n; i++)
		taps[i] = decode_raw(bytes + i * width, cfg->format);
	*ret_taps = taps;
	*ret_n = n;
	taps = NULL;
out:
	free(bytes);
	free(taps);
	close(fd);
	return r;
}

/* Check the file's header against the block and the pipeline. */
static int check_sound_file(const struct cfg_fir *cfg, const char *path,
                            const SF_INFO *info, unsigned rate, char *err,
                            size_t err_len)
{
	if (info->samplerate != (int)rate)
		return fail(-EINVAL, err, err_len, "IR file \"%s\" is sampled at "
		            "%d Hz, dspd runs at %u Hz (dspd does not resample "
		            "impulse responses)", path, info->samplerate, rate);
	if (cfg->channel >= (unsigned)info->channels)
		return fail(-EINVAL, err, err_len, "IR file \"%s\" has %d "
		            "channel(s), channel %u does not exist (channels are "
		            "numbered from 0)", path, info->channels,
		            cfg->channel);
	if (info->frames <= 0)
		return fail(-EINVAL, err, err_len, "IR file \"%s\" is empty",
		            path);
	if (info->frames > (sf_count_t)cfg->max_taps)
		return fail(-EFBIG, err, err_len, "IR file \"%s\" has %lld taps, "
		            "more than max_taps %u", path,
		            (long long)info->frames, cfg->max_taps);
	return 0;
}

/* Read one channel of every frame, READ_CHUNK_FRAMES at a time. */
static int read_channel(SNDFILE *sf, const SF_INFO *info, unsigned channel,
                        float *taps, size_t *ret_n)
{
	float *chunk = malloc(READ_CHUNK_FRAMES * (size_t)info->channels *
	                      sizeof(float));
	size_t n = 0;
	sf_count_t got;

	if (!chunk)
		return -ENOMEM;
	while (n < (size_t)info->frames &&
	       (got = sf_readf_float(sf, chunk, READ_CHUNK_FRAMES)) > 0)
		for (sf_count_t i = 0; i < got && n < (size_t)info->frames; i++)
			taps[n++] = chunk[i * info->channels + channel];
	free(chunk);
	*ret_n = n;
	return 0;
}

/* A sound file opened and its header checked: *ret_sf (sf_close() it,
 * then close() the returned descriptor). */
static int open_sound_file(const struct cfg_fir *cfg, const char *path,
                           unsigned rate, SNDFILE **ret_sf, SF_INFO *info,
                           char *err, size_t err_len)
{
	SNDFILE *sf;
	off_t size;
	int fd, r;

	if ((fd = ir_open(path, &size, err, err_len)) < 0)
		return fd;
	if (size == 0) {
		close(fd);
		return fail(-EINVAL, err, err_len, "IR file \"%s\" is empty",
		            path);
	}
	memset(info, 0, sizeof(*info));
	sf = sf_open_fd(fd, SFM_READ, info, SF_FALSE);
	if (!sf) {
		r = fail(-EINVAL, err, err_len, "IR file \"%s\": %s (a headerless "
		         "file needs \"format\", e.g. \"f32le\")", path,
		         sf_strerror(NULL));
		close(fd);
		return r;
	}
	if ((r = check_sound_file(cfg, path, info, rate, err, err_len)) < 0) {
		sf_close(sf);
		close(fd);
		return r;
	}
	*ret_sf = sf;
	return fd;
}

static int load_sound_file(const struct cfg_fir *cfg, const char *path,
                           unsigned rate, float **ret_taps, size_t *ret_n,
                           char *err, size_t err_len)
{
	SF_INFO info;
	float *taps = NULL;
	SNDFILE *sf = NULL;
	size_t n = 0;
	int fd, r;

	if ((fd = open_sound_file(cfg, path, rate, &sf, &info, err, err_len)) < 0)
		return fd;
	r = 0;
	taps = malloc((size_t)info.frames * sizeof(float));
	if (!taps || (r = read_channel(sf, &info, cfg->channel, taps, &n)) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (n != (size_t)info.frames) {
		r = fail(-EIO, err, err_len, "IR file \"%s\": read %zu of %lld "
		         "frames (%s)", path, n, (long long)info.frames,
		         sf_strerror(sf));
		goto out;
	}
	*ret_taps = taps;
	*ret_n = n;
	taps = NULL;
out:
	free(taps);
	sf_close(sf);
	close(fd);
	return r;
}

static int copy_values(const struct cfg_fir *cfg, float **ret_taps,
                       size_t *ret_n, char *err, size_t err_len)
{
	float *taps;

	if (cfg->n_values > cfg->max_taps)
		return fail(-EFBIG, err, err_len, "\"values\" has %u taps, more "
		            "than max_taps %u", cfg->n_values, cfg->max_taps);
	taps = malloc(cfg->n_values * sizeof(float));
	if (!taps)
		return -ENOMEM;
	memcpy(taps, cfg->values, cfg->n_values * sizeof(float));
	*ret_taps = taps;
	*ret_n = cfg->n_values;
	return 0;
}

/* "graphic_eq": the minimum-phase FIR of the points at rate. */
static int design_graphic_eq(const struct cfg_fir *cfg, unsigned rate,
                             float **ret_taps, size_t *ret_n, char *err,
                             size_t err_len)
{
	struct eq_point *pts = malloc(EQ_TEXT_MAX_POINTS * sizeof(*pts));
	unsigned n = min_phase_taps(rate), n_pts = cfg->n_geq_points;
	double preamp_db = 0.0;
	float *taps = NULL;
	int r;

	if (n > cfg->max_taps) {
		free(pts);
		return fail(-EFBIG, err, err_len, "\"graphic_eq\" needs %u taps at "
		            "%u Hz, more than max_taps %u", n, rate, cfg->max_taps);
	}
	if (!pts || !(taps = malloc(n * sizeof(float)))) {
		free(pts);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n_pts; i++)
		pts[i] = (struct eq_point){ cfg->geq_points[i][0],
		                            cfg->geq_points[i][1] };
	r = cfg->geq_file[0] ? eq_file_points(cfg->geq_file, pts, &n_pts,
	                                      &preamp_db, err, err_len) : 0;
	if (r == 0 && (r = min_phase_design(pts, n_pts, rate, taps, n)) == 0)
		for (unsigned i = 0; i < n; i++)        /* the file's Preamp */
			taps[i] *= (float)pow(10.0, preamp_db / 20.0);
	free(pts);
	if (r < 0) {
		free(taps);
		return r;
	}
	*ret_taps = taps;
	*ret_n = n;
	return 0;
}

/* Apply the gain; every coefficient must then be finite. */
static int finish(const struct cfg_fir *cfg, const char *what, float *taps,
                  size_t n, char *err, size_t err_len)
{
	float gain = (float)pow(10.0, cfg->gain_db / 20.0);

	for (size_t i = 0; i < n; i++) {
		taps[i] *= gain;
		if (!isfinite(taps[i]))
			return fail(-EINVAL, err, err_len, "IR \"%s\": coefficient "
			            "%zu is not a finite number", what, i);
	}
	return 0;
}

int ir_probe(const struct cfg_fir *cfg, unsigned rate, size_t *ret_n,
             char *err, size_t err_len)
{
	char path[CFG_FIR_PATH_MAX];
	SF_INFO info;
	SNDFILE *sf;
	int fd;

	if (cfg->n_values > 0) {
		*ret_n = cfg->n_values;
		return 0;
	}
	if (cfg->n_geq_points > 0 || cfg->geq_file[0]) {
		*ret_n = min_phase_taps(rate);
		return 0;
	}
	if (!cfg->path[0] && !cfg->n_rate_paths)
		return fail(-EINVAL, err, err_len, "needs \"path\" (an IR file), "
		            "\"values\" (inline coefficients) or \"graphic_eq\"");
	if (config_fir_path(cfg, rate, path, sizeof(path)) < 0)
		return fail(-ENOENT, err, err_len, "\"path\" names no IR file "
		            "for %u Hz (its map has no \"%u\")", rate, rate);
	if (cfg->format != CFG_FIR_FORMAT_AUTO) {
		if ((fd = open_raw(cfg, path, ret_n, err, err_len)) < 0)
			return fd;
		close(fd);
		return 0;
	}
	if ((fd = open_sound_file(cfg, path, rate, &sf, &info, err, err_len)) < 0)
		return fd;
	*ret_n = (size_t)info.frames;
	sf_close(sf);
	close(fd);
	return 0;
}

int ir_load(const struct cfg_fir *cfg, unsigned rate, float **ret_taps,
            size_t *ret_n, char *err, size_t err_len)
{
	char path[CFG_FIR_PATH_MAX];
	float *taps = NULL;
	size_t n = 0;
	int r;

	if (cfg->n_values > 0) {
		r = copy_values(cfg, &taps, &n, err, err_len);
		snprintf(path, sizeof(path), "values");
	} else if (cfg->n_geq_points > 0 || cfg->geq_file[0]) {
		r = design_graphic_eq(cfg, rate, &taps, &n, err, err_len);
		snprintf(path, sizeof(path), "graphic_eq");
	} else if (!cfg->path[0] && !cfg->n_rate_paths) {
		return fail(-EINVAL, err, err_len, "needs \"path\" (an IR file), "
		            "\"values\" (inline coefficients) or \"graphic_eq\"");
	} else if ((r = config_fir_path(cfg, rate, path, sizeof(path))) < 0) {
		return fail(-ENOENT, err, err_len, "\"path\" names no IR file "
		            "for %u Hz (its map has no \"%u\")", rate, rate);
	} else if (cfg->format == CFG_FIR_FORMAT_AUTO) {
		r = load_sound_file(cfg, path, rate, &taps, &n, err, err_len);
	} else {
		r = load_raw(cfg, path, &taps, &n, err, err_len);
	}
	if (r == 0)
		r = finish(cfg, path, taps, n, err, err_len);
	if (r < 0) {
		free(taps);
		return r;
	}
	*ret_taps = taps;
	*ret_n = n;
	return 0;
}
