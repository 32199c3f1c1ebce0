/* eq_file.h - a peq block's "file": an EqualizerAPO / AutoEq / REW EQ text
 * file read and turned into peq bands at a rate (eq_file.c).  Control
 * thread or the control plane's builder thread. */
#ifndef DSPD_EQ_FILE_H
#define DSPD_EQ_FILE_H

#include <stddef.h>

#include "fx_filters_cfg.h"

/* Reads path (a regular file of at most EQ_TEXT_MAX_BYTES, opened
 * non-blocking) and fills ret's bands (0..CFG_PEQ_MAX_BANDS: OFF filters
 * skipped) and *ret_preamp_db (the file's Preamp) for rate Hz.  Returns 0
 * or a negative errno with "file \"PATH\": line N: what" in err. */
int eq_file_load(const char *path, double rate, struct cfg_peq *ret,
                 double *ret_preamp_db, char *err, size_t err_len);

#endif
