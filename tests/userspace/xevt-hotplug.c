// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-hotplug: taking vCPU1 offline and back while event channels are
 * routed to it (needs CONFIG_HOTPLUG_CPU).
 *
 * cpu_hotplug_during_traffic: a pair ping-pongs while, cycles=N times, its
 * IRQs are moved to CPU1 and CPU1 goes offline and online again; traffic
 * goes on while CPU1 is away, no event is lost or doubled, nothing hangs.
 *
 * fix9e77d96b_stale_cpu_bit_after_offline: a port used on CPU1 is handled
 * exactly once, on CPU0 only, after CPU1 went offline and after it came
 * back; then CPU1 (its timer and a port moved back to it) works again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

static int cycles = 10;

static int set_cpu1(int online, char *why, size_t len)
{
	int rc = xv_cpu_set_online(1, online);

	if (rc)
		return xv_why(why, len, "writing %d to cpu1/online: %s", online,
			      strerror(-rc));
	rc = xv_cpu_is_online(1);
	if (rc != online)
		return xv_why(why, len, "cpu1/online reads %d after writing %d",
			      rc, online);
	return 0;
}

/* Wait up to 10 s for the ping-pong to complete one more round trip. */
static int progress(struct xv_pp *pp, uint64_t *waited)
{
	unsigned long d = pp->done;
	uint64_t t0 = xv_now_ns();

	while (pp->done == d && !pp->failed && xv_now_ns() - t0 < 10000000000ull)
		xv_sleep_us(1000);
	*waited = xv_now_ns() - t0;
	return pp->done != d;
}

static int t_hotplug_traffic(char *why, size_t len)
{
	struct xv_pp pp = { .cpu_a = -1, .cpu_b = -1, .wait_ms = 5000 };
	int fda = xv_open("xevt-hp-a"), fdb = xv_open("xevt-hp-b");
	uint64_t worst = 0, waited = 0;
	int irq[2], rc = 0, c;
	unsigned long off_rounds = 0;

	if (xv_cpu_is_online(1) != 1)
		return xv_why(why, len, "CPU1 is not online at the start");
	if (fda < 0 || fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&pp.pair, fda, fdb, why, len))
		return -1;
	irq[0] = xv_irq_of("evtchn:xevt-hp-a", why, len);
	irq[1] = xv_irq_of("evtchn:xevt-hp-b", why, len);
	if (irq[0] < 0 || irq[1] < 0)
		return -1;
	rc = xv_pp_start(&pp);
	if (rc)
		return xv_why(why, len, "pthread_create: %s", strerror(-rc));
	for (c = 0; c < cycles && !rc && !pp.failed; c++) {
		unsigned long d;

		for (int k = 0; k < 2 && !rc; k++) {
			int e = xv_irq_set_affinity(irq[k], 1);

			if (e)
				rc = xv_why(why, len, "cycle %d: IRQ %d to CPU1: %s",
					    c, irq[k], strerror(-e));
		}
		if (rc)
			break;
		xv_sleep_us(30000);
		rc = set_cpu1(0, why, len);
		if (rc)
			break;
		for (int k = 0; k < 2 && !rc; k++) {
			int e = xv_irq_effective_cpu(irq[k]);

			if (e != 0)
				rc = xv_why(why, len,
					    "cycle %d: IRQ %d still routed to CPU %d with CPU1 offline",
					    c, irq[k], e);
		}
		d = pp.done;
		if (!rc && !progress(&pp, &waited))
			rc = xv_why(why, len,
				    "cycle %d: no round trip within 10 s with CPU1 offline (%lu done)",
				    c, pp.done);
		if (waited > worst)
			worst = waited;
		xv_sleep_us(50000);
		off_rounds += pp.done - d;
		if (!rc)
			rc = set_cpu1(1, why, len);
		xv_sleep_us(30000);
	}
	pp.stop = 1;
	{
		char tmp[320];

		if (xv_pp_join(&pp, tmp, sizeof(tmp)) && !rc)
			rc = xv_why(why, len, "%s", tmp);
	}
	xv_report("%d offline/online cycles of CPU1 during %lu round trips (%lu while offline); longest wait for progress %.1f ms",
		  c, pp.done, off_rounds, worst / 1e6);
	if (xv_cpu_is_online(1) != 1) {
		xv_cpu_set_online(1, 1);
		if (!rc)
			rc = xv_why(why, len, "CPU1 left offline");
	}
	if (rc)
		return rc;
	xv_pair_unbind(&pp.pair);
	close(fda);
	close(fdb);
	return 0;
}

static int timer1_ticks(char *why, size_t len)
{
	unsigned long c0[XV_MAX_CPUS], c1[XV_MAX_CPUS];
	int irq = xv_irq_of("timer1", why, len);

	if (irq < 0)
		return -1;
	if (xv_irq_cpu_counts(irq, c0, XV_MAX_CPUS) < 2)
		return xv_why(why, len, "per_cpu_count of timer1 unreadable");
	/* sleeping on CPU1 needs its timer (an idle CPU may not tick) */
	if (xv_pin(1))
		return xv_why(why, len, "cannot run on CPU1");
	for (int i = 0; i < 20; i++)
		xv_sleep_us(2000);
	xv_unpin();
	xv_irq_cpu_counts(irq, c1, XV_MAX_CPUS);
	if (c1[1] == c0[1])
		return xv_why(why, len,
			      "timer1 (IRQ %d) did not fire on CPU1 during 20 sleeps there",
			      irq);
	return 0;
}

static int t_stale_after_offline(char *why, size_t len)
{
	int fda = xv_open("xevt-hq-a"), fdb = xv_open("xevt-hq-b");
	struct xv_pair p;
	int irq, rc;

	if (xv_cpu_is_online(1) != 1)
		return xv_why(why, len, "CPU1 is not online at the start");
	if (fda < 0 || fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&p, fda, fdb, why, len))
		return -1;
	irq = xv_irq_of("evtchn:xevt-hq-b", why, len);
	if (irq < 0)
		return -1;
	for (int c = 0; c < 3; c++) {
		rc = xv_irq_set_affinity(irq, 1);
		if (rc)
			return xv_why(why, len, "IRQ %d to CPU1: %s", irq, strerror(-rc));
		if (xv_one_event_on(&p, irq, 1, "on CPU1", why, len))
			return -1;
		if (set_cpu1(0, why, len))
			return -1;
		rc = xv_one_event_on(&p, irq, 0, "CPU1 offline", why, len);
		if (set_cpu1(1, why, len) || rc)
			return -1;
		if (xv_one_event_on(&p, irq, 0, "CPU1 back online", why, len))
			return -1;
		if (timer1_ticks(why, len))
			return -1;
	}
	rc = xv_irq_set_affinity(irq, 1);
	if (rc)
		return xv_why(why, len, "IRQ %d back to CPU1: %s", irq, strerror(-rc));
	if (xv_one_event_on(&p, irq, 1, "moved back to CPU1", why, len))
		return -1;
	xv_pair_unbind(&p);
	close(fda);
	close(fdb);
	return 0;
}

int main(int argc, char **argv)
{
	xv_start("xevt-hotplug", argc, argv);
	cycles = xv_arg_long("cycles", 10);
	xv_run("cpu_hotplug_during_traffic", 180, t_hotplug_traffic);
	xv_run("fix9e77d96b_stale_cpu_bit_after_offline", 120, t_stale_after_offline);
	return xv_finish();
}
