// SPDX-License-Identifier: MIT
/*
 * The decoder measurement of docs/emulate.md ("Decoder choice"): decode
 * the .text of an x86-64 ELF (vmon's own binary by default) with Zydis
 * and with Capstone, and report nanoseconds per instruction and whether
 * they agree on instruction lengths.
 *
 *   make -C bench decode && build/bench/decode [ELF] [ROUNDS]
 *
 * The instruction boundaries are Zydis's linear sweep (one byte skipped
 * where it finds no instruction); each decoder is then timed over the
 * same boundaries, best of ROUNDS (5).  Both decode operands, which an
 * executor needs: Zydis with ZydisDecoderDecodeFull, Capstone with
 * CS_OPT_DETAIL (Capstone 4 also always formats the text).  Zydis
 * without operands is shown as the floor.  Needs libzydis-dev and
 * libcapstone-dev; not part of `make bench`.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <Zydis/Zydis.h>

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The .text section of an ELF64 image, or NULL. */
static const uint8_t *elf_text(const uint8_t *img, size_t len, size_t *tlen)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh, *strs;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff > len ||
	    eh->e_shstrndx >= eh->e_shnum ||
	    (len - eh->e_shoff) / sizeof(*sh) < eh->e_shnum)
		return NULL;
	sh = (const void *)(img + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size ||
		    strs->sh_offset + sh[i].sh_name + 6 > len ||
		    strcmp((const char *)img + strs->sh_offset + sh[i].sh_name,
			   ".text"))
			continue;
		if (sh[i].sh_offset > len ||
		    sh[i].sh_size > len - sh[i].sh_offset)
			return NULL;
		*tlen = sh[i].sh_size;
		return img + sh[i].sh_offset;
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static size_t avail(size_t off, size_t len)
{
	return len - off < 15 ? len - off : 15;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "build/vmon";
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction zi;
	ZydisDecoder zd;
	size_t len, tlen, n = 0, skipped = 0, agree = 0, differ = 0, cs_bad = 0;
	uint8_t *img = read_file(path, &len);
	const uint8_t *text = img ? elf_text(img, len, &tlen) : NULL;
	uint32_t *at;
	cs_insn *ci;
	csh cs;

	if (!text) {
		fprintf(stderr,
			"decode: no .text in %s (an x86-64 ELF, e.g. build/vmon)\n",
			path);
		return 1;
	}
	if (rounds < 1)
		rounds = 1;
	ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK ||
	    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK ||
	    !(ci = cs_malloc(cs)) || !(at = malloc(tlen * sizeof(*at)))) {
		fprintf(stderr, "decode: cannot set up Capstone\n");
		return 1;
	}

	/* Zydis's sweep gives the boundaries; Capstone is asked at each. */
	for (size_t off = 0; off < tlen;) {
		const uint8_t *code = text + off;
		size_t size = avail(off, tlen);
		uint64_t addr = off;

		if (!ZYAN_SUCCESS(
			    ZydisDecoderDecodeInstruction(&zd, NULL, text + off,
							  avail(off, tlen),
							  &zi))) {
			skipped++;
			off++;
			continue;
		}
		at[n++] = (uint32_t)off;
		if (!cs_disasm_iter(cs, &code, &size, &addr, ci)) {
			/* The first few, to see what Capstone lacks. */
			if (cs_bad++ < 4) {
				fprintf(stderr,
					"capstone cannot decode at .text+%#zx:",
					off);
				for (unsigned int b = 0; b < zi.length; b++)
					fprintf(stderr, " %02x", text[off + b]);
				fprintf(stderr, "\n");
			}
		} else if (ci->size == zi.length)
			agree++;
		else
			differ++;
		off += zi.length;
	}

	double best[3] = { 1e300, 1e300, 1e300 };
	volatile size_t sink = 0;

	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();

		for (size_t i = 0; i < n; i++)
			if (ZYAN_SUCCESS(
				    ZydisDecoderDecodeInstruction(&zd, NULL,
								  text + at[i],
								  avail(at[i],
									tlen),
								  &zi)))
				sink += zi.length;
		double t1 = now_ns();

		for (size_t i = 0; i < n; i++)
			if (ZYAN_SUCCESS(
				    ZydisDecoderDecodeFull(&zd, text + at[i],
							   avail(at[i], tlen),
							   &zi, ops)))
				sink += zi.length + zi.operand_count;
		double t2 = now_ns();

		for (size_t i = 0; i < n; i++) {
			const uint8_t *code = text + at[i];
			size_t size = avail(at[i], tlen);
			uint64_t addr = at[i];

			if (cs_disasm_iter(cs, &code, &size, &addr, ci))
				sink += ci->size + ci->detail->x86.op_count;
		}
		double t3 = now_ns();

		if (t1 - t0 < best[0])
			best[0] = t1 - t0;
		if (t2 - t1 < best[1])
			best[1] = t2 - t1;
		if (t3 - t2 < best[2])
			best[2] = t3 - t2;
	}
	printf("corpus: %s .text, %zu bytes, %zu instructions (%zu bytes skipped)\n",
	       path, tlen, n, skipped);
	printf("lengths: %zu agree, %zu differ, %zu Capstone could not decode\n",
	       agree, differ, cs_bad);
	printf("zydis %u.%u (instruction only):  %.1f ns/insn\n",
	       (unsigned)ZYDIS_VERSION_MAJOR(ZydisGetVersion()),
	       (unsigned)ZYDIS_VERSION_MINOR(ZydisGetVersion()), best[0] / n);
	printf("zydis (with operands):          %.1f ns/insn\n", best[1] / n);
	printf("capstone %d.%d (detail):         %.1f ns/insn\n", CS_API_MAJOR,
	       CS_API_MINOR, best[2] / n);
	cs_free(ci, 1);
	cs_close(&cs);
	free(at);
	free(img);
	return 0;
}
