// SPDX-License-Identifier: MIT
/*
 * vmon with Firecracker's command line: the API server on --api-sock,
 * optionally configured and started from --config-file, or with --no-api
 * run from the config file alone.  A tool that runs `firecracker` can run
 * vmon through a symlink of that name.
 */
#include "api/commands.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/config_file.h"
#include "api/describe.h"
#include "api/requests.h"
#include "api/server.h"
#include "lib/err.h"
#include "lib/exit_status.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "vmm/teardown.h"
#include "vmm/vmm.h"

#define DEFAULT_API_SOCK "/run/firecracker.socket"

static const char fc_usage[] =
	"Usage: vmon --api-sock PATH [options]   (or vmon installed as firecracker)\n"
	"\n"
	"Run one microVM managed through the Firecracker API on a Unix socket.\n"
	"\n"
	"  --api-sock PATH         API socket (default " DEFAULT_API_SOCK ")\n"
	"  --config-file PATH      configure from this JSON file and start at once\n"
	"  --no-api                no API socket (needs --config-file)\n"
	"  --id ID                 instance id: letters, digits, '-' (1-64)\n"
	"  --level LEVEL           Error, Warning (default), Info, Debug, Trace, Off\n"
	"  --log-path PATH         log to this file or FIFO instead of stderr\n"
	"  --show-level            put the level in log lines\n"
	"  --show-log-origin       put the source file and line in log lines\n"
	"  --module MODULE         log only from this module (\"api\", \"machine::vm\")\n"
	"  --metrics-path PATH     metrics to this file or FIFO, a JSON line per flush\n"
	"  --http-api-max-payload-size N   request body limit (default 51200)\n"
	"  --boot-timer            accepted; vmon has no boot-timer device\n"
	"  --start-time-us N, --start-time-cpu-us N, --parent-cpu-time-us N\n"
	"                          accepted and ignored\n"
	"  --debug-exit            vmon's own: isa-debug-exit at port 0xf4, as\n"
	"                          `vmon run --debug-exit` (test guests)\n"
	"  --no-seccomp            run the threads without their syscall\n"
	"                          filters (debugging only)\n"
	"  -h, --help              this text\n"
	"  --version               the Firecracker API version vmon implements\n"
	"\n"
	"The guest's serial console is on stdin/stdout.  Exit status as `vmon run`.\n";

enum {
	OPT_API_SOCK = 256, OPT_CONFIG, OPT_NO_API, OPT_ID, OPT_BOOT_TIMER,
	OPT_LEVEL, OPT_LOG_PATH, OPT_METRICS_PATH, OPT_SHOW_LEVEL,
	OPT_SHOW_ORIGIN, OPT_MODULE, OPT_MAX_PAYLOAD, OPT_IGNORED_ARG,
	OPT_IGNORED, OPT_VERSION, OPT_SECCOMP_FILTER, OPT_NO_SECCOMP,
	OPT_DEBUG_EXIT,
};

static const struct option fc_longopts[] = {
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "config-file", required_argument, NULL, OPT_CONFIG },
	{ "no-api", no_argument, NULL, OPT_NO_API },
	{ "id", required_argument, NULL, OPT_ID },
	{ "boot-timer", no_argument, NULL, OPT_BOOT_TIMER },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "log-path", required_argument, NULL, OPT_LOG_PATH },
	{ "metrics-path", required_argument, NULL, OPT_METRICS_PATH },
	{ "show-level", no_argument, NULL, OPT_SHOW_LEVEL },
	{ "show-log-origin", no_argument, NULL, OPT_SHOW_ORIGIN },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "http-api-max-payload-size", required_argument, NULL,
	  OPT_MAX_PAYLOAD },
	{ "start-time-us", required_argument, NULL, OPT_IGNORED_ARG },
	{ "start-time-cpu-us", required_argument, NULL, OPT_IGNORED_ARG },
	{ "parent-cpu-time-us", required_argument, NULL, OPT_IGNORED_ARG },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "debug-exit", no_argument, NULL, OPT_DEBUG_EXIT },
	{ "seccomp-filter", required_argument, NULL, OPT_SECCOMP_FILTER },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct fc_options {
	const char *api_sock, *config, *id, *log_path, *metrics_path, *module;
	bool no_api, boot_timer, show_level, show_origin, help, version;
	bool level_set, no_seccomp, debug_exit;
	enum log_level level;
	unsigned long max_payload;
};

bool fc_invocation(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : "";
	char prog[256];

	snprintf(prog, sizeof(prog), "%s", argv[0] ? argv[0] : "");
	if (!strcmp(basename(prog), "firecracker"))
		return true;
	if (strncmp(arg, "--", 2) || !strcmp(arg, "--help") ||
	    !strcmp(arg, "--version"))
		return false;
	for (const struct option *o = fc_longopts; o->name; o++) {
		size_t n = strlen(o->name);

		if (!strncmp(arg + 2, o->name, n) &&
		    (!arg[2 + n] || arg[2 + n] == '='))
			return true;
	}
	return false;
}

static bool valid_instance_id(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= VMM_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-") == n;
}

static int parse_options(int argc, char **argv, struct fc_options *o,
			 char *err, size_t len)
{
	unsigned long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->api_sock = DEFAULT_API_SOCK;
	o->level = LOG_WARN;
	o->max_payload = HTTP_MAX_BODY;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", fc_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_API_SOCK: o->api_sock = optarg; break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_NO_API: o->no_api = true; break;
		case OPT_BOOT_TIMER: o->boot_timer = true; break;
		case OPT_LOG_PATH: o->log_path = optarg; break;
		case OPT_METRICS_PATH: o->metrics_path = optarg; break;
		case OPT_SHOW_LEVEL: o->show_level = true; break;
		case OPT_SHOW_ORIGIN: o->show_origin = true; break;
		case OPT_MODULE: o->module = optarg; break;
		case OPT_IGNORED: break;
		case OPT_NO_SECCOMP: o->no_seccomp = true; break;
		case OPT_DEBUG_EXIT: o->debug_exit = true; break;
		case OPT_VERSION: o->version = true; return 0;
		case 'h': o->help = true; return 0;
		case OPT_ID:
			if (!valid_instance_id(optarg)) {
				snprintf(err, len, "--id %s: expected 1 to 64 "
					 "letters, digits or '-'", optarg);
				return -EINVAL;
			}
			o->id = optarg;
			break;
		case OPT_LEVEL:
			if (api_parse_level(optarg, &o->level)) {
				snprintf(err, len, "--level %s: expected Error, "
					 "Warning, Info, Debug, Trace or Off",
					 optarg);
				return -EINVAL;
			}
			o->level_set = true;
			break;
		case OPT_MAX_PAYLOAD:
			if (parse_uint(optarg, 1024, 16u << 20, &n)) {
				snprintf(err, len, "--http-api-max-payload-size "
					 "%s: expected 1024 to 16777216", optarg);
				return -EINVAL;
			}
			o->max_payload = n;
			break;
		case OPT_IGNORED_ARG:
			if (parse_uint(optarg, 0, ~0UL, &n)) {
				snprintf(err, len, "%s %s: expected a number",
					 argv[optind - 2], optarg);
				return -EINVAL;
			}
			break;
		case OPT_SECCOMP_FILTER:
			snprintf(err, len, "--seccomp-filter: vmon does not "
				 "support seccomp filters");
			return -EINVAL;
		case ':':
			snprintf(err, len, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, len, "unknown option %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, len, "unexpected argument %s", argv[optind]);
		return -EINVAL;
	}
	if (o->no_api && !o->config) {
		snprintf(err, len, "--no-api needs --config-file");
		return -EINVAL;
	}
	return 0;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Logger and metrics from the command line, as PUT /logger would. */
static int setup_outputs(struct vmm *v, const struct fc_options *o, char *err,
			 size_t len)
{
	int ret;

	log_set_level(o->level);
	if (o->log_path) {
		struct vmm_logger_req r = {
			.path = o->log_path, .level = o->level,
			.show_level = o->show_level,
			.show_origin = o->show_origin, .module = o->module,
		};

		if ((ret = vmm_put_logger(v, &r, err, len)))
			return ret;
	}
	if (o->metrics_path) {
		struct vmm_metrics_req r = { .path = o->metrics_path };

		if ((ret = vmm_put_metrics(v, &r, err, len)))
			return ret;
	}
	return 0;
}

int fc_main(int argc, char **argv)
{
	struct fc_options o;
	struct api_server *srv = NULL;
	struct vmm *v;
	char err[600] = "";
	int ret, status = VMON_EXIT_USAGE;
	bool fast_exit = false;

	if (parse_options(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "vmon: %s\nTry 'vmon --api-sock PATH --help'.\n",
			err);
		return VMON_EXIT_USAGE;
	}
	if (o.help) {
		fputs(fc_usage, stdout);
		return VMON_EXIT_OK;
	}
	if (o.version) {
		printf("Firecracker v%s (vmon %s)\n", API_FIRECRACKER_VERSION,
		       VMON_VERSION);
		return VMON_EXIT_OK;
	}
	/* Large (it holds a struct vm): on the heap, not the stack. */
	v = calloc(1, sizeof(*v));
	if (!v || (!o.no_api && !(srv = calloc(1, sizeof(*srv))))) {
		free(v);
		return VMON_EXIT_INTERNAL;
	}
	/* Before any thread: the stop signals are blocked process-wide. */
	if ((ret = vmm_init(v, o.id))) {
		fprintf(stderr, "vmon: cannot set up: %s\n", strerror(-ret));
		free(v);
		free(srv);
		return VMON_EXIT_INTERNAL;
	}
	if (setup_outputs(v, &o, err, sizeof(err)))
		goto out_msg;
	v->no_seccomp = o.no_seccomp;
	v->debug_exit = o.debug_exit;
	if (o.no_seccomp)
		log_warn("--no-seccomp: the threads run without their syscall "
			 "filters; for debugging only");
	if (o.boot_timer)
		log_warn("--boot-timer: vmon has no boot-timer device; ignored");
	if (srv) {
		if (api_server_open(srv, v, o.api_sock, o.max_payload, err,
				    sizeof(err)))
			goto out_msg_nosrv;
		log_info("API server listening on %s after %.3f ms of CPU",
			 o.api_sock, cpu_ms());
	}
	if (o.config) {
		if (api_config_file(v, o.config, err, sizeof(err)))
			goto out_msg;
		if (vmm_start(v, err, sizeof(err))) {
			/* Whose fault it was says the exit status. */
			status = err_exit_status(&v->start_err);
			if (status == VMON_EXIT_OK)
				status = VMON_EXIT_USAGE;
			goto out_msg;
		}
	}
	if (srv && (ret = api_server_start(srv))) {
		snprintf(err, sizeof(err), "cannot start the API thread: %s",
			 strerror(-ret));
		status = VMON_EXIT_INTERNAL;
		goto out_msg;
	}
	status = vmm_run(v);
	/* As `vmon run`: leave KVM's slow teardown to a helper (teardown.h). */
	fast_exit = teardown_fast_available();
	if (fast_exit)
		v->vm.leave_kvm_open = true;
	goto out;
out_msg_nosrv:
	free(srv);
	srv = NULL;
out_msg:
	fprintf(stderr, "vmon: %s\n", err);
out:
	if (srv) {
		api_server_close(srv);
		free(srv);
	}
	vmm_destroy(v);
	free(v);
	if (fast_exit)
		teardown_exit_fast(status);
	return status;
}
