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
 *   udpburst sink ADDR PORT COUNT SIZE
 *	On the host: receives the datagrams of a "send" at ADDR:PORT (waits
 *	up to 120 s for the first, then until 5 s pass without one) and
 *	checks them like "recv" does.  SIGUSR1 says that the sender is done
 *	(the guest has exited): it then takes the datagrams already queued,
 *	without waiting, and reports at once.
 *   udpburst flood ADDR PORT SIZE WORK
 *	Asks the server at ADDR:PORT to flood this socket with datagrams of
 *	SIZE bytes, and once the first one is in, does WORK units of work
 *	(one unit: a pass over 1 MiB) without reading them, then tells the
 *	server to stop.  Prints how many units it did while flooded.  The
 *	server stops by itself after 50 million datagrams and prints on
 *	stdout who stopped each flood and how many datagrams it sent.
 *
 * Datagrams of 8 bytes or more carry their sequence number (0 to COUNT-1,
 * 4 bytes in network order) and then bytes that depend on it: "recv" and
 * "sink" count duplicates and corrupt datagrams, and fail on any.
 *
 * Exit status: 0 on success, 1 on failure (with a message on stderr),
 * 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
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
#define FLOOD "udpburst flood"
#define STOP "udpburst stop"
#define WAIT_SECONDS 5
#define FIRST_WAIT_SECONDS 120
#define STAMP_MIN 8		/* datagrams this long carry a sequence number */
#define FLOOD_MAX 50000000L	/* a flood nobody stops ends after this many */
#define WORK_BYTES (1 << 20)

static void usage(void)
{
	fprintf(stderr, "usage: udpburst send|recv|sink ADDR PORT COUNT SIZE\n"
		"       udpburst serve ADDR PORT\n"
		"       udpburst flood ADDR PORT SIZE WORK\n");
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

/* datagram @seq's content: its number, then bytes that depend on it */
static void stamp(char *buf, long seq, long size)
{
	long i;

	if (size < STAMP_MIN)
		return;
	buf[0] = (char)(seq >> 24);
	buf[1] = (char)(seq >> 16);
	buf[2] = (char)(seq >> 8);
	buf[3] = (char)seq;
	for (i = 4; i < size; i++)
		buf[i] = (char)(seq * 31 + i);
}

/* what a receiver has seen so far */
struct tally {
	long got, bad, dup;
	unsigned char seen[MAX_COUNT];
};

/* count datagram @buf of @n bytes, expected @size bytes, of @count */
static void check(struct tally *t, const char *buf, ssize_t n, long count,
		  long size)
{
	static char want[MAX_SIZE];
	long seq;

	t->got++;
	if (n != size) {
		t->bad++;
		return;
	}
	if (size < STAMP_MIN)
		return;
	seq = (long)(((unsigned long)(unsigned char)buf[0] << 24) |
		     ((unsigned long)(unsigned char)buf[1] << 16) |
		     ((unsigned long)(unsigned char)buf[2] << 8) |
		     (unsigned long)(unsigned char)buf[3]);
	if (seq >= count) {
		t->bad++;
		return;
	}
	stamp(want, seq, size);
	if (memcmp(want, buf, (size_t)size) != 0)
		t->bad++;
	else if (t->seen[seq]++)
		t->dup++;
}

/*
 * one datagram into buf; -1 when the receive timeout ran out (or, with
 * MSG_DONTWAIT in flags, when none is queued)
 */
static ssize_t recv_one(int fd, char *buf, size_t len, int flags)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, flags);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		if (errno != EINTR)
			fail("recv");
	}
}

/* print the tally; 0 if all @count came in once and intact */
static int report(const struct tally *t, long count)
{
	printf("received %ld\n", t->got);
	if (t->got != count || t->bad || t->dup) {
		fprintf(stderr, "udpburst: received %ld of %ld datagrams, %ld corrupt or of the wrong size, %ld duplicates\n",
			t->got, count, t->bad, t->dup);
		return 1;
	}
	return 0;
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
	for (long i = 0; i < count; i++)
		stamp(buf + i * size, i, size);
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
	static struct tally t;
	struct timeval wait = { .tv_sec = WAIT_SECONDS };
	int fd = udp_socket(), rcvbuf = 1 << 20;
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
	while (t.got < count) {
		n = recv_one(fd, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		check(&t, buf, n, count, size);
	}
	close(fd);
	return report(&t, count);
}

/* set by SIGUSR1: the sender is done, what it sent is queued */
static volatile sig_atomic_t sender_done;

static void on_sender_done(int sig)
{
	(void)sig;
	sender_done = 1;
}

/* on the host: take the datagrams of a "send" and check them */
static int do_sink(struct sockaddr_in *me, long count, long size)
{
	static char buf[MAX_SIZE + 1];
	static struct tally t;
	struct timeval wait = { .tv_sec = FIRST_WAIT_SECONDS };
	struct sigaction sa = { .sa_handler = on_sender_done };
	int fd = udp_socket(), one = 1, rcvbuf = 1 << 20;
	ssize_t n;

	/* no SA_RESTART: the signal ends a recv() that waits */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		fail("sigaction(SIGUSR1)");

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("setsockopt(SO_REUSEADDR)");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		fail("setsockopt(SO_RCVBUF)");
	if (bind(fd, (struct sockaddr *)me, sizeof(*me)) < 0)
		fail("bind");
	for (;;) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
			fail("setsockopt(SO_RCVTIMEO)");
		/* once the sender is done, only what is queued */
		n = recv_one(fd, buf, sizeof(buf), sender_done ? MSG_DONTWAIT : 0);
		if (n < 0)
			break;
		check(&t, buf, n, count, size);
		wait.tv_sec = WAIT_SECONDS;
	}
	close(fd);
	return report(&t, count);
}

/* in the guest: keep busy while the server floods this socket */
static int do_flood(struct sockaddr_in *server, long size, long work)
{
	static unsigned char mem[WORK_BYTES];
	static char buf[MAX_SIZE + 1];
	struct timeval wait = { .tv_sec = WAIT_SECONDS };
	unsigned long sum = 0;
	int fd = udp_socket(), i;
	char req[64];
	long unit;
	size_t j;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
		fail("setsockopt(SO_RCVTIMEO)");
	if (connect(fd, (struct sockaddr *)server, sizeof(*server)) < 0)
		fail("connect");
	n = snprintf(req, sizeof(req), FLOOD " %ld", size);
	if (send(fd, req, (size_t)n, 0) != n)
		fail("send (the request)");
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail("recv (the first datagram of the flood)");
	for (unit = 0; unit < work; unit++)
		for (j = 0; j < sizeof(mem); j++) {
			mem[j] = (unsigned char)(mem[j] * 7 + j + (sum >> 8));
			sum += mem[j];
		}
	/* a datagram may be lost: ask three times */
	for (i = 0; i < 3; i++)
		if (send(fd, STOP, sizeof(STOP) - 1, 0) < 0)
			fail("send (stop)");
	printf("worked %ld units under the flood (sum %lx)\n", work, sum);
	close(fd);
	return 0;
}

/* send COUNT datagrams of SIZE bytes to TO, with as few calls as can be */
static void burst(int fd, struct sockaddr_in *to, long count, long size)
{
	static char buf[MAX_COUNT][MAX_SIZE];
	static struct mmsghdr msgs[MAX_COUNT];
	static struct iovec iov[MAX_COUNT];
	long i, sent = 0;
	int n;

	for (i = 0; i < count; i++) {
		stamp(buf[i], i, size);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = (size_t)size;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = to;
		msgs[i].msg_hdr.msg_namelen = sizeof(*to);
		msgs[i].msg_hdr.msg_iov = &iov[i];
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

/*
 * Flood PEER with datagrams of SIZE bytes until it sends STOP (or after
 * FLOOD_MAX), in batches of MAX_COUNT, looking for STOP between batches.
 */
static void flood(int fd, struct sockaddr_in *peer, long size)
{
	static char buf[MAX_SIZE], in[MAX_SIZE + 1];
	static struct mmsghdr msgs[MAX_COUNT];
	static struct iovec iov;
	struct sockaddr_in from;
	socklen_t len;
	long sent = 0;
	int i, n, stopped = 0;

	memset(buf, 'f', sizeof(buf));
	iov.iov_base = buf;
	iov.iov_len = (size_t)size;
	for (i = 0; i < MAX_COUNT; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = peer;
		msgs[i].msg_hdr.msg_namelen = sizeof(*peer);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stopped && sent < FLOOD_MAX) {
		n = sendmmsg(fd, msgs, MAX_COUNT, MSG_DONTWAIT);
		if (n > 0)
			sent += n;
		else if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN)
			fail("sendmmsg (flood)");
		for (;;) {
			len = sizeof(from);
			n = (int)recvfrom(fd, in, sizeof(in) - 1, MSG_DONTWAIT,
					  (struct sockaddr *)&from, &len);
			if (n < 0)
				break;
			if (n == (int)sizeof(STOP) - 1 &&
			    memcmp(in, STOP, sizeof(STOP) - 1) == 0 &&
			    from.sin_addr.s_addr == peer->sin_addr.s_addr &&
			    from.sin_port == peer->sin_port)
				stopped = 1;
		}
	}
	printf("flood of %ld-byte datagrams %s after %ld datagrams\n", size,
	       stopped ? "stopped by the peer" : "NOT stopped by the peer", sent);
	fflush(stdout);
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
		if (strncmp(buf, FLOOD " ", sizeof(FLOOD)) == 0) {
			if (sscanf(buf + sizeof(FLOOD), "%ld", &size) == 1 &&
			    size >= 1 && size <= MAX_SIZE)
				flood(fd, &peer, size);
			else
				fprintf(stderr, "udpburst: bad request '%s'\n", buf);
			continue;
		}
		/* burst data, or the spare stops of a flood: discard */
		if (strncmp(buf, REQUEST " ", sizeof(REQUEST)) != 0 ||
		    strcmp(buf, STOP) == 0)
			continue;
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
	if (strcmp(argv[1], "flood") == 0)
		return do_flood(&sin, number(argv[4], 1, MAX_SIZE),
				number(argv[5], 0, 1000000));
	count = number(argv[4], 1, MAX_COUNT);
	size = number(argv[5], 1, MAX_SIZE);
	if (strcmp(argv[1], "send") == 0)
		return do_send(&sin, count, size);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(&sin, count, size);
	if (strcmp(argv[1], "sink") == 0)
		return do_sink(&sin, count, size);
	usage();
	return 2;
}
