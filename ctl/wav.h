/* wav.h - base64 decoding and the RIFF/WAVE header of dspctl record.
 *
 * The file is WAVE_FORMAT_EXTENSIBLE with the IEEE float subformat, 32-bit
 * little-endian samples, and a fact chunk: a fixed WAV_HEADER_BYTES header,
 * so a provisional header can be written first and patched in place once
 * the rate, channel count and length are known.
 * Pure functions; any thread. */
#ifndef DSPCTL_WAV_H
#define DSPCTL_WAV_H

#include <stddef.h>
#include <stdint.h>

#define WAV_HEADER_BYTES 80
#define WAV_BYTES_PER_SAMPLE 4
/* RIFF sizes are 32-bit: the data may not pass this. */
#define WAV_MAX_DATA_BYTES (UINT32_MAX - WAV_HEADER_BYTES)

/* Fills header for data_bytes of interleaved float frames. */
void wav_header(uint8_t header[WAV_HEADER_BYTES], uint32_t rate,
		uint16_t channels, uint32_t data_bytes);

/* Decodes standard base64 (with '=' padding, no whitespace) of text_len
 * bytes into out, which holds at least base64_decoded_max(text_len) bytes.
 * Returns the decoded length, or -EINVAL for malformed input. */
size_t base64_decoded_max(size_t text_len);
long base64_decode(const char *text, size_t text_len, uint8_t *out);

#endif
