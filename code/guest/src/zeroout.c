/*
 * zeroout: ask a block device to zero a byte range (BLKZEROOUT).
 *
 *   zeroout DEVICE OFFSET LENGTH
 *
 * OFFSET and LENGTH in bytes, multiples of 512.  The kernel sends the
 * device WRITE_ZEROES requests where the device claims them, and writes
 * zero pages otherwise; either way the range reads back as zeros.  Exits
 * 0 on success; otherwise one line on stderr and exit 1 (2 for bad
 * usage).
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t range[2];
	char *end1, *end2;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: zeroout DEVICE OFFSET LENGTH\n");
		return 2;
	}
	range[0] = strtoull(argv[2], &end1, 0);
	range[1] = strtoull(argv[3], &end2, 0);
	if (*end1 || *end2 || range[0] % 512 || range[1] % 512 || !range[1]) {
		fprintf(stderr, "zeroout: OFFSET and LENGTH must be multiples of 512 (LENGTH > 0)\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		perror("zeroout: open");
		return 1;
	}
	if (ioctl(fd, BLKZEROOUT, range)) {
		perror("zeroout: BLKZEROOUT");
		return 1;
	}
	return close(fd) ? 1 : 0;
}
