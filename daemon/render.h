/* render.h - offline mode: run a file (or raw stdin) through the same
 * pipeline and master volume as the live engine, as fast as the CPU
 * allows, into a file (or raw stdout).  `dspd --render -c CONF IN OUT`.
 * Runs on the main thread; nothing else is running. */
#ifndef DSPD_RENDER_H
#define DSPD_RENDER_H

#include "config.h"

/* in/out: paths, or "-" for raw interleaved samples on stdin/stdout in the
 * configured capture/playback format.  Returns 0 or -errno after logging
 * what went wrong. */
int render_files(const struct dspd_config *cfg, const char *in, const char *out);

#endif
