/*
 * ktimer.h: when a Linux timer_list or delayed work armed "now + N ms" really runs, for models
 * whose timing rules come from the kernel (the dma-iommu flush-queue timer, the IOVA depot
 * trimming work).
 *
 * Three rules, from Linux 6.12:
 *  - jiffies advance once per tick of 1/HZ s; the model puts tick k at floor(k * 1e9 / HZ) ns of
 *    the trace clock (the phase of the guest's tick against the trace clock is not recorded).
 *  - msecs_to_jiffies() rounds up (include/linux/jiffies.h _msecs_to_jiffies()).
 *  - the timer wheel never fires early: calc_wheel_index() picks a level from the distance to
 *    base->clk and calc_index() rounds the expiry up to the NEXT multiple of that level's
 *    granularity, 8^level jiffies (kernel/time/timer.c: LVL_CLK_SHIFT 3, LVL_BITS 6,
 *    LVL_START(n) = 63 << 3(n-1), LVL_DEPTH 9 when HZ > 100 else 8). So a level-0 timer armed
 *    for jiffy E runs at tick E + 1. base->clk is taken equal to jiffies (a busy CPU; NOHZ idle
 *    forwards the base before enqueueing, to the same effect).
 */
#ifndef ISM_KTIMER_H
#define ISM_KTIMER_H

#include <stdint.h>

#define KTIMER_NSEC_PER_SEC 1000000000ull

/* jiffies at time @ns for @hz ticks per second (@hz > 0). */
static inline uint64_t ktimer_jiffies(uint64_t ns, unsigned hz)
{
	return (uint64_t)(((unsigned __int128)ns * hz) / KTIMER_NSEC_PER_SEC);
}

/* Start of tick @j in ns: the smallest time whose jiffies is @j. */
static inline uint64_t ktimer_tick_ns(uint64_t j, unsigned hz)
{
	unsigned __int128 n = (unsigned __int128)j * KTIMER_NSEC_PER_SEC;

	return (uint64_t)((n + hz - 1) / hz);
}

/* msecs_to_jiffies(): rounded up, as all three of the kernel's variants do. */
static inline uint64_t ktimer_msecs_to_jiffies(uint64_t ms, unsigned hz)
{
	return (ms * hz + 999) / 1000;
}

/*
 * The jiffy at which a timer with expiry @expires, enqueued when base->clk is @clk, runs: the
 * bucket expiry of calc_wheel_index().
 */
static inline uint64_t ktimer_bucket_expiry(uint64_t expires, uint64_t clk, unsigned hz)
{
	const unsigned depth = hz > 100 ? 9 : 8;
	uint64_t delta = expires - clk;
	unsigned lvl;

	if ((int64_t)delta < 0)
		return clk;
	for (lvl = 0; lvl + 1 < depth; lvl++)
		if (delta < (63ull << (3 * lvl)))	/* LVL_START(lvl + 1) */
			break;
	if (lvl + 1 == depth && delta >= (63ull << (3 * (depth - 1)))) {
		/* WHEEL_TIMEOUT_CUTOFF: clamp to WHEEL_TIMEOUT_MAX */
		expires = clk + (63ull << (3 * (depth - 1))) - (1ull << (3 * (depth - 1)));
	}
	return ((expires >> (3 * lvl)) + 1) << (3 * lvl);
}

/* When a timer armed at @now_ns for jiffies + msecs_to_jiffies(@ms) runs, in ns. */
static inline uint64_t ktimer_fire_ns(uint64_t now_ns, uint64_t ms, unsigned hz)
{
	uint64_t j = ktimer_jiffies(now_ns, hz);

	return ktimer_tick_ns(ktimer_bucket_expiry(j + ktimer_msecs_to_jiffies(ms, hz), j, hz), hz);
}

#endif
