/* socket_path.h - the file of a listening Unix socket (socket_path.c).
 * Control thread only. */
#ifndef DSPD_SOCKET_PATH_H
#define DSPD_SOCKET_PATH_H

#include <stddef.h>

/* A socket file nobody answers on is stale and is removed; a live one
 * means another dspd owns it (-EADDRINUSE), and anything but a socket is
 * left alone (-EEXIST).  0 when path is free; err says why not. */
int ctl_socket_claim(const char *path, char *err, size_t err_len);
/* The directory of the socket, created 0755 if missing (one level). */
void ctl_socket_make_parent(const char *path);
/* group ("" or NULL: leave it) and mode of the socket file; failures are
 * logged, not fatal. */
void ctl_socket_set_owner(const char *path, unsigned mode, const char *group);

#endif
