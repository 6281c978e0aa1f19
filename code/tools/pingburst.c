/*
 * pingburst: the host side of a check of the replies a guest's kernel
 * sends from its receive path (exercise ch04/tx-flush-per-burst).
 *
 *   pingburst ADDR PORT COUNT SIZE
 *
 * Waits (up to 120 s) for a request of "udpburst recv ADDR PORT C S"
 * from the guest at UDP ADDR:PORT (S below 8: the datagrams then carry
 * no sequence number), which says that the guest's interface is up.
 * Then sends the guest COUNT ICMP echo requests with SIZE bytes of data
 * each, in one sendmmsg() on a raw socket, so that they reach the guest
 * as one burst; the guest's kernel answers each from its receive path.
 * Collects the echo replies until all COUNT are in or 3 s pass without
 * one, checking each: a sequence number below COUNT, the data sent, no
 * duplicate.  Then answers the guest's request (C datagrams of S zero
 * bytes), so that its udpburst returns and the guest can end its run.
 *
 * Prints "replies N" (N: the replies received); exit status 0 when all
 * COUNT came back once and intact, 1 otherwise (with a line on stderr
 * that says what was wrong), 2 on bad usage.  Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_COUNT 128
#define MAX_DATA 1464		/* an echo request that fills a 1500-byte MTU */
#define REQUEST "udpburst"
#define FIRST_WAIT_SECONDS 120
#define REPLY_WAIT_SECONDS 3

static void usage(void)
{
	fprintf(stderr, "usage: pingburst ADDR PORT COUNT SIZE\n");
	exit(2);
}

static void fail(const char *what)
{
	fprintf(stderr, "pingburst: %s: %s\n", what, strerror(errno));
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
		fprintf(stderr, "pingburst: '%s' is not a number from %ld to %ld\n",
			s, min, max);
		exit(2);
	}
	return n;
}

/* the Internet checksum of @len bytes */
static unsigned short checksum(const unsigned char *p, size_t len)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (unsigned long)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (unsigned long)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((unsigned short)~sum);
}

/* the data of echo request @seq */
static void pattern(unsigned char *data, long seq, long size)
{
	long i;

	for (i = 0; i < size; i++)
		data[i] = (unsigned char)(seq * 37 + i * 11 + 3);
}

/* the whole echo request @seq (header and data) into @pkt */
static void echo_request(unsigned char *pkt, unsigned short id, long seq,
			 long size)
{
	struct icmphdr *h = (struct icmphdr *)pkt;
	unsigned short sum;

	memset(h, 0, sizeof(*h));
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons((unsigned short)seq);
	pattern(pkt + sizeof(*h), seq, size);
	sum = checksum(pkt, sizeof(*h) + (size_t)size);
	memcpy(&h->checksum, &sum, sizeof(sum));
}

/* wait for the guest's request; its source address into @guest */
static void wait_request(int fd, struct sockaddr_in *guest, long *count,
			 long *size)
{
	char buf[128];
	socklen_t len = sizeof(*guest);
	ssize_t n;

	do
		n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
			     (struct sockaddr *)guest, &len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(errno == EAGAIN ? "no request from the guest" : "recvfrom");
	buf[n] = '\0';
	if (sscanf(buf, REQUEST " %ld %ld", count, size) != 2 ||
	    *count < 1 || *count > MAX_COUNT || *size < 0 || *size >= 8) {
		fprintf(stderr, "pingburst: the guest's request '%s' is not 'udpburst C S' with S below 8\n",
			buf);
		exit(1);
	}
}

/* send the burst: @count echo requests in as few calls as the host takes */
static void send_burst(int fd, struct sockaddr_in *to, unsigned short id,
		       long count, long size)
{
	static unsigned char pkt[MAX_COUNT][sizeof(struct icmphdr) + MAX_DATA];
	static struct mmsghdr msgs[MAX_COUNT];
	static struct iovec iov[MAX_COUNT];
	long i, sent = 0;
	int n;

	for (i = 0; i < count; i++) {
		echo_request(pkt[i], id, i, size);
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = sizeof(struct icmphdr) + (size_t)size;
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
 * Take echo replies of @id until @count are in or the wait runs out;
 * returns 0 when all came back once and intact.
 */
static int collect(int fd, struct sockaddr_in *from, unsigned short id,
		   long count, long size)
{
	static unsigned char buf[65536], want[MAX_DATA];
	static unsigned char seen[MAX_COUNT];
	struct timeval wait = { .tv_sec = REPLY_WAIT_SECONDS };
	long got = 0, bad = 0, dup = 0, seq;
	struct icmphdr *h;
	size_t hlen;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
		fail("setsockopt(SO_RCVTIMEO)");
	while (got < count) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fail("recv");
		}
		/* a raw socket gives the IP header too */
		if ((size_t)n < sizeof(struct iphdr))
			continue;
		hlen = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < hlen + sizeof(*h) ||
		    memcmp(buf + 12, &from->sin_addr, 4) != 0)
			continue;
		h = (struct icmphdr *)(buf + hlen);
		if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != id)
			continue;
		got++;
		seq = ntohs(h->un.echo.sequence);
		pattern(want, seq, size);
		if (seq >= count || (size_t)n != hlen + sizeof(*h) + (size_t)size ||
		    memcmp(want, buf + hlen + sizeof(*h), (size_t)size) != 0)
			bad++;
		else if (seen[seq]++)
			dup++;
	}
	printf("replies %ld\n", got);
	if (got != count || bad || dup) {
		fprintf(stderr, "pingburst: %ld echo replies of %ld, %ld corrupt or of the wrong size, %ld duplicates\n",
			got, count, bad, dup);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char zero[8];
	struct timeval wait = { .tv_sec = FIRST_WAIT_SECONDS };
	struct sockaddr_in me, guest, to;
	long count, size, rcount, rsize, i;
	unsigned short id;
	int udp, raw, one = 1, rcvbuf = 1 << 20, rc;

	if (argc != 5)
		usage();
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((unsigned short)number(argv[2], 1, 65535));
	if (inet_pton(AF_INET, argv[1], &me.sin_addr) != 1) {
		fprintf(stderr, "pingburst: '%s' is not an IPv4 address\n", argv[1]);
		exit(2);
	}
	count = number(argv[3], 1, MAX_COUNT);
	size = number(argv[4], 0, MAX_DATA);
	id = (unsigned short)getpid();

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (raw < 0)
		fail("socket(SOCK_RAW, IPPROTO_ICMP)");
	/* room for every reply: they may come in faster than we read */
	if (setsockopt(raw, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		fail("setsockopt(SO_RCVBUF)");
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp < 0)
		fail("socket");
	if (setsockopt(udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
		fail("setsockopt");
	if (bind(udp, (struct sockaddr *)&me, sizeof(me)) < 0)
		fail("bind");
	/* ready: a caller may start the guest now */
	printf("listening\n");
	fflush(stdout);

	wait_request(udp, &guest, &rcount, &rsize);
	to = guest;
	to.sin_port = 0;
	send_burst(raw, &to, id, count, size);
	rc = collect(raw, &to, id, count, size);
	fflush(stdout);
	for (i = 0; i < rcount; i++)
		if (sendto(udp, zero, (size_t)rsize, 0, (struct sockaddr *)&guest,
			   sizeof(guest)) < 0)
			fail("sendto (the answer to the guest's request)");
	close(udp);
	close(raw);
	return rc;
}
