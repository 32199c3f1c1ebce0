/* log.c - priority-prefixed logging to stderr (control thread only).
 * Under systemd (JOURNAL_STREAM set) or when stderr is not a terminal every
 * line starts with "<N>"; on a terminal it reads "dspd: warning: ...". */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int max_priority = LOG_INFO;
static bool use_prefix = true;

void log_init(int verbosity)
{
	max_priority = verbosity > 0 ? LOG_DEBUG : LOG_INFO;
	use_prefix = getenv("JOURNAL_STREAM") || !isatty(STDERR_FILENO);
}

static const char *priority_word(int priority)
{
	switch (priority) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

void log_msg(int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (priority > max_priority)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_prefix)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else
		fprintf(stderr, "dspd: %s%s\n", priority_word(priority), line);
}
