// SPDX-License-Identifier: MIT
#include "cli/jailer_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/exit_status.h"

static int fail(const char *step, const char *path, int err)
{
	fprintf(stderr, "vmon jailer: cgroup: %s %s: %s\n", step, path,
		err ? strerror(err) : "not found");
	return err ? VMON_EXIT_INTERNAL : VMON_EXIT_USAGE;
}

bool cgroup_arg_valid(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *dot = strchr(arg, '.');

	if (!eq || eq == arg || !dot || dot == arg || dot > eq ||
	    dot + 1 == eq || !eq[1] || strchr(eq, '\n'))
		return false;
	for (const char *p = arg; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.'))
			return false;
	return true;
}

bool cgroup_path_valid(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!((p[i] >= 'a' && p[i] <= 'z') ||
			      (p[i] >= 'A' && p[i] <= 'Z') ||
			      (p[i] >= '0' && p[i] <= '9') ||
			      strchr("-_.", p[i])))
				return false;
		p += n;
		if (*p == '/' && !*++p)
			return false;
	}
	return true;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);
	int err = 0;

	if (fd < 0)
		return fail("open", path, errno);
	if (write(fd, val, n) != (ssize_t)n)
		err = errno ? errno : EIO;
	close(fd);
	return err ? fail("write", path, err) : 0;
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; ; p++)
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0755) && errno != EEXIST)
				return fail("mkdir", path, errno);
			*p = c;
			if (!c)
				return 0;
		}
}

/* The mount point of the hierarchy: cgroup2, or v1 with this controller. */
static int find_mount(int version, const char *ctrl, char *out, size_t len)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return fail("read", "/proc/mounts", errno);
	while (!found && (m = getmntent(f))) {
		if (version == 2 && !strcmp(m->mnt_type, "cgroup2"))
			found = 1;
		if (version == 1 && !strcmp(m->mnt_type, "cgroup") &&
		    hasmntopt(m, ctrl))
			found = 1;
		if (found)
			snprintf(out, len, "%s", m->mnt_dir);
	}
	endmntent(f);
	if (!found) {
		char what[96];

		snprintf(what, sizeof(what), version == 2 ? "a cgroup2 mount" :
			 "a cgroup v1 mount with controller %s", ctrl);
		return fail("find", what, 0);
	}
	return 0;
}

/* "pids.max=64": controller "pids", file "pids.max", value "64". */
static void split(const char *arg, char *ctrl, size_t clen, char *file,
		  size_t flen, const char **val)
{
	const char *eq = strchr(arg, '=');

	snprintf(ctrl, clen, "%.*s", (int)(strchr(arg, '.') - arg), arg);
	snprintf(file, flen, "%.*s", (int)(eq - arg), arg);
	*val = eq + 1;
}

static int place_v2(const char *parent, const char *id,
		    const char *const *args, unsigned int n, pid_t pid)
{
	char mnt[1024], dir[3072], path[3200], ctrl[64], file[128];
	const char *val;
	int ret;

	if ((ret = find_mount(2, NULL, mnt, sizeof(mnt))))
		return ret;
	/* A controller is usable in a cgroup only if every ancestor hands it
	 * down (cgroup-v2.rst, "Enabling and Disabling"). */
	for (unsigned int i = 0; i < n; i++) {
		char plus[70];

		split(args[i], ctrl, sizeof(ctrl), file, sizeof(file), &val);
		snprintf(plus, sizeof(plus), "+%s", ctrl);
		snprintf(dir, sizeof(dir), "%s/%s", mnt, parent);
		if ((ret = mkdir_p(dir)))
			return ret;
		for (char *p = dir + strlen(mnt); ; ) {
			char c = *p;

			*p = '\0';
			snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
				 dir);
			if ((ret = write_file(path, plus)))
				return ret;
			*p = c;
			if (!c)
				break;
			p = strchr(p + 1, '/');
			if (!p)
				p = dir + strlen(dir);
		}
	}
	snprintf(dir, sizeof(dir), "%s/%s/%s", mnt, parent, id);
	if ((ret = mkdir_p(dir)))
		return ret;
	for (unsigned int i = 0; i < n; i++) {
		split(args[i], ctrl, sizeof(ctrl), file, sizeof(file), &val);
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((ret = write_file(path, val)))
			return ret;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(file, sizeof(file), "%d", (int)pid);
	return write_file(path, file);
}

/* cpuset's cgroups start empty in v1: they take their parent's sets. */
static int inherit_cpuset(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (int i = 0; i < 2; i++) {
		char path[3200], up[3200], buf[4096];
		const char *slash = strrchr(dir, '/');
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		snprintf(up, sizeof(up), "%.*s/%s", (int)(slash - dir), dir,
			 files[i]);
		fd = open(up, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open", up, errno);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return fail("read", up, n < 0 ? errno : EIO);
		buf[n] = '\0';
		if (write_file(path, buf))
			return VMON_EXIT_INTERNAL;
	}
	return 0;
}

static int place_v1(const char *parent, const char *id,
		    const char *const *args, unsigned int n, pid_t pid)
{
	char mnt[1024], dir[3072], path[3200], ctrl[64], file[128];
	const char *val;
	int ret;

	for (unsigned int i = 0; i < n; i++) {
		split(args[i], ctrl, sizeof(ctrl), file, sizeof(file), &val);
		if ((ret = find_mount(1, ctrl, mnt, sizeof(mnt))))
			return ret;
		snprintf(dir, sizeof(dir), "%s/%s", mnt, parent);
		if ((ret = mkdir_p(dir)))
			return ret;
		if (!strcmp(ctrl, "cpuset") && (ret = inherit_cpuset(dir)))
			return ret;
		snprintf(dir, sizeof(dir), "%s/%s/%s", mnt, parent, id);
		if ((ret = mkdir_p(dir)))
			return ret;
		if (!strcmp(ctrl, "cpuset") && (ret = inherit_cpuset(dir)))
			return ret;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((ret = write_file(path, val)))
			return ret;
		/* Writing the pid again to a hierarchy it is in is harmless. */
		snprintf(path, sizeof(path), "%s/tasks", dir);
		snprintf(file, sizeof(file), "%d", (int)pid);
		if ((ret = write_file(path, file)))
			return ret;
	}
	return 0;
}

int jail_cgroups(int version, const char *parent, bool parent_given,
		 const char *id, const char *const *args, unsigned int n,
		 pid_t pid)
{
	if (version == 2)
		return n || parent_given ? place_v2(parent, id, args, n, pid) : 0;
	return place_v1(parent, id, args, n, pid);
}
