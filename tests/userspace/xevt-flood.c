// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-flood: one channel flooded with notifications must not starve
 * another.  A pair ping-pongs rounds=N (default 1,000) times on CPU0 (its
 * threads and IRQs), first alone (the baseline), then while a thread on
 * CPU1 notifies another pair as fast as it can and a second thread on
 * CPU1 takes those events and unmasks the port again at once; the flooded
 * port's IRQ is on CPU0 too, so CPU0's upcalls serve both.  Under the
 * flood every round trip must complete (within 2 s each, 60 s in all)
 * with exact counts; the latencies are reported.
 *
 * xsa332_many_ports_pending_isolation (failure history 1.3 #5): the same,
 * but the storm is breadth, not depth: ports=N (default 1,000) channels
 * routed to CPU0 are notified over and over and unmasked again at once,
 * so the upcalls on CPU0 always find hundreds of ports pending.  The
 * ping-pong must still complete within the bounds, and afterwards every
 * stormed port delivers exactly once per notification.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

static unsigned long rounds = 1000;

struct flood {
	struct xv_pair p;
	_Atomic int stop_send, stop_recv;
	unsigned long sent, recv, wrong;
	int err;
};

static void *flood_send(void *arg)
{
	struct flood *f = arg;

	xv_pin(1);
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
	unsigned int ev[64];

	xv_pin(1);
	while (!f->stop_recv) {
		int n = xv_read(f->p.fdb, ev, 64, 100), mine = 0;

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
		f->recv += mine;
		if (mine) {
			n = xv_unmask1(f->p.fdb, f->p.b);
			if (n) {
				f->err = n;
				break;
			}
		}
	}
	return NULL;
}

static int run_pp(struct xv_pair *pair, uint64_t *rtt, struct xv_stats *st,
		  double *secs, char *why, size_t len)
{
	struct xv_pp pp = {
		.pair = *pair, .cpu_a = 0, .cpu_b = 0, .wait_ms = 5000,
		.rounds = rounds, .rtt = rtt, .rtt_cap = rounds,
	};
	uint64_t t0 = xv_now_ns();
	int rc = xv_pp_start(&pp);

	if (rc)
		return xv_why(why, len, "pthread_create: %s", strerror(-rc));
	rc = xv_pp_join(&pp, why, len);
	*secs = (xv_now_ns() - t0) / 1e9;
	xv_stats(rtt, pp.done < rounds ? pp.done : rounds, st);
	if (!rc && pp.done != rounds)
		rc = xv_why(why, len, "%lu of %lu round trips", pp.done, rounds);
	return rc;
}

static int t_flood(char *why, size_t len)
{
	int fda = xv_open("xevt-fi-a"), fdb = xv_open("xevt-fi-b");
	int fdx = xv_open("xevt-fl-x"), fdy = xv_open("xevt-fl-y");
	uint64_t *rtt = calloc(rounds, sizeof(*rtt));
	struct xv_stats base, st;
	struct xv_pair pair;
	struct flood f = { 0 };
	double s0, s1;
	pthread_t ts, tr;
	unsigned int ev[16];
	int rc, n, got = 0;

	if (fda < 0 || fdb < 0 || fdx < 0 || fdy < 0 || !rtt)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&pair, fda, fdb, why, len) ||
	    xv_pair_bind(&f.p, fdx, fdy, why, len))
		return -1;
	{
		static const char *const names[] = {
			"evtchn:xevt-fi-a", "evtchn:xevt-fi-b", "evtchn:xevt-fl-y",
		};

		for (int i = 0; i < 3; i++) {
			int irq = xv_irq_by_action(names[i]);

			if (irq < 0 || xv_irq_set_affinity(irq, 0))
				return xv_why(why, len, "routing %s to CPU0 failed (%d)",
					      names[i], irq);
		}
	}
	if (run_pp(&pair, rtt, &base, &s0, why, len))
		return -1;
	pthread_create(&tr, NULL, flood_recv, &f);
	pthread_create(&ts, NULL, flood_send, &f);
	xv_sleep_us(100000);
	rc = run_pp(&pair, rtt, &st, &s1, why, len);
	f.stop_send = 1;
	pthread_join(ts, NULL);
	xv_sleep_us(300000);
	f.stop_recv = 1;
	pthread_join(tr, NULL);
	xv_report("ping-pong alone: %lu round trips in %.2f s, median %.1f us, p99 %.1f us, max %.1f us",
		  rounds, s0, base.median / 1e3, base.p99 / 1e3, base.max / 1e3);
	xv_report("ping-pong under a flood: %lu round trips in %.2f s, median %.1f us, p99 %.1f us, max %.1f us; flood: %lu sent, %lu events",
		  rounds, s1, st.median / 1e3, st.p99 / 1e3, st.max / 1e3,
		  f.sent, f.recv);
	if (rc)
		return rc;
	if (f.err)
		return xv_why(why, len, "flood thread: %s", strerror(-f.err));
	if (st.max > 2000000000ull || s1 > 60)
		return xv_why(why, len, "under the flood: longest round trip %.2f s, all %.1f s (bounds 2 s, 60 s)",
			      st.max / 1e9, s1);
	if (!f.recv || f.recv > f.sent || f.wrong)
		return xv_why(why, len, "flood: %lu sent, %lu events, %lu on other ports",
			      f.sent, f.recv, f.wrong);
	/* The flooded channel still delivers exactly one event per send. */
	while ((n = xv_read(fdy, ev, 16, 300)) > 0)
		xv_unmask1(fdy, f.p.b);
	xv_notify(fdx, f.p.a);
	n = xv_read(fdy, ev, 16, 5000);
	got += n > 0 ? n : 0;
	n = xv_read(fdy, ev, 16, 200);
	got += n > 0 ? n : 0;
	if (got != 1)
		return xv_why(why, len, "the flooded channel gave %d events for one notification afterwards",
			      got);
	xv_pair_unbind(&pair);
	xv_pair_unbind(&f.p);
	close(fda);
	close(fdb);
	close(fdx);
	close(fdy);
	free(rtt);
	return 0;
}

/* ---- many ports pending at once ------------------------------------- */

struct storm {
	struct xv_bulk bk;
	_Atomic int stop_send, stop_recv;
	unsigned long rounds, recv, wrong;
	int err;
};

static void *storm_send(void *arg)
{
	struct storm *st = arg;

	xv_pin(1);
	while (!st->stop_send) {
		for (size_t i = 0; i < st->bk.n && !st->stop_send; i++) {
			int rc = xv_notify(st->bk.fda, st->bk.a[i]);

			if (rc) {
				st->err = rc;
				return NULL;
			}
		}
		st->rounds++;
	}
	return NULL;
}

static void *storm_recv(void *arg)
{
	struct storm *st = arg;
	unsigned int ev[1024];

	xv_pin(1);
	while (!st->stop_recv) {
		int n = xv_read(st->bk.fdb, ev, 1024, 100), rc;

		if (n < 0) {
			st->err = n;
			break;
		}
		st->recv += n;
		rc = xv_unmask(st->bk.fdb, ev, n);
		if (rc) {
			st->err = rc;
			break;
		}
	}
	return NULL;
}

static int t_many_pending(char *why, size_t len)
{
	size_t nports = xv_arg_long("ports", 1000);
	int fda = xv_open("xevt-fi-a"), fdb = xv_open("xevt-fi-b");
	uint64_t *rtt = calloc(rounds, sizeof(*rtt));
	struct storm st = { 0 };
	struct xv_stats base, lat;
	struct xv_pair pair;
	int *irqs = calloc(nports, sizeof(*irqs));
	pthread_t ts, tr;
	double s0, s1;
	unsigned int ev[1024];
	int rc, n;

	if (fda < 0 || fdb < 0 || !rtt || !irqs ||
	    xv_bulk_init(&st.bk, xv_open("xevt-ms-a"), xv_open("xevt-ms-b"), nports) ||
	    st.bk.fda < 0 || st.bk.fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn failed");
	if (xv_pair_bind(&pair, fda, fdb, why, len))
		return -1;
	rc = xv_bulk_bind(&st.bk, nports);
	if (rc)
		return xv_why(why, len, "binding %zu storm pairs: %s after %zu",
			      nports, strerror(-rc), st.bk.n);
	if (xv_bulk_initial(&st.bk, 1, 30000, why, len))
		return -1;
	n = xv_irqs_by_action("evtchn:xevt-ms-b", irqs, nports);
	if (n != (int)nports)
		return xv_why(why, len, "%d IRQs of storm ports found, want %zu", n, nports);
	{
		static const char *const names[] = {
			"evtchn:xevt-fi-a", "evtchn:xevt-fi-b",
		};

		for (int i = 0; i < 2; i++) {
			int irq = xv_irq_by_action(names[i]);

			if (irq < 0 || xv_irq_set_affinity(irq, 0))
				return xv_why(why, len, "routing %s to CPU0 failed (%d)",
					      names[i], irq);
		}
	}
	for (int i = 0; i < n; i++) {
		rc = xv_irq_set_affinity(irqs[i], 0);
		if (rc)
			return xv_why(why, len, "routing IRQ %d to CPU0: %s", irqs[i],
				      strerror(-rc));
	}
	if (run_pp(&pair, rtt, &base, &s0, why, len))
		return -1;
	pthread_create(&tr, NULL, storm_recv, &st);
	pthread_create(&ts, NULL, storm_send, &st);
	xv_sleep_us(200000);
	rc = run_pp(&pair, rtt, &lat, &s1, why, len);
	st.stop_send = 1;
	pthread_join(ts, NULL);
	xv_sleep_us(300000);
	st.stop_recv = 1;
	pthread_join(tr, NULL);
	xv_report("ping-pong alone: %lu round trips in %.2f s, median %.1f us, p99 %.1f us, max %.1f us",
		  rounds, s0, base.median / 1e3, base.p99 / 1e3, base.max / 1e3);
	xv_report("ping-pong while %zu ports on CPU0 storm: %lu round trips in %.2f s, median %.1f us, p99 %.1f us, max %.1f us; storm: %lu rounds of notifications, %lu events",
		  nports, rounds, s1, lat.median / 1e3, lat.p99 / 1e3,
		  lat.max / 1e3, st.rounds, st.recv);
	if (rc)
		return rc;
	if (st.err)
		return xv_why(why, len, "storm thread: %s", strerror(-st.err));
	if (lat.max > 2000000000ull || s1 > 60)
		return xv_why(why, len, "during the storm: longest round trip %.2f s, all %.1f s (bounds 2 s, 60 s)",
			      lat.max / 1e9, s1);
	if (st.recv < nports)
		return xv_why(why, len, "the storm delivered only %lu events on %zu ports",
			      st.recv, nports);
	/* Quiet again: every stormed port delivers exactly once. */
	while ((n = xv_read(st.bk.fdb, ev, 1024, 300)) > 0)
		xv_unmask(st.bk.fdb, ev, n);
	rc = xv_bulk_deliver(&st.bk, 1, 30000, why, len);
	if (!rc) {
		char tmp[256];

		if (xv_bulk_unbind(&st.bk, tmp, sizeof(tmp)))
			rc = xv_why(why, len, "%s", tmp);
	}
	xv_pair_unbind(&pair);
	close(fda);
	close(fdb);
	close(st.bk.fda);
	close(st.bk.fdb);
	free(rtt);
	free(irqs);
	return rc;
}

int main(int argc, char **argv)
{
	char name[64];

	xv_start("xevt-flood", argc, argv);
	rounds = xv_arg_long("rounds", 1000);
	snprintf(name, sizeof(name), "flood_isolation_%lu_round_trips", rounds);
	xv_run(name, 180, t_flood);
	xv_run("xsa332_many_ports_pending_isolation", 240, t_many_pending);
	return xv_finish();
}
