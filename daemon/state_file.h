/* state_file.h - volume, mute and runtime edits kept across restarts in
 * the file named by the configuration's "state_file" (see state_file.c).
 * Control thread only. */
#ifndef DSPD_STATE_FILE_H
#define DSPD_STATE_FILE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* What is worth keeping, as it is now. */
struct state_snapshot {
	double db;
	bool mute;
	unsigned edits;                 /* runtime edits since the file was loaded */
	char sha256[65];                /* of the active configuration */
	char base_sha256[65];           /* of the file the edits were made to */
	json_object *config;            /* the active document (borrowed) */
};

struct state_file {
	char path[CFG_PATH_MAX * 2];    /* "" = not kept */
	struct state_snapshot saved;    /* as last written (config not kept) */
	bool saved_once, failed;
	uint64_t last_save_ns;
};

/* What a previous run left. */
struct state_restored {
	bool has_volume;
	double db;
	bool mute;
	json_object *config;            /* edited configuration, or NULL; owned */
	unsigned edits;
};

void state_file_init(struct state_file *sf, const char *path);
/* Save now if the snapshot differs from the saved one and the last save
 * is a second old (now_ns: CLOCK_MONOTONIC).  Failures are logged once. */
void state_file_update(struct state_file *sf, const struct state_snapshot *now,
                       uint64_t now_ns);
/* Read path; edits are returned only when made to file_sha256.  A missing
 * file is not an error.  Returns 0 or -errno (unreadable, not JSON). */
int state_file_read(const char *path, const char *file_sha256,
                    struct state_restored *out);

#endif
