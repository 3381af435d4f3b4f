/* SPDX-License-Identifier: MIT */
/*
 * The live-migration stream (docs/migration.md, "The stream"): a header,
 * then frames, each with its type, length and a CRC32 of its payload, its
 * header checked by a CRC of its own.  Framed, versioned, capped and
 * checked like a snapshot file, because the peer is as untrusted as a
 * file: every frame is validated before any byte of it is used, and every
 * read and write has a deadline, so a peer that stalls, disconnects or
 * sends garbage ends the migration with a message, never a hang.
 *
 * And the addresses both ends use: "tcp:HOST:PORT" or "unix:PATH"
 * (Cloud Hypervisor's destination_url / receiver_url).
 */
#ifndef VMON_LIB_MIGSTREAM_H
#define VMON_LIB_MIGSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/err.h"

#define MIG_MAGIC		"VMONMIG1"
#define MIG_VERSION		1u
#define MIG_HEADER_SIZE		32u	/* magic, version, arch[16], crc */
#define MIG_FRAME_HEADER_SIZE	16u	/* type, len, payload crc, crc */
#define MIG_PAGE_SIZE		4096u
/* Pages in one PAGES frame: 1 MiB of data, the unit of a round's work. */
#define MIG_PAGES_PER_FRAME	256u

enum mig_frame_type {
	MIG_CONFIG = 1,	/* src->dst: a snapshot image with the config section */
	MIG_PAGES,	/* src->dst: u64 first page, then whole pages */
	MIG_ROUND,	/* src->dst: u32 round, u64 pages sent, u64 dirty left */
	MIG_STATE,	/* src->dst: the paused VM's snapshot image */
	MIG_READY,	/* dst->src: restored, paused, waiting for GO */
	MIG_GO,		/* src->dst: u8 run, u32 ms stopped so far: go */
	MIG_ERROR,	/* either way: a message, then the end */
	MIG_FRAME_TYPES,
};

/* What a frame of each type may carry, at most (the receiver checks the
 * exact length of the fixed-size ones: ROUND, GO). */
uint32_t mig_frame_max(uint32_t type);

/* The stream's first bytes, for arch (a snapshot arch tag). */
void mig_header_put(uint8_t out[MIG_HEADER_SIZE], const char *arch);
/* 0, or -EPROTO naming what is wrong (magic, version, arch, checksum). */
int mig_header_check(const uint8_t in[MIG_HEADER_SIZE], const char *arch,
		     struct vmon_err *e);

void mig_frame_header_put(uint8_t out[MIG_FRAME_HEADER_SIZE], uint32_t type,
			  const void *payload, uint32_t len);
/*
 * A frame header from the peer: its checksum, a known type, a length
 * within that type's cap.  *type and *len set; 0 or -EPROTO.
 */
int mig_frame_header_check(const uint8_t in[MIG_FRAME_HEADER_SIZE],
			   uint32_t *type, uint32_t *len, struct vmon_err *e);
/* The payload against the checksum the header carried: 0 or -EPROTO. */
int mig_frame_payload_check(const uint8_t in[MIG_FRAME_HEADER_SIZE],
			    const void *payload, uint32_t len,
			    struct vmon_err *e);

/*
 * A PAGES payload for RAM of npages pages: first page index and count,
 * every page inside RAM, the length exactly 8 + count pages.  0 or
 * -EPROTO.
 */
int mig_pages_parse(const void *payload, uint32_t len, uint64_t npages,
		    uint64_t *first, uint32_t *count, const uint8_t **data,
		    struct vmon_err *e);

/* ---- I/O with deadlines ------------------------------------------------ */

/*
 * All n bytes, or an error naming the peer's fault: -ETIMEDOUT when the
 * peer sent (or took) nothing for timeout_ms (each wait: a peer that
 * drips bytes keeps it going), -ECONNRESET on EOF or a reset.  fd may be
 * blocking or not.
 */
int mig_read_full(int fd, void *buf, size_t n, int timeout_ms,
		  struct vmon_err *e);
int mig_write_full(int fd, const void *buf, size_t n, int timeout_ms,
		   struct vmon_err *e);

/* One frame: header and payload, written together. */
int mig_send(int fd, uint32_t type, const void *payload, uint32_t len,
	     int timeout_ms, struct vmon_err *e);
/*
 * One frame, checked, its payload malloc'd into *payload (NULL for an
 * empty one).  An ERROR frame from the peer becomes -ECONNABORTED with
 * the peer's message in e.  0 or -errno.
 */
int mig_recv(int fd, uint32_t *type, uint8_t **payload, uint32_t *len,
	     int timeout_ms, struct vmon_err *e);

/* ---- addresses --------------------------------------------------------- */

struct mig_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[128];		/* as given, for messages */
};

/*
 * "tcp:HOST:PORT" (HOST an IPv4 or IPv6 literal, [::1] style for IPv6,
 * or "localhost") or "unix:PATH".  0, or -EINVAL with err saying why.
 */
int mig_addr_parse(const char *url, struct mig_addr *a, char *err,
		   size_t len);
/* A listening socket on a (SO_REUSEADDR for tcp).  *fd; 0 or -errno. */
int mig_listen(const struct mig_addr *a, int *fd, struct vmon_err *e);
/* TCP_NODELAY on a connected socket (accepted or connected). */
void mig_tune(int fd);
/*
 * Connected to a within timeout_ms; *fd non-blocking (mig_* I/O waits
 * with poll).  Only socket, connect and poll: a seccomp-filtered thread
 * may call it.  0 or -errno.
 */
int mig_connect(const struct mig_addr *a, int timeout_ms, int *fd,
		struct vmon_err *e);

#endif
