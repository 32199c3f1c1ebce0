/* test_file_read.c - file_read_whole(): a regular file read whole and
 * NUL-terminated; a FIFO (no writer), /dev/zero, a directory, a file over
 * the limit and a symbolic link under nofollow refused without a byte read
 * (and without blocking). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_file_read.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_regular_file_whole(void **state)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	char *data = NULL;
	size_t len = 0;

	write_file("a.txt", "one\0two\n", 8);
	assert_int_equal(file_read_whole(d, "a.txt", 8, 1, &data, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "one\0two\n", 8);
	assert_int_equal(data[8], '\0');
	free(data);
	write_file("empty", "", 0);
	assert_int_equal(file_read_whole(d, "empty", 8, 1, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(data[0], '\0');
	free(data);
	close(d);
}

static void test_refused_before_reading(void **state)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	char *data = (char *)"untouched", path[128];
	size_t len = 7;

	write_file("big", "123456789", 9);
	assert_int_equal(file_read_whole(d, "big", 8, 0, &data, &len), -EFBIG);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(file_read_whole(d, "fifo", 1 << 20, 0, &data, &len), -EINVAL);
	assert_int_equal(file_read_whole(AT_FDCWD, "/dev/zero", 1 << 20, 0, &data, &len), -EINVAL);
	assert_int_equal(file_read_whole(AT_FDCWD, dir, 1 << 20, 0, &data, &len), -EISDIR);
	assert_int_equal(file_read_whole(d, "missing", 1 << 20, 0, &data, &len), -ENOENT);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("big", path), 0);
	assert_int_equal(file_read_whole(d, "link", 1 << 20, 1, &data, &len), -ELOOP);
	assert_string_equal(data, "untouched");
	assert_int_equal(len, 7);
	assert_int_equal(file_read_whole(d, "link", 1 << 20, 0, &data, &len), 0);
	assert_int_equal(len, 9);
	free(data);
	close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file_whole),
		cmocka_unit_test(test_refused_before_reading),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
