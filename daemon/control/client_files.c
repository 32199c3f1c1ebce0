/* client_files.c - may the client read this file itself (see
 * client_files.h)?  The permission bits of the file and of each directory
 * on the way, for the client's uid and the groups /proc/PID/status lists
 * for its process (SO_PEERCRED gave the pid).  ACLs and capabilities other
 * than uid 0 are not considered: the answer errs towards "no".  Control
 * thread only. */
#include "client_files.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_GROUPS 64

struct creds {
	uid_t uid;
	gid_t gids[MAX_GROUPS];
	unsigned n_gids;
};

/* The Gid: (real, effective, saved, fs) and Groups: lines of the client's
 * process; none when it cannot be read (the "other" bits still apply). */
static void client_groups(pid_t pid, struct creds *c)
{
	char path[64], line[1024];
	FILE *f;

	c->n_gids = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (pid <= 0 || !(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		bool gid = strncmp(line, "Gid:", 4) == 0;
		char *p, *end;

		if (!gid && strncmp(line, "Groups:", 7) != 0)
			continue;
		p = strchr(line, ':') + 1;
		for (;;) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p || c->n_gids == MAX_GROUPS)
				break;
			c->gids[c->n_gids++] = (gid_t)v;
			p = end;
		}
	}
	fclose(f);
}

static bool in_groups(const struct creds *c, gid_t gid)
{
	for (unsigned i = 0; i < c->n_gids; i++)
		if (c->gids[i] == gid)
			return true;
	return false;
}

/* The client may do what (S_IROTH or S_IXOTH, as the "other" bit) to st. */
static bool allowed(const struct creds *c, const struct stat *st, mode_t other_bit)
{
	if (c->uid == 0)
		return true;
	if (st->st_uid == c->uid)
		return st->st_mode & (other_bit << 6);
	if (in_groups(c, st->st_gid))
		return st->st_mode & (other_bit << 3);
	return st->st_mode & other_bit;
}

bool ctl_client_may_read(const struct ctl_session *s, const char *path)
{
	struct creds c = { .uid = s->uid };
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (path[0] != '/')
		return false;
	if (c.uid != 0)
		client_groups(s->pid, &c);
	/* every directory on the way to the file itself (symlinks resolved)
	 * must let the client through */
	if (!realpath(path, dir))
		return false;
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !allowed(&c, &st, S_IXOTH))
			return false;
		*slash = '/';
	}
	if (stat("/", &st) < 0 || !allowed(&c, &st, S_IXOTH))
		return false;
	return stat(dir, &st) == 0 && allowed(&c, &st, S_IROTH);
}
