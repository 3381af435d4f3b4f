/* SPDX-License-Identifier: MIT */
/*
 * A virtio device, independent of its transport (VIRTIO 1.2 chapters 2
 * and 3): status state machine, feature negotiation, queue registers, and
 * what happens when a driver breaks the rules.
 *
 * Writing a device
 * ----------------
 * A device is a struct virtio_dev embedded in the device's own struct.
 * Before handing it to a transport (virtio_pci_create), the device fills:
 *
 *   name, type (VIRTIO_ID_*), pci_class, num_queues, queue_max_size
 *   (power of two), features (device-specific bits it offers; the
 *   transport adds VERSION_1, INDIRECT_DESC and EVENT_IDX), config_size
 *   and ops.
 *
 * and implements the ops (all run with the device lock held, on the VMM
 * thread or a vCPU thread; none may block for long):
 *
 *   config_read/config_write  device configuration space, off + len
 *                             already inside config_size
 *   activate     DRIVER_OK was written: features are in vd->features and
 *                every enabled queue is validated (vd->queues[i].vq is
 *                ready).  Return 0, or -errno to fail the device.
 *   queue_notify the driver kicked a ready queue (VMM thread only): pop
 *                with virtq_pop(), complete with virtq_push(), then call
 *                virtio_queue_interrupt().  A device-level protocol error
 *                (say, a readable buffer where the device must write)
 *                goes to virtio_fail().  Bound the work per call; call
 *                virtio_queue_kick() to be called again later.
 *   reset        status 0 was written (or the VM is going away): drop
 *                requests in flight, back to the initial state.
 *   destroy      free the device's own state.
 *   save         (optional) put the device's own state for a snapshot:
 *                called with every vCPU parked and the device quiesced
 *                (virtio_pci_save); 0, enc->err, or -EBUSY/-ENOTSUP with
 *                a log line naming the device if it cannot be saved now.
 *                Without it the device cannot be snapshotted.
 *   restore      (optional, with save) read back what save put: decode
 *                every field, validate it as strictly as a guest write,
 *                snap_get_* and snap_dec_fail naming the field, and only then
 *                apply (the device's part ends the section: call
 *                snap_dec_end before applying).  Called on a freshly
 *                created device after the
 *                transport and core state (status, features, queues with
 *                their indices) are applied, before activate.  Chains
 *                the device held but never used (popped ahead, like
 *                net's receive buffers) are given back with
 *                virtio_queue_rewind() so they are popped again.
 *
 * Code that runs outside these callbacks (a backend's completion on the
 * VMM thread) takes the lock first: virtio_lock()/virtio_unlock().
 */
#ifndef VMON_VIRTIO_VIRTIO_H
#define VMON_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "virtio/virtq.h"

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_BIT(b)			(1ull << (b))
/* What every vmon device offers on top of its own bits. */
#define VIRTIO_TRANSPORT_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
					 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
					 VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

/* Device types (5). */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_ENTROPY	4
#define VIRTIO_ID_BALLOON	5
#define VIRTIO_ID_VSOCK		19

#define VIRTIO_MSI_NO_VECTOR	0xffff
#define VIRTIO_MAX_QUEUES	1024

struct virtio_dev;
struct snap_enc;
struct snap_dec;

struct virtio_dev_ops {
	void (*config_read)(struct virtio_dev *vd, uint32_t off, void *buf,
			    uint32_t len);
	void (*config_write)(struct virtio_dev *vd, uint32_t off,
			     const void *buf, uint32_t len);
	int (*activate)(struct virtio_dev *vd);
	void (*queue_notify)(struct virtio_dev *vd, struct virtq *vq);
	void (*reset)(struct virtio_dev *vd);
	void (*destroy)(struct virtio_dev *vd);
	/*
	 * Snapshot: finish what is in flight (block requests complete, used
	 * entries and interrupts delivered) so save finds nothing half
	 * done.  VMM thread, vCPUs parked, lock held.  NULL: nothing is ever
	 * left in flight between two events of the loop.
	 */
	void (*quiesce)(struct virtio_dev *vd);
	/* Snapshot: the device's own state, lock held (see above). */
	int (*save)(struct virtio_dev *vd, struct snap_enc *enc);
	int (*restore)(struct virtio_dev *vd, struct snap_dec *d);
};

/* What a transport provides to the core (virtio_pci.c). */
struct virtio_transport_ops {
	/* Interrupt the driver: for queue q, or config change if q < 0. */
	void (*interrupt)(struct virtio_dev *vd, int q);
	/* Have queue_notify called for q again, later, on the VMM thread. */
	void (*kick)(struct virtio_dev *vd, uint16_t q);
	/* Reset the transport's own state (ISR, vectors, selectors). */
	void (*reset)(struct virtio_dev *vd);
};

/* One queue: the driver's registers and, once enabled, the ring. */
struct virtio_queue {
	uint16_t size;
	uint64_t desc, driver, device;
	bool enabled;
	struct virtq vq;
};

struct virtio_dev {
	/* Set by the device. */
	const char *name;
	uint16_t type;
	uint32_t pci_class;
	uint16_t num_queues;
	uint16_t queue_max_size;
	uint64_t features_offered;	/* device bits; core adds its own */
	uint32_t config_size;
	const struct virtio_dev_ops *ops;

	/* Set up by virtio_dev_setup and the transport. */
	const struct guest_mem *gm;
	pthread_mutex_t *lock;
	const struct virtio_transport_ops *t;
	void *t_priv;
	char label[48];			/* "virtio-rng 00:01.0", for logs */

	/* Driver-visible state. */
	uint64_t features;		/* what the driver accepted */
	bool features_beyond_64;	/* accepted bits we never offered */
	uint8_t status;
	uint8_t config_generation;
	struct virtio_queue *queues;

	/* Counters and the rate limit of this device's complaints. */
	struct counter violations;
	struct counter spurious_notifies;
	struct ratelimit rl;
};

/*
 * Allocate the queues and bind vd to its transport.  Adds the transport
 * features.  0 or -errno (-EINVAL for a device that declares nonsense).
 */
int virtio_dev_setup(struct virtio_dev *vd, const struct guest_mem *gm,
		     pthread_mutex_t *lock,
		     const struct virtio_transport_ops *t, void *t_priv);
void virtio_dev_cleanup(struct virtio_dev *vd);

static inline void virtio_lock(struct virtio_dev *vd)
{
	pthread_mutex_lock(vd->lock);
}

static inline void virtio_unlock(struct virtio_dev *vd)
{
	pthread_mutex_unlock(vd->lock);
}

static inline bool virtio_has_feature(const struct virtio_dev *vd,
				      unsigned int bit)
{
	return vd->features & VIRTIO_BIT(bit);
}

/* DRIVER_OK, and neither FAILED nor NEEDS_RESET: queues are served. */
bool virtio_running(const struct virtio_dev *vd);

/* ---- Called by transports, lock held ---------------------------------- */

void virtio_reset(struct virtio_dev *vd);
void virtio_set_status(struct virtio_dev *vd, uint8_t status);
uint32_t virtio_device_features(const struct virtio_dev *vd, uint32_t sel);
uint32_t virtio_driver_features(const struct virtio_dev *vd, uint32_t sel);
void virtio_set_driver_features(struct virtio_dev *vd, uint32_t sel,
				uint32_t val);

/* NULL when q does not exist (rule 11: such registers read 0). */
struct virtio_queue *virtio_queue(struct virtio_dev *vd, uint32_t q);

enum virtio_queue_reg { VQ_REG_DESC, VQ_REG_DRIVER, VQ_REG_DEVICE };
void virtio_queue_set_size(struct virtio_dev *vd, uint16_t q, uint16_t size);
void virtio_queue_set_addr(struct virtio_dev *vd, uint16_t q,
			   enum virtio_queue_reg reg, uint64_t addr);
void virtio_queue_set_enable(struct virtio_dev *vd, uint16_t q, uint16_t v);

/* The driver notified queue q (VMM thread): serve it if it may be. */
void virtio_process_queue(struct virtio_dev *vd, uint16_t q);

/* ---- Called by devices, lock held ------------------------------------- */

/*
 * The driver broke the protocol: log one rate-limited line, count it, set
 * DEVICE_NEEDS_RESET and, after DRIVER_OK, send a configuration change
 * interrupt (2.1.2).  The device serves nothing until reset.
 */
void virtio_fail(struct virtio_dev *vd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* After pushing completions: interrupt if the driver wants one. */
void virtio_queue_interrupt(struct virtio_dev *vd, struct virtq *vq);
/* The device configuration changed (bumps config_generation). */
void virtio_config_changed(struct virtio_dev *vd);
/* Call queue_notify for q again soon (work left over). */
void virtio_queue_kick(struct virtio_dev *vd, uint16_t q);

/* ---- Snapshot state (virtio_state.c), lock held ---------------------- */

#define VIRTIO_STATUS_KNOWN	(VIRTIO_STATUS_ACKNOWLEDGE | \
				 VIRTIO_STATUS_DRIVER | \
				 VIRTIO_STATUS_DRIVER_OK | \
				 VIRTIO_STATUS_FEATURES_OK | \
				 VIRTIO_STATUS_NEEDS_RESET | \
				 VIRTIO_STATUS_FAILED)

struct virtio_queue_state {
	uint16_t size;
	uint64_t desc, driver, device;
	bool enabled, broken, signalled_valid;
	uint16_t last_avail, used_idx, signalled_used, inflight;
};

/* The core's state as decoded, not yet applied (virtio_dev_state_free). */
struct virtio_dev_state {
	uint64_t features;
	uint8_t status, config_generation;
	struct virtio_queue_state *q;	/* num_queues of them */
	char field[32];			/* the per-queue field name in use */
};

/*
 * The device's identity: type, queue count and maximum, offered features,
 * config size.  First in a function's section, so that restoring into
 * the wrong kind of device says so before anything else.
 */
int virtio_dev_save_id(const struct virtio_dev *vd, struct snap_enc *enc);
/* The identity must be vd's.  0 or -errno (d->err). */
int virtio_dev_check_id(const struct virtio_dev *vd, struct snap_dec *d);
/*
 * Status, features and every queue: registers and, for an enabled queue,
 * the ring walker's positions.  0 or enc->err.
 */
int virtio_dev_save(const struct virtio_dev *vd, struct snap_enc *enc);
/*
 * Decode into *s and validate against vd (a fresh device of the same
 * kind), changing nothing: the status must be one a
 * driver can reach, features a subset of the offered ones, queue sizes
 * powers of two up to the maximum, enabled queues pass the same checks
 * as a live enable (virtq_configure) and their indices agree with the
 * chains in flight.  0 or -errno (d->err).
 */
int virtio_dev_decode(struct virtio_dev *vd, struct snap_dec *d,
		      struct virtio_dev_state *s);
/* Apply a decoded state: queues configured, indices set; no activate. */
void virtio_dev_apply(struct virtio_dev *vd, const struct virtio_dev_state *s);
void virtio_dev_state_free(struct virtio_dev_state *s);
/*
 * After a restore: activate a DRIVER_OK device (ops->activate) and kick
 * its enabled queues, as the live DRIVER_OK write does.  0 or -errno.
 */
int virtio_dev_resume(struct virtio_dev *vd);
/*
 * Give back the last n chains popped from queue q and never used, so the
 * next virtq_pop takes them again (a restored device's held buffers).
 * 0, or -EINVAL when fewer than n are in flight.
 */
int virtio_queue_rewind(struct virtio_dev *vd, uint16_t q, uint16_t n);
/* "block", "net", ...: for messages. */
const char *virtio_type_name(uint16_t type);

#endif
