/* SPDX-License-Identifier: MIT */
/*
 * A small printf: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width
 * (or '*'), length modifiers h, l, ll, z.  printf() holds a spinlock per
 * call so lines from different CPUs do not interleave; interrupt handlers
 * must not print (they could spin on their own CPU's lock).
 */
#include "guest.h"

struct out {
	bool serial;		/* straight to the serial port, else buf */
	char *buf;
	size_t size, pos;
};

static spinlock_t print_lock;

static void put(struct out *o, char c)
{
	if (o->serial) {
		serial_putc(c);	/* "\n" only: tests compare lines exactly */
	} else if (o->pos + 1 < o->size) {
		o->buf[o->pos] = c;
	}
	o->pos++;
}

static void put_padded(struct out *o, const char *s, size_t len, int width,
		       bool left, char pad)
{
	int fill = width > (int)len ? width - (int)len : 0;

	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (len--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg,
		    int width, bool left, bool zero, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && zero) {
		/* Sign before the zero padding: "-0042". */
		put(o, '-');
		width = width > 0 ? width - 1 : 0;
	} else if (neg) {
		tmp[--n] = '-';
	}
	put_padded(o, tmp + n, sizeof(tmp) - n, width, left, zero && !left ? '0' : ' ');
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		bool left = false, zero = false;
		int width = 0, lng = 0;

		for (;; fmt++) {
			if (fmt[1] == '-')
				left = true;
			else if (fmt[1] == '0')
				zero = true;
			else
				break;
		}
		if (fmt[1] == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (fmt[1] >= '0' && fmt[1] <= '9')
			width = width * 10 + (*++fmt - '0');
		while (fmt[1] == 'l' || fmt[1] == 'z' || fmt[1] == 'h') {
			if (fmt[1] != 'h')
				lng++;
			fmt++;
		}
		fmt++;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0,
				width, left, zero, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned int);
			put_num(o, v, *fmt == 'u' ? 10 : 16, false, width, left,
				zero, *fmt == 'X');
			break;
		}
		case 'p':
			put(o, '0');
			put(o, 'x');
			put_num(o, (uintptr_t)va_arg(ap, void *), 16, false, width,
				left, zero, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_padded(o, s, strlen(s), width, left, ' ');
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(o, &c, 1, width, left, ' ');
			break;
		}
		case '%':
			put(o, '%');
			break;
		case '\0':
			return;
		default:		/* unknown: print it verbatim */
			put(o, '%');
			put(o, *fmt);
		}
	}
}

int vprintf(const char *fmt, va_list ap)
{
	struct out o = { .serial = true };

	spin_lock(&print_lock);
	format(&o, fmt, ap);
	spin_unlock(&print_lock);
	return (int)o.pos;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };

	format(&o, fmt, ap);
	if (size)
		buf[o.pos < size ? o.pos : size - 1] = '\0';
	return (int)o.pos;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void print_lock_break(void)
{
	spin_unlock(&print_lock);
}
