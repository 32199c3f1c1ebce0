/* eq_file.h - EQ text files read when a block is built (eq_file.c): a peq
 * block's "file" (EqualizerAPO / AutoEq / REW filters turned into peq bands
 * at a rate), a fir block's "graphic_eq" file (its GraphicEQ points).  Control
 * thread or the control plane's builder thread. */
#ifndef DSPD_EQ_FILE_H
#define DSPD_EQ_FILE_H

#include <stddef.h>

#include "eq_text.h"
#include "fx_filters_cfg.h"

/* Reads path (a regular file of at most EQ_TEXT_MAX_BYTES, opened
 * non-blocking) and fills ret's bands (0..CFG_PEQ_MAX_BANDS: OFF filters
 * skipped) and *ret_preamp_db (the file's Preamp) for rate Hz.  Returns 0
 * or a negative errno with "file \"PATH\": line N: what" in err. */
int eq_file_load(const char *path, double rate, struct cfg_peq *ret,
                 double *ret_preamp_db, char *err, size_t err_len);

/* Reads path, a GraphicEQ file (its one GraphicEQ line, and its Preamp
 * lines; Filter lines are an error), into pts (room for
 * EQ_TEXT_MAX_POINTS), *ret_n and *ret_preamp_db.  Returns 0 or a
 * negative errno with "GraphicEQ file \"PATH\": line N: what" in err. */
int eq_file_points(const char *path, struct eq_point *pts, unsigned *ret_n,
                   double *ret_preamp_db, char *err, size_t err_len);

#endif
