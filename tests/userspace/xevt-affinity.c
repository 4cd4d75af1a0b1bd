// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-affinity: moving event channels between CPUs through
 * /proc/irq/N/smp_affinity while events flow.
 *
 * affinity_during_traffic: a pair ping-pongs while both its IRQs are moved
 * between CPU0 and CPU1 hundreds of times; no event is lost or doubled and
 * both CPUs really handled events.
 *
 * xsa332_eoi_pending_vs_affinity (failure history 1.3 #9/#10): a port is
 * flooded; after each event the reader holds the late EOI back for a
 * while, and meanwhile the port is moved to the other CPU.  A move must
 * never unmask a port whose EOI is still pending: the device would see a
 * second event before the first was acknowledged (and warn "Interrupt for
 * port ..., but apparently not enabled").
 *
 * follow_reader: with xen_evtchn.follow_reader=1, a pair bound by a thread
 * on CPU1 is delivered on CPU1; once its reader reads from CPU0 (a second
 * later) the file's ports follow it there, and the other file's do not;
 * a port an operator moved is left where the operator put it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

static int moves = 400;

static int t_affinity_traffic(char *why, size_t len)
{
	struct xv_pp pp = { .cpu_a = -1, .cpu_b = -1, .wait_ms = 5000 };
	int fda = xv_open("xevt-af-a"), fdb = xv_open("xevt-af-b");
	unsigned long c0[2][XV_MAX_CPUS], c1[2][XV_MAX_CPUS];
	int irq[2], ncpu = 0, rc, bad_eff = 0, i;
	char err[200] = "";
	uint64_t deadline;

	if (fda < 0 || fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&pp.pair, fda, fdb, why, len))
		return -1;
	irq[0] = xv_irq_of("evtchn:xevt-af-a", why, len);
	irq[1] = xv_irq_of("evtchn:xevt-af-b", why, len);
	if (irq[0] < 0 || irq[1] < 0)
		return -1;
	for (int k = 0; k < 2; k++)
		ncpu = xv_irq_cpu_counts(irq[k], c0[k], XV_MAX_CPUS);
	if (ncpu < 2)
		return xv_why(why, len, "per_cpu_count lists %d CPUs, want 2", ncpu);
	rc = xv_pp_start(&pp);
	if (rc)
		return xv_why(why, len, "pthread_create: %s", strerror(-rc));
	/*
	 * At least @moves moves, and on until at least as many round trips
	 * ran during them: how fast each goes depends on the emulator's load.
	 */
	deadline = xv_now_ns() + 60 * 1000000000ull;
	for (i = 0; (i < moves || pp.done < (unsigned long)moves) &&
	     !pp.failed && xv_now_ns() < deadline; i++) {
		int cpu = (i + 1) & 1;

		for (int k = 0; k < 2; k++) {
			int e = xv_irq_set_affinity(irq[k], cpu);

			if (e && !err[0])
				snprintf(err, sizeof(err), "move %d: IRQ %d to CPU%d: %s",
					 i, irq[k], cpu, strerror(-e));
			if (xv_irq_effective_cpu(irq[k]) != cpu)
				bad_eff++;
		}
		xv_sleep_us(2000);
	}
	pp.stop = 1;
	rc = xv_pp_join(&pp, why, len);
	for (int k = 0; k < 2; k++)
		xv_irq_cpu_counts(irq[k], c1[k], XV_MAX_CPUS);
	xv_report("%d moves of IRQs %d/%d during %lu round trips; handled on CPU0/CPU1: a %lu/%lu, b %lu/%lu",
		  i, irq[0], irq[1], pp.done, c1[0][0] - c0[0][0],
		  c1[0][1] - c0[0][1], c1[1][0] - c0[1][0], c1[1][1] - c0[1][1]);
	if (rc)
		return rc;
	if (err[0])
		return xv_why(why, len, "%s", err);
	if (bad_eff)
		return xv_why(why, len, "%d of %d moves not reflected in effective_affinity_list",
			      bad_eff, 2 * i);
	if (pp.done < (unsigned long)moves)
		return xv_why(why, len, "only %lu round trips during %d moves in 60 s",
			      pp.done, i);
	for (int k = 0; k < 2; k++)
		for (int c = 0; c < 2; c++)
			if (c1[k][c] == c0[k][c])
				return xv_why(why, len, "IRQ %d never handled on CPU%d in %lu round trips",
					      irq[k], c, pp.done);
	xv_pair_unbind(&pp.pair);
	close(fda);
	close(fdb);
	return 0;
}

/* ---- late EOI vs affinity -------------------------------------------- */

struct flood {
	struct xv_pair p;
	_Atomic int stop_send, stop_recv;
	unsigned long sent, recv, wrong, dup, early;
	int err;
	unsigned int hold_us;
};

static void *flood_send(void *arg)
{
	struct flood *f = arg;

	while (!f->stop_send) {
		int rc = xv_notify(f->p.fda, f->p.a);

		if (rc) {
			f->err = rc;
			break;
		}
		f->sent++;
	}
	return NULL;
}

static void *flood_recv(void *arg)
{
	struct flood *f = arg;
	unsigned int ev[16];

	while (!f->stop_recv) {
		int n = xv_read(f->p.fdb, ev, 16, 100), mine = 0;

		if (n < 0) {
			f->err = n;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (ev[k] == f->p.b)
				mine++;
			else
				f->wrong++;
		}
		if (!mine)
			continue;
		f->recv += mine;
		f->dup += mine - 1;
		/* the late EOI is pending while we hold the event */
		if (f->hold_us)
			xv_sleep_us(f->hold_us);
		n = xv_read(f->p.fdb, ev, 16, 0);
		if (n > 0)
			f->early += n;
		n = xv_unmask1(f->p.fdb, f->p.b);
		if (n) {
			f->err = n;
			break;
		}
	}
	return NULL;
}

/* Drain @fd, unmasking b, until it stays quiet; then one event per send. */
static int channel_alive(struct xv_pair *p, char *why, size_t len)
{
	unsigned int ev[16];
	int n, got = 0;

	while ((n = xv_read(p->fdb, ev, 16, 300)) > 0)
		xv_unmask1(p->fdb, p->b);
	n = xv_notify(p->fda, p->a);
	if (n)
		return xv_why(why, len, "final notify: %s", strerror(-n));
	n = xv_read(p->fdb, ev, 16, 5000);
	if (n > 0)
		got += n;
	if (n == 1 && ev[0] == p->b) {
		xv_unmask1(p->fdb, p->b);
		n = xv_read(p->fdb, ev, 16, 200);
		if (n > 0)
			got += n;
	}
	if (got != 1)
		return xv_why(why, len,
			      "after the storm one notification gave %d events, want 1 (channel dead or doubled)",
			      got);
	return 0;
}

static int t_eoi_pending(char *why, size_t len)
{
	struct flood f = { .hold_us = 300 };
	int fda = xv_open("xevt-eo-s"), fdb = xv_open("xevt-eo-r");
	unsigned long c0[XV_MAX_CPUS], c1[XV_MAX_CPUS];
	pthread_t ts, tr;
	int irq, i, rc, moved_bad = 0;

	if (fda < 0 || fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&f.p, fda, fdb, why, len))
		return -1;
	irq = xv_irq_of("evtchn:xevt-eo-r", why, len);
	if (irq < 0)
		return -1;
	if (xv_irq_cpu_counts(irq, c0, XV_MAX_CPUS) < 2)
		return xv_why(why, len, "per_cpu_count of IRQ %d unreadable", irq);
	pthread_create(&tr, NULL, flood_recv, &f);
	pthread_create(&ts, NULL, flood_send, &f);
	for (i = 0; i < moves / 2 && !f.err; i++) {
		if (xv_irq_set_affinity(irq, (i + 1) & 1))
			moved_bad++;
		xv_sleep_us(1000 + (i % 7) * 150);
	}
	f.stop_send = 1;
	pthread_join(ts, NULL);
	xv_sleep_us(300000);
	f.stop_recv = 1;
	pthread_join(tr, NULL);
	xv_irq_cpu_counts(irq, c1, XV_MAX_CPUS);
	xv_report("%d moves of IRQ %d under a flood: %lu sent, %lu events (CPU0 %lu, CPU1 %lu), %lu before the EOI, %lu doubled",
		  i, irq, f.sent, f.recv, c1[0] - c0[0], c1[1] - c0[1], f.early,
		  f.dup);
	if (f.err)
		return xv_why(why, len, "flood thread: %s", strerror(-f.err));
	if (moved_bad)
		return xv_why(why, len, "%d of %d affinity writes failed", moved_bad, i);
	if (f.early || f.dup || f.wrong)
		return xv_why(why, len,
			      "%lu events arrived while the EOI was pending, %lu doubled, %lu on other ports (%lu sent, %lu received)",
			      f.early, f.dup, f.wrong, f.sent, f.recv);
	if (f.recv < 50 || c1[0] == c0[0] || c1[1] == c0[1])
		return xv_why(why, len,
			      "the flood did not exercise both CPUs: %lu events, CPU0 %lu, CPU1 %lu",
			      f.recv, c1[0] - c0[0], c1[1] - c0[1]);
	rc = channel_alive(&f.p, why, len);
	xv_pair_unbind(&f.p);
	close(fda);
	close(fdb);
	return rc;
}

#define FOLLOW_PARAM	"/sys/module/xen_evtchn/parameters/follow_reader"

static int param_rw(const char *path, char *old, size_t len, const char *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(old, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	old[strcspn(old, "\n")] = 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ok = fputs(val, f) >= 0;
	return fclose(f) || !ok ? -EIO : 0;
}

/*
 * Move to @cpu, let the once-a-second limit pass, then notify a and take
 * b's event there (the read that lets b's ports follow), and unmask b.
 */
static int one_read_on(struct xv_pair *p, int cpu, char *why, size_t len)
{
	unsigned int ev[8];
	int n;

	if (xv_pin(cpu))
		return xv_why(why, len, "cannot run on CPU%d", cpu);
	xv_sleep_us(1100000);
	if (xv_notify(p->fda, p->a))
		return xv_why(why, len, "notify %u failed", p->a);
	n = xv_read(p->fdb, ev, 8, 5000);
	if (n != 1 || ev[0] != p->b)
		return xv_why(why, len, "read on b: %d events, want 1 on port %u", n, p->b);
	return xv_unmask1(p->fdb, p->b) < 0 ? xv_why(why, len, "unmask b failed") : 0;
}

static int t_follow_reader(char *why, size_t len)
{
	char old[8] = "", what[64];
	struct xv_pair p = { 0 };
	int fda = -1, fdb = -1, irq_a, irq_b, rc;

	rc = param_rw(FOLLOW_PARAM, old, sizeof(old), "1");
	if (rc)
		return xv_why(why, len, "%s: %s", FOLLOW_PARAM, strerror(-rc));
	rc = -1;
	if (xv_pin(1))
		goto out;
	fda = xv_open("xevt-fr-a");
	fdb = xv_open("xevt-fr-b");
	if (fda < 0 || fdb < 0) {
		xv_why(why, len, "open /dev/xen/evtchn failed");
		goto out;
	}
	if (xv_pair_bind(&p, fda, fdb, why, len))
		goto out;
	irq_a = xv_irq_by_action("evtchn:xevt-fr-a");
	irq_b = xv_irq_by_action("evtchn:xevt-fr-b");
	if (irq_a < 0 || irq_b < 0) {
		xv_why(why, len, "IRQs of the pair not found: %d %d", irq_a, irq_b);
		goto out;
	}
	if (xv_irq_effective_cpu(irq_a) != 1 || xv_irq_effective_cpu(irq_b) != 1) {
		xv_why(why, len, "bound from CPU1, delivered on CPU%d/CPU%d",
		       xv_irq_effective_cpu(irq_a), xv_irq_effective_cpu(irq_b));
		goto out;
	}
	if (xv_one_event_on(&p, irq_b, 1, "bound from CPU1", why, len))
		goto out;

	/* The reader of b moves to CPU0; a's file is not read. */
	if (one_read_on(&p, 0, why, len))
		goto out;
	if (xv_irq_effective_cpu(irq_b) != 0 || xv_irq_effective_cpu(irq_a) != 1) {
		xv_why(why, len, "after b's reader moved to CPU0: a on CPU%d (want 1), b on CPU%d (want 0)",
		       xv_irq_effective_cpu(irq_a), xv_irq_effective_cpu(irq_b));
		goto out;
	}
	if (xv_one_event_on(&p, irq_b, 0, "after the reader moved", why, len))
		goto out;

	/* An operator puts b on CPU1: reads from CPU1, then CPU0, leave it. */
	if (xv_irq_set_affinity(irq_b, 1)) {
		xv_why(why, len, "setting IRQ %d to CPU1 failed", irq_b);
		goto out;
	}
	if (one_read_on(&p, 1, why, len) || one_read_on(&p, 0, why, len))
		goto out;
	snprintf(what, sizeof(what), "moved to CPU1 by the operator");
	if (xv_irq_effective_cpu(irq_b) != 1) {
		xv_why(why, len, "%s, then on CPU%d", what, xv_irq_effective_cpu(irq_b));
		goto out;
	}
	rc = xv_one_event_on(&p, irq_b, 1, what, why, len);
out:
	if (p.a || p.b)
		xv_pair_unbind(&p);
	if (fda >= 0)
		close(fda);
	if (fdb >= 0)
		close(fdb);
	xv_unpin();
	if (old[0]) {
		char ignored[8];

		param_rw(FOLLOW_PARAM, ignored, sizeof(ignored), old);
	}
	return rc;
}

int main(int argc, char **argv)
{
	xv_start("xevt-affinity", argc, argv);
	moves = xv_arg_long("moves", 400);
	xv_run("affinity_during_traffic", 120, t_affinity_traffic);
	xv_run("xsa332_eoi_pending_vs_affinity", 120, t_eoi_pending);
	xv_run("follow_reader", 60, t_follow_reader);
	return xv_finish();
}
