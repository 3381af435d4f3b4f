/* SPDX-License-Identifier: MIT */
/* exitcode: exits with the code from "exit=N" (default 42), so the VMM's
 * status is (N << 1) | 1 - checks the isa-debug-exit path end to end. */
#include "guest.h"

int main(void)
{
	unsigned code = (unsigned)cmdline_u64("exit", 42);

	printf("exiting with %u\n", code);
	guest_exit(code);
}
