/* SPDX-License-Identifier: MIT */
/*
 * Token buckets with the semantics of Firecracker's RateLimiter object
 * (reference/firecracker-api.yaml, TokenBucket and RateLimiter), the
 * rate limits a device applies to its queues:
 *
 *  - `size` tokens at most, refilled at size per `refill_time` ms,
 *    continuously (exact: the remainder of a partial token carries over);
 *  - `one_time_burst` extra tokens, spent first and never refilled;
 *  - a request larger than the whole bucket is not refused forever: it
 *    takes what is there and the rest becomes debt, paid off by the
 *    refill before anything else is taken (Firecracker's
 *    "OverConsumption");
 *  - a request that fits the bucket but not what is left takes nothing
 *    and is told how long to wait.
 *
 * A rate limiter is two buckets, bytes and operations, either of which may
 * be off; a request passes when both allow it.  Time is handed in (ns, any
 * monotonic origin), so the logic is pure and the tests drive the clock.
 * Not thread-safe: a limiter belongs to the thread that processes its
 * queue (the VMM thread).
 */
#ifndef VMON_LIB_TBUCKET_H
#define VMON_LIB_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

/* The bounds a configuration is checked against (tbucket_check). */
#define TBUCKET_MAX_REFILL_MS (3600ULL * 1000) /* one hour */
#define TBUCKET_MAX_TOKENS    (1ULL << 50)

struct tbucket_config {
	uint64_t size; /* 0: this bucket is off */
	uint64_t one_time_burst;
	uint64_t refill_ms; /* > 0 when size > 0 */
};

struct tbucket {
	struct tbucket_config cfg;
	uint64_t tokens;  /* refillable budget, <= size */
	uint64_t burst;	  /* one-time burst left */
	uint64_t debt;	  /* over-consumption still to refill */
	uint64_t last_ns; /* when the refill was last computed */
	uint64_t frac;	  /* elapsed ns * size not yet a whole token */
};

enum tbucket_result {
	TBUCKET_OK,   /* taken */
	TBUCKET_OVER, /* taken, larger than the bucket: now in debt */
	TBUCKET_WAIT, /* nothing taken; see tbucket_wait_ns */
};

/* Firecracker's rule: a bucket of no size or no refill time is off. */
static inline bool tbucket_config_on(const struct tbucket_config *c)
{
	return c->size && c->refill_ms;
}

/* 0, or -EINVAL with *why set to a static reason. */
int tbucket_check(const struct tbucket_config *c, const char **why);
/* A full bucket at now_ns; c must have passed tbucket_check. */
void tbucket_init(struct tbucket *b, const struct tbucket_config *c,
		  uint64_t now_ns);
static inline bool tbucket_on(const struct tbucket *b)
{
	return b->cfg.size != 0;
}
enum tbucket_result tbucket_take(struct tbucket *b, uint64_t n, uint64_t now_ns);
/* Undo a take of n that was not used (the other bucket said wait). */
void tbucket_give_back(struct tbucket *b, uint64_t n);
/* Nanoseconds from now_ns until a take of n can succeed (0: now). */
uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t n, uint64_t now_ns);

/* Firecracker's RateLimiter: `bandwidth` (bytes) and `ops`. */
struct rate_limiter_config {
	struct tbucket_config bytes, ops;
};

struct rate_limiter {
	struct tbucket bytes, ops;
};

/* Both buckets' tbucket_check. */
int rate_limiter_check(const struct rate_limiter_config *c, const char **why);

void rate_limiter_init(struct rate_limiter *r,
		       const struct rate_limiter_config *c, uint64_t now_ns);
static inline bool rate_limiter_on(const struct rate_limiter *r)
{
	return tbucket_on(&r->bytes) || tbucket_on(&r->ops);
}
/*
 * One request of `bytes` bytes (one operation): true if it may go now
 * (both buckets charged), false if it must wait (neither charged) for
 * rate_limiter_wait_ns().
 */
bool rate_limiter_take(struct rate_limiter *r, uint64_t bytes, uint64_t now_ns);
uint64_t rate_limiter_wait_ns(struct rate_limiter *r, uint64_t bytes,
			      uint64_t now_ns);
/* Undo a successful rate_limiter_take of `bytes` that was not used. */
void rate_limiter_give_back(struct rate_limiter *r, uint64_t bytes);
/*
 * Take n that was already used, whatever is left: what the bucket lacks
 * becomes debt, paid by the refill before the next take succeeds (a
 * received frame, whose length is known only once it is read).
 */
void tbucket_charge(struct tbucket *b, uint64_t n, uint64_t now_ns);

/*
 * A run-time change of a limiter (Firecracker's PATCH of a drive's or an
 * interface's limiters, its BucketUpdate): each bucket named is replaced
 * by a full one of the new configuration, off when that is off (size or
 * refill_time 0); a bucket not named stays as it is.
 */
struct rate_limiter_patch {
	struct rate_limiter_config cfg;
	bool bytes, ops;	/* the bucket was given */
};

void rate_limiter_patch_config(struct rate_limiter_config *c,
			       const struct rate_limiter_patch *p);
void rate_limiter_patch(struct rate_limiter *r,
			const struct rate_limiter_patch *p, uint64_t now_ns);

#endif
