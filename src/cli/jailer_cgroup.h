/* SPDX-License-Identifier: MIT */
/*
 * The jailer's cgroups (Firecracker's --cgroup-version, --cgroup,
 * --parent-cgroup): find each controller's hierarchy in /proc/mounts,
 * create <hierarchy>/<parent>/<id>, write the values, move the process in.
 */
#ifndef VMON_CLI_JAILER_CGROUP_H
#define VMON_CLI_JAILER_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#define JAIL_MAX_CGROUPS 32

/* FILE=VALUE with FILE "controller.name" (no '/'), VALUE on one line. */
bool cgroup_arg_valid(const char *arg);
/* A relative path whose components are not empty, "." or "..". */
bool cgroup_path_valid(const char *path);

/*
 * Place pid.  Version 2: one cgroup <mount>/<parent>/<id> (the controllers
 * the args name enabled in each ancestor's cgroup.subtree_control), made
 * when an arg or an explicit parent asks for it.  Version 1: one per
 * hierarchy the args' controllers are in.  0, or the exit status after a
 * message naming the step and path.
 */
int jail_cgroups(int version, const char *parent, bool parent_given,
		 const char *id, const char *const *args, unsigned int n,
		 pid_t pid);

#endif
