// SPDX-License-Identifier: MIT
/*
 * Token buckets and rate limiters (lib/tbucket.h) on a clock the test
 * drives: Firecracker's semantics (continuous refill, the one-time burst,
 * over-consumption as debt), the exact refill of partial tokens, both
 * buckets charged or neither, and the long-run rate of a greedy client.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/tbucket.h"

#define MS 1000000ULL

static struct tbucket mk(uint64_t size, uint64_t burst, uint64_t refill_ms)
{
	struct tbucket b;
	struct tbucket_config c = { size, burst, refill_ms };

	tbucket_init(&b, &c, 0);
	return b;
}

static void off_buckets(void **state)
{
	struct tbucket a = mk(0, 100, 1000), b = mk(100, 0, 0);

	(void)state;
	assert_false(tbucket_on(&a));
	assert_false(tbucket_on(&b));
	assert_int_equal(tbucket_take(&a, 1ULL << 40, 0), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1ULL << 40, 0), TBUCKET_OK);
	assert_int_equal(tbucket_wait_ns(&a, 1ULL << 40, 0), 0);
}

static void full_then_refill(void **state)
{
	struct tbucket b = mk(1000, 0, 1000); /* 1000 tokens per second */

	(void)state;
	assert_int_equal(tbucket_take(&b, 1000, 0), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1, 0), TBUCKET_WAIT);
	assert_int_equal(tbucket_wait_ns(&b, 1, 0), 1 * MS);
	assert_int_equal(tbucket_wait_ns(&b, 500, 0), 500 * MS);
	assert_int_equal(tbucket_take(&b, 1, 1 * MS - 1), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 1, 1 * MS), TBUCKET_OK);
	/* Never more than a full bucket, however long it rested. */
	assert_int_equal(tbucket_take(&b, 1000, 3600000 * MS), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1, 3600000 * MS), TBUCKET_WAIT);
}

static void partial_tokens_carry_over(void **state)
{
	struct tbucket b = mk(3, 0, 1000); /* one token per 333.3 ms */

	(void)state;
	assert_int_equal(tbucket_take(&b, 3, 0), TBUCKET_OK);
	/* Refilled in many small steps, nothing is lost to rounding. */
	for (uint64_t t = 1; t < 333; t++)
		assert_int_equal(tbucket_take(&b, 1, t * MS), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 1, 334 * MS), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 2, 1000 * MS - 1), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 2, 1000 * MS), TBUCKET_OK);
}

static void burst_first_never_refilled(void **state)
{
	struct tbucket b = mk(100, 50, 100);

	(void)state;
	assert_int_equal(tbucket_take(&b, 150, 0), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1, 0), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 100, 1000 * MS), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1, 1000 * MS), TBUCKET_WAIT);
}

static void over_consumption_is_debt(void **state)
{
	struct tbucket b = mk(100, 0, 100); /* one token per ms */

	(void)state;
	/* Larger than the bucket: goes at once, then 150 tokens owed. */
	assert_int_equal(tbucket_take(&b, 250, 0), TBUCKET_OVER);
	assert_int_equal(tbucket_take(&b, 1, 0), TBUCKET_WAIT);
	assert_int_equal(tbucket_wait_ns(&b, 1, 0), 151 * MS);
	assert_int_equal(tbucket_take(&b, 1, 150 * MS), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 1, 151 * MS), TBUCKET_OK);
	/* Another oversized request waits for the debt only. */
	assert_int_equal(tbucket_take(&b, 300, 151 * MS), TBUCKET_OVER);
	assert_int_equal(tbucket_wait_ns(&b, 300, 151 * MS), 300 * MS);
	assert_int_equal(tbucket_take(&b, 300, 451 * MS), TBUCKET_OVER);
}

static void clock_going_back(void **state)
{
	struct tbucket b = mk(10, 0, 10);

	(void)state;
	assert_int_equal(tbucket_take(&b, 10, 5 * MS), TBUCKET_OK);
	assert_int_equal(tbucket_take(&b, 1, 1 * MS), TBUCKET_WAIT);
	assert_int_equal(tbucket_take(&b, 1, 6 * MS), TBUCKET_OK);
}

static void give_back_restores(void **state)
{
	struct tbucket b = mk(100, 20, 1000);

	(void)state;
	assert_int_equal(tbucket_take(&b, 110, 0), TBUCKET_OK);
	tbucket_give_back(&b, 110);
	assert_int_equal(b.tokens, 100);
	assert_int_equal(b.burst, 20);
	assert_int_equal(tbucket_take(&b, 200, 0), TBUCKET_OVER);
	tbucket_give_back(&b, 200);
	assert_int_equal(b.debt, 0);
	assert_int_equal(b.tokens + b.burst, 120);
}

static void limiter_charges_both_or_neither(void **state)
{
	struct rate_limiter r;
	struct rate_limiter_config c = { .bytes = { 1000, 0, 1000 },
					 .ops = { 2, 0, 1000 } };

	(void)state;
	rate_limiter_init(&r, &c, 0);
	assert_true(rate_limiter_on(&r));
	assert_true(rate_limiter_take(&r, 400, 0));
	assert_true(rate_limiter_take(&r, 400, 0));
	/* The ops bucket is empty: the bytes bucket keeps its 200. */
	assert_false(rate_limiter_take(&r, 100, 0));
	assert_int_equal(r.bytes.tokens, 200);
	assert_int_equal(rate_limiter_wait_ns(&r, 100, 0), 500 * MS);
	/* Now the bytes bucket says wait: the op is given back. */
	assert_false(rate_limiter_take(&r, 900, 500 * MS));
	assert_int_equal(r.ops.tokens, 1);
	assert_int_equal(rate_limiter_wait_ns(&r, 900, 500 * MS), 200 * MS);
	assert_true(rate_limiter_take(&r, 900, 700 * MS));

	struct rate_limiter_config none = { 0 };
	rate_limiter_init(&r, &none, 0);
	assert_false(rate_limiter_on(&r));
	assert_true(rate_limiter_take(&r, 1ULL << 40, 0));
}

/* A greedy client of 4 KiB requests under 1 MiB/s for 10 s of clock. */
static void long_run_rate(void **state)
{
	struct rate_limiter r;
	struct rate_limiter_config c = { .bytes = { 1 << 20, 0, 1000 } };
	uint64_t now = 0, got = 0, end = 10000 * MS;

	(void)state;
	rate_limiter_init(&r, &c, 0);
	while (now < end) {
		if (rate_limiter_take(&r, 4096, now))
			got += 4096;
		else
			now += rate_limiter_wait_ns(&r, 4096, now);
	}
	/* The full bucket at the start, then exactly the rate. */
	assert_in_range(got, 11 * (1 << 20) - 4096, 11 * (1 << 20) + 4096);
}

static void config_bounds(void **state)
{
	const char *why = NULL;
	struct tbucket_config ok = { 1ULL << 50, 1ULL << 50, 3600000 };
	struct tbucket_config big = { (1ULL << 50) + 1, 0, 1000 };
	struct tbucket_config burst = { 10, (1ULL << 50) + 1, 1000 };
	struct tbucket_config slow = { 10, 0, 3600001 };

	(void)state;
	assert_int_equal(tbucket_check(&ok, &why), 0);
	assert_int_equal(tbucket_check(&big, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(tbucket_check(&burst, &why), -EINVAL);
	assert_int_equal(tbucket_check(&slow, &why), -EINVAL);
	/* The largest allowed bucket refills without overflow. */
	struct tbucket b;
	tbucket_init(&b, &ok, 0);
	assert_int_equal(tbucket_take(&b, (1ULL << 51) + 1, 0), TBUCKET_OVER);
	assert_int_equal(tbucket_wait_ns(&b, 1, 0), 1);
	assert_int_equal(tbucket_take(&b, 1, UINT64_MAX), TBUCKET_OK);
}

/* Charging what was already used: the lack is debt, paid first. */
static void charge_after_use(void **state)
{
	struct tbucket b = mk(1000, 0, 1000);

	(void)state;
	tbucket_charge(&b, 600, 0);
	assert_int_equal(tbucket_take(&b, 400, 0), TBUCKET_OK);
	tbucket_charge(&b, 50, 0);		/* 50 of debt */
	assert_int_equal(tbucket_take(&b, 1, 50 * MS), TBUCKET_WAIT);
	assert_int_equal(tbucket_wait_ns(&b, 1, 50 * MS), 1 * MS);
	assert_int_equal(tbucket_take(&b, 1, 51 * MS), TBUCKET_OK);
}

/* Firecracker's BucketUpdate: named buckets replaced (full), others kept. */
static void patch_named_buckets(void **state)
{
	struct rate_limiter_config c = { .bytes = { 1000, 0, 1000 },
					 .ops = { 10, 0, 1000 } };
	struct rate_limiter r;
	struct rate_limiter_patch p = { .cfg.bytes = { 0, 0, 0 },
					.bytes = true };

	(void)state;
	rate_limiter_init(&r, &c, 0);
	assert_true(rate_limiter_take(&r, 1000, 0));
	rate_limiter_patch(&r, &p, 0);
	rate_limiter_patch_config(&c, &p);
	assert_false(tbucket_on(&r.bytes));
	assert_int_equal(c.bytes.size, 0);
	assert_int_equal(c.ops.size, 10);
	assert_int_equal(r.ops.tokens, 9);	/* kept, with its state */
	p = (struct rate_limiter_patch){ .cfg.ops = { 2, 0, 1000 }, .ops = true };
	rate_limiter_patch(&r, &p, 0);
	assert_int_equal(r.ops.tokens, 2);	/* a new, full bucket */
	assert_true(rate_limiter_take(&r, 1ULL << 40, 0));
	assert_true(rate_limiter_take(&r, 1, 0));
	assert_false(rate_limiter_take(&r, 1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off_buckets),
		cmocka_unit_test(full_then_refill),
		cmocka_unit_test(partial_tokens_carry_over),
		cmocka_unit_test(burst_first_never_refilled),
		cmocka_unit_test(over_consumption_is_debt),
		cmocka_unit_test(clock_going_back),
		cmocka_unit_test(give_back_restores),
		cmocka_unit_test(limiter_charges_both_or_neither),
		cmocka_unit_test(long_run_rate),
		cmocka_unit_test(config_bounds),
		cmocka_unit_test(charge_after_use),
		cmocka_unit_test(patch_named_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
