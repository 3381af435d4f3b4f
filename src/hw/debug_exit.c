// SPDX-License-Identifier: MIT
#include "hw/debug_exit.h"

#include <string.h>

#include "lib/le.h"
#include "lib/log.h"

void debug_exit_init(struct debug_exit *d, const struct stop_sink *stop)
{
	d->stop = stop ? *stop : (struct stop_sink){ 0 };
	d->last_status = -1;
}

void debug_exit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct debug_exit *d = opaque;
	uint32_t v;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	/* QEMU takes the value at the access's own width. */
	v = (uint32_t)le_get(data, len < 4 ? len : 4);
	d->last_status = debug_exit_status(v);
	if (stop_sink_connected(&d->stop)) {
		log_info("debug-exit: guest wrote 0x%x, exit status %d", v,
			 d->last_status);
		stop_request(&d->stop, VM_STOP_DEBUG_EXIT, d->last_status);
	}
}

void post_port_init(struct post_port *p)
{
	atomic_init(&p->writes, 0);
	p->last = 0;
}

void post_port_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct post_port *p = opaque;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	atomic_fetch_add_explicit(&p->writes, 1, memory_order_relaxed);
	p->last = data[0];
}
