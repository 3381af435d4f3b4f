/* SPDX-License-Identifier: MIT */
/* hello: the smallest boot check.  Prints a fixed line and the command
 * line, exits 0 (VMM status 1). */
#include "guest.h"

int main(void)
{
	printf("Hello from the vmon test guest\n");
	printf("cmdline: %s\n", cmdline());
	return GUEST_EXIT_OK;
}
