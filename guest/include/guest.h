/* SPDX-License-Identifier: MIT */
/*
 * The test guest's runtime: what every program may use.
 *
 * A program defines `int main(void)`; the runtime calls it at CPL0 in long
 * mode with interrupts off, the GDT/TSS/IDT loaded and the 8259 PICs
 * masked, and passes its return value to guest_exit().  Supervisor code is
 * emulated instruction by instruction on some hosts (see
 * shared/guides/host-kvm.md): loops that matter go through run_user().
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvh.h"
#include "x86.h"

/* Exit codes passed to guest_exit(); the VMM exits with (code << 1) | 1. */
#define GUEST_EXIT_OK		0
#define GUEST_EXIT_FAIL		1
#define GUEST_EXIT_PANIC	3	/* unexpected exception, bad boot */

#define COM1_PORT		0x3f8
#define DEBUG_EXIT_PORT		0xf4

int main(void);

/* ---- boot.c ------------------------------------------------------------ */
extern const struct hvm_start_info *start_info;
extern char __image_start[], __image_end[];	/* from guest.ld */

__attribute__((noreturn)) void guest_exit(unsigned code);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Interrupt handling: vectors 32..254 call the registered handler and are
 * then acknowledged with an x2APIC EOI; 255 is the spurious vector. */
typedef void (*irq_handler_t)(unsigned vector);
void irq_set_handler(unsigned vector, irq_handler_t fn);
void cpu_load_idt(void);

/* Run fn(arg) at CPL3 with RFLAGS.IOPL = 3 and an all-open TSS I/O
 * bitmap (port I/O allowed) on the shared user stack; returns fn's
 * result.  RFLAGS.IF is inherited from the caller; fn must not use
 * CLI/STI (PVM hosts force IOPL 0 at CPL3).  BSP only, not re-entrant. */
typedef long (*user_fn_t)(void *arg);
long run_user(user_fn_t fn, void *arg);

/* ---- serial.c / printf.c ----------------------------------------------- */
void serial_init(void);
void serial_putc(char c);
int serial_getc(void);			/* -1 when the receive FIFO is empty */

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void print_lock_break(void);		/* for panics: drop a held lock */

/* ---- string.c ---------------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- cmdline.c --------------------------------------------------------- */
const char *cmdline(void);		/* "" when there is none */
/* Copies the value of "key=value" into buf; true if the key is present
 * (a bare "key" yields ""). */
bool cmdline_get(const char *key, char *buf, size_t size);
uint64_t cmdline_u64(const char *key, uint64_t def);	/* dec or 0x hex */

/* ---- spinlock ------------------------------------------------------------ */
typedef struct {
	volatile uint32_t locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_pause();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* ---- timing.c ---------------------------------------------------------- */
/* CPUID-reported, else measured with PIT channel 0 (the first call then
 * reprograms it: call before using the PIT), else a 3 GHz guess. */
uint64_t tsc_khz(void);
void tsc_delay_us(uint64_t us);		/* spins at CPL3 via run_user() */

#endif
