/*
 * linefeed: send files to a UML guest's serial line when it asks.
 *
 *   linefeed FILE... -- COMMAND [ARG...]
 *
 * Gives the guest one serial line on a host socket (see lineio.h: "@LINE@"
 * in COMMAND's arguments attaches it).  For each FILE in turn, linefeed
 * waits for one byte from the guest (it is ready for the next file), then
 * writes the file's contents to the line as fast as the socket takes
 * them.  It exits with COMMAND's exit status, or 1 when the exchange
 * failed.  Used by the chapter 3 tests and the checker of exercise
 * ch03/line-bulk-read.
 */
#define _GNU_SOURCE
#define PROG "linefeed"
#include "lineio.h"

int main(int argc, char **argv)
{
	char chunk[65536], c;
	int ours, data, f, sep, ok = 1;
	ssize_t n;
	pid_t pid;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (sep < 2 || sep + 1 >= argc) {
		fprintf(stderr, "usage: linefeed FILE... -- COMMAND [ARG...]\n");
		return 2;
	}
	for (f = 1; f < sep; f++)
		if (access(argv[f], R_OK) < 0)
			die(argv[f]);

	pid = line_start(argc - sep - 1, argv + sep + 1, 0, &ours);

	for (f = 1; ok && f < sep; f++) {
		if (get_byte(ours, &c) != 1) {
			fprintf(stderr, "linefeed: error: the guest closed the line before it was ready for %s\n",
				argv[f]);
			ok = 0;
			break;
		}
		data = open(argv[f], O_RDONLY | O_CLOEXEC);
		if (data < 0) {
			fprintf(stderr, "linefeed: error: %s: %s\n", argv[f],
				strerror(errno));
			ok = 0;
			break;
		}
		while (ok && (n = read(data, chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || put_all(ours, chunk, n) < 0) {
				fprintf(stderr, "linefeed: error: sending %s: %s\n",
					argv[f], strerror(errno));
				ok = 0;
			}
		}
		close(data);
	}
	return line_finish(pid, ours, ok);
}
