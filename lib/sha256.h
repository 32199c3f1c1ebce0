/* sha256.h - SHA-256 (FIPS 180-4) of a buffer, as lowercase hex: the
 * identity of a loaded configuration.  Pure; any thread. */
#ifndef DSPD_SHA256_H
#define DSPD_SHA256_H

#include <stddef.h>

void sha256_hex(const void *data, size_t len, char out[65]);

#endif
