// SPDX-License-Identifier: MIT
#include "core/options.h"

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
	"  --log-level LEVEL    error, warn (default), info or debug\n"
	"  -h, --help           this text\n"
	"\n"
	"On a terminal the console is raw: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
	"\n"
	"Exit status: 0 guest powered off or rebooted, or vmon was told to stop\n"
	"(SIGINT, SIGTERM, Ctrl-A x); odd values come from --debug-exit; 2 bad\n"
	"arguments or unreadable files; 4 the guest had to be stopped (triple\n"
	"fault, KVM emulation failure, unhandled exit); 6 internal error.\n";

int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 20;	/* plain numbers are MiB */
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B': shift = 0; break;
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		/* Accept "M", "MB", "MiB" and the like. */
		if (shift && (*end == 'i' || *end == 'I'))
			end++;
		if (shift && (*end == 'b' || *end == 'B'))
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}

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

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEM,
	OPT_SERIAL, OPT_DEBUG_EXIT, OPT_LOG_LEVEL, OPT_GUEST_DECOMPRESS,
	OPT_RNG,
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
		{ "rng", no_argument, NULL, OPT_RNG },
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
		case OPT_RNG:
			o->vm.rng = true;
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
	if (!o->vm.kernel) {
		snprintf(err, errlen, "--kernel is required");
		return -EINVAL;
	}
	return 0;
}
