// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-races: regression tests for races that broke event channels in the
 * past (failure-history-and-limits.md, table 1.3), each provoked from
 * userspace on loopback pairs and named after the bug it guards against.
 *
 * Run it early in a boot: the first test wants the port-to-IRQ map rows
 * above the ports the kernel itself uses to be still unallocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

static int is_2l;

/* ---- #3: map rows allocated by two binds at once (88ca2521) ---------- */

struct binder {
	struct xv_bulk bk;
	int cpu;
	size_t want;
	pthread_barrier_t *go;
	int err;
};

static void *bind_many(void *arg)
{
	struct binder *b = arg;

	xv_pin(b->cpu);
	pthread_barrier_wait(b->go);
	b->err = xv_bulk_bind(&b->bk, b->want);
	return NULL;
}

/*
 * Two threads on two CPUs bind pairs at the same time, so consecutive
 * port numbers, including the first ones of every not yet used row of the
 * port-to-IRQ map, are bound concurrently.  The lost-row bug loses the
 * mapping of one of them: its events never arrive (or the kernel BUGs).
 */
static int t_row_race(char *why, size_t len)
{
	size_t per = is_2l ? 800 : 1200;
	struct binder b[2];
	pthread_barrier_t go;
	pthread_t t[2];
	unsigned int hi = 0;
	int rc = 0;

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		char ta[16], tb[16];

		snprintf(ta, sizeof(ta), "xevt-row%d-a", i);
		snprintf(tb, sizeof(tb), "xevt-row%d-b", i);
		b[i].cpu = i;
		b[i].want = per;
		b[i].go = &go;
		b[i].err = 0;
		if (xv_bulk_init(&b[i].bk, xv_open(ta), xv_open(tb), per) ||
		    b[i].bk.fda < 0 || b[i].bk.fdb < 0)
			return xv_why(why, len, "open/alloc failed");
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, bind_many, &b[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		if (b[i].err)
			return xv_why(why, len, "thread %d: bind failed after %zu pairs: %s",
				      i, b[i].bk.n, strerror(-b[i].err));
		for (size_t k = 0; k < b[i].bk.n; k++)
			if (b[i].bk.b[k] > hi)
				hi = b[i].bk.b[k];
	}
	xv_report("row race: 2 threads bound %zu pairs each, highest port %u",
		  per, hi);
	{
		struct xv_bulk both[2] = { b[0].bk, b[1].bk };

		rc = xv_bulk_initial(both, 2, 20000, why, len);
		if (!rc)
			rc = xv_bulk_deliver(both, 2, 20000, why, len);
	}
	for (int i = 0; i < 2; i++) {
		char tmp[256];

		if (xv_bulk_unbind(&b[i].bk, tmp, sizeof(tmp)) && !rc)
			rc = xv_why(why, len, "%s", tmp);
		close(b[i].bk.fda);
		close(b[i].bk.fdb);
	}
	return rc;
}

/* ---- #1: close while the event is being handled (XSA-331) ------------ */

struct sender {
	int fd;
	unsigned int port;
	_Atomic int stop;
	unsigned long sent;
	int err;
};

static void *send_loop(void *arg)
{
	struct sender *s = arg;

	xv_pin(0);
	while (!s->stop) {
		int rc = xv_notify(s->fd, s->port);

		if (rc) {
			s->err = rc;
			break;
		}
		s->sent++;
	}
	return NULL;
}

/*
 * One thread on CPU0 sends on a without pause.  The main thread on CPU1
 * binds b to a, takes events, unmasks b (so the next event is raised right
 * away, handled on CPU0) and closes b again, over and over: the close
 * races with the handling of b's event on the other CPU.  Every binding
 * must see its event, every close must succeed, the kernel must stay
 * quiet.
 */
static int t_close_vs_handle(char *why, size_t len)
{
	int fds = xv_open("xevt-331-s"), fdr = xv_open("xevt-331-r");
	unsigned long iters = 0, seen = 0, events = 0;
	uint64_t end = xv_now_ns() + 6000000000ull;
	struct sender s = { .fd = fds };
	unsigned int ev[64];
	pthread_t t;
	int a, rc = 0;

	if (fds < 0 || fdr < 0)
		return xv_why(why, len, "open failed");
	a = xv_bind_unbound(fds, 0);
	if (a < 0)
		return xv_why(why, len, "bind_unbound_port: %s", strerror(-a));
	s.port = a;
	xv_pin(1);
	pthread_create(&t, NULL, send_loop, &s);
	while (!rc && iters < 1500 && xv_now_ns() < end) {
		int b = xv_bind_interdomain(fdr, 0, a), got = 0, n;

		if (b < 0) {
			rc = xv_why(why, len, "iteration %lu: bind_interdomain(0, %d): %s",
				    iters, a, strerror(-b));
			break;
		}
		iters++;
		/* the initial event, then whatever the sender caused */
		for (int k = 0; k < 3 && !rc; k++) {
			n = xv_read(fdr, ev, 64, got ? 0 : 5000);
			if (n < 0)
				rc = xv_why(why, len, "read: %s", strerror(-n));
			for (int i = 0; i < n; i++) {
				if (ev[i] != (unsigned int)b)
					rc = xv_why(why, len, "iteration %lu: event on port %u, only %d is bound",
						    iters, ev[i], b);
				got++;
			}
			if (n > 0)
				xv_unmask1(fdr, b);
		}
		events += got;
		if (got)
			seen++;
		n = xv_unbind(fdr, b);
		if (n && !rc)
			rc = xv_why(why, len, "iteration %lu: unbind %d: %s",
				    iters, b, strerror(-n));
		/* events taken before the close may still sit in the ring */
		xv_reset(fdr);
	}
	s.stop = 1;
	pthread_join(t, NULL);
	xv_unpin();
	xv_report("close vs handle: %lu bind/close cycles, %lu events, %lu notifications sent",
		  iters, events, s.sent);
	if (!rc && s.err)
		rc = xv_why(why, len, "sender: notify %d: %s", a, strerror(-s.err));
	if (!rc && seen != iters)
		rc = xv_why(why, len, "%lu of %lu bindings saw no event (sent %lu)",
			    iters - seen, iters, s.sent);
	if (!rc && iters < 100)
		rc = xv_why(why, len, "only %lu bind/close cycles in 6 s", iters);
	xv_unbind(fds, a);
	close(fds);
	close(fdr);
	return rc;
}

/* ---- #8: stale per-CPU routing bit of a reused port (9e77d96b) ------- */

/*
 * b is routed to one CPU and used there, then closed; the port number
 * comes back at once (Xen hands out the lowest free port) for a new
 * binding.  When the new binding starts on the other CPU, a routing bit
 * left behind for the old CPU makes the event show up there as well (or
 * instead).  Ballast channels routed to CPU1 make CPU0 the less loaded one
 * for a kernel that spreads new channels, and each cycle uses the CPU the
 * previous new binding did not start on, so that most cycles really move
 * the port whatever the kernel's placement policy.
 */
static int t_stale_cpu_bit(char *why, size_t len)
{
	int fda = xv_open("xevt-st-a"), fdb = xv_open("xevt-st-b");
	int fdl = xv_open("xevt-st-bal");
	int rc, irq, cycles, bal[64], nbal, start = 0, moved = 0;
	struct xv_bulk ballast;
	struct xv_pair p;

	if (fda < 0 || fdb < 0 || fdl < 0 || xv_bulk_init(&ballast, fdl, fdl, 16))
		return xv_why(why, len, "open failed");
	rc = xv_bulk_bind(&ballast, 16);
	if (rc)
		return xv_why(why, len, "ballast: %s", strerror(-rc));
	nbal = xv_irqs_by_action("evtchn:xevt-st-bal", bal, 64);
	if (nbal != 32)
		return xv_why(why, len, "%d ballast IRQs, want 32", nbal);
	for (int i = 0; i < nbal; i++) {
		rc = xv_irq_set_affinity(bal[i], 1);
		if (rc)
			return xv_why(why, len, "ballast IRQ %d to CPU1: %s", bal[i],
				      strerror(-rc));
	}
	if (xv_pair_bind(&p, fda, fdb, why, len))
		return -1;
	for (cycles = 0; cycles < 10; cycles++) {
		unsigned int old_b = p.b;
		int old_cpu = !start;
		unsigned int ev[8];
		char what[64];

		irq = xv_irq_of("evtchn:xevt-st-b", why, len);
		if (irq < 0)
			return -1;
		rc = xv_irq_set_affinity(irq, old_cpu);
		if (rc)
			return xv_why(why, len, "IRQ %d to CPU%d: %s", irq, old_cpu,
				      strerror(-rc));
		snprintf(what, sizeof(what), "cycle %d, on CPU%d before the close",
			 cycles, old_cpu);
		if (xv_one_event_on(&p, irq, old_cpu, what, why, len))
			return -1;
		rc = xv_unbind(fdb, p.b);
		if (rc)
			return xv_why(why, len, "unbind b=%u: %s", p.b, strerror(-rc));
		rc = xv_bind_interdomain(fdb, 0, p.a);
		if (rc < 0)
			return xv_why(why, len, "rebind to a=%u: %s", p.a, strerror(-rc));
		p.b = rc;
		if (p.b != old_b)
			return xv_why(why, len,
				      "cycle %d: the new binding got port %u, not %u: Xen did not reuse the port, the test proves nothing",
				      cycles, p.b, old_b);
		rc = xv_read(fdb, ev, 8, 5000);
		if (rc != 1 || ev[0] != p.b)
			return xv_why(why, len, "cycle %d: %d initial events on the rebound port (first %u)",
				      cycles, rc, rc > 0 ? ev[0] : 0);
		xv_unmask1(fdb, p.b);
		irq = xv_irq_of("evtchn:xevt-st-b", why, len);
		if (irq < 0)
			return -1;
		start = xv_irq_effective_cpu(irq);
		if (start != 0 && start != 1)
			return xv_why(why, len, "cycle %d: effective CPU of the rebound IRQ %d: %d",
				      cycles, irq, start);
		moved += start != old_cpu;
		snprintf(what, sizeof(what), "cycle %d, rebound, starting on CPU%d",
			 cycles, start);
		if (xv_one_event_on(&p, irq, start, what, why, len))
			return -1;
	}
	xv_report("stale bit: %d of %d close/rebind cycles moved the port to the other CPU",
		  moved, cycles);
	if (moved < cycles / 2)
		return xv_why(why, len,
			      "the rebound port started on its old CPU in %d of %d cycles: the test proves little",
			      cycles - moved, cycles);
	xv_pair_unbind(&p);
	{
		char tmp[256];

		if (xv_bulk_unbind(&ballast, tmp, sizeof(tmp)))
			return xv_why(why, len, "%s", tmp);
	}
	close(fda);
	close(fdb);
	close(fdl);
	return 0;
}

/* ---- #12: port closed before its mapping was cleared (fa765c4b) ------ */

struct churn {
	int fda, fdb;
	_Atomic int stop;
	unsigned long cycles;
	uint8_t *used;
	int err;
};

static void *churn_loop(void *arg)
{
	struct churn *c = arg;

	xv_pin(0);
	while (!c->stop) {
		int a = xv_bind_unbound(c->fda, 0), b;

		if (a < 0) {
			c->err = a;
			break;
		}
		b = xv_bind_interdomain(c->fdb, 0, a);
		if (b < 0) {
			c->err = b;
			break;
		}
		c->used[a] = 1;
		c->used[b] = 1;
		/* close while the initial event of b may be in flight */
		if (xv_unbind(c->fdb, b) || xv_unbind(c->fda, a)) {
			c->err = -EIO;
			break;
		}
		xv_reset(c->fdb);
		c->cycles++;
	}
	return NULL;
}

/*
 * One thread binds and closes pairs as fast as it can while another binds
 * pairs and keeps them: the kept bindings get the port numbers the first
 * thread just closed.  If a close cleared its port's mapping after the
 * hypercall, it wipes the new binding's mapping and that port never
 * delivers again.  Afterwards every kept port must deliver exactly once.
 */
static int t_close_after_unmap(char *why, size_t len)
{
	size_t want = 600;
	struct churn c = { 0 };
	struct xv_bulk bk;
	unsigned long reused = 0;
	pthread_t t;
	int rc;

	c.fda = xv_open("xevt-12-ca");
	c.fdb = xv_open("xevt-12-cb");
	c.used = calloc(XV_MAX_PORTS, 1);
	if (c.fda < 0 || c.fdb < 0 || !c.used ||
	    xv_bulk_init(&bk, xv_open("xevt-12-ka"), xv_open("xevt-12-kb"), want) ||
	    bk.fda < 0 || bk.fdb < 0)
		return xv_why(why, len, "open/alloc failed");
	pthread_create(&t, NULL, churn_loop, &c);
	xv_pin(1);
	for (size_t i = 0; i < want; i++) {
		rc = xv_bulk_bind(&bk, i + 1);
		if (rc)
			break;
		xv_sleep_us(100);
	}
	c.stop = 1;
	pthread_join(t, NULL);
	xv_unpin();
	for (size_t i = 0; i < bk.n; i++)
		reused += c.used[bk.a[i]] + c.used[bk.b[i]];
	xv_report("close after unmap: %zu pairs kept, %lu churn cycles, %lu kept ports had been used by the churn",
		  bk.n, c.cycles, reused);
	if (rc)
		return xv_why(why, len, "bind failed after %zu pairs: %s", bk.n,
			      strerror(-rc));
	if (c.err)
		return xv_why(why, len, "churn thread after %lu cycles: %s",
			      c.cycles, strerror(-c.err));
	if (!reused)
		return xv_why(why, len,
			      "no kept port reused a number the churn closed (%lu cycles): the test proves nothing",
			      c.cycles);
	rc = xv_bulk_initial(&bk, 1, 10000, why, len);
	if (!rc)
		rc = xv_bulk_deliver(&bk, 1, 10000, why, len);
	{
		char tmp[256];

		if (xv_bulk_unbind(&bk, tmp, sizeof(tmp)) && !rc)
			rc = xv_why(why, len, "%s", tmp);
	}
	close(bk.fda);
	close(bk.fdb);
	close(c.fda);
	close(c.fdb);
	free(c.used);
	return rc;
}

int main(int argc, char **argv)
{
	xv_start("xevt-races", argc, argv);
	is_2l = !strcmp(xv_arg("abi", ""), "2level");
	xv_run("fix88ca2521_concurrent_map_row_alloc", 120, t_row_race);
	xv_run("xsa331_close_vs_handle", 60, t_close_vs_handle);
	xv_run("fix9e77d96b_stale_cpu_bit_after_close", 60, t_stale_cpu_bit);
	xv_run("fixfa765c4b_close_after_unmap", 120, t_close_after_unmap);
	return xv_finish();
}
