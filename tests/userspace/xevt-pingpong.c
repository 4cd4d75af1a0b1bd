// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-pingpong: round trips on one loopback pair between two threads,
 * each blocked in poll() on its own file; every notification and every
 * event is counted and must match.  Round-trip times are report lines,
 * not verdicts.
 *
 * same CPU: both threads and both IRQs on CPU0 (rounds=N, default
 * 10,000): each event is raised and handled without another vCPU.
 * cross CPU: thread and IRQ of a on CPU0, of b on CPU1 (cross=N, default
 * 1,000): every event wakes the other vCPU.  Under QEMU's emulation that
 * wake-up costs milliseconds, hence the smaller count.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

static unsigned long rounds, cross;

static int run(unsigned long n, int cpu_a, int cpu_b, const char *what,
	       char *why, size_t len)
{
	struct xv_pp pp = { .cpu_a = cpu_a, .cpu_b = cpu_b, .wait_ms = 5000 };
	int fda = xv_open("xevt-pp-a"), fdb = xv_open("xevt-pp-b");
	int irq_a, irq_b, rc;
	struct xv_stats st;
	uint64_t t0;

	if (fda < 0 || fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&pp.pair, fda, fdb, why, len))
		return -1;
	irq_a = xv_irq_by_action("evtchn:xevt-pp-a");
	irq_b = xv_irq_by_action("evtchn:xevt-pp-b");
	if (irq_a < 0 || irq_b < 0)
		return xv_why(why, len, "IRQs of the pair not found: %d %d", irq_a, irq_b);
	if (xv_irq_set_affinity(irq_a, cpu_a) || xv_irq_set_affinity(irq_b, cpu_b))
		return xv_why(why, len, "routing IRQs %d/%d to CPU%d/CPU%d failed",
			      irq_a, irq_b, cpu_a, cpu_b);
	pp.rounds = n;
	pp.rtt = calloc(n, sizeof(*pp.rtt));
	pp.rtt_cap = n;
	if (!pp.rtt)
		return xv_why(why, len, "out of memory");
	t0 = xv_now_ns();
	rc = xv_pp_start(&pp);
	if (rc)
		return xv_why(why, len, "pthread_create: %s", strerror(-rc));
	rc = xv_pp_join(&pp, why, len);
	if (!rc && pp.done != n)
		rc = xv_why(why, len, "%lu of %lu round trips", pp.done, n);
	xv_stats(pp.rtt, pp.done < n ? pp.done : n, &st);
	xv_report("%lu round trips %s in %.2f s: min %.1f us, median %.1f us, p99 %.1f us, max %.1f us",
		  pp.done, what, (xv_now_ns() - t0) / 1e9, st.min / 1e3,
		  st.median / 1e3, st.p99 / 1e3, st.max / 1e3);
	xv_pair_unbind(&pp.pair);
	free(pp.rtt);
	close(fda);
	close(fdb);
	return rc;
}

static int t_same(char *why, size_t len)
{
	return run(rounds, 0, 0, "CPU0<->CPU0", why, len);
}

static int t_cross(char *why, size_t len)
{
	return run(cross, 0, 1, "CPU0<->CPU1", why, len);
}

int main(int argc, char **argv)
{
	char name[2][64];

	xv_start("xevt-pingpong", argc, argv);
	rounds = xv_arg_long("rounds", 10000);
	cross = xv_arg_long("cross", 1000);
	snprintf(name[0], 64, "pingpong_%lu_round_trips_same_cpu", rounds);
	snprintf(name[1], 64, "pingpong_%lu_round_trips_cross_cpu", cross);
	xv_run(name[0], 180, t_same);
	xv_run(name[1], 180, t_cross);
	return xv_finish();
}
