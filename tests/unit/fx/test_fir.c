/* test_fir.c - the "fir" block: partitioned convolution against a direct
 * double-precision convolution (uniform and non-uniform layouts, many IR
 * lengths and period sizes, any call size), IR loading (WAV channel pick,
 * raw formats, inline values, gain), the errors a user can make (config
 * and file), the pipeline's non-finite guard, the shipped example.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conv_filter.h"
#include "conv_kernel.h"
#include "fx.h"
#include "ir_load.h"
#include "pipeline.h"

#define MAX_ERR_DB -120.0       /* relative RMS error allowed */

static char tmpdir[64];

/* ---- helpers ----------------------------------------------------------- */

static uint32_t rng_state = 12345;

static float noise(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (float)((double)(rng_state >> 8) / (1 << 23) - 1.0);
}

static float *noise_array(size_t n)
{
	float *x = malloc(n * sizeof(float));

	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = noise();
	return x;
}

/* Direct convolution in double, output samples [from, to). */
static double *direct(const float *h, size_t taps, const float *x,
                      size_t from, size_t to)
{
	double *y = calloc(to - from, sizeof(double));

	assert_non_null(y);
	for (size_t n = from; n < to; n++) {
		double acc = 0.0;
		size_t m_end = n + 1 < taps ? n + 1 : taps;

		for (size_t m = 0; m < m_end; m++)
			acc += (double)h[m] * x[n - m];
		y[n - from] = acc;
	}
	return y;
}

/* 20 log10 of the relative RMS error of y[from, to) against ref. */
static double error_db(const float *y, const double *ref, size_t from,
                       size_t to)
{
	double e = 0.0, s = 0.0;

	for (size_t i = from; i < to; i++) {
		double d = y[i] - ref[i - from];

		e += d * d;
		s += ref[i - from] * ref[i - from];
	}
	if (s == 0.0)
		return e == 0.0 ? -400.0 : 0.0;
	return 10.0 * log10(e / s + 1e-40);
}

/* Run the convolver over x[0..n) in calls of `call` frames (0: a varying
 * pseudo-random size); returns the output. */
static float *convolve(const float *h, size_t taps, unsigned partition,
                       bool uniform, const float *x, size_t n, unsigned call)
{
	struct conv_filter *f;
	struct conv_state *s;
	float *y = malloc(n * sizeof(float));
	uint32_t r = 777;

	assert_non_null(y);
	memcpy(y, x, n * sizeof(float));
	assert_int_equal(conv_filter_create(h, taps, partition, uniform, &f), 0);
	assert_int_equal(conv_state_create(f, &s), 0);
	for (size_t done = 0; done < n;) {
		size_t k = call;

		if (k == 0) {
			r = r * 1103515245u + 12345u;
			k = 1 + (r >> 16) % (3 * partition);
		}
		k = k < n - done ? k : n - done;
		conv_process(f, s, y + done, (uint32_t)k);
		done += k;
	}
	conv_state_free(s);
	conv_filter_free(f);
	return y;
}

static void expect_close(const float *y, const double *ref, size_t from,
                         size_t to, const char *what)
{
	double db = error_db(y, ref, from, to);

	if (db > MAX_ERR_DB)
		print_error("%s: error %.1f dB\n", what, db);
	assert_true(db <= MAX_ERR_DB);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

/* A float WAV of `channels` channels, frame i of channel c = wav_value(). */
static float wav_value(size_t i, unsigned c)
{
	return (float)(c + 1) * 0.1f * (float)sin(0.01 * (double)i * (c + 1)) *
	       expf(-(float)i / 800.0f);
}

static void write_wav(const char *path, unsigned channels, size_t frames,
                      int rate)
{
	SF_INFO info = { .samplerate = rate, .channels = (int)channels,
	                 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	float *buf = malloc((frames ? frames : 1) * channels * sizeof(float));

	assert_non_null(sf);
	assert_non_null(buf);
	for (size_t i = 0; i < frames; i++)
		for (unsigned c = 0; c < channels; c++)
			buf[i * channels + c] = wav_value(i, c);
	assert_int_equal(sf_writef_float(sf, buf, (sf_count_t)frames),
	                 (sf_count_t)frames);
	sf_close(sf);
	free(buf);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	assert_true(snprintf(buf, size, "%s/%s", tmpdir, name) < (int)size);
}

/* A config with the given pipeline text, loaded or failing the test. */
static void load_config(struct dspd_config *cfg, unsigned period,
                        const char *pipeline)
{
	struct cfg_errors errs;
	char text[4096];
	int r;

	snprintf(text, sizeof(text), "{ \"rate\": 48000, \"period_frames\": %u, "
	         "\"capture\": { \"channels\": 2 }, \"playback\": { \"channels\": 2 }, "
	         "\"pipeline\": [ %s ] }", period, pipeline);
	r = config_load_string(text, strlen(text), "t.conf", cfg, &errs);
	for (unsigned i = 0; i < errs.count && i < CFG_MAX_ERRORS; i++)
		print_error("%s\n", errs.msg[i]);
	assert_int_equal(r, 0);
}

static int create_block(const char *block, unsigned period, struct fx **ret,
                        char *err, size_t err_len)
{
	static struct dspd_config cfg;
	struct fx_env env = { 48000, period, 2, NULL, 0 };

	load_config(&cfg, period, block);
	return fx_create(&cfg.blocks[0], &env, ret, err, err_len);
}

/* ---- convolution against the direct form -------------------------------- */

static void check_lengths(unsigned period, const size_t *lengths, size_t n_len)
{
	size_t n = 48 * (size_t)period + 13;
	float *x = noise_array(n);

	for (size_t i = 0; i < n_len; i++) {
		size_t taps = lengths[i];
		float *h = noise_array(taps);
		double *ref = direct(h, taps, x, 0, n);

		for (int uniform = 0; uniform < 2; uniform++) {
			float *y = convolve(h, taps, period, uniform, x, n, period);
			char what[96];

			snprintf(what, sizeof(what), "period %u, %zu taps, %s",
			         period, taps, uniform ? "uniform" : "non-uniform");
			expect_close(y, ref, 0, n, what);
			free(y);
		}
		free(ref);
		free(h);
	}
	free(x);
}

static void test_matches_direct_convolution(void **state)
{
	static const unsigned periods[] = { 16, 64, 256, 1000 };

	(void)state;
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		size_t b = periods[p];
		const size_t lengths[] = { 1, 7, b - 1, b, b + 1, 4 * b + 3,
		                           8 * b + 1, 40 * b + 5 };

		check_lengths(periods[p], lengths, sizeof(lengths) / sizeof(lengths[0]));
	}
}

/* 65536 taps: the reference is computed at the start (the IR entering)
 * and at the end (every partition of every level in use). */
static void test_long_ir(void **state)
{
	static const unsigned periods[] = { 64, 256, 1024 };
	const size_t taps = 65536, n = taps + 4 * 1024 + 7, w = 2048;
	float *h = noise_array(taps), *x = noise_array(n);
	double *head = direct(h, taps, x, 0, w), *tail = direct(h, taps, x, n - w, n);

	(void)state;
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
		for (int uniform = 0; uniform < 2; uniform++) {
			float *y = convolve(h, taps, periods[p], uniform, x, n,
			                    periods[p]);
			char what[96];

			snprintf(what, sizeof(what), "65536 taps, period %u, %s",
			         periods[p], uniform ? "uniform" : "non-uniform");
			expect_close(y, head, 0, w, what);
			expect_close(y, tail, n - w, n, what);
			free(y);
		}
	free(head);
	free(tail);
	free(h);
	free(x);
}

/* Calls of any size, smaller and larger than the partition: no latency. */
static void test_any_call_size(void **state)
{
	const unsigned partition = 64;
	const size_t taps = 40 * partition + 5, n = 60 * partition;
	float *h = noise_array(taps), *x = noise_array(n);
	double *ref = direct(h, taps, x, 0, n);

	(void)state;
	for (int uniform = 0; uniform < 2; uniform++) {
		float *y = convolve(h, taps, partition, uniform, x, n, 0);

		expect_close(y, ref, 0, n, uniform ? "varying calls, uniform" :
		             "varying calls, non-uniform");
		free(y);
	}
	free(ref);
	free(h);
	free(x);
}

/* Both builds of the inner loops give the convolution. */
static void test_kernel_variants(void **state)
{
	static const char *const names[] = { "generic", "avx2_fma" };
	const char *chosen = conv_kernel_name();
	const size_t taps = 3000, n = 5000;
	float *h = noise_array(taps), *x = noise_array(n);
	double *ref = direct(h, taps, x, 0, n);

	(void)state;
	assert_int_equal(conv_kernel_use("sse9"), -ENOENT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		float *y;
		int r = conv_kernel_use(names[i]);

		if (r == -ENOTSUP)
			continue;
		assert_int_equal(r, 0);
		assert_string_equal(conv_kernel_name(), names[i]);
		y = convolve(h, taps, 64, false, x, n, 64);
		expect_close(y, ref, 0, n, names[i]);
		free(y);
	}
	assert_int_equal(conv_kernel_use(chosen), 0);
	free(ref);
	free(h);
	free(x);
}

static void test_uniform_equals_non_uniform(void **state)
{
	const size_t taps = 20000, n = 30000;
	float *h = noise_array(taps), *x = noise_array(n);
	float *u = convolve(h, taps, 128, true, x, n, 128);
	float *v = convolve(h, taps, 128, false, x, n, 128);
	double *ud = malloc(n * sizeof(double));

	(void)state;
	assert_non_null(ud);
	for (size_t i = 0; i < n; i++)
		ud[i] = u[i];
	expect_close(v, ud, 0, n, "non-uniform vs uniform");
	free(ud);
	free(u);
	free(v);
	free(h);
	free(x);
}

/* The documented non-uniform layout (conv_filter.c) for 65536 taps. */
static void test_layout(void **state)
{
	static const unsigned blocks[] = { 64, 256, 1024 };
	static const unsigned parts[] = { 8, 6, 62 };
	float *h = noise_array(65536);
	struct conv_filter *f;

	(void)state;
	assert_int_equal(conv_filter_create(h, 65536, 64, false, &f), 0);
	assert_int_equal(f->n_levels, 3);
	for (unsigned l = 0; l < 3; l++) {
		assert_int_equal(f->level[l].block, blocks[l]);
		assert_int_equal(f->level[l].parts, parts[l]);
	}
	/* dspd.conf(5): about 8 bytes per tap, and as much again per channel */
	assert_in_range(conv_filter_bytes(f), 8 * 65536, 9 * 65536);
	assert_in_range(conv_state_bytes(f), 8 * 65536, 10 * 65536);
	conv_filter_free(f);
	assert_int_equal(conv_filter_create(h, 65536, 64, true, &f), 0);
	assert_int_equal(f->n_levels, 1);
	assert_int_equal(f->level[0].parts, 1024);
	conv_filter_free(f);
	free(h);
}

/* ---- the block, from a config ------------------------------------------- */

/* Feed an impulse through channel 0 of fx, return 2 * period output frames. */
static void impulse_response(struct fx *fx, unsigned period, float *out,
                             size_t n)
{
	static float rows[FX_MAX_CHANNELS][4096];
	float *bufs[FX_MAX_CHANNELS];

	assert_true(period <= 4096);
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		bufs[c] = rows[c];
	for (size_t done = 0; done < n; done += period) {
		memset(rows[0], 0, sizeof(rows[0]));
		memset(rows[1], 0, sizeof(rows[1]));
		if (done == 0)
			rows[0][0] = rows[1][0] = 1.0f;
		fx->ops->process(fx, bufs, period);
		memcpy(out + done, rows[0],
		       (n - done < period ? n - done : period) * sizeof(float));
	}
}

static void expect_ir(const float *out, size_t n, const float *ir, size_t taps)
{
	for (size_t i = 0; i < n; i++) {
		float want = i < taps ? ir[i] : 0.0f;

		if (fabsf(out[i] - want) > 1e-6f) {
			print_error("sample %zu: %.9g, want %.9g\n", i, out[i], want);
			fail();
		}
	}
}

static void test_impulse_gives_inline_ir(void **state)
{
	static const float ir[] = { 0.5f, -0.25f, 0.125f, 0.0f, 1.0f };
	float out[256];
	struct fx *fx;
	char err[256];

	(void)state;
	assert_int_equal(create_block("{ \"type\": \"fir\", \"name\": \"f\", "
	                 "\"values\": [0.5, -0.25, 0.125, 0, 1] }", 64, &fx,
	                 err, sizeof(err)), 0);
	assert_int_equal(fx->latency_frames, 0);
	impulse_response(fx, 64, out, 256);
	expect_ir(out, 256, ir, 5);
	fx->ops->destroy(fx);
}

static void test_gain_db(void **state)
{
	struct dspd_config cfg;
	float *taps;
	size_t n;
	char err[256];

	(void)state;
	load_config(&cfg, 64, "{ \"type\": \"fir\", \"name\": \"f\", "
	            "\"values\": [1, 0.5], \"gain_db\": -20 }");
	assert_int_equal(ir_load(&cfg.blocks[0].u.fir, 48000, &taps, &n, err,
	                         sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_true(fabsf(taps[0] - 0.1f) < 1e-7f);
	assert_true(fabsf(taps[1] - 0.05f) < 1e-7f);
	free(taps);
}

/* A 3-channel WAV, channel 1 picked; long enough for two levels. */
static void test_wav_channel(void **state)
{
	const size_t frames = 3000;
	float want[3000], *taps, *out = malloc(4096 * sizeof(float));
	char path[128], block[512], err[256];
	struct dspd_config cfg;
	struct fx *fx;
	size_t n;

	(void)state;
	assert_non_null(out);
	tmp_path(path, sizeof(path), "three.wav");
	write_wav(path, 3, frames, 48000);
	for (size_t i = 0; i < frames; i++)
		want[i] = wav_value(i, 1);
	snprintf(block, sizeof(block), "{ \"type\": \"fir\", \"name\": \"f\", "
	         "\"path\": \"%s\", \"channel\": 1, \"partition\": 64 }", path);
	load_config(&cfg, 64, block);
	assert_int_equal(ir_load(&cfg.blocks[0].u.fir, 48000, &taps, &n, err,
	                         sizeof(err)), 0);
	assert_int_equal(n, frames);
	assert_memory_equal(taps, want, sizeof(want));
	free(taps);
	assert_int_equal(create_block(block, 64, &fx, err, sizeof(err)), 0);
	impulse_response(fx, 64, out, 4096);
	expect_ir(out, 4096, want, frames);
	fx->ops->destroy(fx);
	free(out);
}

static void test_raw_formats(void **state)
{
	static const struct {
		const char *name;
		unsigned char bytes[16];
		size_t len;
		float want[2];
	} cases[] = {
		{ "f32le", { 0, 0, 0x80, 0x3e, 0, 0, 0, 0xbe }, 8, { 0.25f, -0.125f } },
		{ "f64le", { 0, 0, 0, 0, 0, 0, 0xd0, 0x3f,
		             0, 0, 0, 0, 0, 0, 0xc0, 0xbf }, 16, { 0.25f, -0.125f } },
		{ "s16le", { 0x00, 0x40, 0x00, 0x80 }, 4, { 0.5f, -1.0f } },
		{ "s24le", { 0x00, 0x00, 0x40, 0x00, 0x00, 0xe0 }, 6, { 0.5f, -0.25f } },
		{ "s32le", { 0, 0, 0, 0x40, 0, 0, 0, 0xc0 }, 8, { 0.5f, -0.5f } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], block[512], err[256];
		struct dspd_config cfg;
		float *taps;
		size_t n;

		snprintf(block, sizeof(block), "ir.%s", cases[i].name);
		tmp_path(path, sizeof(path), block);
		write_file(path, cases[i].bytes, cases[i].len);
		snprintf(block, sizeof(block), "{ \"type\": \"fir\", \"name\": "
		         "\"f\", \"path\": \"%s\", \"format\": \"%s\" }", path,
		         cases[i].name);
		load_config(&cfg, 64, block);
		assert_int_equal(ir_load(&cfg.blocks[0].u.fir, 48000, &taps, &n,
		                         err, sizeof(err)), 0);
		assert_int_equal(n, 2);
		assert_true(taps[0] == cases[i].want[0]);
		assert_true(taps[1] == cases[i].want[1]);
		free(taps);
	}
}

/* ---- errors ------------------------------------------------------------- */

/* Files for the error cases, made once. */
static void make_error_files(void)
{
	static const unsigned char nan_f32[] = { 0, 0, 0xc0, 0x7f };
	char path[128];

	tmp_path(path, sizeof(path), "44k.wav");
	write_wav(path, 1, 100, 44100);
	tmp_path(path, sizeof(path), "empty.wav");
	write_wav(path, 1, 0, 48000);
	tmp_path(path, sizeof(path), "zero.raw");
	write_file(path, "", 0);
	tmp_path(path, sizeof(path), "long.wav");
	write_wav(path, 3, 3000, 48000);
	tmp_path(path, sizeof(path), "seven.raw");
	write_file(path, "1234567", 7);
	tmp_path(path, sizeof(path), "six.raw");
	write_file(path, "123456", 6);
	tmp_path(path, sizeof(path), "text.txt");
	write_file(path, "hello, world\n", 13);
	tmp_path(path, sizeof(path), "nan.raw");
	write_file(path, nan_f32, sizeof(nan_f32));
}

static void test_file_errors(void **state)
{
	static const struct {
		const char *file;       /* in tmpdir; "" = none */
		const char *extra;      /* more keys */
		int errno_want;
		const char *needle;
	} cases[] = {
		{ "missing.wav", "", -ENOENT, "No such file" },
		{ "44k.wav", "", -EINVAL, "44100 Hz, dspd runs at 48000 Hz" },
		{ "empty.wav", "", -EINVAL, "is empty" },
		{ "zero.raw", "", -EINVAL, "is empty" },
		{ "zero.raw", ", \"format\": \"s16le\"", -EINVAL, "is empty" },
		{ "long.wav", ", \"max_taps\": 2999", -EFBIG, "3000 taps, more than max_taps 2999" },
		{ "long.wav", ", \"channel\": 3", -EINVAL, "has 3 channel(s), channel 3" },
		{ "seven.raw", ", \"format\": \"f32le\"", -EINVAL, "not a whole number" },
		{ "seven.raw", ", \"format\": \"s16le\", \"channel\": 1", -EINVAL, "one channel" },
		{ "six.raw", ", \"format\": \"s16le\", \"max_taps\": 2", -EFBIG, "3 taps, more than max_taps 2" },
		{ "text.txt", "", -EINVAL, "needs \"format\"" },
		{ "nan.raw", ", \"format\": \"f32le\"", -EINVAL, "not a finite number" },
		{ "", "", -EINVAL, "not a regular file" },  /* the directory */
	};

	(void)state;
	make_error_files();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], block[512], err[512];
		struct fx *fx = NULL;
		int r;

		tmp_path(path, sizeof(path), cases[i].file);
		if (!cases[i].file[0])
			snprintf(path, sizeof(path), "%s", tmpdir);
		snprintf(block, sizeof(block), "{ \"type\": \"fir\", \"name\": "
		         "\"room\", \"path\": \"%s\"%s }", path, cases[i].extra);
		r = create_block(block, 64, &fx, err, sizeof(err));
		if (r != cases[i].errno_want || !strstr(err, cases[i].needle) ||
		    !strstr(err, path) || strncmp(err, "block \"room\": ", 14)) {
			print_error("case %zu: got %d \"%s\", want %d with \"%s\" "
			            "and the path\n", i, r, err, cases[i].errno_want,
			            cases[i].needle);
			fail();
		}
		assert_null(fx);
	}
}

static void test_needs_path_or_values(void **state)
{
	char err[256];
	struct fx *fx = NULL;

	(void)state;
	assert_int_equal(create_block("{ \"type\": \"fir\", \"name\": \"f\" }",
	                              64, &fx, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "block \"f\": needs \"path\""));
	assert_int_equal(create_block("{ \"type\": \"fir\", \"name\": \"f\", "
	                              "\"values\": [1, 2, 3], \"max_taps\": 2 }",
	                              64, &fx, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "more than max_taps 2"));
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *keys;
		const char *needle;
	} cases[] = {
		{ "\"path\": \"/x.wav\", \"values\": [1]",
		  "/pipeline/0/values: give either \"path\" or \"values\"" },
		{ "\"values\": [1], \"path\": \"/x.wav\"",
		  "/pipeline/0/path: give either" },
		{ "\"path\": \"ir.wav\"", "/pipeline/0/path: a relative path needs a config file" },
		{ "\"path\": \"\"", "/pipeline/0/path: must be a non-empty string" },
		{ "\"values\": []", "/pipeline/0/values: has 0 coefficients" },
		{ "\"values\": 1", "/pipeline/0/values: must be an array" },
		{ "\"values\": [1, \"a\"]", "/pipeline/0/values/1: must be a number" },
		{ "\"values\": [1], \"format\": \"wav\"", "/pipeline/0/format: unknown value \"wav\"" },
		{ "\"values\": [1], \"partition\": 8", "/pipeline/0/partition: must be an integer between 16 and 65536" },
		{ "\"values\": [1], \"partitioning\": \"x\"", "/pipeline/0/partitioning: unknown value" },
		{ "\"values\": [1], \"max_taps\": 0", "/pipeline/0/max_taps: must be an integer between 1" },
		{ "\"values\": [1], \"channel\": -1", "/pipeline/0/channel: must be an integer" },
		{ "\"values\": [1], \"gain_db\": 41", "/pipeline/0/gain_db: must be a number between -150 and 40" },
		{ "\"values\": [1], \"taps\": 3", "/pipeline/0/taps: unknown key" },
	};
	static struct dspd_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_errors errs;
		char text[1024];
		bool found = false;

		snprintf(text, sizeof(text), "{ \"pipeline\": [ { \"type\": \"fir\", "
		         "\"name\": \"f\", %s } ] }", cases[i].keys);
		assert_int_equal(config_load_string(text, strlen(text), "t.conf",
		                                    &cfg, &errs), -EINVAL);
		for (unsigned e = 0; e < errs.count && e < CFG_MAX_ERRORS; e++)
			found |= strstr(errs.msg[e], cases[i].needle) != NULL;
		if (!found) {
			print_error("case %zu: no error with \"%s\"; got:\n", i,
			            cases[i].needle);
			for (unsigned e = 0; e < errs.count && e < CFG_MAX_ERRORS; e++)
				print_error("  %s\n", errs.msg[e]);
			fail();
		}
	}
}

static void test_too_many_values(void **state)
{
	static struct dspd_config cfg;
	struct cfg_errors errs;
	char text[4096];
	size_t len;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "{ \"pipeline\": [ { \"type\": "
	                       "\"fir\", \"name\": \"f\", \"values\": [0");
	for (int i = 0; i < CFG_FIR_MAX_VALUES; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ",1");
	snprintf(text + len, sizeof(text) - len, "] } ] }");
	assert_int_equal(config_load_string(text, strlen(text), "t.conf", &cfg,
	                                    &errs), -EINVAL);
	assert_non_null(strstr(errs.msg[0], "has 257 coefficients, 1 to 256"));
}

/* ---- the pipeline's guard ------------------------------------------------- */

static void test_nan_resets_block(void **state)
{
	static float rows[FX_MAX_CHANNELS][64];
	static struct dspd_config cfg;
	const unsigned period = 64;
	float *bufs[FX_MAX_CHANNELS], *h, *x;
	struct pipeline *p;
	char err[256];
	double *ref;

	(void)state;
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		bufs[c] = rows[c];
	load_config(&cfg, period, "{ \"type\": \"fir\", \"name\": \"f\", "
	            "\"values\": [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, "
	            "0.0078125, 0.00390625] }");
	assert_int_equal(pipeline_build(&cfg, 2, period, NULL, &p, err, sizeof(err)), 0);
	h = cfg.blocks[0].u.fir.values;
	x = noise_array(period);
	ref = direct(h, 8, x, 0, period);
	/* some history, then a NaN in channel 0 */
	for (unsigned i = 0; i < period; i++)
		rows[0][i] = rows[1][i] = noise();
	pipeline_process(p, bufs, period);
	for (unsigned i = 0; i < period; i++)
		rows[0][i] = rows[1][i] = noise();
	rows[0][10] = NAN;
	pipeline_process(p, bufs, period);
	assert_int_equal(pipeline_resets(p), 1);
	/* the bad channel is silenced; the other one, sound, is heard */
	for (unsigned i = 0; i < period; i++)
		assert_true(rows[0][i] == 0.0f && isfinite(rows[1][i]));
	/* the block forgot everything: the next period starts from silence */
	memcpy(rows[0], x, period * sizeof(float));
	memcpy(rows[1], x, period * sizeof(float));
	pipeline_process(p, bufs, period);
	expect_close(rows[0], ref, 0, period, "after reset, channel 0");
	expect_close(rows[1], ref, 0, period, "after reset, channel 1");
	assert_int_equal(pipeline_resets(p), 1);
	pipeline_free(p);
	free(ref);
	free(x);
}

/* ---- shipped example -------------------------------------------------------- */

static void source_path(char *buf, size_t size, const char *relative)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(buf, size, "%s", relative);
	if (access(buf, R_OK) == 0)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	assert_true(snprintf(buf, size, "%s/../../../%s", exe, relative) <
	            (int)size);
	assert_int_equal(access(buf, R_OK), 0);
}

static void test_example(void **state)
{
	static struct dspd_config cfg;
	struct cfg_errors errs;
	char path[PATH_MAX], err[256];
	struct cfg_fir fir;
	float *taps;
	size_t n;

	(void)state;
	source_path(path, sizeof(path), "etc/examples/room-correction.conf");
	assert_int_equal(config_load_file(path, &cfg, &errs), 0);
	assert_int_equal(cfg.blocks[1].type, CFG_BLOCK_FIR);
	fir = cfg.blocks[1].u.fir;
	source_path(fir.path, sizeof(fir.path), "etc/examples/room-correction.wav");
	assert_int_equal(ir_load(&fir, cfg.rate, &taps, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4096);
	assert_true(taps[0] > 0.9f && taps[0] < 1.1f);   /* mostly a pass */
	assert_true(taps[n - 1] == 0.0f);                 /* faded out */
	free(taps);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_fir.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const files[] = {
		"three.wav", "ir.f32le", "ir.f64le", "ir.s16le", "ir.s24le",
		"ir.s32le", "44k.wav", "empty.wav", "zero.raw", "long.wav",
		"seven.raw", "six.raw", "text.txt", "nan.raw",
	};
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		tmp_path(path, sizeof(path), files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_direct_convolution),
		cmocka_unit_test(test_long_ir),
		cmocka_unit_test(test_any_call_size),
		cmocka_unit_test(test_kernel_variants),
		cmocka_unit_test(test_uniform_equals_non_uniform),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_impulse_gives_inline_ir),
		cmocka_unit_test(test_gain_db),
		cmocka_unit_test(test_wav_channel),
		cmocka_unit_test(test_raw_formats),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_needs_path_or_values),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_too_many_values),
		cmocka_unit_test(test_nan_resets_block),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
