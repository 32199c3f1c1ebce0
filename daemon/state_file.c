/* state_file.c - what survives a restart of dspd (config "state_file"):
 * the master volume and mute, and runtime edits of the configuration
 * (effect.*, config.patch, batch).  Saved atomically (a temporary file
 * renamed over the old one, after fsync) at most once a second when
 * something changed; read once at startup.  Edits are restored only while
 * the configuration file is the one they were made to: an edited file wins
 * over older edits.  Control thread only. */
#include "state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_edit.h"
#include "log.h"
#include "sha256.h"

#define STATE_VERSION 1
#define SAVE_INTERVAL_NS 1000000000ull

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* path.tmp, fsync, rename: a crash leaves the old file or the new one.
 * The temporary file is always a new one: whatever has its name (a stale
 * one, or a symlink someone planted) is unlinked, never followed, and if
 * something takes the name again before the open, O_EXCL fails. */
static int write_atomically(const char *path, const char *text)
{
	char tmp[CFG_PATH_MAX * 2 + 8];
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static json_object *state_json(const struct state_snapshot *s)
{
	json_object *o = json_object_new_object(), *v = json_object_new_object();
	json_object *config = NULL;

	json_object_object_add(o, "version", json_object_new_int(STATE_VERSION));
	json_object_object_add(v, "db", json_object_new_double(s->db));
	json_object_object_add(v, "mute", json_object_new_boolean(s->mute));
	json_object_object_add(o, "volume", v);
	if (s->edits > 0 && s->config &&
	    json_object_deep_copy(s->config, &config, NULL) == 0) {
		/* what only the file may set is never kept: it comes from the
		 * file at the next start (config_edit_take_file_only) */
		config_edit_take_file_only(config, NULL, NULL, 0);
		json_object_object_add(o, "base_sha256", json_object_new_string(s->base_sha256));
		json_object_object_add(o, "edits", json_object_new_int64(s->edits));
		json_object_object_add(o, "config", config);
	}
	return o;
}

static bool same_snapshot(const struct state_snapshot *a, const struct state_snapshot *b)
{
	return a->db == b->db && a->mute == b->mute && a->edits == b->edits &&
	       strcmp(a->sha256, b->sha256) == 0;
}

void state_file_init(struct state_file *sf, const char *path)
{
	memset(sf, 0, sizeof(*sf));
	snprintf(sf->path, sizeof(sf->path), "%s", path);
}

void state_file_update(struct state_file *sf, const struct state_snapshot *now,
                       uint64_t now_ns)
{
	json_object *o;
	int r;

	if (!sf->path[0] || (sf->saved_once && same_snapshot(&sf->saved, now)))
		return;
	if (sf->saved_once && now_ns - sf->last_save_ns < SAVE_INTERVAL_NS)
		return;          /* a volume knob being turned: wait for it */
	o = state_json(now);
	r = write_atomically(sf->path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	sf->last_save_ns = now_ns;
	if (r < 0) {
		if (!sf->failed)
			log_warning("cannot save the state to %s: %s (volume and edits "
			            "will not survive a restart)", sf->path, strerror(-r));
		sf->failed = true;
		sf->saved = *now;       /* do not retry every tick */
		sf->saved.config = NULL;
		sf->saved_once = true;
		return;
	}
	sf->failed = false;
	sf->saved = *now;
	sf->saved.config = NULL;
	sf->saved_once = true;
}

/* A JSON number or bool member of obj. */
static bool get_number(json_object *obj, const char *key, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

int state_file_read(const char *path, const char *file_sha256,
                    struct state_restored *out)
{
	json_object *root, *volume, *base, *config;
	double db, edits;

	memset(out, 0, sizeof(*out));
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	root = json_object_from_file(path);
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		log_warning("%s is not a dspd state file (not a JSON object); ignored", path);
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "volume", &volume) &&
	    get_number(volume, "db", &db) && db >= -150.0 && db <= 40.0) {
		json_object *mute = NULL;

		out->has_volume = true;
		out->db = db;
		json_object_object_get_ex(volume, "mute", &mute);
		out->mute = json_object_is_type(mute, json_type_boolean) && json_object_get_boolean(mute);
	}
	if (json_object_object_get_ex(root, "config", &config) &&
	    json_object_is_type(config, json_type_object) &&
	    json_object_object_get_ex(root, "base_sha256", &base) &&
	    json_object_is_type(base, json_type_string)) {
		if (strcmp(json_object_get_string(base), file_sha256) == 0) {
			out->config = json_object_get(config);
			out->edits = get_number(root, "edits", &edits) && edits >= 1 ? (unsigned)edits : 1;
		} else {
			log_notice("%s: runtime edits were made to another version of the "
			           "configuration file; the file wins", path);
		}
	}
	json_object_put(root);
	return 0;
}
