/*
 * mkfixture: write the exec-benchmark fixture tree.
 *
 *   mkfixture DIR
 *
 * Creates DIR (if needed) with DIRS subdirectories d00, d01, ... each
 * holding FILES files f00, f01, ...; every file has 64 to 4096 bytes.
 * Sizes and contents come from a fixed-seed pseudo-random generator
 * (splitmix64), so the tree is identical on every run and every host.
 * Existing files of the same names are overwritten.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRS 32
#define FILES 64
#define MIN_SIZE 64
#define MAX_SIZE 4096
#define SEED UINT64_C(0x66617374756d6c00)	/* "fastuml" */

static uint64_t state = SEED;

static uint64_t next(void)
{
	uint64_t z = (state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "mkfixture: mkdir %s: %s\n", path, strerror(errno));
	return -1;
}

static int write_file(const char *path)
{
	unsigned char buf[MAX_SIZE];
	size_t size = MIN_SIZE + next() % (MAX_SIZE - MIN_SIZE + 1);
	int fd;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t r = next();

		for (size_t j = 0; j < 8 && i + j < size; j++)
			buf[i + j] = (unsigned char)(r >> (8 * j));
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size ||
	    close(fd) != 0) {
		fprintf(stderr, "mkfixture: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: mkfixture DIR\n");
		return 2;
	}
	umask(022);
	if (make_dir(argv[1]) != 0)
		return 1;
	for (int d = 0; d < DIRS; d++) {
		snprintf(path, sizeof(path), "%s/d%02d", argv[1], d);
		if (make_dir(path) != 0)
			return 1;
		for (int f = 0; f < FILES; f++) {
			int n = snprintf(path, sizeof(path), "%s/d%02d/f%02d",
					 argv[1], d, f);

			if (n < 0 || (size_t)n >= sizeof(path)) {
				fprintf(stderr, "mkfixture: path too long\n");
				return 1;
			}
			if (write_file(path) != 0)
				return 1;
		}
	}
	return 0;
}
