/* file_read.h - the whole of a small regular file, read at once
 * (file_read.c).  Any thread. */
#ifndef DSPD_FILE_READ_H
#define DSPD_FILE_READ_H

#include <stddef.h>

/* The file path (relative to dir, AT_FDCWD: the working directory) read
 * whole into *ret (allocated, NUL-terminated; *ret_len bytes before the
 * NUL).  Opened O_NONBLOCK (a FIFO does not wait for a writer) and
 * O_NOCTTY, with O_NOFOLLOW when nofollow.  0, or -errno from open or
 * read; -EISDIR for a directory, -EINVAL for anything else that is not a
 * regular file (a FIFO, a device: /dev/zero never ends), -EFBIG when it
 * is larger than max bytes. */
int file_read_whole(int dir, const char *path, size_t max, int nofollow,
                    char **ret, size_t *ret_len);

#endif
