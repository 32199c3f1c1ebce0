/* fftw_wisdom.h - FFTW's wisdom kept across restarts: the FIR blocks plan
 * their FFTs with FFTW_MEASURE, which times candidate algorithms for every
 * new size (hundreds of milliseconds for large partitions); with the
 * measurements of a previous run imported, the same plans are made at
 * once.  The file (config key fftw_wisdom) is read before the first plan
 * and rewritten, atomically, when planning has learnt something new.
 *
 * Control thread only; FFTW's planner, which the pipeline builder uses too,
 * is taken through conv_planner_lock() (dsp/conv_filter.h). */
#ifndef DSPD_FFTW_WISDOM_H
#define DSPD_FFTW_WISDOM_H

#include <stdbool.h>

/* Import path's wisdom once (again only when path changes); "" does
 * nothing.  A missing file is not an error (first run); an unreadable or
 * corrupt one is logged and ignored.  Returns true when wisdom was read. */
bool fftw_wisdom_use(const char *path);
/* Write the wisdom to path if it grew since it was read or last written.
 * 0, -EBUSY when the pipeline builder holds FFTW's planner (nothing done:
 * try again later), or -errno (logged once per path). */
int fftw_wisdom_save(const char *path);

#endif
