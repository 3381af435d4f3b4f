// SPDX-License-Identifier: MIT
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/platform.h"

const char run_usage[] =
	"Usage: vmon run --kernel PATH [options]\n"
	"\n"
	"Boot a guest kernel and serve its console until it stops.\n"
	"\n"
	"  --kernel PATH        Linux bzImage or PVH ELF (recognised from the file)\n"
	"  --initrd PATH        initial ramdisk\n"
	"  --cmdline STRING     kernel command line\n"
	"  --cpus N             vCPUs (default 1)\n"
	"  --mem SIZE           guest RAM, with K/M/G suffix; plain numbers are MiB\n"
	"                       (default 256M)\n"
	"  --serial MODE        stdio (default), none, or file:PATH\n"
	"  --debug-exit         isa-debug-exit at port 0xf4: writing v ends the VM\n"
	"                       with exit status (v << 1) | 1\n"
	"  --guest-decompress   bzImage: let the kernel decompress itself instead\n"
	"                       of unpacking it on the host (slower; for checks)\n"
	"  --rng                a virtio-rng entropy device (PCI), fed by getrandom\n"
	"  --net tap=NAME[,mac=MAC][,id=ID]\n"
	"                       a virtio-net device on the existing TAP device NAME\n"
	"                       (repeatable, up to 8); MAC like 06:00:ac:10:00:02\n"
	"  --disk PATH[,ro][,cache=unsafe|writeback][,id=ID]\n"
	"                       a virtio-blk disk on the raw image PATH (repeatable,\n"
	"                       up to 16); unsafe (default) makes flushes no-ops,\n"
	"                       writeback makes them fdatasync; ID is the serial\n"
	"  --vsock cid=N,uds=PATH\n"
	"                       a virtio-vsock device, guest CID N (3 or more);\n"
	"                       host programs connect to the Unix socket PATH and\n"
	"                       send \"CONNECT <port>\\n\"; guest connections to port\n"
	"                       P go to PATH_P (Firecracker's convention)\n"
	"  --balloon[=target_mib=N][,deflate_on_oom][,stats=SECONDS]\n"
	"                       a virtio-balloon device asking the guest for N MiB\n"
	"                       (default 0), with memory statistics every SECONDS\n"
	"  --restore STATE,MEM  run the VM of a snapshot (PUT /snapshot/create, vmon\n"
	"                       ctl snapshot) instead of booting one: the machine\n"
	"                       and its devices come from the snapshot\n"
	"  --log-level LEVEL    error, warn (default), info or debug\n"
	"  --no-seccomp         run the threads without their syscall filters\n"
	"                       (debugging only; docs/sandbox.md)\n"
	"  -h, --help           this text\n"
	"\n"
	"On a terminal the console is raw: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
	"\n"
	"Exit status: 0 guest powered off or rebooted, or vmon was told to stop\n"
	"(SIGINT, SIGTERM, Ctrl-A x); odd values come from --debug-exit; 2 bad\n"
	"arguments or unreadable files; 4 the guest had to be stopped (triple\n"
	"fault, KVM emulation failure, unhandled exit); 6 internal error; 148 a\n"
	"thread made a system call its seccomp filter denies.\n";

static int parse_serial(const char *s, struct vm_config *cfg)
{
	if (!strcmp(s, "stdio")) {
		cfg->serial_mode = SERIAL_STDIO;
	} else if (!strcmp(s, "none")) {
		cfg->serial_mode = SERIAL_NONE;
	} else if (!strncmp(s, "file:", 5) && s[5]) {
		cfg->serial_mode = SERIAL_FILE;
		cfg->serial_path = s + 5;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_level(const char *s, enum log_level *level)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
	}
	return 0;
}

/*
 * --net tap=NAME[,mac=MAC][,id=ID].  The strings stay in argv: the
 * commas become NULs.
 */
static int parse_net(char *arg, struct vm_config *cfg, char *err,
		     size_t errlen)
{
	struct net_config n = { 0 };
	char *save = NULL, *tok;

	if (cfg->nr_nets == VM_MAX_NETS) {
		snprintf(err, errlen, "--net: at most %d network devices",
			 VM_MAX_NETS);
		return -EINVAL;
	}
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "tap=", 4) && tok[4] && strlen(tok + 4) <= 15) {
			n.tap = tok + 4;
		} else if (!strncmp(tok, "mac=", 4) && !parse_mac(tok + 4, n.mac)) {
			if (n.mac[0] & 1) {
				snprintf(err, errlen, "--net mac=%s: a multicast "
					 "address; the guest needs a unicast "
					 "one (even first byte)", tok + 4);
				return -EINVAL;
			}
			n.has_mac = true;
		} else if (!strncmp(tok, "id=", 3) && tok[3]) {
			n.id = tok + 3;
		} else {
			snprintf(err, errlen, "--net: '%s' is not tap=NAME (1 to "
				 "15 characters), mac=XX:XX:XX:XX:XX:XX or "
				 "id=ID", tok);
			return -EINVAL;
		}
	}
	if (!n.tap) {
		snprintf(err, errlen, "--net needs tap=NAME, the host TAP "
			 "device (ip tuntap add dev NAME mode tap)");
		return -EINVAL;
	}
	cfg->nets[cfg->nr_nets++] = n;
	return 0;
}

/*
 * --disk PATH[,ro][,cache=unsafe|writeback][,id=ID].  As for --net, the
 * strings stay in argv (commas become NULs): a PATH cannot hold a comma.
 */
static int parse_disk(char *arg, struct vm_config *cfg, char *err,
		      size_t errlen)
{
	struct disk_config d = { .cache = DISK_CACHE_UNSAFE };
	char *save = NULL, *tok;

	if (cfg->nr_disks == VM_MAX_DISKS) {
		snprintf(err, errlen, "--disk: at most %d disks", VM_MAX_DISKS);
		return -EINVAL;
	}
	d.path = strtok_r(arg, ",", &save);
	if (!d.path || arg[0] == ',') {
		snprintf(err, errlen, "--disk needs the image's PATH first");
		return -EINVAL;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "ro")) {
			d.read_only = true;
		} else if (!strcmp(tok, "cache=unsafe")) {
			d.cache = DISK_CACHE_UNSAFE;
		} else if (!strcmp(tok, "cache=writeback")) {
			d.cache = DISK_CACHE_WRITEBACK;
		} else if (!strncmp(tok, "id=", 3) && tok[3]) {
			d.id = tok + 3;
		} else {
			snprintf(err, errlen, "--disk %s: '%s' is not ro, "
				 "cache=unsafe, cache=writeback or id=ID",
				 d.path, tok);
			return -EINVAL;
		}
	}
	cfg->disks[cfg->nr_disks++] = d;
	return 0;
}

/* --vsock cid=N,uds=PATH: uds= takes the rest, commas and all. */
static int parse_vsock(char *arg, struct vm_config *cfg, char *err,
		       size_t errlen)
{
	struct vsock_config v = { .enabled = true };
	bool has_cid = false;
	unsigned long n;
	char *tok = arg, *end;

	while (tok && *tok) {
		end = strchr(tok, ',');
		if (!strncmp(tok, "uds=", 4) && tok[4]) {
			v.uds_path = tok + 4;
			break;
		}
		if (end)
			*end = '\0';
		/* The CID's range is vm_config_check's. */
		if (strncmp(tok, "cid=", 4) ||
		    parse_uint(tok + 4, 0, UINT32_MAX, &n)) {
			snprintf(err, errlen, "--vsock: '%s' is not cid=N or "
				 "uds=PATH", tok);
			return -EINVAL;
		}
		v.guest_cid = (uint32_t)n;
		has_cid = true;
		tok = end ? end + 1 : NULL;
	}
	if (!has_cid || !v.uds_path) {
		snprintf(err, errlen, "--vsock needs cid=N and uds=PATH, such "
			 "as --vsock cid=3,uds=/tmp/vm.vsock");
		return -EINVAL;
	}
	cfg->vsock = v;
	return 0;
}

/* --balloon[=target_mib=N][,deflate_on_oom][,stats=SECONDS] */
static int parse_balloon(char *arg, struct vm_config *cfg, char *err,
			 size_t errlen)
{
	struct balloon_config b = { .enabled = true };
	char *save = NULL, *tok;
	unsigned long n;

	for (tok = arg ? strtok_r(arg, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "target_mib=", 11) &&
		    !parse_uint(tok + 11, 0, VMON_MAX_MEM >> 20, &n)) {
			b.target_mib = (uint32_t)n;
		} else if (!strcmp(tok, "deflate_on_oom")) {
			b.deflate_on_oom = true;
		} else if (!strncmp(tok, "stats=", 6) &&
			   !parse_uint(tok + 6, 0, 86400, &n)) {
			b.stats_interval_s = (uint32_t)n;
		} else {
			snprintf(err, errlen, "--balloon: '%s' is not "
				 "target_mib=N, deflate_on_oom or stats=SECONDS "
				 "(0 to 86400)", tok);
			return -EINVAL;
		}
	}
	cfg->balloon = b;
	return 0;
}

/*
 * After each device option: the rules between devices, with the option
 * named.  The balloon waits for the end (--mem may come after it).
 */
static int check_devices(const struct vm_config *cfg, const char *opt,
			 char *err, size_t errlen)
{
	struct vm_config c = *cfg;
	char why[256];

	c.balloon.enabled = false;
	if (!vm_config_check(&c, why, sizeof(why)))
		return 0;
	snprintf(err, errlen, "%s: %s", opt, why);
	return -EINVAL;
}

/* STATE,MEM: split at the first comma (the state file's name has none). */
static int parse_restore(const char *arg, struct run_options *o, char *err,
			 size_t errlen)
{
	char *comma;

	if ((size_t)snprintf(o->restore_buf, sizeof(o->restore_buf), "%s",
			     arg) >= sizeof(o->restore_buf) ||
	    !(comma = strchr(o->restore_buf, ',')) ||
	    comma == o->restore_buf || !comma[1]) {
		snprintf(err, errlen, "--restore %s: expected STATE,MEM (the "
			 "snapshot's state file and memory file)", arg);
		return -EINVAL;
	}
	*comma = '\0';
	o->restore_state = o->restore_buf;
	o->restore_mem = comma + 1;
	return 0;
}

/* The snapshot is the machine: options that shape one are refused. */
static int check_restore(const struct run_options *o, char *err,
			 size_t errlen)
{
	const struct vm_config *c = &o->vm;
	const char *what = c->kernel ? "--kernel" : c->initrd ? "--initrd" :
		c->cmdline ? "--cmdline" : c->nr_cpus != 1 ? "--cpus" :
		c->mem_size != VMON_DEFAULT_MEM ? "--mem" :
		c->debug_exit ? "--debug-exit" :
		c->guest_decompress ? "--guest-decompress" : c->rng ? "--rng" :
		c->nr_nets ? "--net" : c->nr_disks ? "--disk" :
		c->vsock.enabled ? "--vsock" : c->balloon.enabled ? "--balloon" :
		NULL;

	if (!what)
		return 0;
	snprintf(err, errlen, "%s cannot be given with --restore: the machine "
		 "and its devices come from the snapshot", what);
	return -EINVAL;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEM,
	OPT_SERIAL, OPT_DEBUG_EXIT, OPT_LOG_LEVEL, OPT_GUEST_DECOMPRESS,
	OPT_RNG, OPT_NET, OPT_DISK, OPT_VSOCK, OPT_BALLOON, OPT_NO_SECCOMP,
	OPT_RESTORE,
};

int run_options_parse(int argc, char **argv, struct run_options *o,
		      char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "debug-exit", no_argument, NULL, OPT_DEBUG_EXIT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "guest-decompress", no_argument, NULL, OPT_GUEST_DECOMPRESS },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "net", required_argument, NULL, OPT_NET },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "vsock", required_argument, NULL, OPT_VSOCK },
		{ "balloon", optional_argument, NULL, OPT_BALLOON },
		{ "restore", required_argument, NULL, OPT_RESTORE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->vm.nr_cpus = 1;
	o->vm.mem_size = VMON_DEFAULT_MEM;
	o->vm.serial_mode = SERIAL_STDIO;
	o->log_level = LOG_WARN;

	optind = 1;	/* getopt state is per process: reset for each parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			o->vm.kernel = optarg;
			break;
		case OPT_INITRD:
			o->vm.initrd = optarg;
			break;
		case OPT_CMDLINE:
			o->vm.cmdline = optarg;
			break;
		case OPT_CPUS:
			if (parse_uint(optarg, 1, PLAT_MAX_VCPUS, &n)) {
				snprintf(err, errlen,
					 "--cpus %s: expected a number from 1 "
					 "to %d", optarg, PLAT_MAX_VCPUS);
				return -EINVAL;
			}
			o->vm.nr_cpus = (unsigned int)n;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &o->vm.mem_size) ||
			    o->vm.mem_size < VMON_MIN_MEM ||
			    o->vm.mem_size > VMON_MAX_MEM ||
			    (o->vm.mem_size & 0xfff)) {
				snprintf(err, errlen,
					 "--mem %s: expected a size from 4M to "
					 "1T in whole 4 KiB pages, such as 256M "
					 "or 2G", optarg);
				return -EINVAL;
			}
			break;
		case OPT_SERIAL:
			if (parse_serial(optarg, &o->vm)) {
				snprintf(err, errlen,
					 "--serial %s: expected stdio, none or "
					 "file:PATH", optarg);
				return -EINVAL;
			}
			break;
		case OPT_DEBUG_EXIT:
			o->vm.debug_exit = true;
			break;
		case OPT_GUEST_DECOMPRESS:
			o->vm.guest_decompress = true;
			break;
		case OPT_NO_SECCOMP:
			o->vm.no_seccomp = true;
			break;
		case OPT_RNG:
			o->vm.rng = true;
			break;
		case OPT_NET:
			if (parse_net(optarg, &o->vm, err, errlen) ||
			    check_devices(&o->vm, "--net", err, errlen))
				return -EINVAL;
			break;
		case OPT_DISK:
			if (parse_disk(optarg, &o->vm, err, errlen) ||
			    check_devices(&o->vm, "--disk", err, errlen))
				return -EINVAL;
			break;
		case OPT_VSOCK:
			if (parse_vsock(optarg, &o->vm, err, errlen) ||
			    check_devices(&o->vm, "--vsock", err, errlen))
				return -EINVAL;
			break;
		case OPT_BALLOON:
			if (parse_balloon(optarg, &o->vm, err, errlen))
				return -EINVAL;
			break;
		case OPT_RESTORE:
			if (parse_restore(optarg, o, err, errlen))
				return -EINVAL;
			break;
		case OPT_LOG_LEVEL:
			if (parse_level(optarg, &o->log_level)) {
				snprintf(err, errlen,
					 "--log-level %s: expected error, warn, "
					 "info or debug", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			o->help = 1;
			return 0;
		case ':':
			snprintf(err, errlen, "%s needs a value",
				 argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, errlen, "unknown option %s",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return -EINVAL;
	}
	if (o->restore_state)
		return check_restore(o, err, errlen);
	if (!o->vm.kernel) {
		snprintf(err, errlen, "--kernel is required");
		return -EINVAL;
	}
	/* The rules between devices are the VM's, the same for the API. */
	return vm_config_check(&o->vm, err, errlen) ? -EINVAL : 0;
}
