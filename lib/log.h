/* log.h - the daemon's only way to say something: stderr lines with
 * sd-daemon(3) "<N>" priority prefixes so journald keeps the levels.
 * Control thread only (never the RT thread). */
#ifndef DSPD_LOG_H
#define DSPD_LOG_H

#include <syslog.h>

/* verbosity: 0 = info and above, 1 = debug too. */
void log_init(int verbosity);
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
