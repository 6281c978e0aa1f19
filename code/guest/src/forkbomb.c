/*
 * forkbomb: a fork bomb that the process limit stops, then cleans up.
 *
 *   forkbomb LIMIT SECONDS
 *
 * Becomes user and group 65534 (nobody) with RLIMIT_NPROC set to LIMIT,
 * then forks: every process, the first one's children included, forks
 * again and again until fork() fails, for SECONDS seconds.  Then the
 * first process kills every process of user 65534 with SIGKILL until
 * /proc shows none (not even a zombie) but itself, and prints
 *   forkbomb: N forks, M refused, none left
 * It exits 0 only if the limit refused forks (the bomb reached it) and no
 * process of the user survived; on any other failure it says why on
 * stderr and exits 1.  Run it as root (it must change its user).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOMB_UID 65534

/* counters shared by every process of the bomb */
struct tally {
	long forks;
	long refused;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fork until the deadline; children do the same and never return */
static void bomb(struct tally *t, double deadline)
{
	while (now() < deadline) {
		pid_t pid = fork();

		if (pid == 0)
			continue;	/* the child bombs on, from here */
		if (pid > 0)
			__atomic_add_fetch(&t->forks, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&t->refused, 1, __ATOMIC_RELAXED);
	}
	/* wait for the killer (the first process is not in here) */
	for (;;)
		pause();
}

/* processes of the bomb's user other than this one, from /proc */
static int others(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	struct stat st;
	int n = 0;

	if (!proc)
		return -1;
	while ((e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		if (fstatat(dirfd(proc), e->d_name, &st, 0) == 0 && st.st_uid == BOMB_UID)
			n++;
	}
	closedir(proc);
	return n;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct tally *t;
	long limit, seconds;
	pid_t first;
	int i;

	if (argc != 3 || (limit = atol(argv[1])) < 1 || (seconds = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: forkbomb LIMIT SECONDS\n");
		return 2;
	}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		perror("forkbomb: mmap");
		return 1;
	}
	/* the bomb runs in a child, so that this process stays to clean up */
	first = fork();
	if (first < 0) {
		perror("forkbomb: fork");
		return 1;
	}
	if (first == 0) {
		rl.rlim_cur = rl.rlim_max = limit;
		if (setrlimit(RLIMIT_NPROC, &rl) || setgid(BOMB_UID) || setuid(BOMB_UID)) {
			perror("forkbomb: limit or user");
			_exit(1);
		}
		bomb(t, now() + seconds);
	}
	sleep(seconds + 1);
	/* as user 65534 (so that kill(-1) reaches only the bomb) */
	if (setgid(BOMB_UID) || setuid(BOMB_UID)) {
		perror("forkbomb: user");
		return 1;
	}
	/* kill(-1) spares the caller; it succeeds while root's processes
	 * exist, so /proc tells when the bomb is gone (zombies included) */
	for (i = 0; i < 1000; i++) {
		kill(-1, SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (others() == 0)
			break;
		usleep(10000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (i == 1000) {
		fprintf(stderr, "forkbomb: processes of user %d survive SIGKILL\n", BOMB_UID);
		return 1;
	}
	printf("forkbomb: %ld forks, %ld refused, none left\n", t->forks, t->refused);
	if (t->refused == 0) {
		fprintf(stderr, "forkbomb: the limit of %ld processes never refused a fork\n", limit);
		return 1;
	}
	return 0;
}
