/* socket_path.c - the file of a listening Unix socket: a stale one
 * removed, its directory made, its group and mode set (server.c binds it).
 * Control thread only. */
#include "socket_path.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int ctl_socket_claim(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "%s exists and is not a socket; refusing to "
		         "replace it (check control.socket)", path);
		return -EEXIST;
	}
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0) {
		snprintf(err, err_len, "another dspd is already listening on %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		r = -errno;
		snprintf(err, err_len, "cannot remove stale socket %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

void ctl_socket_make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		log_info("created %s", dir);
}

void ctl_socket_set_owner(const char *path, unsigned mode, const char *group)
{
	struct group *g;

	if (group && group[0]) {
		g = getgrnam(group);
		if (!g)
			log_warning("group \"%s\" does not exist; %s keeps the daemon's group",
			            group, path);
		else if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			log_warning("cannot give %s to group %s: %s", path, group, strerror(errno));
	}
	if (chmod(path, mode) < 0)
		log_warning("cannot chmod %s: %s", path, strerror(errno));
}
