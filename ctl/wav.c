/* wav.c - base64 decoding and WAV headers for dspctl record (see wav.h).
 * Pure functions; any thread. */
#include "wav.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define WAVE_FORMAT_EXTENSIBLE 0xfffe
#define FMT_CHUNK_BYTES 40
#define SPEAKER_FRONT_LEFT 0x1u
#define SPEAKER_FRONT_RIGHT 0x2u
#define SPEAKER_FRONT_CENTER 0x4u

/* KSDATAFORMAT_SUBTYPE_IEEE_FLOAT: 00000003-0000-0010-8000-00aa00389b71 */
static const uint8_t subtype_ieee_float[16] = {
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

static uint8_t *put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static uint8_t *put_tag(uint8_t *p, const char tag[4])
{
	memcpy(p, tag, 4);
	return p + 4;
}

static uint32_t channel_mask(uint16_t channels)
{
	if (channels == 1)
		return SPEAKER_FRONT_CENTER;
	if (channels == 2)
		return SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT;
	return 0;  /* no speaker positions claimed */
}

void wav_header(uint8_t header[WAV_HEADER_BYTES], uint32_t rate,
		uint16_t channels, uint32_t data_bytes)
{
	uint16_t block_align = (uint16_t)(channels * WAV_BYTES_PER_SAMPLE);
	uint32_t frames = block_align ? data_bytes / block_align : 0;
	uint8_t *p = header;

	p = put_tag(p, "RIFF");
	p = put_le32(p, WAV_HEADER_BYTES - 8 + data_bytes);
	p = put_tag(p, "WAVE");
	p = put_tag(p, "fmt ");
	p = put_le32(p, FMT_CHUNK_BYTES);
	p = put_le16(p, WAVE_FORMAT_EXTENSIBLE);
	p = put_le16(p, channels);
	p = put_le32(p, rate);
	p = put_le32(p, rate * block_align);
	p = put_le16(p, block_align);
	p = put_le16(p, 8 * WAV_BYTES_PER_SAMPLE);
	p = put_le16(p, 22);                        /* cbSize */
	p = put_le16(p, 8 * WAV_BYTES_PER_SAMPLE);  /* valid bits */
	p = put_le32(p, channel_mask(channels));
	memcpy(p, subtype_ieee_float, sizeof(subtype_ieee_float));
	p += sizeof(subtype_ieee_float);
	p = put_tag(p, "fact");
	p = put_le32(p, 4);
	p = put_le32(p, frames);
	p = put_tag(p, "data");
	put_le32(p, data_bytes);
}

size_t base64_decoded_max(size_t text_len)
{
	return text_len / 4 * 3;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long base64_decode(const char *text, size_t text_len, uint8_t *out)
{
	size_t n = 0;

	if (text_len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < text_len; i += 4) {
		bool last = i + 4 == text_len;
		int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = k >= 4 - pad ? 0 : sextet(text[i + k]);
			if (v[k] < 0)
				return -EINVAL;
		}
		uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
				(uint32_t)v[2] << 6 | (uint32_t)v[3];

		out[n++] = (uint8_t)(bits >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(bits >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)bits;
	}
	return (long)n;
}
