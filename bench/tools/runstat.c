/* SPDX-License-Identifier: MIT */
/*
 * runstat: runs a command and reports what it cost, measured from
 * outside: wall time from just before posix_spawn to the return of
 * wait4 (CLOCK_MONOTONIC), user and system CPU time and peak RSS from
 * wait4's rusage.
 *
 *   runstat [-m] [-i IN] [-o OUT] [-e ERR] [-t SEC] -- CMD [ARG...]
 *     one run; prints
 *     "status=S wall_ns=W user_ns=U sys_ns=Y maxrss_kib=M"
 *     S is the exit status, or 128 + the signal number.  M, ru_maxrss,
 *     is at least the RSS of the process that exec'd (here runstat,
 *     about 1 MiB): Linux carries the old mm's high-water mark across
 *     exec.  -m also prints "hwm_kib=H", the command's own peak RSS:
 *     VmHWM from /proc/PID/status, read when the command exits (it is
 *     stopped there with ptrace's PTRACE_EVENT_EXIT, which costs a few
 *     context switches of wall time).
 *
 *   runstat -n COUNT -j PAR [-s STATUS] [-t SEC] -- CMD [ARG...]
 *     COUNT runs, at most PAR at a time, output to /dev/null; prints
 *     "runs=COUNT failed=F wall_ns=W"; a run failed when its status is
 *     not STATUS (default 0).
 *
 * -t SEC kills the whole process group (runstat included) after SEC
 * seconds: run runstat in its own session.  Stdin is IN or /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

static void on_alarm(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
}

static pid_t spawn(char **cmd, const char *in, const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err ? err : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "runstat: %s: %s\n", cmd[0], strerror(rc));
		exit(127);
	}
	return pid;
}

/* fork + PTRACE_TRACEME + exec: the child stops at exec, then once more
 * on its way out, when its VmHWM is read into *hwm_kib. */
static pid_t spawn_traced(char **cmd, const char *in, const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("runstat: fork");
		exit(127);
	}
	if (pid == 0) {
		const char *path[3] = { in ? in : "/dev/null", out ? out : "/dev/null",
					err ? err : "/dev/null" };
		for (int fd = 0; fd < 3; fd++) {
			int f = fd == 0 ? open(path[0], O_RDONLY)
				        : open(path[fd], O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (f < 0 || dup2(f, fd) < 0)
				_exit(127);
			if (f != fd)
				close(f);
		}
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	return pid;
}

static long read_hwm(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* wait4 for a traced child: resumes it at exec, reads VmHWM at
 * PTRACE_EVENT_EXIT, returns at its real end. */
static pid_t wait_traced(pid_t pid, int *ws, struct rusage *ru, long *hwm_kib)
{
	for (;;) {
		if (wait4(pid, ws, 0, ru) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!WIFSTOPPED(*ws))
			return pid;
		int sig = WSTOPSIG(*ws);
		if (sig == SIGTRAP && (*ws >> 16) == PTRACE_EVENT_EXIT) {
			*hwm_kib = read_hwm(pid);
			sig = 0;
		} else if (sig == SIGTRAP) {		/* the exec stop */
			ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACEEXIT);
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
}

static int status_of(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void usage(void)
{
	fputs("usage: runstat [-m] [-i IN] [-o OUT] [-e ERR] [-t SEC] -- CMD...\n"
	      "       runstat -n COUNT -j PAR [-s STATUS] [-t SEC] -- CMD...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *err = NULL;
	long count = 0, par = 1, want = 0, timeout = 0;
	int opt, hwm = 0;

	while ((opt = getopt(argc, argv, "+mi:o:e:t:n:j:s:")) != -1) {
		switch (opt) {
		case 'm': hwm = 1; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		case 't': timeout = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'j': par = atol(optarg); break;
		case 's': want = atol(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc || par < 1)
		usage();
	char **cmd = argv + optind;
	if (timeout > 0) {
		signal(SIGALRM, on_alarm);
		alarm((unsigned)timeout);
	}

	if (count == 0) {
		struct rusage ru;
		int ws;
		long hwm_kib = -1;
		uint64_t t0 = now_ns();
		pid_t pid = hwm ? spawn_traced(cmd, in, out, err) : spawn(cmd, in, out, err);

		if ((hwm ? wait_traced(pid, &ws, &ru, &hwm_kib) : wait4(pid, &ws, 0, &ru)) < 0) {
			perror("runstat: wait4");
			return 127;
		}
		uint64_t wall = now_ns() - t0;
		printf("status=%d wall_ns=%llu user_ns=%llu sys_ns=%llu maxrss_kib=%ld",
		       status_of(ws), (unsigned long long)wall,
		       (unsigned long long)tv_ns(ru.ru_utime),
		       (unsigned long long)tv_ns(ru.ru_stime), ru.ru_maxrss);
		if (hwm)
			printf(" hwm_kib=%ld", hwm_kib);
		putchar('\n');
		return 0;
	}

	long started = 0, running = 0, failed = 0;
	int ws;
	uint64_t t0 = now_ns();
	while (started < count || running > 0) {
		if (started < count && running < par) {
			spawn(cmd, in, NULL, NULL);
			started++;
			running++;
			continue;
		}
		if (wait(&ws) < 0) {
			if (errno == EINTR)
				continue;
			perror("runstat: wait");
			return 127;
		}
		running--;
		failed += status_of(ws) != want;
	}
	uint64_t wall = now_ns() - t0;
	printf("runs=%ld failed=%ld wall_ns=%llu\n", count, failed, (unsigned long long)wall);
	return 0;
}
