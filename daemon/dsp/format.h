/* format.h - sample format conversion between ALSA interleaved buffers and
 * dspd's internal planar float (nominal range [-1, 1)).
 *
 * Pure functions without state or allocation: any thread may call them; the
 * RT thread calls decode/encode once per period.
 *
 * Scaling is by 2^(bits-1) both ways, so integer samples survive a round trip
 * through float bit-exactly as long as they fit the 24-bit float mantissa
 * (all of S16/S24/U8; S32 to its top 24 bits).  Encoding saturates (never
 * wraps), maps NaN to 0 and counts a sample as clipped when it had to be
 * clamped.  Decoding float formats maps NaN to 0 and +-Inf to +-1. */
#ifndef DSPD_FORMAT_H
#define DSPD_FORMAT_H

#include <alsa/asoundlib.h>
#include <stddef.h>
#include <stdint.h>

/* Interleaved device bytes -> planar float: dst[ch][frame]. */
typedef void (*fmt_decode_fn)(const void *src, float *const *dst,
                              unsigned channels, size_t frames);
/* Planar float -> interleaved device bytes, saturating.  clips[ch] is
 * incremented for every sample of channel ch that had to be clamped
 * (clips may be NULL). */
typedef void (*fmt_encode_fn)(const float *const *src, void *dst,
                              unsigned channels, size_t frames,
                              uint64_t *clips);

struct fmt_codec {
	snd_pcm_format_t format;
	const char *name;      /* ALSA name, e.g. "S24_3LE" */
	unsigned bytes;        /* bytes per sample in the device buffer */
	unsigned bits;         /* significant bits */
	float clip_level;      /* capture meters: |x| >= clip_level is a sample
	                          at full scale (the device clipped) */
	fmt_decode_fn decode;
	fmt_encode_fn encode;
};

/* Codec for an ALSA format, or NULL when dspd cannot convert it. */
const struct fmt_codec *fmt_codec_find(snd_pcm_format_t format);
/* Codec by ALSA name (case-insensitive), or NULL. */
const struct fmt_codec *fmt_codec_by_name(const char *name);
/* All supported codecs, in "auto" preference order (best first);
 * *ret_count receives the number of entries. */
const struct fmt_codec *fmt_codec_table(size_t *ret_count);

#endif
