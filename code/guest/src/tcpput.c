/*
 * tcpput: copy standard input to a TCP connection in writes of 64 KiB.
 *
 *   tcpput ADDR PORT < FILE
 *
 * busybox nc writes what each small read gives it, so its segments are
 * at most an MSS or so; a sender that writes 64 KiB at a time lets TCP
 * hand the network driver super-frames when the device offers TSO.
 * Exit status: 0 when every byte was written and the connection shut
 * down cleanly, 1 on failure (with a message on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

static int fail(const char *what)
{
	fprintf(stderr, "tcpput: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	char *end;
	long port;
	int fd;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    (port = strtol(argv[2], &end, 10)) < 1 || port > 65535 || *end) {
		fprintf(stderr, "usage: tcpput ADDR PORT < FILE\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		return fail("connect");
	for (;;) {
		size_t have = 0;
		ssize_t n;

		/* fill the buffer, so that each write is 64 KiB but the last */
		while (have < sizeof(buf)) {
			n = read(0, buf + have, sizeof(buf) - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fail("read");
			if (n == 0)
				break;
			have += (size_t)n;
		}
		if (have == 0)
			break;
		for (size_t off = 0; off < have; off += (size_t)n) {
			n = write(fd, buf + off, have - off);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n < 0)
				return fail("write");
		}
		if (have < sizeof(buf))
			break;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		return fail("shutdown");
	/* wait for the peer to close: every byte has then arrived */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return close(fd) < 0 ? fail("close") : 0;
}
