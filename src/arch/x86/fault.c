// SPDX-License-Identifier: MIT
#include "arch/x86/fault.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/emulate/walk.h"
#include "lib/log.h"

/*
 * The guest's MAXPHYADDR is in the CPUID table vmon gave the vCPU, which
 * the report does not have: the architectural maximum only lets through
 * an entry with reserved address bits set that the CPU would refuse,
 * which costs a report nothing.
 */
#define REPORT_MAXPHYADDR 52

size_t x86_fetch_insn(int vcpu_fd, const struct guest_mem *gm, uint64_t *rip,
		      uint8_t *buf, size_t buflen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct x86_paging pg;
	struct x86_fault fault;
	uint64_t la;
	size_t n = 0;

	*rip = 0;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return 0;
	*rip = regs.rip;

	x86_paging_from_sregs(&sregs, regs.rflags, REPORT_MAXPHYADDR, &pg);
	/* 64-bit code has CS.base 0 whatever the descriptor says (SDM 3A
	 * 3.4.4); elsewhere, compatibility mode too, linear addresses have
	 * 32 bits. */
	if ((sregs.efer & X86_EFER_LMA) && sregs.cs.l)
		la = regs.rip;
	else
		la = (uint32_t)(sregs.cs.base + regs.rip);
	/*
	 * As the CPU would fetch them, but a look only (no accessed flag
	 * set: the guest is being stopped, not run).  The bytes of the pages
	 * that translate, up to the first that does not.
	 */
	x86_linear_read(gm, &pg, la, buf, buflen, X86_ACC_FETCH | X86_ACC_NO_AD,
			&n, &fault);
	return n;
}

const char *x86_insn_hint(const uint8_t *insn, size_t len)
{
	size_t i = 0;
	int rex_w = 0;

	/* Skip legacy prefixes, then REX (SDM vol. 2A, 2.1 and 2.2.1). */
	while (i < len && (insn[i] == 0x66 || insn[i] == 0x67 ||
			   insn[i] == 0xf0 || insn[i] == 0xf2 ||
			   insn[i] == 0xf3 || insn[i] == 0x2e ||
			   insn[i] == 0x3e || insn[i] == 0x26 ||
			   insn[i] == 0x36 || insn[i] == 0x64 || insn[i] == 0x65))
		i++;
	if (i < len && (insn[i] & 0xf0) == 0x40) {
		rex_w = (insn[i] >> 3) & 1;
		i++;
	}
	if (i >= len)
		return NULL;
	if (insn[i] == 0xcc)
		return "INT3: Linux's alternatives self-test runs one early; no "
		       "command-line switch avoids it on this host";
	if (insn[i] != 0x0f || i + 2 >= len)
		return NULL;

	uint8_t op = insn[i + 1], modrm = insn[i + 2];
	unsigned int reg = (modrm >> 3) & 7;

	if (op == 0xc7 && reg == 1)
		return rex_w ? "CMPXCHG16B: for Linux, add clearcpuid=cx16 to "
			       "the command line to hide it"
			     : "CMPXCHG8B: this host's KVM cannot emulate it";
	if (op == 0xae && (modrm >> 6) != 3 && (reg == 4 || reg == 5))
		return "XSAVE/XRSTOR: for Linux, add noxsave (or "
		       "clearcpuid=xsave) to the command line to hide it";
	if (op == 0xc7 && (reg == 3 || reg == 5))
		return "XRSTORS/XSAVES: for Linux, add noxsave to the command "
		       "line to hide it";
	return NULL;
}

static void format_bytes(char *out, size_t outlen, const uint8_t *b, size_t n)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && pos + 4 < outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%s%02x",
					i ? " " : "", b[i]);
	if (n == 0)
		snprintf(out, outlen, "(unreadable)");
}

static const char *const advice =
	"This host's KVM could not run the guest past this point. On hosts "
	"whose KVM emulates guest kernel code (such as PVM), some instructions "
	"are not supported: run the guest on a host with hardware "
	"virtualization (Intel VT-x or AMD-V)";

void x86_report_fatal_exit(int vcpu_fd, unsigned int index,
			   const struct guest_mem *gm,
			   const struct kvm_run *run)
{
	uint8_t insn[15];
	char bytes[64];
	uint64_t rip;
	size_t n = x86_fetch_insn(vcpu_fd, gm, &rip, insn, sizeof(insn));
	const char *hint = x86_insn_hint(insn, n);

	format_bytes(bytes, sizeof(bytes), insn, n);

	switch (run->exit_reason) {
	case KVM_EXIT_INTERNAL_ERROR: {
		const char *what;

		switch (run->internal.suberror) {
		case KVM_INTERNAL_ERROR_EMULATION:
			what = "emulation failure";
			break;
		case KVM_INTERNAL_ERROR_SIMUL_EX:
			what = "exception while delivering an exception";
			break;
		case KVM_INTERNAL_ERROR_DELIVERY_EV:
			what = "event delivery failed";
			break;
		default:
			what = "internal error";
			break;
		}
		log_error("vCPU %u stopped: KVM_EXIT_INTERNAL_ERROR, suberror "
			  "%u (%s) at RIP 0x%llx; instruction bytes: %s",
			  index, run->internal.suberror, what,
			  (unsigned long long)rip, bytes);
		break;
	}
	case KVM_EXIT_SHUTDOWN:
		log_error("vCPU %u stopped: the guest triple-faulted "
			  "(KVM_EXIT_SHUTDOWN) at RIP 0x%llx; instruction bytes: %s",
			  index, (unsigned long long)rip, bytes);
		hint = "the guest's own exception handling failed: check the "
		       "kernel and its command line";
		break;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vCPU %u stopped: KVM_EXIT_FAIL_ENTRY, hardware entry "
			  "failure reason 0x%llx at RIP 0x%llx",
			  index,
			  (unsigned long long)run->fail_entry
				  .hardware_entry_failure_reason,
			  (unsigned long long)rip);
		break;
	default:
		log_error("vCPU %u stopped: exit reason %u, which vmon does not "
			  "handle, at RIP 0x%llx; instruction bytes: %s",
			  index, run->exit_reason, (unsigned long long)rip,
			  bytes);
		hint = "please report this exit reason with the kernel you ran";
		break;
	}
	if (hint)
		log_error("hint: %s", hint);
	if (run->exit_reason != KVM_EXIT_SHUTDOWN)
		log_error("%s.", advice);
}
