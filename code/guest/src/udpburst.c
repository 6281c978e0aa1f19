/*
 * udpburst: move a known number of UDP datagrams in one burst, so that
 * the host system calls a network driver makes per packet can be counted.
 *
 *   udpburst send ADDR PORT COUNT SIZE
 *	One sendmsg() of COUNT * SIZE bytes with UDP_SEGMENT = SIZE: the
 *	kernel segments it and hands the network driver COUNT datagrams of
 *	SIZE bytes in one go (the driver sees "more to come" on all but the
 *	last).  The receiver discards them.
 *   udpburst recv ADDR PORT COUNT SIZE
 *	Asks the server at ADDR:PORT for COUNT datagrams of SIZE bytes and
 *	waits for them (5 s without a datagram ends the wait).  Prints
 *	"received N" and fails unless N = COUNT, each of SIZE bytes.
 *   udpburst serve ADDR PORT
 *	The server (run on the host): answers each request with the
 *	datagrams asked for, sent with sendmmsg(), and discards every other
 *	datagram.  Runs until killed.
 *
 * Exit status: 0 on success, 1 on failure (with a message on stderr),
 * 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_SIZE 1472		/* a datagram that fills a 1500-byte MTU */
#define MAX_COUNT 128		/* the kernel's limit on UDP_SEGMENT bursts */
#define MAX_BURST 65507		/* the most one UDP datagram can carry */
#define REQUEST "udpburst"
#define WAIT_SECONDS 5

static void usage(void)
{
	fprintf(stderr, "usage: udpburst send|recv ADDR PORT COUNT SIZE\n"
		"       udpburst serve ADDR PORT\n");
	exit(2);
}

static void fail(const char *what)
{
	fprintf(stderr, "udpburst: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* a whole number in [min, max], or usage() */
static long number(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max) {
		fprintf(stderr, "udpburst: '%s' is not a number from %ld to %ld\n",
			s, min, max);
		exit(2);
	}
	return n;
}

static struct sockaddr_in address(const char *addr, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)number(port, 1, 65535));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "udpburst: '%s' is not an IPv4 address\n", addr);
		exit(2);
	}
	return sin;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		fail("socket");
	return fd;
}

static int do_send(struct sockaddr_in *to, long count, long size)
{
	static char buf[MAX_BURST];
	int fd = udp_socket(), seg = (int)size;
	ssize_t n;

	if (count * size > MAX_BURST) {
		fprintf(stderr, "udpburst: %ld datagrams of %ld bytes exceed one burst (%d bytes)\n",
			count, size, MAX_BURST);
		return 2;
	}
	memset(buf, 'b', sizeof(buf));
	if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) < 0)
		fail("setsockopt(UDP_SEGMENT)");
	n = sendto(fd, buf, (size_t)(count * size), 0,
		   (struct sockaddr *)to, sizeof(*to));
	if (n < 0)
		fail("sendto");
	if (n != count * size) {
		fprintf(stderr, "udpburst: sent %zd of %ld bytes\n", n, count * size);
		return 1;
	}
	close(fd);
	return 0;
}

static int do_recv(struct sockaddr_in *from, long count, long size)
{
	static char buf[MAX_SIZE + 1];
	struct timeval wait = { .tv_sec = WAIT_SECONDS };
	int fd = udp_socket(), rcvbuf = 1 << 20;
	long got = 0, bad = 0;
	char req[64];
	ssize_t n;

	/* room for the whole burst: the guest may read it only afterwards */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		fail("setsockopt(SO_RCVBUF)");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
		fail("setsockopt(SO_RCVTIMEO)");
	if (connect(fd, (struct sockaddr *)from, sizeof(*from)) < 0)
		fail("connect");
	n = snprintf(req, sizeof(req), REQUEST " %ld %ld", count, size);
	if (send(fd, req, (size_t)n, 0) != n)
		fail("send (the request)");
	while (got < count) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fail("recv");
		}
		got++;
		if (n != size)
			bad++;
	}
	printf("received %ld\n", got);
	if (got != count || bad) {
		fprintf(stderr, "udpburst: received %ld of %ld datagrams, %ld of the wrong size\n",
			got, count, bad);
		return 1;
	}
	close(fd);
	return 0;
}

/* send COUNT datagrams of SIZE bytes to TO, with as few calls as can be */
static void burst(int fd, struct sockaddr_in *to, long count, long size)
{
	static char buf[MAX_SIZE];
	static struct mmsghdr msgs[MAX_COUNT];
	static struct iovec iov;
	long i, sent = 0;
	int n;

	memset(buf, 'r', sizeof(buf));
	iov.iov_base = buf;
	iov.iov_len = (size_t)size;
	for (i = 0; i < count; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = to;
		msgs[i].msg_hdr.msg_namelen = sizeof(*to);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < count) {
		n = sendmmsg(fd, msgs + sent, (unsigned int)(count - sent), 0);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
				continue;
			fail("sendmmsg");
		}
		sent += n;
	}
}

_Noreturn static void do_serve(struct sockaddr_in *me)
{
	static char buf[MAX_BURST];
	struct sockaddr_in peer;
	socklen_t len;
	long count, size;
	int fd = udp_socket(), one = 1;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("setsockopt(SO_REUSEADDR)");
	if (bind(fd, (struct sockaddr *)me, sizeof(*me)) < 0)
		fail("bind");
	for (;;) {
		len = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
			     (struct sockaddr *)&peer, &len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("recvfrom");
		}
		buf[n] = '\0';
		if (strncmp(buf, REQUEST " ", sizeof(REQUEST)) != 0)
			continue;	/* burst data: discard */
		if (sscanf(buf + sizeof(REQUEST), "%ld %ld", &count, &size) != 2 ||
		    count < 1 || count > MAX_COUNT || size < 1 || size > MAX_SIZE) {
			fprintf(stderr, "udpburst: bad request '%s'\n", buf);
			continue;
		}
		burst(fd, &peer, count, size);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	long count, size;

	if (argc == 4 && strcmp(argv[1], "serve") == 0) {
		sin = address(argv[2], argv[3]);
		do_serve(&sin);
	}
	if (argc != 6)
		usage();
	sin = address(argv[2], argv[3]);
	count = number(argv[4], 1, MAX_COUNT);
	size = number(argv[5], 1, MAX_SIZE);
	if (strcmp(argv[1], "send") == 0)
		return do_send(&sin, count, size);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(&sin, count, size);
	usage();
	return 2;
}
