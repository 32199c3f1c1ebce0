/* fftw_wisdom.c - FFTW wisdom in a file across restarts (see
 * fftw_wisdom.h; control thread only). */
#include "fftw_wisdom.h"

#include <errno.h>
#include <fcntl.h>
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "conv_filter.h"
#include "log.h"

static char used_path[CFG_PATH_MAX * 2];
static char *known;             /* the wisdom as last read or written */
static bool save_failed;
static bool one_shot;           /* fftw_wisdom_one_shot() */
static int lock_fd = -1;        /* PATH.lock, held from read to save */

static void remember(void)
{
	free(known);
	conv_planner_lock();
	known = fftwf_export_wisdom_to_string();
	conv_planner_unlock();
}

/* Whether a file written at path can be renamed into place: measuring a
 * plan that cannot be kept would make every run differ. */
static bool can_keep(const char *path)
{
	char dir[CFG_PATH_MAX * 2];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return access(".", W_OK) == 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return access(dir, W_OK) == 0;
}

static void choose_planning(const char *path)
{
	static char warned[CFG_PATH_MAX * 2];
	bool keep = path[0] && can_keep(path);

	if (path[0] && !keep && strcmp(path, warned) != 0) {
		log_warning("fftw_wisdom %s: its directory is not writable (%s); FFT "
		            "sizes the file lacks are estimated, not measured",
		            path, strerror(errno));
		snprintf(warned, sizeof(warned), "%s", path);
	}
	conv_set_planning(keep ? CONV_PLAN_MEASURE : CONV_PLAN_ESTIMATE);
}

void fftw_wisdom_one_shot(void)
{
	one_shot = true;
}

/* One-shot runs plan between reading and writing the file under an
 * exclusive lock on PATH.lock (an empty file, left in place: removing it
 * would let a third run lock a new file while the second holds the old).
 * The lock is advisory and only for dspd; without one (cannot create it)
 * the run goes on unlocked. */
static void lock_for_planning(const char *path)
{
	char name[CFG_PATH_MAX * 2 + 8];

	snprintf(name, sizeof(name), "%s.lock", path);
	lock_fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock_fd < 0)
		return;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0)
		return;
	log_info("%s: another dspd is planning; waiting for its FFT plans", name);
	while (flock(lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

static void unlock_planning(void)
{
	if (lock_fd >= 0)
		close(lock_fd);        /* releases the flock */
	lock_fd = -1;
}

bool fftw_wisdom_use(const char *path)
{
	bool read = false;

	choose_planning(path);
	if (!path[0] || strcmp(path, used_path) == 0)
		return false;
	snprintf(used_path, sizeof(used_path), "%s", path);
	unlock_planning();
	if (one_shot && can_keep(path))
		lock_for_planning(path);
	save_failed = false;
	if (access(path, F_OK) == 0) {
		conv_planner_lock();
		read = fftwf_import_wisdom_from_filename(path) != 0;
		conv_planner_unlock();
		if (!read)
			log_warning("%s: not FFTW wisdom or unreadable; FIR plans will be "
			            "measured again and the file rewritten", path);
	}
	remember();
	return read;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int save_now(const char *path)
{
	char tmp[CFG_PATH_MAX * 2 + 8];
	char *now;
	int fd, r;

	/* a build planning on the builder thread holds the planner for up to
	 * a second: do not wait for it on the event loop, try on the next tick */
	if (!conv_planner_trylock())
		return -EBUSY;
	now = fftwf_export_wisdom_to_string();
	conv_planner_unlock();
	if (!now)
		return -ENOMEM;
	if (known && strcmp(now, known) == 0) {
		free(now);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = fd < 0 ? -errno : write_all(fd, now, strlen(now));
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0)
			unlink(tmp);
		if (!save_failed)
			log_warning("cannot save FFTW wisdom to %s: %s (FIR plans will be "
			            "measured again after a restart)", path, strerror(-r));
		save_failed = true;
		free(now);
		return r;
	}
	free(known);
	known = now;
	return 0;
}

int fftw_wisdom_save(const char *path)
{
	int r;

	if (!path[0] || strcmp(path, used_path) != 0)
		return 0;
	if (one_shot) {
		/* planning is over: whatever happens to this write, release
		 * the next run waiting on the lock once it is done */
		r = save_now(path);
		unlock_planning();
		return r;
	}
	return save_now(path);
}

void fftw_wisdom_describe(char *buf, size_t size)
{
	struct conv_plan_stats st;

	conv_get_plan_stats(&st);
	snprintf(buf, size, "FFT plans: %u from wisdom, %u measured, %u estimated, "
	         "%.3f s planning", st.from_wisdom, st.measured, st.estimated,
	         (double)st.planning_ns / 1e9);
}
