// SPDX-License-Identifier: MIT
/*
 * The allow-lists of docs/sandbox.md, one row per system call a thread
 * kind needs once it serves the guest or a client.  What a thread does
 * while setting up (opening /dev/kvm, creating the VM, its devices and
 * threads) happens before its filter is loaded and is not listed.  The
 * lists come from strace of every integration test and a read of each
 * call site in src/; a row names why it is there.
 */
#include "core/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "lib/exit_status.h"
#include "gen/syscall_names.h"	/* from <asm/unistd_64.h>, at build */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZERS 1
#endif
#endif

#define VMM	(1u << SANDBOX_VMM)
#define VCPU	(1u << SANDBOX_VCPU)
#define API	(1u << SANDBOX_API)
#define ALL	(VMM | VCPU | API)

struct rule {
	int nr;
	unsigned char kinds;
	unsigned char argc;
	struct scmp_arg_cmp arg[1];
};

#define ANY(name, k) { .nr = SCMP_SYS(name), .kinds = (k) }
/* The call only with argument i equal to v (compared as 64 bits; int
 * arguments use ARG_MASK with 0xffffffff, their upper half is undefined). */
#define ARG_EQ(name, k, i, v) { .nr = SCMP_SYS(name), .kinds = (k), .argc = 1, \
	.arg = { { .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (v) } } }
/* The call only with (argument i & mask) == v. */
#define ARG_MASK(name, k, i, mask, v) { .nr = SCMP_SYS(name), .kinds = (k), \
	.argc = 1, .arg = { { .arg = (i), .op = SCMP_CMP_MASKED_EQ, \
			      .datum_a = (mask), .datum_b = (v) } } }
/* ioctl's request is an int to the kernel: compare its low 32 bits. */
#define IOCTL(req, k) ARG_MASK(ioctl, k, 1, 0xffffffffu, (req))

static const struct rule rules[] = {
	/* Every thread: its own I/O, locks, memory and end. */
	ANY(read, ALL),			/* eventfds, sockets, TAP, signalfd */
	ANY(write, ALL),		/* eventfds, the console, logs */
	ANY(close, ALL),		/* connections, fds of closing devices */
	ANY(futex, ALL),		/* mutexes, condition variables, joins */
	ANY(rt_sigprocmask, ALL),	/* pthread_sigmask around waits */
	ANY(rt_sigreturn, VCPU),	/* the kick's handler returns */
	ANY(restart_syscall, ALL),	/* a wait interrupted by a signal */
	ANY(clock_gettime, ALL),	/* vDSO fallback: deadlines, metrics */
	ANY(getpid, VCPU | VMM),	/* pthread_kill */
	ANY(exit, VCPU | API),		/* the thread returns */
	ANY(exit_group, ALL),		/* the process ends */
	ANY(madvise, ALL),		/* malloc trims, a finished thread's
					 * stack, balloon: MADV_DONTNEED */
	ANY(munmap, ALL),		/* malloc, teardown of guest memory */
	ANY(brk, ALL),			/* malloc's one arena (main.c) */
	/* malloc maps memory; nothing in vmon maps or makes code. */
	ARG_MASK(mmap, ALL, 2, PROT_EXEC, 0),
	ARG_MASK(mprotect, ALL, 2, PROT_EXEC, 0),

	/* vCPU: the run loop and the exits it handles itself. */
	IOCTL(KVM_RUN, VCPU),
	IOCTL(KVM_GET_REGS, VCPU),	/* fault reports (arch/x86/fault.c) */
	IOCTL(KVM_GET_SREGS, VCPU),
	IOCTL(KVM_IRQ_LINE, VCPU | VMM),	/* legacy devices' lines */
	IOCTL(KVM_SET_GSI_ROUTING, VCPU | VMM),	/* MSI-X table writes */
	IOCTL(KVM_IRQFD, VCPU | VMM),	/* MSI-X vectors (un)masked */
	IOCTL(KVM_IOEVENTFD, VCPU | VMM),	/* queue notify addresses */
	IOCTL(KVM_SIGNAL_MSI, VCPU | VMM),
	IOCTL(TUNSETOFFLOAD, VCPU | VMM),	/* the driver's net features */
	IOCTL(TUNSETVNETHDRSZ, VCPU | VMM),
	ANY(eventfd2, VCPU | VMM),	/* an MSI-X vector's irqfd */
	/* Kicking vCPUs out of KVM_RUN: the kick signal to our own threads. */
	ARG_MASK(tgkill, VCPU | VMM, 2, 0xffffffffu, SIGUSR1),

	/* VMM: the event loop and the devices' work. */
	ANY(epoll_wait, VMM | API),
	ANY(epoll_ctl, VMM | API),
	ANY(readv, VMM),		/* TAP frames, vsock streams */
	ANY(writev, VMM),
	ANY(preadv2, VMM),		/* virtio-blk, synchronous engine */
	ANY(pwritev2, VMM),
	ANY(fdatasync, VMM),		/* a guest FLUSH */
	ANY(fallocate, VMM),		/* DISCARD, WRITE_ZEROES */
	ANY(io_uring_enter, VMM),	/* virtio-blk, io_uring engine */
	ANY(io_uring_register, VMM),	/* its registered files */
	ANY(poll, VMM),			/* waits bounded in blk and vsock */
	ANY(getrandom, VMM | API),	/* virtio-rng; jansson's hash seed */
	ANY(timerfd_create, VMM),	/* vsock connection timers */
	ANY(timerfd_settime, VMM),	/* balloon statistics, vsock */
	/* PATCH /drives (media change): open and size the new image. */
	ANY(openat, VMM),
	ANY(newfstatat, VMM),
	ANY(fstatfs, VMM),		/* O_DIRECT where the file system allows */
	ANY(flock, VMM),		/* images are locked while in use */
	IOCTL(BLKGETSIZE64, VMM),
	/*
	 * PUT /snapshot/create on a paused VM (machine/snapshot.c): read
	 * every vCPU's and the irqchip's state, write the memory and state
	 * files beside their paths, fsync, rename over them.
	 */
	IOCTL(KVM_CHECK_EXTENSION, VMM),	/* SREGS2, XSAVE2 sizes */
	IOCTL(KVM_GET_MSR_INDEX_LIST, VMM),
	IOCTL(KVM_GET_MP_STATE, VMM), IOCTL(KVM_GET_REGS, VMM),
	IOCTL(KVM_GET_SREGS, VMM), IOCTL(KVM_GET_SREGS2, VMM),
	IOCTL(KVM_GET_XSAVE, VMM), IOCTL(KVM_GET_XSAVE2, VMM),
	IOCTL(KVM_GET_XCRS, VMM), IOCTL(KVM_GET_DEBUGREGS, VMM),
	IOCTL(KVM_GET_LAPIC, VMM), IOCTL(KVM_GET_MSRS, VMM),
	IOCTL(KVM_GET_VCPU_EVENTS, VMM), IOCTL(KVM_GET_TSC_KHZ, VMM),
	IOCTL(KVM_GET_IRQCHIP, VMM), IOCTL(KVM_GET_PIT2, VMM),
	IOCTL(KVM_GET_CLOCK, VMM),
	IOCTL(KVM_GET_DIRTY_LOG, VMM),	/* Diff snapshots: pages since the last */
	/* (pwritev2 and fdatasync are the block device's rows.) */
	ANY(rename, VMM),		/* the files put in place whole */
	/* vsock: the host side is Unix sockets (Firecracker's model). */
	ARG_MASK(socket, VMM, 0, 0xffffffffu, AF_UNIX),
	/* PUT /migration/send: the stream to the destination (vmm/migrate.c),
	 * and dirty page logging turned on for it. */
	ARG_MASK(socket, VMM, 0, 0xffffffffu, AF_INET),
	ARG_MASK(socket, VMM, 0, 0xffffffffu, AF_INET6),
	IOCTL(KVM_SET_USER_MEMORY_REGION, VMM),
	ANY(connect, VMM),
	ANY(accept4, VMM | API),
	ANY(shutdown, VMM | API),
	ANY(sendmsg, VMM),
	ANY(recvmsg, VMM),
	ANY(sendto, VMM | API),
	ANY(recvfrom, VMM | API),
	ANY(unlink, VMM),		/* vsock listeners, the API socket */
	/* The console's output: O_NONBLOCK taken back off a descriptor
	 * vmon could not reopen, at teardown (lib/outfd.c). */
	ARG_EQ(fcntl, VMM, 1, F_SETFL),
	/* The console: restore the terminal on exit. */
	IOCTL(TCGETS, VMM),
	IOCTL(TCSETS, VMM),
	IOCTL(TCSETSW, VMM),
	IOCTL(TCSETSF, VMM),
	/* Fast exit: the helper that frees vmon's memory after the parent
	 * has gone (vmm/teardown.c) shares memory and files, nothing else. */
	ARG_EQ(clone, VMM, 0, CLONE_VM | CLONE_FILES),
	ANY(prctl, VMM),		/* the helper's PR_SET_PDEATHSIG */
	ANY(getppid, VMM),
	ANY(pause, VMM),

#ifdef SANDBOX_SANITIZERS
	/*
	 * The sanitizers' runtime, not vmon: reports symbolize through
	 * /proc/self/maps, and LeakSanitizer stops the world at exit with a
	 * ptrace-ing clone of the main thread (raw open and getdents among
	 * them).  Release builds do not get these rows.
	 */
	ANY(openat, ALL), ANY(newfstatat, ALL), ANY(fstat, ALL),
	ANY(lseek, ALL), ANY(readlink, ALL), ANY(readlinkat, ALL),
	ANY(getdents64, ALL), ANY(sigaltstack, ALL), ANY(rt_sigaction, ALL),
	ANY(clone, ALL), ANY(ptrace, ALL), ANY(wait4, ALL), ANY(prctl, ALL),
	ANY(getppid, ALL), ANY(kill, ALL), ANY(tgkill, ALL), ANY(pipe2, ALL),
	ANY(sched_getaffinity, ALL), ANY(prlimit64, ALL), ANY(uname, ALL),
	ANY(mincore, ALL), ANY(process_vm_readv, ALL), ANY(getrusage, ALL),
	ANY(mmap, ALL), ANY(mprotect, ALL), ANY(getrlimit, ALL),
	ANY(setrlimit, ALL), ANY(dup, ALL), ANY(dup2, ALL), ANY(dup3, ALL),
	ANY(fcntl, ALL), ANY(getuid, ALL), ANY(geteuid, ALL),
	ANY(gettid, ALL), ANY(sched_yield, ALL), ANY(nanosleep, ALL),
	ANY(clock_nanosleep, ALL), ANY(getpid, ALL), ANY(exit, ALL),
	ANY(rt_sigreturn, ALL), ANY(lstat, ALL), ANY(stat, ALL),
	ANY(open, ALL), ANY(getdents, ALL), ANY(access, ALL), ANY(pipe, ALL),
#endif
};

static const char *const kind_names[SANDBOX_KINDS] = {
	[SANDBOX_VMM] = "vmm", [SANDBOX_VCPU] = "vcpu", [SANDBOX_API] = "api",
};

/* The kind of the calling thread once filtered, for the reporter. */
static __thread int tls_kind = -1;

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return kind < SANDBOX_KINDS ? kind_names[kind] : "unknown";
}

static char *put_str(char *p, const char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_uint(char *p, const char *end, unsigned long v)
{
	char d[24];
	int n = 0;

	do
		d[n++] = '0' + v % 10;
	while ((v /= 10) && n < (int)sizeof(d));
	while (n && p < end)
		*p++ = d[--n];
	return p;
}

/*
 * SIGSYS from a denied call: say which thread kind made which call, then
 * end the process.  Async-signal-safe: no stdio, no malloc.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[256], *p = buf, *end = buf + sizeof(buf) - 1;
	unsigned int nr = (unsigned int)si->si_syscall;
	const char *name = nr < sizeof(syscall_names) / sizeof(syscall_names[0])
		? syscall_names[nr] : NULL;
	ssize_t w;

	(void)sig;
	(void)uc;
	p = put_str(p, end, "vmon: seccomp: the ");
	p = put_str(p, end, tls_kind >= 0 ? kind_names[tls_kind] : "unfiltered");
	p = put_str(p, end, " thread made system call ");
	p = put_uint(p, end, nr);
	p = put_str(p, end, " (");
	p = put_str(p, end, name ? name : "unknown");
	p = put_str(p, end, "), which its filter denies; stopping with status ");
	p = put_uint(p, end, VMON_EXIT_SECCOMP);
	*p++ = '\n';
	w = write(STDERR_FILENO, buf, p - buf);
	(void)w;
	syscall(SYS_exit_group, VMON_EXIT_SECCOMP);
}

int sandbox_reporter_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

size_t sandbox_allowed_count(enum sandbox_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		bool seen = false;

		if (!(rules[i].kinds & (1u << kind)))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = rules[j].nr == rules[i].nr &&
			       (rules[j].kinds & (1u << kind));
		n += !seen;
	}
	return n;
}

int sandbox_enter(enum sandbox_kind kind, struct vmon_err *e)
{
	const char *trip = getenv("VMON_DEBUG_SECCOMP_TRIP");
	scmp_filter_ctx ctx;
	int ret = 0;

	if (kind >= SANDBOX_KINDS)
		return err_set(e, ERR_HOST, -EINVAL, "seccomp: no thread kind %d",
			       (int)kind);
	/* Denied calls trap to on_sigsys, which names them. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return err_set(e, ERR_HOST, -ENOMEM, "seccomp: out of memory");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && !ret; i++) {
		const struct rule *r = &rules[i];

		if (r->kinds & (1u << kind))
			ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr,
						     r->argc, r->arg);
	}
	if (ret) {
		err_set(e, ERR_HOST, ret, "seccomp: cannot build the %s "
			"thread's filter: %s", kind_names[kind], strerror(-ret));
		goto out;
	}
	ret = seccomp_load(ctx);
	if (ret) {
		err_set(e, ERR_HOST, ret, "seccomp: cannot load the %s thread's "
			"filter: %s", kind_names[kind], strerror(-ret));
		goto out;
	}
	tls_kind = kind;
	/* The debugging hook of sandbox.h: acct is allowed to no kind. */
	if (trip && !strcmp(trip, kind_names[kind]))
		syscall(SYS_acct, NULL);
out:
	seccomp_release(ctx);
	return ret;
}
