/* format.c - codecs between ALSA interleaved sample formats and planar float.
 *
 * Owns the codec table.  Every function here is pure (no state, no
 * allocation, no syscalls): any thread may call them, and the RT thread calls
 * decode/encode once per period.
 *
 * Layout.  Bytes are assembled and split explicitly, so the host's byte order
 * and the buffer's alignment never matter (3-byte formats are unaligned by
 * nature).  S24_LE/S24_BE keep 24 bits in the low three bytes of a 32-bit
 * container: decode reads only those three bytes and sign-extends from
 * bit 23 (whatever the top byte holds), encode writes the sign extension
 * into the top byte.  Unsigned formats are the signed code plus the
 * midpoint (the sign bit flipped).
 *
 * Scaling.  Integer decode is code / 2^(bits-1); S32 codes are rounded to
 * the nearest float, so codes within 64 of INT32_MAX decode to exactly 1.0.
 * Integer encode computes v = x * 2^(bits-1) in float (exact: a power of
 * two), rounds it to the nearest integer with ties to even (the default FP
 * rounding mode) in a 64-bit intermediate, and clamps to [min, max] of the
 * format.
 *
 * Clipping.  A sample counts as clipped exactly when it had to be clamped:
 * for integer formats when the rounded value lies outside [min, max], so
 * +1.0 (one code above max) and +-Inf clip, while -1.0 (exactly min) and a
 * value that rounds to max or min do not; for float formats when |x| > 1.0.
 * NaN encodes as 0 (silence) and is not counted.  Float decode passes
 * finite values through unchanged (overs included), maps NaN to 0 and
 * +-Inf to +-1.0, so a bad device sample cannot poison filter state.
 *
 * Speed.  One loop per format and channel, the load/store helper inlined
 * into it: no per-sample switch, no branches beyond the clamps. */
#include "format.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <strings.h>

/* The generic loops take their load/store helper as a constant function
 * pointer; forced inlining turns it into straight-line code per format. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- byte order ---------------------------------------------------------- */

ALWAYS_INLINE uint32_t get_le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

ALWAYS_INLINE uint32_t get_be16(const unsigned char *p)
{
	return (uint32_t)p[1] | (uint32_t)p[0] << 8;
}

ALWAYS_INLINE uint32_t get_le24(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

ALWAYS_INLINE uint32_t get_be24(const unsigned char *p)
{
	return (uint32_t)p[2] | (uint32_t)p[1] << 8 | (uint32_t)p[0] << 16;
}

ALWAYS_INLINE uint32_t get_le32(const unsigned char *p)
{
	return get_le16(p) | get_le16(p + 2) << 16;
}

ALWAYS_INLINE uint32_t get_be32(const unsigned char *p)
{
	return get_be16(p + 2) | get_be16(p) << 16;
}

ALWAYS_INLINE uint64_t get_le64(const unsigned char *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

ALWAYS_INLINE uint64_t get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p + 4) | (uint64_t)get_be32(p) << 32;
}

ALWAYS_INLINE void put_le16(unsigned char *p, uint32_t u)
{
	p[0] = (unsigned char)u;
	p[1] = (unsigned char)(u >> 8);
}

ALWAYS_INLINE void put_be16(unsigned char *p, uint32_t u)
{
	p[0] = (unsigned char)(u >> 8);
	p[1] = (unsigned char)u;
}

ALWAYS_INLINE void put_le24(unsigned char *p, uint32_t u)
{
	p[0] = (unsigned char)u;
	p[1] = (unsigned char)(u >> 8);
	p[2] = (unsigned char)(u >> 16);
}

ALWAYS_INLINE void put_be24(unsigned char *p, uint32_t u)
{
	p[0] = (unsigned char)(u >> 16);
	p[1] = (unsigned char)(u >> 8);
	p[2] = (unsigned char)u;
}

ALWAYS_INLINE void put_le32(unsigned char *p, uint32_t u)
{
	put_le16(p, u);
	put_le16(p + 2, u >> 16);
}

ALWAYS_INLINE void put_be32(unsigned char *p, uint32_t u)
{
	put_be16(p, u >> 16);
	put_be16(p + 2, u);
}

ALWAYS_INLINE void put_le64(unsigned char *p, uint64_t u)
{
	put_le32(p, (uint32_t)u);
	put_le32(p + 4, (uint32_t)(u >> 32));
}

ALWAYS_INLINE void put_be64(unsigned char *p, uint64_t u)
{
	put_be32(p, (uint32_t)(u >> 32));
	put_be32(p + 4, (uint32_t)u);
}

/* ---- integer codes ------------------------------------------------------- */

/* Two's complement value of the low `bits` bits of u, without relying on
 * implementation-defined narrowing conversions. */
ALWAYS_INLINE int32_t sign_extend(uint32_t u, unsigned bits)
{
	uint32_t sign = 1u << (bits - 1);
	uint32_t mask = sign | (sign - 1);

	return (int32_t)((int64_t)((u & mask) ^ sign) - sign);
}

/* Signed code of an unsigned (offset binary) sample of `bits` bits. */
ALWAYS_INLINE int32_t from_unsigned(uint32_t u, unsigned bits)
{
	return (int32_t)((int64_t)u - (1u << (bits - 1)));
}

ALWAYS_INLINE uint32_t to_unsigned(int32_t code, unsigned bits)
{
	return (uint32_t)code ^ (1u << (bits - 1));
}

/* load_<id>(p) -> signed code, store_<id>(p, code) -> bytes. */
#define LOAD_INT(id, expr)                                                     \
	ALWAYS_INLINE int32_t load_##id(const unsigned char *p) { return expr; }
#define STORE_INT(id, stmt)                                                    \
	ALWAYS_INLINE void store_##id(unsigned char *p, int32_t c) { stmt; }

LOAD_INT(s16le, sign_extend(get_le16(p), 16))
LOAD_INT(s16be, sign_extend(get_be16(p), 16))
LOAD_INT(s24le, sign_extend(get_le24(p), 24))
LOAD_INT(s24be, sign_extend(get_be24(p + 1), 24))
LOAD_INT(s24_3le, sign_extend(get_le24(p), 24))
LOAD_INT(s24_3be, sign_extend(get_be24(p), 24))
LOAD_INT(s32le, sign_extend(get_le32(p), 32))
LOAD_INT(s32be, sign_extend(get_be32(p), 32))
LOAD_INT(u8, from_unsigned(p[0], 8))
LOAD_INT(u16le, from_unsigned(get_le16(p), 16))
LOAD_INT(u16be, from_unsigned(get_be16(p), 16))
LOAD_INT(u32le, from_unsigned(get_le32(p), 32))
LOAD_INT(u32be, from_unsigned(get_be32(p), 32))

/* Stores take a code already clamped to the format's range; for the 32-bit
 * S24 containers that makes the top byte the sign extension. */
STORE_INT(s16le, put_le16(p, (uint32_t)c))
STORE_INT(s16be, put_be16(p, (uint32_t)c))
STORE_INT(s24le, put_le32(p, (uint32_t)c))
STORE_INT(s24be, put_be32(p, (uint32_t)c))
STORE_INT(s24_3le, put_le24(p, (uint32_t)c))
STORE_INT(s24_3be, put_be24(p, (uint32_t)c))
STORE_INT(s32le, put_le32(p, (uint32_t)c))
STORE_INT(s32be, put_be32(p, (uint32_t)c))
STORE_INT(u8, p[0] = (unsigned char)to_unsigned(c, 8))
STORE_INT(u16le, put_le16(p, to_unsigned(c, 16)))
STORE_INT(u16be, put_be16(p, to_unsigned(c, 16)))
STORE_INT(u32le, put_le32(p, to_unsigned(c, 32)))
STORE_INT(u32be, put_be32(p, to_unsigned(c, 32)))

typedef int32_t (*load_int_fn)(const unsigned char *p);
typedef void (*store_int_fn)(unsigned char *p, int32_t code);

ALWAYS_INLINE void decode_int(const void *src, float *const *dst,
			      unsigned channels, size_t frames,
			      unsigned bytes, unsigned bits, load_int_fn load)
{
	const float scale = 1.0f / (float)(1u << (bits - 1));
	const size_t stride = (size_t)channels * bytes;
	const unsigned char *base = src;

	for (unsigned ch = 0; ch < channels; ch++) {
		const unsigned char *p = base + ch * bytes;
		float *out = dst[ch];

		for (size_t f = 0; f < frames; f++, p += stride)
			out[f] = (float)load(p) * scale;
	}
}

/* Nearest integer to x * scale, NaN -> 0, |result| <= limit (a power of two
 * beyond the format's range, so anything out of range stays out of range
 * and the 64-bit conversion is always defined). */
ALWAYS_INLINE int64_t scale_round(float x, float scale, float limit)
{
	float v = x * scale;

	if (v != v)
		v = 0.0f;
	else if (v > limit)
		v = limit;
	else if (v < -limit)
		v = -limit;
	return (int64_t)rintf(v);
}

ALWAYS_INLINE void encode_int(const float *const *src, void *dst,
			      unsigned channels, size_t frames, uint64_t *clips,
			      unsigned bytes, unsigned bits, store_int_fn store)
{
	const float scale = (float)(1u << (bits - 1));
	const float limit = 2.0f * scale;
	const int64_t max = (int64_t)(1u << (bits - 1)) - 1;
	const int64_t min = -(int64_t)(1u << (bits - 1));
	const size_t stride = (size_t)channels * bytes;

	for (unsigned ch = 0; ch < channels; ch++) {
		unsigned char *p = (unsigned char *)dst + ch * bytes;
		const float *in = src[ch];
		uint64_t clipped = 0;

		for (size_t f = 0; f < frames; f++, p += stride) {
			int64_t r = scale_round(in[f], scale, limit);
			int64_t c = r > max ? max : r < min ? min : r;

			clipped += c != r;
			store(p, (int32_t)c);
		}
		if (clips)
			clips[ch] += clipped;
	}
}

/* ---- float samples ------------------------------------------------------- */

ALWAYS_INLINE float float_of_bits(uint32_t u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

ALWAYS_INLINE uint32_t bits_of_float(float x)
{
	uint32_t u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

ALWAYS_INLINE float float_of_bits64(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return (float)d;
}

ALWAYS_INLINE uint64_t bits64_of_float(float x)
{
	double d = x;
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

#define LOAD_FLOAT(id, expr)                                                   \
	ALWAYS_INLINE float load_##id(const unsigned char *p) { return expr; }
#define STORE_FLOAT(id, stmt)                                                  \
	ALWAYS_INLINE void store_##id(unsigned char *p, float x) { stmt; }

LOAD_FLOAT(float_le, float_of_bits(get_le32(p)))
LOAD_FLOAT(float_be, float_of_bits(get_be32(p)))
LOAD_FLOAT(float64_le, float_of_bits64(get_le64(p)))
LOAD_FLOAT(float64_be, float_of_bits64(get_be64(p)))
STORE_FLOAT(float_le, put_le32(p, bits_of_float(x)))
STORE_FLOAT(float_be, put_be32(p, bits_of_float(x)))
STORE_FLOAT(float64_le, put_le64(p, bits64_of_float(x)))
STORE_FLOAT(float64_be, put_be64(p, bits64_of_float(x)))

typedef float (*load_float_fn)(const unsigned char *p);
typedef void (*store_float_fn)(unsigned char *p, float x);

/* NaN -> 0, +-Inf -> +-1.0, finite values unchanged. */
ALWAYS_INLINE float finite_sample(float x)
{
	if (x != x)
		return 0.0f;
	if (x > FLT_MAX)
		return 1.0f;
	if (x < -FLT_MAX)
		return -1.0f;
	return x;
}

ALWAYS_INLINE void decode_float(const void *src, float *const *dst,
				unsigned channels, size_t frames,
				unsigned bytes, load_float_fn load)
{
	const size_t stride = (size_t)channels * bytes;
	const unsigned char *base = src;

	for (unsigned ch = 0; ch < channels; ch++) {
		const unsigned char *p = base + ch * bytes;
		float *out = dst[ch];

		for (size_t f = 0; f < frames; f++, p += stride)
			out[f] = finite_sample(load(p));
	}
}

ALWAYS_INLINE void encode_float(const float *const *src, void *dst,
				unsigned channels, size_t frames,
				uint64_t *clips, unsigned bytes,
				store_float_fn store)
{
	const size_t stride = (size_t)channels * bytes;

	for (unsigned ch = 0; ch < channels; ch++) {
		unsigned char *p = (unsigned char *)dst + ch * bytes;
		const float *in = src[ch];
		uint64_t clipped = 0;

		for (size_t f = 0; f < frames; f++, p += stride) {
			float x = in[f] == in[f] ? in[f] : 0.0f;
			float c = x > 1.0f ? 1.0f : x < -1.0f ? -1.0f : x;

			clipped += c != x;
			store(p, c);
		}
		if (clips)
			clips[ch] += clipped;
	}
}

/* ---- per-format entry points and the table ------------------------------ */

#define INT_CODEC_FNS(id, bytes, bits)                                         \
	static void decode_##id(const void *src, float *const *dst,           \
				unsigned channels, size_t frames)             \
	{                                                                      \
		decode_int(src, dst, channels, frames, bytes, bits,           \
			   load_##id);                                         \
	}                                                                      \
	static void encode_##id(const float *const *src, void *dst,           \
				unsigned channels, size_t frames,             \
				uint64_t *clips)                              \
	{                                                                      \
		encode_int(src, dst, channels, frames, clips, bytes, bits,    \
			   store_##id);                                        \
	}

#define FLOAT_CODEC_FNS(id, bytes)                                             \
	static void decode_##id(const void *src, float *const *dst,           \
				unsigned channels, size_t frames)             \
	{                                                                      \
		decode_float(src, dst, channels, frames, bytes, load_##id);   \
	}                                                                      \
	static void encode_##id(const float *const *src, void *dst,           \
				unsigned channels, size_t frames,             \
				uint64_t *clips)                              \
	{                                                                      \
		encode_float(src, dst, channels, frames, clips, bytes,        \
			     store_##id);                                      \
	}

INT_CODEC_FNS(s16le, 2, 16)
INT_CODEC_FNS(s16be, 2, 16)
INT_CODEC_FNS(s24le, 4, 24)
INT_CODEC_FNS(s24be, 4, 24)
INT_CODEC_FNS(s24_3le, 3, 24)
INT_CODEC_FNS(s24_3be, 3, 24)
INT_CODEC_FNS(s32le, 4, 32)
INT_CODEC_FNS(s32be, 4, 32)
INT_CODEC_FNS(u8, 1, 8)
INT_CODEC_FNS(u16le, 2, 16)
INT_CODEC_FNS(u16be, 2, 16)
INT_CODEC_FNS(u32le, 4, 32)
INT_CODEC_FNS(u32be, 4, 32)
FLOAT_CODEC_FNS(float_le, 4)
FLOAT_CODEC_FNS(float_be, 4)
FLOAT_CODEC_FNS(float64_le, 8)
FLOAT_CODEC_FNS(float64_be, 8)

/* Largest code over full scale: (2^(bits-1) - 1) / 2^(bits-1), which
 * rounds to 1.0f for 32 bits. */
#define INT_CLIP_LEVEL(bits)                                                   \
	((float)(1.0 - 1.0 / (double)(1ull << ((bits) - 1))))

#define INT_CODEC(fmt, id, bytes, bits)                                        \
	{ SND_PCM_FORMAT_##fmt, #fmt, bytes, bits, INT_CLIP_LEVEL(bits),       \
	  decode_##id, encode_##id }
#define FLOAT_CODEC(fmt, id, bytes, bits)                                      \
	{ SND_PCM_FORMAT_##fmt, #fmt, bytes, bits, 1.0f, decode_##id,          \
	  encode_##id }

/* "auto" preference order: best native format first. */
static const struct fmt_codec codecs[] = {
	INT_CODEC(S32_LE, s32le, 4, 32),
	INT_CODEC(S24_LE, s24le, 4, 24),
	INT_CODEC(S24_3LE, s24_3le, 3, 24),
	FLOAT_CODEC(FLOAT_LE, float_le, 4, 32),
	FLOAT_CODEC(FLOAT64_LE, float64_le, 8, 64),
	INT_CODEC(S16_LE, s16le, 2, 16),
	INT_CODEC(S32_BE, s32be, 4, 32),
	INT_CODEC(S24_BE, s24be, 4, 24),
	INT_CODEC(S24_3BE, s24_3be, 3, 24),
	FLOAT_CODEC(FLOAT_BE, float_be, 4, 32),
	FLOAT_CODEC(FLOAT64_BE, float64_be, 8, 64),
	INT_CODEC(S16_BE, s16be, 2, 16),
	INT_CODEC(U32_LE, u32le, 4, 32),
	INT_CODEC(U32_BE, u32be, 4, 32),
	INT_CODEC(U16_LE, u16le, 2, 16),
	INT_CODEC(U16_BE, u16be, 2, 16),
	INT_CODEC(U8, u8, 1, 8),
};

#define CODEC_COUNT (sizeof(codecs) / sizeof(codecs[0]))

const struct fmt_codec *fmt_codec_find(snd_pcm_format_t format)
{
	for (size_t i = 0; i < CODEC_COUNT; i++)
		if (codecs[i].format == format)
			return &codecs[i];
	return NULL;
}

const struct fmt_codec *fmt_codec_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < CODEC_COUNT; i++)
		if (strcasecmp(codecs[i].name, name) == 0)
			return &codecs[i];
	/* ALSA's own spellings and aliases ("S32", "FLOAT", ...). */
	return fmt_codec_find(snd_pcm_format_value(name));
}

const struct fmt_codec *fmt_codec_table(size_t *ret_count)
{
	if (ret_count)
		*ret_count = CODEC_COUNT;
	return codecs;
}
