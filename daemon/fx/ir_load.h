/* ir_load.h - reading an FIR block's impulse response: from a sound file
 * (libsndfile: WAV, FLAC, AIFF, ...), from a headerless raw file, or from
 * the config's inline values; one channel picked, gain applied, length,
 * rate and content checked.  Control thread only (file I/O, allocation). */
#ifndef DSPD_IR_LOAD_H
#define DSPD_IR_LOAD_H

#include <stddef.h>

#include "fx_fir_cfg.h"

/* Load the coefficients cfg describes for a pipeline running at rate Hz
 * (the file "path" names for rate: config_fir_path(); -ENOENT when a map
 * has none for it).
 * On success *ret_taps (free() it) holds *ret_n >= 1 finite values.
 * Returns 0 or -errno (-ENOENT, -EACCES, -EINVAL: bad content, -EFBIG:
 * more than max_taps, -ENOMEM) with a message naming the file in err. */
int ir_load(const struct cfg_fir *cfg, unsigned rate, float **ret_taps,
            size_t *ret_n, char *err, size_t err_len);

/* Bytes per sample of a raw format, 0 for CFG_FIR_FORMAT_AUTO. */
size_t ir_raw_sample_bytes(int format);

#endif
