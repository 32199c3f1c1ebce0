/* file_read.c - the whole of a small regular file (file_read.h): checked
 * to be one before a byte is read, its size bounded, read until its end
 * (a file that shrinks meanwhile gives what it has).  Any thread. */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_whole(int dir, const char *path, size_t max, int nofollow,
                    char **ret, size_t *ret_len)
{
	int fd = openat(dir, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	                (nofollow ? O_NOFOLLOW : 0));
	struct stat st;
	size_t got = 0;
	char *data = NULL;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((unsigned long long)st.st_size > max)
		r = -EFBIG;
	else if (!(data = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	if (r < 0) {
		close(fd);
		return r;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(data);
		return r;
	}
	data[got] = '\0';
	*ret = data;
	*ret_len = got;
	return 0;
}
