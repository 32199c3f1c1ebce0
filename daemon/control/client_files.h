/* client_files.h - whether the client of a session could read a file
 * itself (client_files.c): a path a client names (config.validate,
 * config.load, config.reload) is read by the daemon, often root, so what
 * the client learns about it must not exceed what it could learn alone.
 * Control thread only. */
#ifndef DSPD_CLIENT_FILES_H
#define DSPD_CLIENT_FILES_H

#include <stdbool.h>

#include "control.h"

/* True when path (symlinks resolved) exists and the session's client (its
 * uid, and the groups of its process) may reach and read it by the
 * permission bits of the file and of every directory above it: what the
 * daemon then says of it (not a regular file, a syntax error) the client
 * could learn itself.  False for anything else, without saying why: a
 * missing file and a file of someone else are alike. */
bool ctl_client_may_read(const struct ctl_session *s, const char *path);

#endif
