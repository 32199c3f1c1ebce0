/* ir_load.h - reading an FIR block's impulse response: from a sound file
 * (libsndfile: WAV, FLAC, AIFF, ...), from a headerless raw file, or from
 * the config's inline values; one channel picked, gain applied, length,
 * rate and content checked.  Control thread only (file I/O, allocation). */
#ifndef DSPD_IR_LOAD_H
#define DSPD_IR_LOAD_H

#include <stddef.h>
#include <sys/types.h>

#include "fx_fir_cfg.h"

/* Load the coefficients cfg describes for a pipeline running at rate Hz
 * (the file "path" names for rate: config_fir_path(); -ENOENT when a map
 * has none for it).
 * On success *ret_taps (free() it) holds *ret_n >= 1 finite values.
 * Returns 0 or -errno (-ENOENT, -EACCES, -EINVAL: bad content, -EFBIG:
 * more than max_taps, -ENOMEM) with a message naming the file in err. */
int ir_load(const struct cfg_fir *cfg, unsigned rate, float **ret_taps,
            size_t *ret_n, char *err, size_t err_len);

/* The number of taps ir_load() would return, from the file's header or
 * size only (nothing is read or allocated): the same checks and messages
 * as ir_load() but the content's. */
int ir_probe(const struct cfg_fir *cfg, unsigned rate, size_t *ret_n,
             char *err, size_t err_len);

/* Open path read-only as a regular file, without blocking on a FIFO or a
 * device: the descriptor (close() it) with the size in *ret_size, or
 * -errno with err filled ("IR file "PATH": not a regular file"). */
int ir_open(const char *path, off_t *ret_size, char *err, size_t err_len);

/* Bytes per sample of a raw format, 0 for CFG_FIR_FORMAT_AUTO. */
size_t ir_raw_sample_bytes(int format);

#endif
