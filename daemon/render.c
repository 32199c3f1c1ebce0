/* render.c - offline rendering (see render.h).
 *
 * Files are read and written with libsndfile; the output keeps the input's
 * container and takes its sample width from playback.format.  Raw I/O ("-")
 * uses the configured formats and dspd's own converters, so it is
 * bit-identical to what the live engine would play.  The input must have
 * the configured rate and capture channel count: nothing is resampled or
 * remixed behind the user's back.
 *
 * Two renders of the same configuration and input give the same file, byte
 * for byte: the FFT plans are fixed by the machine and the fftw_wisdom
 * file (fftw_wisdom.h), and no time stamp is written (libsndfile's PEAK
 * chunk carries one). */
#include "clock.h"
#include "render.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fftw_wisdom.h"
#include "cpu.h"
#include "format.h"
#include "gain.h"
#include "log.h"
#include "pipeline.h"
#include "workers.h"

struct render_io {
	SNDFILE *file;                     /* NULL for raw */
	FILE *raw;
	const struct fmt_codec *codec;     /* raw only */
	unsigned channels;
	unsigned char *bytes;              /* raw: one period */
	float *interleaved;                /* sndfile: one period */
};

static int sf_subtype_for(snd_pcm_format_t f)
{
	switch (f) {
	case SND_PCM_FORMAT_S16_LE: return SF_FORMAT_PCM_16;
	case SND_PCM_FORMAT_U8: return SF_FORMAT_PCM_U8;
	case SND_PCM_FORMAT_S24_3LE:
	case SND_PCM_FORMAT_S24_LE: return SF_FORMAT_PCM_24;
	case SND_PCM_FORMAT_S32_LE: return SF_FORMAT_PCM_32;
	case SND_PCM_FORMAT_FLOAT64_LE: return SF_FORMAT_DOUBLE;
	default: return SF_FORMAT_FLOAT;
	}
}

static int open_input(const struct dspd_config *cfg, const char *path,
                      struct render_io *io)
{
	SF_INFO info = { 0 };

	memset(io, 0, sizeof(*io));
	if (strcmp(path, "-") == 0) {
		io->raw = stdin;
		io->channels = cfg->capture.channels;
		io->codec = fmt_codec_find(cfg->capture.format == CFG_FORMAT_AUTO
		                           ? SND_PCM_FORMAT_FLOAT_LE : cfg->capture.format);
		return 0;
	}
	io->file = sf_open(path, SFM_READ, &info);
	if (!io->file) {
		log_err("%s: %s", path, sf_strerror(NULL));
		return -EIO;
	}
	if ((unsigned)info.samplerate != cfg->rate) {
		log_err("%s: %d Hz, but the configuration runs at %u Hz (dspd does not "
		        "resample)", path, info.samplerate, cfg->rate);
		return -EINVAL;
	}
	if ((unsigned)info.channels != cfg->capture.channels) {
		log_err("%s: %d channels, but capture.channels is %u", path,
		        info.channels, cfg->capture.channels);
		return -EINVAL;
	}
	io->channels = (unsigned)info.channels;
	return 0;
}

static int open_output(const struct dspd_config *cfg, const char *path,
                       const char *in_path, struct render_io *in,
                       struct render_io *io, unsigned channels)
{
	SF_INFO info = { 0 }, in_info = { 0 };
	snd_pcm_format_t f = cfg->playback.format == CFG_FORMAT_AUTO
	                     ? SND_PCM_FORMAT_FLOAT_LE : cfg->playback.format;

	memset(io, 0, sizeof(*io));
	io->channels = channels;
	if (strcmp(path, "-") == 0) {
		io->raw = stdout;
		io->codec = fmt_codec_find(f);
		return 0;
	}
	if (in->file)
		sf_command(in->file, SFC_GET_CURRENT_SF_INFO, &in_info, sizeof(in_info));
	info.samplerate = (int)cfg->rate;
	info.channels = (int)channels;
	info.format = (in->file ? (in_info.format & SF_FORMAT_TYPEMASK) : SF_FORMAT_WAV) |
	              sf_subtype_for(f);
	if (!sf_format_check(&info))
		info.format = SF_FORMAT_WAV | sf_subtype_for(f);
	io->file = sf_open(path, SFM_WRITE, &info);
	if (!io->file) {
		log_err("%s: %s", path, sf_strerror(NULL));
		return -EIO;
	}
	/* saturate, never wrap, when converting to integers */
	sf_command(io->file, SFC_SET_CLIPPING, NULL, SF_TRUE);
	/* the PEAK chunk of float files holds the time of writing: the same
	 * render a second later would not be the same file */
	sf_command(io->file, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	(void)in_path;
	return 0;
}

/* One channel at a time, so that the inner loops keep their pointers and
 * counts in registers. */
static void deinterleave(const float *in, float *const *planar, unsigned channels,
                         size_t frames)
{
	for (unsigned ch = 0; ch < channels; ch++) {
		const float *src = in + ch;
		float *dst = planar[ch];

		for (size_t i = 0; i < frames; i++)
			dst[i] = src[i * channels];
	}
}

typedef float v4sf __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));

/* One sample as interleave_finite writes it: silence if not finite; counts
 * it in *clipped if beyond full scale. */
static inline float finite_sample(float x, uint64_t *clipped)
{
	*clipped += fabsf(x) > 1.0f;
	return isfinite(x) ? x : 0.0f;
}

/* Counts the samples beyond full scale per channel, writes non-finite ones
 * as silence.  Four samples of a channel at a time: the tests are the same
 * as finite_sample's, done on vectors. */
static void interleave_finite(float *const *planar, float *out, unsigned channels,
                              size_t frames, uint64_t *clips)
{
	const v4si magnitude = { INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX };
	const v4sf full_scale = { 1.0f, 1.0f, 1.0f, 1.0f };
	const v4sf largest = { FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX };

	for (unsigned ch = 0; ch < channels; ch++) {
		const float *src = planar[ch];
		float *dst = out + ch;
		v4si over = { 0, 0, 0, 0 };     /* at most frames / 4 each */
		uint64_t clipped = 0;
		size_t i = 0;

		for (; i + 4 <= frames; i += 4) {
			v4sf x, mag, y;

			memcpy(&x, src + i, sizeof(x));
			mag = (v4sf)((v4si)x & magnitude);
			y = (v4sf)((v4si)x & (mag <= largest));
			over -= mag > full_scale;
			dst[i * channels] = y[0];
			dst[(i + 1) * channels] = y[1];
			dst[(i + 2) * channels] = y[2];
			dst[(i + 3) * channels] = y[3];
		}
		for (; i < frames; i++)
			dst[i * channels] = finite_sample(src[i], &clipped);
		clips[ch] += clipped + (uint64_t)over[0] + (uint64_t)over[1] +
		             (uint64_t)over[2] + (uint64_t)over[3];
	}
}

static size_t read_period(struct render_io *io, float *const *planar, size_t frames)
{
	size_t got;

	if (io->file) {
		got = (size_t)sf_readf_float(io->file, io->interleaved, (sf_count_t)frames);
		deinterleave(io->interleaved, planar, io->channels, got);
		return got;
	}
	got = fread(io->bytes, (size_t)io->codec->bytes * io->channels, frames, io->raw);
	io->codec->decode(io->bytes, planar, io->channels, got);
	return got;
}

static int write_period(struct render_io *io, float *const *planar, size_t frames,
                        uint64_t *clips)
{
	if (io->file) {
		interleave_finite(planar, io->interleaved, io->channels, frames, clips);
		return sf_writef_float(io->file, io->interleaved, (sf_count_t)frames) ==
		       (sf_count_t)frames ? 0 : -EIO;
	}
	io->codec->encode((const float *const *)planar, io->bytes, io->channels, frames, clips);
	return fwrite(io->bytes, (size_t)io->codec->bytes * io->channels, frames, io->raw) ==
	       frames ? 0 : -EIO;
}

static void close_io(struct render_io *io)
{
	if (io->file)
		sf_close(io->file);
	if (io->raw)
		fflush(io->raw);
	free(io->bytes);
	free(io->interleaved);
}

/* Before the pipeline is built: the planning mode is set and the configured
 * wisdom read (once: daemon_load_config already read it). */
static void plans_prepare(const struct dspd_config *cfg)
{
	fftw_wisdom_use(cfg->fftw_wisdom);
}

/* The plans are made: what was measured is written to the wisdom file now,
 * before the audio, so that a long render stopped half-way keeps it and
 * a render started meanwhile finds it; the log says where the plans came
 * from and what planning cost (main.c saves again at the end). */
static void plans_made(const struct dspd_config *cfg)
{
	char line[160];

	fftw_wisdom_save(cfg->fftw_wisdom);
	fftw_wisdom_describe(line, sizeof(line));
	log_info("%s%s", line, cfg->fftw_wisdom[0] ? "" : " (no fftw_wisdom)");
}

/* The pipeline's workers for threads > 1 (*ret NULL for one): render runs
 * the same tasks as the live engine, without a deadline. */
static int start_workers(const struct dspd_config *cfg, struct workers **ret)
{
	const struct workers_config wc = {
		.threads = config_threads(cfg),
		.on_start = cpu_flush_denormals,
	};
	char err[128];
	int rt_err, r;

	*ret = NULL;
	if (wc.threads <= 1)
		return 0;
	if ((r = workers_create(&wc, ret, &rt_err, err, sizeof(err))) < 0)
		log_err("%s", err);
	return r;
}

static int run(const struct dspd_config *cfg, struct pipeline *p,
               struct workers *pool, struct render_io *in, struct render_io *out,
               uint64_t *ret_frames, uint64_t *clips)
{
	const size_t period = cfg->period_frames;
	static float rows[FX_MAX_CHANNELS][65536];
	float *bufs[FX_MAX_CHANNELS];
	struct gain_ramp master;
	size_t got;
	int r = 0;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	gain_ramp_init(&master, cfg->volume.mute ? 0.0f
	               : (float)gain_db_to_linear(cfg->volume.db));
	while (r == 0 && (got = read_period(in, bufs, period)) > 0) {
		for (unsigned ch = in->channels; ch < p->channels_in; ch++)
			memset(bufs[ch], 0, got * sizeof(float));
		pipeline_run(p, pool, bufs, (uint32_t)got, 0);
		gain_ramp_process(&master, bufs, out->channels, UINT32_MAX, (uint32_t)got);
		r = write_period(out, bufs, got, clips);
		*ret_frames += got;
	}
	return r;
}

int render_files(const struct dspd_config *cfg, const char *in_path,
                 const char *out_path)
{
	struct render_io in, out;
	struct pipeline *p = NULL;
	struct workers *pool = NULL;
	unsigned threads;
	uint64_t frames = 0, clips[FX_MAX_CHANNELS] = { 0 }, clipped = 0;
	static _Atomic float master_gain;
	char err[512];
	double t0;
	int r;

	cpu_flush_denormals();            /* as on the RT thread */
	if (cfg->period_frames > 65536)
		return -EINVAL;
	if ((r = open_input(cfg, in_path, &in)) < 0)
		goto out;
	atomic_init(&master_gain, cfg->volume.mute ? 0.0f
	            : (float)gain_db_to_linear(cfg->volume.db));
	plans_prepare(cfg);
	if ((r = pipeline_build_for(cfg, &master_gain, &p, err, sizeof(err))) < 0) {
		log_err("%s", err);
		goto out;
	}
	plans_made(cfg);
	if ((r = open_output(cfg, out_path, in_path, &in, &out, cfg->playback.channels)) < 0)
		goto out;
	in.bytes = malloc((size_t)cfg->period_frames * FX_MAX_CHANNELS * 8);
	out.bytes = malloc((size_t)cfg->period_frames * FX_MAX_CHANNELS * 8);
	in.interleaved = malloc((size_t)cfg->period_frames * FX_MAX_CHANNELS * sizeof(float));
	out.interleaved = malloc((size_t)cfg->period_frames * FX_MAX_CHANNELS * sizeof(float));
	if (!in.bytes || !out.bytes || !in.interleaved || !out.interleaved) {
		r = -ENOMEM;
		goto out_both;
	}
	if ((r = start_workers(cfg, &pool)) < 0)
		goto out_both;
	t0 = (monotonic_ns() / 1e9);
	r = run(cfg, p, pool, &in, &out, &frames, clips);
	threads = workers_count(pool);
	workers_destroy(pool);
	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		clipped += clips[ch];
	if (r < 0)
		log_err("%s: write failed", out_path);
	else
		log_info("rendered %llu frames (%.2f s of audio) in %.3f s on %u "
		         "thread(s); %llu samples clipped; %llu non-finite block resets",
		         (unsigned long long)frames, (double)frames / cfg->rate,
		         (monotonic_ns() / 1e9) - t0, threads,
		         (unsigned long long)clipped,
		         (unsigned long long)pipeline_resets(p));
out_both:
	close_io(&out);
out:
	close_io(&in);
	pipeline_free(p);
	return r;
}
