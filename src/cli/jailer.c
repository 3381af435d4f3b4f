// SPDX-License-Identifier: MIT
/*
 * `vmon jailer` (also when vmon runs under the name `jailer`): Firecracker's
 * jailer, with its command line, for vmon.  It takes a root process, gives
 * it a directory of its own as its whole file system (pivot_root in a
 * private mount namespace), the two device nodes a VMM needs, a cgroup,
 * resource limits, optionally a network and a PID namespace, no inherited
 * fds, no environment and no capabilities, and then execs the VMM there as
 * an unprivileged uid/gid.  The order of the steps is Firecracker's
 * (docs/jailer.md there; docs/sandbox.md here says why each step).
 *
 * Every failure names its step and path and exits with status 2 (a bad
 * argument) or 6 (the host refused a step), before the VMM runs.
 */
#include "cli/jailer.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <linux/capability.h>

#include "cli/jailer_cgroup.h"
#include "lib/exit_status.h"

#define JAIL_ID_MAX	64
#define JAIL_MAX_RLIMITS 8
#define JAIL_DEFAULT_NOFILE 2048	/* Firecracker's default no-file */

static const char usage[] =
	"Usage: vmon jailer --id ID --exec-file PATH --uid UID --gid GID\n"
	"                   [options] [-- VMM arguments]\n"
	"\n"
	"Run PATH (vmon) jailed: root directory <base>/<exec name>/<id>/root,\n"
	"a private mount namespace, /dev/kvm and /dev/net/tun inside, cgroups,\n"
	"rlimits, no inherited fds, no environment, no capabilities, as UID:GID.\n"
	"Firecracker's jailer command line; also runs as a program named jailer.\n"
	"\n"
	"  --id ID                   1-64 of [A-Za-z0-9-]; passed as --id=ID\n"
	"  --exec-file PATH          the VMM binary, copied into the jail\n"
	"  --uid UID, --gid GID      who the VMM runs as\n"
	"  --chroot-base-dir DIR     default /srv/jailer\n"
	"  --netns PATH              join this network namespace\n"
	"  --daemonize               setsid, standard fds to /dev/null\n"
	"  --new-pid-ns              the VMM is pid 1 of a new PID namespace;\n"
	"                            its pid is written to <root>/<exec name>.pid\n"
	"  --cgroup-version 1|2      default 1\n"
	"  --cgroup FILE=VALUE       write VALUE to FILE of the VMM's cgroup\n"
	"  --parent-cgroup PATH      cgroup <parent>/<id>; default <exec name>\n"
	"  --resource-limit fsize=N | no-file=N   (no-file defaults to 2048)\n";

struct rlim_arg {
	int resource;
	rlim_t value;
};

struct jail {
	const char *id, *exec_file, *base, *netns, *parent;
	uid_t uid;
	gid_t gid;
	bool has_uid, has_gid, daemonize, new_pid_ns, parent_given;
	int cgroup_version;
	unsigned int nr_cgroups, nr_rlimits;
	const char *cgroups[JAIL_MAX_CGROUPS];
	struct rlim_arg rlimits[JAIL_MAX_RLIMITS];
	char **vmm_argv;	/* after "--" */
	int vmm_argc;

	const char *exec_name;	/* last path component of exec_file */
	char root[4096];	/* <base>/<exec_name>/<id>/root */
	uint64_t start_us, start_cpu_us;
};

static int __attribute__((format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("vmon jailer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

#define HOSTFAIL(step, path) \
	fail(VMON_EXIT_INTERNAL, "%s %s: %s", (step), (path), strerror(errno))

static bool parse_id(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > JAIL_ID_MAX)
		return false;
	for (; *s; s++)
		if (!(*s == '-' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static bool parse_num(const char *s, unsigned long long max,
		      unsigned long long *v)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end && *v <= max;
}

static int parse_rlimit(struct jail *j, const char *arg)
{
	static const struct { const char *name; int res; } names[] = {
		{ "fsize", RLIMIT_FSIZE }, { "no-file", RLIMIT_NOFILE },
	};
	const char *eq = strchr(arg, '=');
	unsigned long long v;

	if (j->nr_rlimits == JAIL_MAX_RLIMITS)
		return fail(VMON_EXIT_USAGE, "too many --resource-limit");
	for (unsigned int i = 0; eq && i < 2; i++) {
		if (strncmp(arg, names[i].name, (size_t)(eq - arg)) ||
		    names[i].name[eq - arg])
			continue;
		if (!parse_num(eq + 1, RLIM_INFINITY - 1, &v))
			return fail(VMON_EXIT_USAGE, "--resource-limit %s: "
				    "expected a number", arg);
		j->rlimits[j->nr_rlimits++] =
			(struct rlim_arg){ names[i].res, (rlim_t)v };
		return 0;
	}
	return fail(VMON_EXIT_USAGE, "--resource-limit %s: expected fsize=N "
		    "or no-file=N", arg);
}

enum { O_ID = 1, O_EXEC, O_UID, O_GID, O_BASE, O_NETNS, O_DAEMON, O_PIDNS,
       O_CGV, O_CG, O_PARENT, O_RLIM };

static int parse(struct jail *j, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, O_ID },
		{ "exec-file", required_argument, NULL, O_EXEC },
		{ "uid", required_argument, NULL, O_UID },
		{ "gid", required_argument, NULL, O_GID },
		{ "chroot-base-dir", required_argument, NULL, O_BASE },
		{ "netns", required_argument, NULL, O_NETNS },
		{ "daemonize", no_argument, NULL, O_DAEMON },
		{ "new-pid-ns", no_argument, NULL, O_PIDNS },
		{ "cgroup-version", required_argument, NULL, O_CGV },
		{ "cgroup", required_argument, NULL, O_CG },
		{ "parent-cgroup", required_argument, NULL, O_PARENT },
		{ "resource-limit", required_argument, NULL, O_RLIM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c, ret;

	j->base = "/srv/jailer";
	j->cgroup_version = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_ID: j->id = optarg; break;
		case O_EXEC: j->exec_file = optarg; break;
		case O_UID:
		case O_GID:
			if (!parse_num(optarg, UINT32_MAX - 1, &v))
				return fail(VMON_EXIT_USAGE, "--%s %s: expected "
					    "a number", c == O_UID ? "uid" :
					    "gid", optarg);
			if (c == O_UID)
				j->uid = (uid_t)v, j->has_uid = true;
			else
				j->gid = (gid_t)v, j->has_gid = true;
			break;
		case O_BASE: j->base = optarg; break;
		case O_NETNS: j->netns = optarg; break;
		case O_DAEMON: j->daemonize = true; break;
		case O_PIDNS: j->new_pid_ns = true; break;
		case O_CGV:
			if (strcmp(optarg, "1") && strcmp(optarg, "2"))
				return fail(VMON_EXIT_USAGE, "--cgroup-version "
					    "%s: expected 1 or 2", optarg);
			j->cgroup_version = optarg[0] - '0';
			break;
		case O_CG:
			if (j->nr_cgroups == JAIL_MAX_CGROUPS)
				return fail(VMON_EXIT_USAGE, "more than %d "
					    "--cgroup", JAIL_MAX_CGROUPS);
			if (!cgroup_arg_valid(optarg))
				return fail(VMON_EXIT_USAGE, "--cgroup %s: "
					    "expected FILE=VALUE, FILE as "
					    "controller.name (say pids.max)",
					    optarg);
			j->cgroups[j->nr_cgroups++] = optarg;
			break;
		case O_PARENT:
			if (!cgroup_path_valid(optarg))
				return fail(VMON_EXIT_USAGE, "--parent-cgroup "
					    "%s: expected a relative path "
					    "without . or .. components",
					    optarg);
			j->parent = optarg;
			j->parent_given = true;
			break;
		case O_RLIM:
			if ((ret = parse_rlimit(j, optarg)))
				return ret;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(VMON_EXIT_OK);
		default:
			return fail(VMON_EXIT_USAGE, "unknown or incomplete "
				    "option '%s' (vmon jailer --help)",
				    argv[optind - 1]);
		}
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--")) {
		j->vmm_argv = argv + optind;
		j->vmm_argc = argc - optind;
	} else if (optind < argc) {
		return fail(VMON_EXIT_USAGE, "unexpected '%s': the VMM's "
			    "arguments go after --", argv[optind]);
	}
	if (!j->id || !j->exec_file || !j->has_uid || !j->has_gid)
		return fail(VMON_EXIT_USAGE, "--id, --exec-file, --uid and "
			    "--gid are required (vmon jailer --help)");
	if (!parse_id(j->id))
		return fail(VMON_EXIT_USAGE, "--id %s: expected 1 to %d of "
			    "A-Z a-z 0-9 and -", j->id, JAIL_ID_MAX);
	if (j->base[0] != '/')
		return fail(VMON_EXIT_USAGE, "--chroot-base-dir %s: expected "
			    "an absolute path", j->base);
	j->exec_name = strrchr(j->exec_file, '/');
	j->exec_name = j->exec_name ? j->exec_name + 1 : j->exec_file;
	if (!*j->exec_name)
		return fail(VMON_EXIT_USAGE, "--exec-file %s: not a file name",
			    j->exec_file);
	if (!j->parent)
		j->parent = j->exec_name;
	if ((size_t)snprintf(j->root, sizeof(j->root), "%s/%s/%s/root",
			     j->base, j->exec_name, j->id) >= sizeof(j->root))
		return fail(VMON_EXIT_USAGE, "--chroot-base-dir %s: too long",
			    j->base);
	return 0;
}

/*
 * The jail holds the exec file alone: a dynamically linked one would find
 * neither its loader nor its libraries there (exec fails with ENOENT).
 * Refused up front, naming the interpreter it asks for (ELF PT_INTERP).
 */
static int check_static(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return fail(VMON_EXIT_USAGE, "--exec-file %s: %s", path,
			    strerror(errno));
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		ret = fail(VMON_EXIT_USAGE, "--exec-file %s: not a 64-bit ELF "
			   "executable", path);
		goto out;
	}
	for (unsigned int i = 0; i < eh.e_phnum && !ret; i++) {
		Elf64_Phdr ph;
		char interp[256] = "";

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i *
						       sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP)
			continue;
		if (pread(fd, interp, sizeof(interp) - 1, (off_t)ph.p_offset) < 0)
			interp[0] = '\0';
		interp[ph.p_filesz < sizeof(interp) ? ph.p_filesz : 0] = '\0';
		ret = fail(VMON_EXIT_USAGE, "--exec-file %s: dynamically linked "
			   "(it asks for %s), but the jail holds no loader or "
			   "library: give a static binary (vmon's release "
			   "build is one)", path, interp[0] ? interp : "a loader");
	}
out:
	close(fd);
	return ret;
}

/* Inherited descriptors other than 0-2 could reach anything: close them. */
static int close_fds(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return 0;
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, mode) && errno != EEXIST)
				return HOSTFAIL("mkdir", buf);
			*p = c;
			if (!c)
				return 0;
		}
	}
}

/* Copy (not link: the jail must not share an inode the host can change). */
static int copy_exec(const struct jail *j)
{
	char dst[4200];
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	snprintf(dst, sizeof(dst), "%s/%s", j->root, j->exec_name);
	in = open(j->exec_file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(VMON_EXIT_USAGE, "--exec-file %s: %s",
			    j->exec_file, strerror(errno));
	unlink(dst);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0) {
		ret = HOSTFAIL("create", dst);
		goto out_in;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			ret = HOSTFAIL("write", dst);
			goto out_out;
		}
	if (n < 0)
		ret = HOSTFAIL("read", j->exec_file);
out_out:
	if (close(out) && !ret)
		ret = HOSTFAIL("close", dst);
out_in:
	close(in);
	return ret;
}

static int set_rlimits(const struct jail *j)
{
	bool nofile = false;

	for (unsigned int i = 0; i < j->nr_rlimits; i++) {
		struct rlimit r = { j->rlimits[i].value, j->rlimits[i].value };

		if (setrlimit(j->rlimits[i].resource, &r))
			return HOSTFAIL("setrlimit", j->rlimits[i].resource ==
					RLIMIT_FSIZE ? "fsize" : "no-file");
		nofile |= j->rlimits[i].resource == RLIMIT_NOFILE;
	}
	if (!nofile) {
		struct rlimit r = { JAIL_DEFAULT_NOFILE, JAIL_DEFAULT_NOFILE };

		if (setrlimit(RLIMIT_NOFILE, &r))
			return HOSTFAIL("setrlimit", "no-file");
	}
	return 0;
}

static int join_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(VMON_EXIT_USAGE, "--netns %s: %s", path,
			    strerror(errno));
	if (setns(fd, CLONE_NEWNET)) {
		int err = errno;

		close(fd);
		errno = err;
		return HOSTFAIL("setns(CLONE_NEWNET)", path);
	}
	close(fd);
	return 0;
}

/*
 * The jail: a mount namespace of its own in which the root directory is
 * the jail's (pivot_root, so the old root is gone, not just out of sight
 * as with chroot alone; then chroot for good measure).
 */
static int enter_root(const char *root)
{
	if (unshare(CLONE_NEWNS))
		return HOSTFAIL("unshare(CLONE_NEWNS)", "");
	/* pivot_root refuses a shared mount; private stops propagation back. */
	if (mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL))
		return HOSTFAIL("make mounts private:", "/");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL))
		return HOSTFAIL("bind mount", root);
	if (chdir(root))
		return HOSTFAIL("chdir", root);
	if (mkdir("old_root", 0700) && errno != EEXIST)
		return HOSTFAIL("mkdir", "old_root");
	if (syscall(SYS_pivot_root, ".", "old_root"))
		return HOSTFAIL("pivot_root", root);
	if (umount2("old_root", MNT_DETACH))
		return HOSTFAIL("umount", "/old_root");
	if (rmdir("old_root"))
		return HOSTFAIL("rmdir", "/old_root");
	if (chdir("/") || chroot("."))
		return HOSTFAIL("chroot", root);
	return 0;
}

/* A device node the VMM opens, owned by it (it no longer is root). */
static int make_node(const char *path, dev_t dev, uid_t uid, gid_t gid)
{
	unlink(path);
	if (mknod(path, S_IFCHR | S_IRUSR | S_IWUSR, dev))
		return HOSTFAIL("mknod", path);
	if (chown(path, uid, gid))
		return HOSTFAIL("chown", path);
	return 0;
}

static int make_nodes(const struct jail *j, dev_t kvm, dev_t tun)
{
	int ret;

	if (mkdir("/dev", 0755) && errno != EEXIST)
		return HOSTFAIL("mkdir", "/dev");
	if (mkdir("/dev/net", 0755) && errno != EEXIST)
		return HOSTFAIL("mkdir", "/dev/net");
	if ((ret = make_node("/dev/kvm", kvm, j->uid, j->gid)) ||
	    (ret = make_node("/dev/net/tun", tun, j->uid, j->gid)))
		return ret;
	/* The VMM creates its API socket and logs in its root. */
	if (chown("/", j->uid, j->gid))
		return HOSTFAIL("chown", "/");
	return 0;
}

/* The host's node if it has one (its numbers), else the usual ones. */
static dev_t host_dev(const char *path, unsigned int major_,
		      unsigned int minor_)
{
	struct stat st;

	if (!stat(path, &st) && S_ISCHR(st.st_mode))
		return st.st_rdev;
	return makedev(major_, minor_);
}

static int daemonize(int devnull)
{
	if (setsid() < 0)
		return HOSTFAIL("setsid", "(a process group leader cannot "
				"daemonize)");
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(devnull, fd) < 0)
			return HOSTFAIL("dup2", "/dev/null");
	close(devnull);
	return 0;
}

/*
 * --new-pid-ns: the VMM becomes pid 1 of a new namespace; the jailer
 * writes its pid (as the host sees it) beside it and exits.  Returns in
 * the child only; the parent's status is the jailer's.
 */
static int new_pid_ns(const struct jail *j, bool *parent)
{
	char path[300], buf[32];
	long pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL,
			   NULL, NULL);
	int fd, n;

	*parent = pid > 0;
	if (pid < 0)
		return HOSTFAIL("clone(CLONE_NEWPID)", "");
	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/%s.pid", j->exec_name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kill((pid_t)pid, SIGKILL);
		return HOSTFAIL("create", path);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", pid);
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		kill((pid_t)pid, SIGKILL);
		return HOSTFAIL("write", path);
	}
	close(fd);
	return 0;
}

/*
 * No capabilities survive the exec, even for --uid 0: the bounding set,
 * the ambient and inheritable sets are emptied while still privileged,
 * then the ids change (which clears the permitted and effective sets of
 * a non-root uid).  no_new_privs: a setuid file inside the jail gives
 * nothing back.
 */
static int drop_privileges(const struct jail *j)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return HOSTFAIL("drop capability from the bounding set",
					"");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return HOSTFAIL("clear ambient capabilities", "");
	if (setgroups(1, &j->gid))
		return HOSTFAIL("setgroups", "");
	if (setresgid(j->gid, j->gid, j->gid))
		return HOSTFAIL("setresgid", "");
	if (setresuid(j->uid, j->uid, j->uid))
		return HOSTFAIL("setresuid", "");
	/* uid 0 keeps its permitted set across setresuid: empty it. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		return HOSTFAIL("capset", "");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return HOSTFAIL("prctl(PR_SET_NO_NEW_PRIVS)", "");
	return 0;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int exec_vmm(const struct jail *j)
{
	char id[80], t[48], tc[48], path[300];
	char **argv = calloc((size_t)j->vmm_argc + 5, sizeof(*argv));
	char *envp[] = { NULL };
	int n = 0;

	if (!argv)
		return fail(VMON_EXIT_INTERNAL, "out of memory");
	snprintf(path, sizeof(path), "/%s", j->exec_name);
	snprintf(id, sizeof(id), "--id=%s", j->id);
	/* Firecracker's opaque start times: when the jailer began. */
	snprintf(t, sizeof(t), "--start-time-us=%llu",
		 (unsigned long long)j->start_us);
	snprintf(tc, sizeof(tc), "--start-time-cpu-us=%llu",
		 (unsigned long long)j->start_cpu_us);
	argv[n++] = (char *)j->exec_name;
	argv[n++] = id;
	argv[n++] = t;
	argv[n++] = tc;
	for (int i = 0; i < j->vmm_argc; i++)
		argv[n++] = j->vmm_argv[i];
	argv[n] = NULL;
	execve(path, argv, envp);
	free(argv);
	return HOSTFAIL("exec", path);
}

int jailer_main(int argc, char **argv)
{
	struct jail j = { 0 };
	int devnull = -1, ret;
	bool parent = false;
	dev_t kvm, tun;

	j.start_us = clock_us(CLOCK_MONOTONIC);
	j.start_cpu_us = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	if ((ret = parse(&j, argc, argv)))
		return ret;
	if (geteuid() != 0)
		return fail(VMON_EXIT_USAGE, "must run as root (it creates "
			    "device nodes, namespaces and cgroups, then "
			    "drops to --uid/--gid)");
	if ((ret = check_static(j.exec_file)))
		return ret;
	close_fds();
	if (clearenv())
		return fail(VMON_EXIT_INTERNAL, "cannot clear the environment");
	if ((ret = mkdir_p(j.root, 0755)) || (ret = copy_exec(&j)) ||
	    (ret = set_rlimits(&j)))
		return ret;
	if ((ret = jail_cgroups(j.cgroup_version, j.parent, j.parent_given,
				j.id, j.cgroups, j.nr_cgroups, getpid())))
		return ret;
	if (j.netns && (ret = join_netns(j.netns)))
		return ret;
	if (j.daemonize) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0)
			return HOSTFAIL("open", "/dev/null");
	}
	kvm = host_dev("/dev/kvm", 10, 232);
	tun = host_dev("/dev/net/tun", 10, 200);
	if ((ret = enter_root(j.root)) || (ret = make_nodes(&j, kvm, tun)))
		return ret;
	if (j.daemonize && (ret = daemonize(devnull)))
		return ret;
	if (j.new_pid_ns) {
		if ((ret = new_pid_ns(&j, &parent)) || parent)
			return ret;
	}
	if ((ret = drop_privileges(&j)))
		return ret;
	return exec_vmm(&j);
}

bool jailer_invocation(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	return base && !strcmp(base, "jailer");
}
