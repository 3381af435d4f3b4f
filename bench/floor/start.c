/* SPDX-License-Identifier: MIT */
/*
 * floor-start: the start-up floor.  Creates a VM with "mem=MiB" (default
 * 128) of lazily backed RAM and one vCPU, runs one real-mode instruction
 * (out %al, $0xf4, the debug-exit port) and exits 0 on that exit.
 * Everything a VMM must do to start a guest, and nothing else.
 */
#include "kvm.h"

int main(int argc, char **argv)
{
	struct floor_vm v;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };

	floor_vm_create(&v, arg_u64(argc, argv, "mem", 128) << 20,
			(int)arg_u64(argc, argv, "irqchip", 0));
	v.mem[0x1000] = 0xe6;		/* out %al, $0xf4 */
	v.mem[0x1001] = 0xf4;
	xioctl(v.vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	xioctl(v.vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	xioctl(v.vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
	floor_run(&v);
	if (v.run->exit_reason != KVM_EXIT_IO || v.run->io.port != 0xf4)
		unexpected_exit(&v);
	return 0;
}
