/* dspdtest_control.c - the control file: fault injection from a test.
 *
 * At every capture transfer control_poll() stat()s the instance's control
 * path; when the file exists it is read (up to CONTROL_FILE_MAX bytes),
 * deleted, and each line is run as "NAME ARGS".  Blank lines and '#'
 * comments are skipped; errors go to the ALSA error log.  Commands run on
 * the application's thread inside its readi, before the frames of that
 * transfer are generated, so a command that sleeps stalls the application
 * exactly like a descheduled thread.
 *
 * Adding a command is one handler and one line in control_commands[]: the
 * handler gets the instance and its arguments (blanks after the name
 * skipped), changes per-instance state in *t or shared counters under
 * shared.lock, and returns 0 or -EINVAL for bad arguments.  Document it in
 * tests/alsa/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dspdtest.h"

#define CONTROL_FILE_MAX 4096
#define CONTROL_MS_MAX 600000   /* longest duration a command accepts */

/* ---- arguments --------------------------------------------------------- */

/* A duration in milliseconds, 0..CONTROL_MS_MAX, leading the arguments. */
static int control_arg_ms(const char *args, unsigned int *ms)
{
	char *end;
	unsigned long value = strtoul(args, &end, 10);

	if (end == args || value > CONTROL_MS_MAX)
		return -EINVAL;
	*ms = (unsigned int)value;
	return 0;
}

/* ---- commands ---------------------------------------------------------- */

/* stall MS: sleep inside the application's readi. */
static int control_stall(struct dspdtest *t, const char *args)
{
	unsigned int ms;
	int err = control_arg_ms(args, &ms);

	if (err < 0)
		return err;
	pthread_mutex_lock(&shared.lock);
	shared.capture.stalls_injected++;
	pthread_mutex_unlock(&shared.lock);
	sleep_ms(ms);
	return 0;
}

static const struct control_command {
	const char *name;
	int (*run)(struct dspdtest *t, const char *args);
} control_commands[] = {
	{ "stall", control_stall },
};

/* ---- parser ------------------------------------------------------------ */

static const struct control_command *control_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(control_commands) / sizeof(control_commands[0]); i++) {
		const struct control_command *cmd = &control_commands[i];
		if (strlen(cmd->name) == len && !strncmp(cmd->name, name, len))
			return cmd;
	}
	return NULL;
}

static void control_run_line(struct dspdtest *t, char *line)
{
	const struct control_command *cmd;
	char *args;
	size_t len;

	line += strspn(line, " \t");
	len = strcspn(line, " \t");
	if (!len || line[0] == '#')
		return;
	args = line + len + strspn(line + len, " \t");
	cmd = control_find(line, len);
	if (!cmd)
		SNDERR("dspdtest: unknown control command '%s'", line);
	else if (cmd->run(t, args) < 0)
		SNDERR("dspdtest: bad control command '%s'", line);
}

void control_poll(struct dspdtest *t)
{
	char buf[CONTROL_FILE_MAX + 1];
	struct stat st;
	ssize_t len;
	char *save = NULL;
	int fd;

	if (!t->params.control_path || stat(t->params.control_path, &st) < 0)
		return;
	fd = open(t->params.control_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, CONTROL_FILE_MAX);
	close(fd);
	unlink(t->params.control_path);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		control_run_line(t, line);
}
