/* fftw_wisdom.h - FFTW's wisdom kept across restarts, and with it the
 * choice of how the FIR blocks plan their FFTs.  With a file (config key
 * fftw_wisdom) whose directory dspd can write, a size the file lacks is
 * planned with FFTW_MEASURE, which times candidate algorithms (up to
 * seconds for large partitions) and may pick another plan on another run;
 * so what it measured is written to the file and every later run takes
 * the same plans, at once.  Without a file, or when the file cannot be
 * kept, sizes are planned with FFTW_ESTIMATE: no timing, and the same plan
 * on every run.  Either way a size the wisdom holds takes its plan, so the
 * output is a function of the machine and the file's content, bit for bit
 * (dsp/conv_filter.c, plan_one()).  The file is read before the first plan
 * and rewritten, atomically, when planning has learnt something new.
 *
 * Control thread only; FFTW's planner, which the pipeline builder uses too,
 * is taken through conv_planner_lock() (dsp/conv_filter.h). */
#ifndef DSPD_FFTW_WISDOM_H
#define DSPD_FFTW_WISDOM_H

#include <stdbool.h>
#include <stddef.h>

/* For a process that plans once and exits (--render, --check-config),
 * before the first fftw_wisdom_use(): from reading the file to writing it
 * (fftw_wisdom_save), it holds an exclusive lock on PATH.lock, so that runs
 * started together plan one after another and each later one takes the
 * plans the first measured, instead of measuring its own. */
void fftw_wisdom_one_shot(void);
/* Set the planning mode for path (measure when path is set and its
 * directory writable, else estimate; a file that cannot be kept is logged)
 * and import path's wisdom once (again only when path changes); "" reads
 * nothing.  A missing file is not an error (first run); an unreadable or
 * corrupt one is logged and ignored.  Returns true when wisdom was read. */
bool fftw_wisdom_use(const char *path);
/* One line on the plans made so far, for the log: how many came from the
 * wisdom, were measured or estimated, and the time spent planning. */
void fftw_wisdom_describe(char *buf, size_t size);
/* Write the wisdom to path if it grew since it was read or last written
 * (one-shot: and release the planning lock).
 * 0, -EBUSY when the pipeline builder holds FFTW's planner (nothing done:
 * try again later), or -errno (logged once per path). */
int fftw_wisdom_save(const char *path);

#endif
