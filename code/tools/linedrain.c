/*
 * linedrain: take what a UML guest writes to its serial line, slowly.
 *
 *   linedrain [-c CHUNK] [-d MS] [-s SNDBUF] [-r ROUNDS] BYTES FILE -- COMMAND [ARG...]
 *
 * Gives the guest one serial line on a host socket (see lineio.h: "@LINE@"
 * in COMMAND's arguments attaches it).  linedrain reads BYTES bytes from its end of the line
 * into FILE, at most CHUNK bytes per read() (default 1024), and waits MS
 * milliseconds before each read (default 1).  The guest's end of the
 * socket pair gets a send buffer of SNDBUF bytes (default 16384; 0 keeps
 * the host's default).  Then, with -r, it plays the host side of
 * code/guest/src/irqpong.c on the same line: it waits for one byte (the
 * guest is ready), then ROUNDS times sends one byte and waits for the
 * guest to send it back.
 *
 * The pauses and the small send buffer make a guest that writes a lot at
 * once fill the socket: its writes fall short, the line keeps the rest
 * in its buffer and must be told by its write IRQ when there is room
 * again.  Nothing is timed.  linedrain exits with COMMAND's exit status,
 * or 1 when the line ended before BYTES bytes came or a round's echo was
 * wrong or missing.  Used by the checker of exercise
 * ch03/write-irq-on-demand.
 */
#define _GNU_SOURCE
#define PROG "linedrain"
#include <time.h>
#include "lineio.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: linedrain [-c CHUNK] [-d MS] [-s SNDBUF] [-r ROUNDS] BYTES FILE -- COMMAND [ARG...]\n");
	exit(2);
}

/* a whole number from @s, at least @min, or usage() */
static long number(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		usage();
	return v;
}

/* sleep @ms milliseconds, whatever signals come */
static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long chunk = 1024, delay = 1, sndbuf = 16384, rounds = 0, want, got = 0, r;
	char *buf, c, echo;
	const char *path;
	int ours, out, opt, ok = 1;
	ssize_t n;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+c:d:r:s:")) != -1) {
		switch (opt) {
		case 'c':
			chunk = number(optarg, 1);
			break;
		case 'd':
			delay = number(optarg, 0);
			break;
		case 'r':
			rounds = number(optarg, 0);
			break;
		case 's':
			sndbuf = number(optarg, 0);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 4 || strcmp(argv[optind + 2], "--"))
		usage();
	want = number(argv[optind], 0);
	path = argv[optind + 1];
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		   0644);
	if (out < 0)
		die(path);
	buf = malloc(chunk);
	if (!buf)
		die("malloc");

	pid = line_start(argc - optind - 3, argv + optind + 3, sndbuf, &ours);

	while (got < want) {
		long ask = want - got < chunk ? want - got : chunk;

		pause_ms(delay);
		n = read(ours, buf, ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "linedrain: error: reading the line: %s\n",
				strerror(errno));
			ok = 0;
			break;
		}
		if (n == 0) {
			fprintf(stderr, "linedrain: error: the line ended after %ld of %ld bytes\n",
				got, want);
			ok = 0;
			break;
		}
		if (put_all(out, buf, n) < 0)
			die(path);
		got += n;
	}
	if (close(out) < 0)
		die(path);

	if (ok && rounds > 0 && get_byte(ours, &c) != 1) {
		fprintf(stderr, "linedrain: error: the guest closed the line before it was ready for the rounds\n");
		ok = 0;
	}
	for (r = 0; ok && r < rounds; r++) {
		c = 'a' + r % 26;
		if (put_all(ours, &c, 1) < 0 || get_byte(ours, &echo) != 1 ||
		    echo != c) {
			fprintf(stderr, "linedrain: error: round %ld of %ld: no echo, or a wrong one\n",
				r + 1, rounds);
			ok = 0;
		}
	}

	return line_finish(pid, ours, ok);
}
