// SPDX-License-Identifier: MIT
#include "lib/tbucket.h"

#include <errno.h>

typedef unsigned __int128 u128;

static uint64_t period_ns(const struct tbucket *b)
{
	return b->cfg.refill_ms * 1000000ULL;
}

int tbucket_check(const struct tbucket_config *c, const char **why)
{
	if (c->size > TBUCKET_MAX_TOKENS ||
	    c->one_time_burst > TBUCKET_MAX_TOKENS) {
		*why = "size and one_time_burst must be at most 2^50";
		return -EINVAL;
	}
	if (c->refill_ms > TBUCKET_MAX_REFILL_MS) {
		*why = "refill_time must be at most one hour (3600000 ms)";
		return -EINVAL;
	}
	return 0;
}

void tbucket_init(struct tbucket *b, const struct tbucket_config *c,
		  uint64_t now_ns)
{
	*b = (struct tbucket){ .cfg = *c, .last_ns = now_ns };
	if (!tbucket_config_on(c)) {
		b->cfg = (struct tbucket_config){ 0 };
		return;
	}
	b->tokens = c->size;
	b->burst = c->one_time_burst;
}

/* Adds what the time since the last refill earned: debt first. */
static void refill(struct tbucket *b, uint64_t now_ns)
{
	uint64_t period = period_ns(b), added, pay;
	u128 acc;

	if (now_ns <= b->last_ns)
		return;
	acc = (u128)b->frac + (u128)(now_ns - b->last_ns) * b->cfg.size;
	b->last_ns = now_ns;
	/* More than a whole bucket plus the debt is capped below anyway. */
	if (acc / period > (u128)b->cfg.size + b->debt)
		acc = ((u128)b->cfg.size + b->debt) * period;
	added = (uint64_t)(acc / period);
	b->frac = (uint64_t)(acc % period);
	pay = added < b->debt ? added : b->debt;
	b->debt -= pay;
	added -= pay;
	b->tokens += added;
	if (b->tokens >= b->cfg.size) {
		b->tokens = b->cfg.size;
		b->frac = 0; /* a full bucket earns nothing more */
	}
}

enum tbucket_result tbucket_take(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t avail, from_burst;

	if (!tbucket_on(b) || !n)
		return TBUCKET_OK;
	refill(b, now_ns);
	if (b->debt)
		return TBUCKET_WAIT;
	avail = b->burst + b->tokens;
	if (n <= avail) {
		from_burst = n < b->burst ? n : b->burst;
		b->burst -= from_burst;
		b->tokens -= n - from_burst;
		return TBUCKET_OK;
	}
	if (n > b->cfg.size) {
		/* Never fits: go now, and pay for it before anything else. */
		b->debt = n - avail;
		b->burst = b->tokens = 0;
		return TBUCKET_OVER;
	}
	return TBUCKET_WAIT;
}

void tbucket_give_back(struct tbucket *b, uint64_t n)
{
	uint64_t d;

	if (!tbucket_on(b))
		return;
	d = n < b->debt ? n : b->debt;
	b->debt -= d;
	n -= d;
	if (b->tokens + n <= b->cfg.size) {
		b->tokens += n;
		return;
	}
	/* What the refillable part cannot hold came from the burst. */
	b->burst += b->tokens + n - b->cfg.size;
	b->tokens = b->cfg.size;
}

uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t need, avail, size = b->cfg.size;
	u128 ns;

	if (!tbucket_on(b) || !n)
		return 0;
	refill(b, now_ns);
	avail = b->burst + b->tokens;
	if (b->debt)
		need = b->debt + (n <= size ? n : 0);
	else if (n <= avail || n > size)
		return 0;
	else
		need = n - avail;
	/* Tokens accrue at size per period: ceil((need * period - frac) / size). */
	ns = (u128)need * period_ns(b) - b->frac;
	ns = (ns + size - 1) / size;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

int rate_limiter_check(const struct rate_limiter_config *c, const char **why)
{
	int ret = tbucket_check(&c->bytes, why);

	return ret ? ret : tbucket_check(&c->ops, why);
}

void rate_limiter_init(struct rate_limiter *r,
		       const struct rate_limiter_config *c, uint64_t now_ns)
{
	tbucket_init(&r->bytes, &c->bytes, now_ns);
	tbucket_init(&r->ops, &c->ops, now_ns);
}

bool rate_limiter_take(struct rate_limiter *r, uint64_t bytes, uint64_t now_ns)
{
	if (tbucket_take(&r->ops, 1, now_ns) == TBUCKET_WAIT)
		return false;
	if (tbucket_take(&r->bytes, bytes, now_ns) == TBUCKET_WAIT) {
		tbucket_give_back(&r->ops, 1);
		return false;
	}
	return true;
}

uint64_t rate_limiter_wait_ns(struct rate_limiter *r, uint64_t bytes,
			      uint64_t now_ns)
{
	uint64_t a = tbucket_wait_ns(&r->ops, 1, now_ns);
	uint64_t b = tbucket_wait_ns(&r->bytes, bytes, now_ns);

	return a > b ? a : b;
}

void rate_limiter_give_back(struct rate_limiter *r, uint64_t bytes)
{
	tbucket_give_back(&r->ops, 1);
	tbucket_give_back(&r->bytes, bytes);
}

void tbucket_charge(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t avail, from_burst;

	if (!tbucket_on(b) || !n)
		return;
	refill(b, now_ns);
	avail = b->burst + b->tokens;
	if (n <= avail) {
		from_burst = n < b->burst ? n : b->burst;
		b->burst -= from_burst;
		b->tokens -= n - from_burst;
		return;
	}
	b->debt += n - avail;
	b->burst = b->tokens = 0;
}

void rate_limiter_patch_config(struct rate_limiter_config *c,
			       const struct rate_limiter_patch *p)
{
	if (p->bytes)
		c->bytes = p->cfg.bytes;
	if (p->ops)
		c->ops = p->cfg.ops;
}

void rate_limiter_patch(struct rate_limiter *r,
			const struct rate_limiter_patch *p, uint64_t now_ns)
{
	if (p->bytes)
		tbucket_init(&r->bytes, &p->cfg.bytes, now_ns);
	if (p->ops)
		tbucket_init(&r->ops, &p->cfg.ops, now_ns);
}
