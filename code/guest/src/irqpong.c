/*
 * irqpong: the guest side of the IRQ measurements (the host side is
 * code/tools/irqfeed.c).
 *
 *   irqpong ROUNDS DEVICE [IDLE...]
 *
 * DEVICE "fd:N" is the inherited fd N instead of a path, used as it is
 * (raw mode only if it is a terminal): that is how the harness runs the
 * same exchange natively, on the host socket that irqfeed hands out.
 *
 * Opens each IDLE device (a path) or brings up each IDLE network
 * interface (a name), so that their drivers register their host fds
 * with the IRQ controller, and keeps them so; puts DEVICE (a serial
 * line) in raw mode, writes one byte to say it is ready, then ROUNDS
 * times reads one byte and writes it back.
 *
 * What is measured: the wall time of one round, from the guest's clock.
 * A round is one IRQ event: the host sends a byte, SIGIO interrupts UML,
 * the IRQ controller finds the line's fd among all registered ones, the
 * line's handler reads the byte and wakes this process, whose echo is a
 * plain host write.  The host's turnaround is included.  Prints
 * "rounds N", "idle N" and "us_per_round X".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "irqpong: error: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

/* open a device, or bring a network interface up */
static void hold(const char *idle)
{
	struct ifreq ifr;
	int s;

	if (idle[0] == '/') {
		if (open(idle, O_RDWR | O_NOCTTY | O_NONBLOCK) < 0)
			die("cannot open", idle);
		return;
	}
	if (strlen(idle) >= sizeof(ifr.ifr_name)) {
		errno = EINVAL;
		die("bad interface name", idle);
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("cannot make a socket for", idle);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, idle);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("cannot get the flags of", idle);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("cannot bring up", idle);
	close(s);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void put(int fd, unsigned char c, const char *dev)
{
	ssize_t n;

	do {
		n = write(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		die("cannot write to", dev);
}

int main(int argc, char **argv)
{
	struct termios tio;
	long rounds, i;
	double t0, t1;
	char *end;
	int fd, k, by_fd;

	if (argc < 3) {
		fprintf(stderr, "usage: irqpong ROUNDS DEVICE [IDLE...]\n");
		return 2;
	}
	errno = 0;
	rounds = strtol(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || rounds < 1) {
		fprintf(stderr, "irqpong: error: rounds '%s' is not a positive number\n",
			argv[1]);
		return 2;
	}
	for (k = 3; k < argc; k++)
		hold(argv[k]);

	by_fd = !strncmp(argv[2], "fd:", 3);
	if (by_fd) {
		errno = 0;
		fd = strtol(argv[2] + 3, &end, 10);
		if (errno || *end || end == argv[2] + 3 || fd < 0 ||
		    fcntl(fd, F_GETFD) < 0) {
			errno = EBADF;
			die("no such inherited fd:", argv[2]);
		}
	} else {
		fd = open(argv[2], O_RDWR | O_NOCTTY);
		if (fd < 0)
			die("cannot open", argv[2]);
	}
	if (isatty(fd)) {
		if (tcgetattr(fd, &tio) < 0)
			die("cannot get the terminal settings of", argv[2]);
		cfmakeraw(&tio);
		/*
		 * An emulated 16550 (QEMU) paces the line at its rate, and a
		 * lone byte waits for its receive FIFO's timeout: the fastest
		 * standard rate keeps that short.  UML's serial lines ignore
		 * the rate.
		 */
		cfsetspeed(&tio, B115200);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &tio) < 0)
			die("cannot set raw mode on", argv[2]);
	} else if (!by_fd) {
		errno = ENOTTY;
		die("not a terminal:", argv[2]);
	}

	put(fd, 'R', argv[2]);
	t0 = now_us();
	for (i = 0; i < rounds; i++) {
		unsigned char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (n != 1) {
			if (n == 0)
				errno = EPIPE;
			die("cannot read from", argv[2]);
		}
		put(fd, c, argv[2]);
	}
	t1 = now_us();

	printf("rounds %ld\nidle %d\nus_per_round %.2f\n",
	       rounds, argc - 3, (t1 - t0) / rounds);
	return 0;
}
