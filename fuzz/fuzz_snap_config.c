// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the snapshot's "config" section (src/machine/
 * vm_config_snap.c): the first thing a restore reads from a hostile file,
 * and what decides which files it opens and how much RAM it maps.
 *
 * Input: the section's payload, whole.  Checked: no sanitizer report; a
 * refusal fills the error object with its code and names a field; an
 * accepted config passes vm_config_check (the front ends' own rules) and
 * its strings are NUL-free and bounded; and written out again it is byte
 * for byte the input (one encoding).  See fuzz/README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/snapfile.h"
#include "machine/vm_config_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmon_err e = { 0 };
	struct snap_writer *w;
	struct snap_reader *r;
	struct vm_config_owned o;
	struct snap_enc enc;
	struct snap_dec d;
	uint8_t *img;
	size_t n;
	char why[256];
	int ret;

	if (snap_writer_new(&w, "x86_64", &e) ||
	    snap_writer_add(w, "config", VM_CONFIG_SNAP_VERSION, data, size,
			    &e))
		abort();
	if (snap_writer_image(w, &img, &n, &e) ||
	    snap_reader_parse(&r, img, n, "fuzz", "x86_64", &e))
		abort();
	snap_writer_free(w);
	free(img);
	if (snap_dec_begin(r, "config", VM_CONFIG_SNAP_VERSION, &d, &e))
		abort();
	ret = vm_config_restore(&d, &o);
	if (ret) {
		if (ret != e.code || !strstr(e.msg, "section config"))
			abort();
		snap_reader_free(r);
		return 0;
	}
	if (vm_config_check(&o.cfg, why, sizeof(why)))
		abort();
	snap_enc_init(&enc);
	if (vm_config_save(&o.cfg, &enc) || enc.len != size ||
	    memcmp(enc.buf, data, size))
		abort();
	snap_enc_free(&enc);
	vm_config_owned_free(&o);
	snap_reader_free(r);
	return 0;
}
