// SPDX-License-Identifier: MIT
/*
 * `vmon ctl SOCKET COMMAND`: the API for people, with readable answers;
 * `vmon ps`: this user's vmon processes (any name, `firecracker` too) and
 * their API sockets, found through /proc/PID/cmdline.
 */
#include "api/commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api/client.h"
#include "lib/exit_status.h"
#include "lib/parse.h"

#define CTL_TIMEOUT_MS	30000	/* InstanceStart loads the kernel */
#define PS_TIMEOUT_MS	500

static const char ctl_usage[] =
	"Usage: vmon ctl SOCKET COMMAND [ARG]\n"
	"\n"
	"Talk to a running vmon (or Firecracker) through its API socket.\n"
	"\n"
	"Commands:\n"
	"  status            the instance's id, state and version\n"
	"  start             start the configured VM (InstanceStart)\n"
	"  pause, resume     stop or continue the vCPUs\n"
	"  ctrl-alt-del      send Ctrl+Alt+Del to the guest's keyboard\n"
	"  config            the whole configuration, as JSON\n"
	"  balloon SIZE_MIB  set the balloon's target size\n"
	"  metrics-flush     write a metrics line now\n"
	"  snapshot STATE MEM [--diff]  write a full snapshot, or with --diff\n"
	"                    only the pages written since the last one\n"
	"                    (pausing the VM for it if it runs, resuming after)\n"
	"  restore STATE MEM   load a snapshot into a fresh vmon and run it\n"
	"  migrate-receive URL   wait for a migration on tcp:HOST:PORT or\n"
	"                    unix:PATH (a fresh vmon)\n"
	"  migrate-send URL [DOWNTIME_MS]  migrate the VM there (returns when\n"
	"                    it runs there; the source vmon then exits)\n"
	"  migration         the last migration's state and figures, as JSON\n"
	"\n"
	"Exit status: 0 done, 1 refused (the reason is printed), 2 bad usage\n"
	"or no answer.\n";

struct ctl_cmd {
	const char *name;
	const char *method, *path, *body;	/* body: "%s" takes ARG */
	bool takes_arg;
	const char *done;			/* printed on 204 */
};

static const struct ctl_cmd cmds[] = {
	{ "status", "GET", "/", NULL, false, NULL },
	{ "start", "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}",
	  false, "started" },
	{ "pause", "PATCH", "/vm", "{\"state\":\"Paused\"}", false, "paused" },
	{ "resume", "PATCH", "/vm", "{\"state\":\"Resumed\"}", false,
	  "resumed" },
	{ "ctrl-alt-del", "PUT", "/actions",
	  "{\"action_type\":\"SendCtrlAltDel\"}", false,
	  "Ctrl+Alt+Del sent" },
	{ "config", "GET", "/vm/config", NULL, false, NULL },
	{ "migration", "GET", "/migration", NULL, false, NULL },
	{ "balloon", "PATCH", "/balloon", "{\"amount_mib\":%s}", true,
	  "balloon target set" },
	{ "metrics-flush", "PUT", "/actions",
	  "{\"action_type\":\"FlushMetrics\"}", false, "metrics flushed" },
};

/* An answer's body, any JSON value; NULL when it is not JSON. */
static json_t *parse(const char *body)
{
	return json_loads(body, JSON_DECODE_ANY, NULL);
}

static void print_status(const char *body)
{
	json_t *j = parse(body);
	const char *keys[] = { "id", "state", "app_name", "vmm_version" };
	const char *labels[] = { "id", "state", "vmm", "version" };

	for (size_t i = 0; i < 4; i++) {
		const char *s = json_string_value(json_object_get(j, keys[i]));

		printf("%-8s %s\n", labels[i], s ? s : "?");
	}
	json_decref(j);
}

static void print_json(const char *body)
{
	json_t *j = parse(body);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				    JSON_ENCODE_ANY) : NULL;

	puts(s ? s : body);
	free(s);
	json_decref(j);
}

static void print_fault(int status, const char *body)
{
	json_t *j = parse(body);
	const char *m = json_string_value(json_object_get(j, "fault_message"));

	fprintf(stderr, "vmon ctl: %s (HTTP %d)\n", m ? m : body, status);
	json_decref(j);
}

/* One request; 0 with the reply in r, or the exit status after a message. */
static int ask(const char *sock, const char *method, const char *path,
	       const char *body, struct api_reply *r)
{
	char err[512];

	if (api_client_request(sock, method, path, body, CTL_TIMEOUT_MS, r,
			       err, sizeof(err))) {
		fprintf(stderr, "vmon ctl: %s\n", err);
		return VMON_EXIT_USAGE;
	}
	return 0;
}

/* A request that must answer 204: 0, or 1 after printing the fault. */
static int ask_204(const char *sock, const char *method, const char *path,
		   const char *body)
{
	struct api_reply r;
	int ret = ask(sock, method, path, body, &r);

	if (ret)
		return ret;
	ret = r.status == 204 ? 0 : 1;
	if (ret)
		print_fault(r.status, r.body);
	api_reply_free(&r);
	return ret;
}

/*
 * `snapshot STATE MEM`: Firecracker snapshots only a paused VM; a person
 * wants the snapshot, so pause it for the snapshot if it runs.
 */
static int ctl_snapshot(const char *sock, const char *state, const char *mem,
			bool diff)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "snapshot_type",
			      diff ? "Diff" : "Full",
			      "snapshot_path", state, "mem_file_path", mem);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct api_reply r;
	bool running;
	int ret;

	json_decref(j);
	if (!body)
		return VMON_EXIT_USAGE;
	if ((ret = ask(sock, "GET", "/", NULL, &r)))
		goto out;
	running = r.status == 200 && strstr(r.body, "\"Running\"");
	api_reply_free(&r);
	if (running && (ret = ask_204(sock, "PATCH", "/vm",
				      "{\"state\":\"Paused\"}")))
		goto out;
	ret = ask_204(sock, "PUT", "/snapshot/create", body);
	if (running && ask_204(sock, "PATCH", "/vm", "{\"state\":\"Resumed\"}"))
		ret = 1;
	if (!ret)
		printf("%s snapshot written: %s, memory %s\n",
		       diff ? "diff" : "full", state, mem);
out:
	free(body);
	return ret;
}

/* The send answers when the migration has ended: no short timeout. */
#define MIGRATE_TIMEOUT_MS (30 * 60 * 1000)

static int ctl_migrate(const char *sock, bool send, const char *url,
		       const char *downtime)
{
	json_t *j = json_pack("{s:s}", send ? "destination_url" :
				       "receiver_url", url);
	char *body = NULL, err[512];
	struct api_reply r;
	unsigned long ms;
	int ret = VMON_EXIT_USAGE;

	if (j && downtime) {
		if (parse_uint(downtime, 1, 60000, &ms)) {
			fprintf(stderr, "vmon ctl: downtime %s: expected 1 to "
				"60000 ms\n", downtime);
			goto out;
		}
		json_object_set_new(j, "downtime_ms", json_integer((json_int_t)ms));
	}
	if (!j || !(body = json_dumps(j, JSON_COMPACT)))
		goto out;
	if (api_client_request(sock, "PUT", send ? "/migration/send" :
			       "/migration/receive", body,
			       send ? MIGRATE_TIMEOUT_MS : CTL_TIMEOUT_MS, &r,
			       err, sizeof(err))) {
		fprintf(stderr, "vmon ctl: %s\n", err);
		goto out;
	}
	ret = r.status == 204 ? 0 : 1;
	if (ret)
		print_fault(r.status, r.body);
	else if (send)
		printf("migrated to %s: the guest runs there\n", url);
	else
		printf("waiting for a migration on %s\n", url);
	api_reply_free(&r);
out:
	free(body);
	json_decref(j);
	return ret;
}

static int ctl_restore(const char *sock, const char *state, const char *mem)
{
	json_t *j = json_pack("{s:s, s:{s:s, s:s}, s:b}", "snapshot_path",
			      state, "mem_backend", "backend_type", "File",
			      "backend_path", mem, "resume_vm", 1);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int ret;

	json_decref(j);
	if (!body)
		return VMON_EXIT_USAGE;
	ret = ask_204(sock, "PUT", "/snapshot/load", body);
	if (!ret)
		printf("restored from %s and running\n", state);
	free(body);
	return ret;
}

int ctl_main(int argc, char **argv)
{
	const struct ctl_cmd *c = NULL;
	struct api_reply r;
	char body[128], err[512];
	unsigned long n;
	int status;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(ctl_usage, stdout);
		return VMON_EXIT_OK;
	}
	if (argc == 5 && !strcmp(argv[2], "snapshot"))
		return ctl_snapshot(argv[1], argv[3], argv[4], false);
	if (argc == 6 && !strcmp(argv[2], "snapshot") &&
	    !strcmp(argv[5], "--diff"))
		return ctl_snapshot(argv[1], argv[3], argv[4], true);
	if ((argc == 4 || argc == 5) && !strcmp(argv[2], "migrate-send"))
		return ctl_migrate(argv[1], true, argv[3],
				   argc == 5 ? argv[4] : NULL);
	if (argc == 4 && !strcmp(argv[2], "migrate-receive"))
		return ctl_migrate(argv[1], false, argv[3], NULL);
	if (argc == 5 && !strcmp(argv[2], "restore"))
		return ctl_restore(argv[1], argv[3], argv[4]);
	for (size_t i = 0; argc >= 3 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[2], cmds[i].name))
			c = &cmds[i];
	if (!c || argc != (c->takes_arg ? 4 : 3)) {
		fprintf(stderr, "%s%s", argc >= 3 && !c ? "vmon ctl: unknown "
			"command\n\n" : "", ctl_usage);
		return VMON_EXIT_USAGE;
	}
	if (c->takes_arg) {
		if (parse_uint(argv[3], 0, 0xffffffffUL, &n)) {
			fprintf(stderr, "vmon ctl: %s %s: expected a size in "
				"MiB\n", c->name, argv[3]);
			return VMON_EXIT_USAGE;
		}
		snprintf(body, sizeof(body), "{\"amount_mib\":%lu}", n);
	} else if (c->body) {
		snprintf(body, sizeof(body), "%s", c->body);
	}
	if (api_client_request(argv[1], c->method, c->path,
			       c->body ? body : NULL, CTL_TIMEOUT_MS, &r, err,
			       sizeof(err))) {
		fprintf(stderr, "vmon ctl: %s\n", err);
		return VMON_EXIT_USAGE;
	}
	status = 1;
	if (r.status == 204) {
		puts(c->done ? c->done : "done");
		status = 0;
	} else if (r.status == 200) {
		if (!strcmp(c->name, "status"))
			print_status(r.body);
		else
			print_json(r.body);
		status = 0;
	} else {
		print_fault(r.status, r.body);
	}
	api_reply_free(&r);
	return status;
}

/* argv of a process, NUL-separated, into a vector of at most max. */
static int read_cmdline(const char *pid, char *buf, size_t len, char **av,
			int max)
{
	char path[300];
	ssize_t n;
	int fd, ac = 0;

	snprintf(path, sizeof(path), "/proc/%.200s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n && ac < max; p += strlen(p) + 1)
		av[ac++] = p;
	return ac;
}

/* The value of --name, as "--name V" or "--name=V", or NULL. */
static const char *opt_value(int ac, char **av, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < ac; i++) {
		if (!strcmp(av[i], name) && i + 1 < ac)
			return av[i + 1];
		if (!strncmp(av[i], name, n) && av[i][n] == '=')
			return av[i] + n + 1;
	}
	return NULL;
}

static void ps_one(const char *pid, int ac, char **av)
{
	char prog[256], err[256], state[32] = "?";
	const char *sock, *id;
	struct api_reply r;
	bool fc;

	snprintf(prog, sizeof(prog), "%s", av[0]);
	fc = !strcmp(basename(prog), "firecracker");
	if (!fc && strcmp(basename(prog), "vmon"))
		return;
	if (!fc && ac > 1 && !strcmp(av[1], "run")) {
		printf("%-8s %-20s %-12s %s\n", pid, "-", "(vmon run)", "-");
		return;
	}
	if (!fc && !fc_invocation(ac, av))
		return;		/* vmon ctl, vmon ps... */
	sock = opt_value(ac, av, "--api-sock");
	if (!sock)
		sock = "/run/firecracker.socket";
	for (int i = 1; i < ac; i++)
		if (!strcmp(av[i], "--no-api"))
			sock = "-";
	id = opt_value(ac, av, "--id");
	if (strcmp(sock, "-") &&
	    !api_client_request(sock, "GET", "/", NULL, PS_TIMEOUT_MS, &r, err,
				sizeof(err))) {
		json_t *j = parse(r.body);
		const char *s = json_string_value(json_object_get(j, "state"));

		if (s)
			snprintf(state, sizeof(state), "%s", s);
		json_decref(j);
		api_reply_free(&r);
	}
	printf("%-8s %-20s %-12s %s\n", pid, id ? id : "anonymous-instance",
	       state, sock);
}

int ps_main(int argc, char **argv)
{
	char self[32], *av[256], *buf;
	struct dirent *d;
	DIR *dir;

	if (argc > 1) {
		fputs("Usage: vmon ps\n\nList this user's vmon processes "
		      "with their instance ids, states and API sockets.\n",
		      strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ?
		      stderr : stdout);
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ?
		       VMON_EXIT_USAGE : VMON_EXIT_OK;
	}
	dir = opendir("/proc");
	buf = malloc(65536);
	if (!dir || !buf) {
		perror("vmon ps: /proc");
		if (dir)
			closedir(dir);
		free(buf);
		return VMON_EXIT_INTERNAL;
	}
	snprintf(self, sizeof(self), "%d", (int)getpid());
	printf("%-8s %-20s %-12s %s\n", "PID", "ID", "STATE", "API SOCKET");
	while ((d = readdir(dir))) {
		char path[300];
		struct stat st;
		int ac;

		if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
		    !strcmp(d->d_name, self))
			continue;
		snprintf(path, sizeof(path), "/proc/%.200s", d->d_name);
		if (stat(path, &st) || st.st_uid != getuid())
			continue;
		ac = read_cmdline(d->d_name, buf, 65536, av, 256);
		if (ac > 0)
			ps_one(d->d_name, ac, av);
	}
	closedir(dir);
	free(buf);
	return VMON_EXIT_OK;
}
