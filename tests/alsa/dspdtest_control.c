/* dspdtest_control.c - the control file: fault injection from a test.
 *
 * control_poll() stat()s a capture instance's control path at every
 * capture transfer, at every poll_revents of the capture PCM and when a
 * capture PCM is opened (so "return" is seen while nothing transfers);
 * when the file exists it is read (up to CONTROL_FILE_MAX bytes), deleted,
 * and each line is run as "NAME ARGS".  Blank lines and '#' comments are
 * skipped; errors go to the ALSA error log.  Commands run on the
 * application's thread inside its readi, snd_pcm_wait/poll or snd_pcm_open,
 * before the frames of a transfer are generated, so a command that sleeps
 * stalls the application exactly like a descheduled thread.
 *
 * Adding a command is one handler and one line in control_commands[]: the
 * handler gets the instance and its arguments (blanks after the name
 * skipped) and returns 0 or -EINVAL for bad arguments.  At open the
 * instance has no ioplug yet, so a handler changes shared state under
 * shared.lock (device events: dspdtest_device.c), never t->io.  Document
 * it in tests/alsa/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dspdtest.h"

#define CONTROL_FILE_MAX 4096
#define CONTROL_MS_MAX 600000   /* longest duration a command accepts */
#define CONTROL_PPM_MAX 20000.0 /* largest clock offset, either sign */

/* ---- arguments --------------------------------------------------------- */

/* Nothing but blanks: for commands without arguments. */
static int control_arg_none(const char *args)
{
	return args[strspn(args, " \t\r")] ? -EINVAL : 0;
}

/* A duration in milliseconds of device time, 0..CONTROL_MS_MAX, the only
 * argument. */
static int control_arg_ms(const char *args, unsigned int *ms)
{
	char *end;
	unsigned long value = strtoul(args, &end, 10);

	if (end == args || value > CONTROL_MS_MAX || control_arg_none(end) < 0)
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
	device_sleep_ms(ms);
	return 0;
}

/* hang: every PCM open now stops moving for good (no error). */
static int control_hang(struct dspdtest *t, const char *args)
{
	int err = control_arg_none(args);

	(void)t;
	if (err < 0)
		return err;
	device_hang();
	return 0;
}

/* slowprepare MS: the next prepare of a capture sleeps MS ms. */
static int control_slow_prepare(struct dspdtest *t, const char *args)
{
	unsigned int ms;
	int err = control_arg_ms(args, &ms);

	(void)t;
	if (err < 0)
		return err;
	device_set_slow_prepare(ms);
	return 0;
}

/* vanish MS: unplugged for MS ms (0: until "return"). */
static int control_vanish(struct dspdtest *t, const char *args)
{
	unsigned int ms;
	int err = control_arg_ms(args, &ms);

	(void)t;
	if (err < 0)
		return err;
	device_vanish(ms);
	return 0;
}

/* return: plugged in again, at once. */
static int control_return(struct dspdtest *t, const char *args)
{
	(void)t;
	if (control_arg_none(args) < 0)
		return -EINVAL;
	device_return();
	return 0;
}

/* suspend: a system suspend; snd_pcm_resume() or prepare brings it back. */
static int control_suspend(struct dspdtest *t, const char *args)
{
	(void)t;
	if (control_arg_none(args) < 0)
		return -EINVAL;
	device_suspend();
	return 0;
}

/* jump MS: the device clock leaps MS ms ahead. */
static int control_jump(struct dspdtest *t, const char *args)
{
	unsigned int ms;
	int err = control_arg_ms(args, &ms);

	(void)t;
	if (err < 0)
		return err;
	device_jump(ms);
	return 0;
}

/* ppm capture|playback PPM: that stream clock's offset from now on. */
static int control_ppm(struct dspdtest *t, const char *args)
{
	size_t len = strcspn(args, " \t");
	unsigned int dir;
	char *end;
	double ppm;

	(void)t;
	if (len == 7 && !strncmp(args, "capture", len))
		dir = DIR_CAPTURE;
	else if (len == 8 && !strncmp(args, "playback", len))
		dir = DIR_PLAYBACK;
	else
		return -EINVAL;
	args += len;
	ppm = strtod(args, &end);
	if (end == args || !(ppm >= -CONTROL_PPM_MAX && ppm <= CONTROL_PPM_MAX) ||
	    control_arg_none(end) < 0)
		return -EINVAL;
	device_set_ppm(dir, ppm);
	return 0;
}

/* source rate R | source start | source stop: the player (host,
 * transmitter) now plays at R (0: stops), plays again at its last rate,
 * or stops (dspdtest_source.c). */
static int control_source(struct dspdtest *t, const char *args)
{
	size_t len = strcspn(args, " \t");
	unsigned long rate;
	char *end;

	(void)t;
	if (len == 5 && !strncmp(args, "start", len) && !control_arg_none(args + len))
		return source_resume();
	if (len == 4 && !strncmp(args, "stop", len) && !control_arg_none(args + len))
		return source_play(0);
	if (len != 4 || strncmp(args, "rate", len))
		return -EINVAL;
	args += len;
	rate = strtoul(args, &end, 10);
	if (end == args || (rate && (rate < 8000 || rate > 768000)) ||
	    control_arg_none(end) < 0)
		return -EINVAL;
	return source_play((unsigned int)rate);
}

/* cset NAME VALUE: a player writes element NAME (the last word is the
 * value), with an event like any write that changes it. */
static int control_cset(struct dspdtest *t, const char *args)
{
	char name[CTL_NAME_MAX + 1];
	const char *value = strrchr(args, ' ');
	size_t len;
	char *end;
	long v;

	(void)t;
	if (!value)
		return -EINVAL;
	len = (size_t)(value - args);
	while (len && (args[len - 1] == ' ' || args[len - 1] == '\t'))
		len--;
	v = strtol(value + 1, &end, 10);
	if (!len || len >= sizeof(name) || end == value + 1 || control_arg_none(end) < 0)
		return -EINVAL;
	memcpy(name, args, len);
	name[len] = '\0';
	return source_cset(name, v);
}

static const struct control_command {
	const char *name;
	int (*run)(struct dspdtest *t, const char *args);
} control_commands[] = {
	{ "stall", control_stall },
	{ "vanish", control_vanish },
	{ "return", control_return },
	{ "suspend", control_suspend },
	{ "jump", control_jump },
	{ "hang", control_hang },
	{ "slowprepare", control_slow_prepare },
	{ "ppm", control_ppm },
	{ "source", control_source },
	{ "cset", control_cset },
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
	control_poll_path(t->params.control_path);
}

void control_poll_path(const char *path)
{
	char buf[CONTROL_FILE_MAX + 1];
	struct stat st;
	ssize_t len;
	char *save = NULL;
	int fd;

	if (!path || stat(path, &st) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, CONTROL_FILE_MAX);
	close(fd);
	unlink(path);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		control_run_line(NULL, line);
}
