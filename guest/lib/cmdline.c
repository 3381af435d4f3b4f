/* SPDX-License-Identifier: MIT */
/*
 * The command line from start_info.cmdline_paddr, copied at boot so the
 * low memory it lives in can be reused (e.g. by the AP trampoline).
 * Syntax: space-separated "key=value" or "key" words.
 */
#include "guest.h"
#include "internal.h"

static char cmdline_buf[4096];

void cmdline_init(uint64_t paddr)
{
	const char *src = (const char *)(uintptr_t)paddr;
	size_t i = 0;

	/* Only the identity-mapped low 4 GiB is reachable this early. */
	if (paddr && paddr < 0x100000000ull)
		for (; i < sizeof(cmdline_buf) - 1 && src[i]; i++)
			cmdline_buf[i] = src[i];
	cmdline_buf[i] = '\0';
}

const char *cmdline(void)
{
	return cmdline_buf;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline_buf;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		if (strncmp(word, key, klen) != 0 ||
		    (word[klen] != '=' && word + klen != p))
			continue;
		const char *v = word + klen + (word[klen] == '=');
		size_t n = (size_t)(p - v);
		if (size) {
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
		}
		return true;
	}
	return false;
}

uint64_t cmdline_u64(const char *key, uint64_t def)
{
	char buf[32];
	const char *s = buf;
	unsigned base = 10;
	uint64_t v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)) || !buf[0])
		return def;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			return def;	/* not a number: keep the default */
		v = v * base + d;
	}
	return v;
}
