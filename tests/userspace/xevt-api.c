// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-api: the basic contract of event channels as /dev/xen/evtchn shows
 * it: a loopback pair delivers one event per notification in each
 * direction, notifications to a masked port coalesce into exactly one
 * event at unmask, errors come back by value, VIRQs bind once, and every
 * delivery is counted once in the IRQ statistics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xevt.h"

#define VIRQ_TIMER	0
#define VIRQ_DOM_EXC	3
#define NR_VIRQS	24
#define DOMID_SELF	0x7ff0u

/* Exactly @n events, all on @port, within @ms; then none for 100 ms. */
static int expect_events(int fd, unsigned int port, int n, int ms,
			 const char *what, char *why, size_t len)
{
	unsigned int ev[64];
	int got = 0, wrong = 0, rc;
	uint64_t end = xv_now_ns() + (uint64_t)ms * 1000000;

	while (got < n) {
		int left = (int)((end - xv_now_ns()) / 1000000);

		if (xv_now_ns() >= end)
			break;
		rc = xv_read(fd, ev, 64, left > 0 ? left : 0);
		if (rc < 0)
			return xv_why(why, len, "%s: read: %s", what, strerror(-rc));
		if (rc == 0)
			break;
		for (int i = 0; i < rc; i++) {
			if (ev[i] == port)
				got++;
			else
				wrong++;
		}
	}
	rc = xv_read(fd, ev, 64, 100);
	for (int i = 0; i < rc; i++) {
		if (ev[i] == port)
			got++;
		else
			wrong++;
	}
	if (got != n || wrong)
		return xv_why(why, len,
			      "%s: %d events on port %u, want %d (%d on other ports)",
			      what, got, port, n, wrong);
	return 0;
}

static int open2(int *fda, int *fdb, const char *ta, const char *tb,
		 char *why, size_t len)
{
	*fda = xv_open(ta);
	*fdb = xv_open(tb);
	if (*fda < 0 || *fdb < 0)
		return xv_why(why, len, "open /dev/xen/evtchn: %s",
			      strerror(-(*fda < 0 ? *fda : *fdb)));
	return 0;
}

static int t_loopback(char *why, size_t len)
{
	struct xv_pair p;
	int fda, fdb, rc;

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-b", why, len))
		return -1;
	rc = xv_pair_bind(&p, fda, fdb, why, len);
	for (int round = 0; !rc && round < 3; round++) {
		rc = xv_notify(fda, p.a);
		if (rc < 0)
			return xv_why(why, len, "notify a=%u: %s", p.a, strerror(-rc));
		rc = expect_events(fdb, p.b, 1, 5000, "a->b", why, len) ||
		     expect_events(fda, p.a, 0, 0, "a->b (a side)", why, len);
		if (!rc)
			rc = xv_unmask1(fdb, p.b) ? xv_why(why, len, "unmask b") : 0;
		if (!rc)
			rc = xv_notify(fdb, p.b) ? xv_why(why, len, "notify b") : 0;
		if (!rc)
			rc = expect_events(fda, p.a, 1, 5000, "b->a", why, len) ||
			     expect_events(fdb, p.b, 0, 0, "b->a (b side)", why, len);
		if (!rc)
			rc = xv_unmask1(fda, p.a) ? xv_why(why, len, "unmask a") : 0;
	}
	close(fda);
	close(fdb);
	return rc;
}

/*
 * After a port fired it stays masked until written back; notifications
 * meanwhile only leave it pending: exactly one event at unmask, none at a
 * second unmask.
 */
static int t_coalesce(char *why, size_t len)
{
	struct xv_pair p;
	int fda, fdb, rc;

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-b", why, len))
		return -1;
	rc = xv_pair_bind(&p, fda, fdb, why, len);
	if (!rc)
		rc = xv_notify(fda, p.a) ? xv_why(why, len, "notify a") : 0;
	if (!rc)
		rc = expect_events(fdb, p.b, 1, 5000, "first notification", why, len);
	for (int i = 0; !rc && i < 9; i++)
		rc = xv_notify(fda, p.a) ? xv_why(why, len, "notify a") : 0;
	if (!rc)
		rc = expect_events(fdb, p.b, 0, 200, "9 notifications while masked",
				   why, len);
	if (!rc)
		rc = xv_unmask1(fdb, p.b) ? xv_why(why, len, "unmask b") : 0;
	if (!rc)
		rc = expect_events(fdb, p.b, 1, 5000, "first unmask", why, len);
	if (!rc)
		rc = xv_unmask1(fdb, p.b) ? xv_why(why, len, "unmask b") : 0;
	if (!rc)
		rc = expect_events(fdb, p.b, 0, 300, "second unmask", why, len);
	close(fda);
	close(fdb);
	return rc;
}

/* Run @call, fail the test unless it returned @want. */
#define WANT(call, want, what)						\
	do {								\
		int got_ = (call);					\
		if (got_ != (want))					\
			return xv_why(why, len, "%s: got %d (%s), want %d (%s)", \
				      what, got_, strerror(-got_), want,	\
				      strerror(-(want)));		\
	} while (0)

static int t_errors(char *why, size_t len)
{
	struct xv_pair p;
	int fda, fdb, rc;

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-b", why, len))
		return -1;
	if (xv_pair_bind(&p, fda, fdb, why, len))
		return -1;
	WANT(xv_unbind(fda, p.b), -ENOTCONN, "unbind b on a's file");
	WANT(xv_unbind(fda, 1u << 30), -EINVAL, "unbind port 1<<30");
	WANT(xv_notify(fda, p.b), -ENOTCONN, "notify b on a's file");
	WANT(xv_bind_interdomain(fdb, 0, p.a), -EINVAL,
	     "bind_interdomain to a connected port");
	WANT(xv_bind_interdomain(fdb, 0, 0), -EINVAL,
	     "bind_interdomain to port 0");
	WANT(xv_bind_interdomain(fdb, 0, XV_2L_PORTS - 1), -EINVAL,
	     "bind_interdomain to a free port");
	WANT(xv_bind_interdomain(fdb, 1000, p.a), -ESRCH,
	     "bind_interdomain to domain 1000");
	WANT(xv_bind_virq(fdb, VIRQ_TIMER), -EEXIST,
	     "bind_virq VIRQ_TIMER (bound by the kernel)");
	WANT(xv_bind_virq(fdb, NR_VIRQS), -EINVAL, "bind_virq 24 (>= NR_VIRQS)");
	/* nothing above may have disturbed the pair */
	WANT(xv_notify(fda, p.a), 0, "notify a");
	rc = expect_events(fdb, p.b, 1, 5000, "a->b after the errors", why, len);
	if (rc)
		return rc;
	WANT(xv_unbind(fdb, p.b), 0, "unbind b");
	WANT(xv_unbind(fdb, p.b), -ENOTCONN, "unbind b again");
	WANT(xv_notify(fdb, p.b), -ENOTCONN, "notify b after unbind");
	/* a is unbound again: a notification to it is dropped */
	WANT(xv_notify(fda, p.a), 0, "notify a while its peer is closed");
	WANT(xv_unbind(fda, p.a), 0, "unbind a");
	rc = expect_events(fda, p.a, 0, 100, "after unbinding", why, len);
	close(fda);
	close(fdb);
	return rc;
}

/* DOMID_SELF names dom0 as well: a loopback pair bound through it works. */
static int t_domid_self(char *why, size_t len)
{
	int fda, fdb, a, b, rc;

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-b", why, len))
		return -1;
	a = xv_bind_unbound(fda, DOMID_SELF);
	if (a < 0)
		return xv_why(why, len, "bind_unbound_port(DOMID_SELF): %s",
			      strerror(-a));
	b = xv_bind_interdomain(fdb, DOMID_SELF, a);
	if (b < 0)
		return xv_why(why, len, "bind_interdomain(DOMID_SELF, %d): %s",
			      a, strerror(-b));
	rc = expect_events(fdb, b, 1, 5000, "initial event", why, len);
	if (!rc)
		rc = xv_unmask1(fdb, b) || xv_notify(fda, a) ?
			xv_why(why, len, "unmask/notify") : 0;
	if (!rc)
		rc = expect_events(fdb, b, 1, 5000, "a->b", why, len);
	close(fda);
	close(fdb);
	return rc;
}

static int t_virq(char *why, size_t len)
{
	int fd1 = xv_open("xevt-api-v1"), fd2 = xv_open("xevt-api-v2");
	int p1, p2, rc;

	if (fd1 < 0 || fd2 < 0)
		return xv_why(why, len, "open: %s", strerror(-(fd1 < 0 ? fd1 : fd2)));
	p1 = xv_bind_virq(fd1, VIRQ_DOM_EXC);
	if (p1 <= 0)
		return xv_why(why, len, "bind_virq(VIRQ_DOM_EXC): %d (%s)", p1,
			      strerror(-p1));
	rc = xv_bind_virq(fd2, VIRQ_DOM_EXC);
	if (rc != -EEXIST)
		return xv_why(why, len, "second bind_virq(VIRQ_DOM_EXC): %d (%s), want -EEXIST",
			      rc, strerror(-rc));
	rc = xv_unbind(fd1, p1);
	if (rc)
		return xv_why(why, len, "unbind VIRQ port %d: %s", p1, strerror(-rc));
	p2 = xv_bind_virq(fd2, VIRQ_DOM_EXC);
	if (p2 <= 0)
		return xv_why(why, len, "bind_virq(VIRQ_DOM_EXC) after unbind: %d (%s)",
			      p2, strerror(-p2));
	rc = xv_unbind(fd2, p2);
	if (rc)
		return xv_why(why, len, "unbind VIRQ port %d: %s", p2, strerror(-rc));
	close(fd1);
	close(fd2);
	return 0;
}

static unsigned long irq_total(int irq)
{
	unsigned long c[XV_MAX_CPUS], s = 0;
	int n = xv_irq_cpu_counts(irq, c, XV_MAX_CPUS);

	for (int i = 0; i < n; i++)
		s += c[i];
	return s;
}

struct dbg_row;
static int dbg_row(unsigned int port, struct dbg_row *r);
static void dbg_say(const char *what, unsigned int port);
static int dbg_wait_not_pending(unsigned int port, int ms);

/* Wait up to @ms for @fd to report the ring overflow (POLLERR). */
static int wait_overflow(int fd, int ms)
{
	uint64_t end = xv_now_ns() + (uint64_t)ms * 1000000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	/* An overflow wakes nobody up: look again until it shows. */
	for (;;) {
		if (poll(&pfd, 1, 0) < 0)
			return -errno;
		if (pfd.revents & POLLERR)
			return 0;
		if (xv_now_ns() >= end)
			return -ETIMEDOUT;
		xv_sleep_us(1000);
	}
}

/*
 * b alone on its file: the device's ring holds 64 ports.  65 deliveries
 * without a read (each re-armed by an unmask, each counted exactly once
 * in b's IRQ statistics) overflow it: read fails with EFBIG until
 * IOCTL_EVTCHN_RESET; then the port delivers again.
 *
 * The IRQ statistics move when the IRQ core takes the event, before the
 * port's pending bit is cleared and before the device's handler has run.
 * Two consequences:
 * - A notification sent in between would coalesce with the event being
 *   taken: each notification waits until the port is not pending.
 * - An unmask written in between finds the port still enabled and does
 *   nothing, and the handler then leaves it waiting for an unmask that
 *   already came.  So when a notification is not counted within 100 ms
 *   the unmask is written again: it re-arms the port only if the last
 *   delivery is still waiting for one, and is a no-op for a port that is
 *   enabled, so a lost event still fails the test.  The 65th delivery
 *   is unmasked only once its handler reported the overflow.
 */
static int t_overflow(char *why, size_t len)
{
	struct xv_pair p;
	unsigned long base, now;
	int fda, fdb, irq, rc, rearmed = 0;
	unsigned int ev[4];

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-ov", why, len))
		return -1;
	if (xv_pair_bind(&p, fda, fdb, why, len))
		return -1;
	irq = xv_irq_by_action("evtchn:xevt-api-ov");
	if (irq < 0)
		return xv_why(why, len, "no IRQ named evtchn:xevt-api-ov: %s",
			      strerror(-irq));
	base = irq_total(irq);
	for (int i = 1; i <= 65; i++) {
		uint64_t end = xv_now_ns() + 5000000000ull;
		uint64_t again = xv_now_ns() + 100000000ull;

		rc = dbg_wait_not_pending(p.b, 5000);
		if (rc) {
			dbg_say("port b", p.b);
			return xv_why(why, len, "before notification %d: port b %s",
				      i, rc == -ETIMEDOUT ? "pending for 5 s" :
				      strerror(-rc));
		}
		rc = xv_notify(fda, p.a);
		if (rc)
			return xv_why(why, len, "notify %d: %s", i, strerror(-rc));
		while ((now = irq_total(irq)) < base + i && xv_now_ns() < end) {
			xv_sleep_us(200);
			if (xv_now_ns() < again)
				continue;
			rc = xv_unmask1(fdb, p.b);
			if (rc)
				return xv_why(why, len, "unmask again %d: %s", i,
					      strerror(-rc));
			rearmed++;
			again = xv_now_ns() + 100000000ull;
		}
		if (now != base + i) {
			dbg_say("port b", p.b);
			return xv_why(why, len,
				      "notification %d: IRQ %d counted %lu deliveries, want %d",
				      i, irq, now - base, i);
		}
		if (i == 65 && wait_overflow(fdb, 5000))
			return xv_why(why, len,
				      "65 events in a 64-slot ring: no POLLERR in 5 s");
		rc = xv_unmask1(fdb, p.b);
		if (rc)
			return xv_why(why, len, "unmask %d: %s", i, strerror(-rc));
	}
	xv_report("overflow: 65 notifications counted, unmask written again %d times",
		  rearmed);
	rc = xv_read(fdb, ev, 4, 1000);
	if (rc != -EFBIG)
		return xv_why(why, len, "read after 65 events in a 64-slot ring: %d, want -EFBIG",
			      rc);
	rc = xv_reset(fdb);
	if (rc)
		return xv_why(why, len, "IOCTL_EVTCHN_RESET: %s", strerror(-rc));
	rc = xv_read(fdb, ev, 4, 0);
	if (rc != 0)
		return xv_why(why, len, "read after reset: %d, want nothing", rc);
	rc = xv_notify(fda, p.a);
	if (!rc)
		rc = expect_events(fdb, p.b, 1, 5000, "after reset", why, len);
	now = irq_total(irq);
	if (!rc && now != base + 66)
		return xv_why(why, len, "IRQ %d counted %lu deliveries, want 66",
			      irq, now - base);
	close(fda);
	close(fdb);
	return rc;
}

/* One row of /sys/kernel/debug/xen/events (events_debugfs.c). */
struct dbg_row {
	unsigned int port, irq, vcpu;
	char kind[16], remote[8], prio[8], why[8], flags[8];
	int pending, masked;
	unsigned long events, spurious;
};

#define DBG_EVENTS	"/sys/kernel/debug/xen/events"

/* The row of @port: 1 found, 0 none, -errno. */
static int dbg_row(unsigned int port, struct dbg_row *r)
{
	FILE *f = fopen(DBG_EVENTS, "r");
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%u %u %15s %7s %u %7s %d %d %lu %lu %7s %7s",
			   &r->port, &r->irq, r->kind, r->remote, &r->vcpu,
			   r->prio, &r->pending, &r->masked, &r->events,
			   &r->spurious, r->why, r->flags) == 12 &&
		    r->port == port)
			found = 1;
	}
	fclose(f);
	return found;
}

/* Print @port's debugfs row (or why there is none) for a failure's log. */
static void dbg_say(const char *what, unsigned int port)
{
	struct dbg_row r;
	int rc = dbg_row(port, &r);

	if (rc == 1)
		xv_report("%s: port %u irq %u %s remote %s vcpu %u prio %s pending %d masked %d events %lu spurious %lu why %s flags %s",
			  what, r.port, r.irq, r.kind, r.remote, r.vcpu, r.prio,
			  r.pending, r.masked, r.events, r.spurious, r.why,
			  r.flags);
	else
		xv_report("%s: no debugfs row for port %u (%d)", what, port, rc);
}

/* Wait up to @ms for @port's row to show it not pending: 0 or -errno. */
static int dbg_wait_not_pending(unsigned int port, int ms)
{
	uint64_t end = xv_now_ns() + (uint64_t)ms * 1000000;
	struct dbg_row r;
	int rc;

	for (;;) {
		rc = dbg_row(port, &r);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ENOENT;
		if (!r.pending)
			return 0;
		if (xv_now_ns() >= end)
			return -ETIMEDOUT;
		xv_sleep_us(200);
	}
}

static int dbg_want_row(unsigned int port, struct dbg_row *r, const char *when,
			char *why, size_t len)
{
	int rc = dbg_row(port, r);

	if (rc < 0)
		return xv_why(why, len, "%s: %s", DBG_EVENTS, strerror(-rc));
	if (!rc)
		return xv_why(why, len, "%s: no row for port %u", when, port);
	return 0;
}

/*
 * The debugfs row of a port bound through /dev/xen/evtchn: kind evtchn,
 * its IRQ, the late EOI flow, and an events column that counts exactly
 * the events delivered: 1 (Xen's initial event at binding) + rounds, none
 * spurious.  Its peer, never notified, counts 0.  Unbinding removes the
 * row.
 */
static int t_debugfs(char *why, size_t len)
{
	unsigned int rounds = xv_arg_long("rounds", 25);
	struct dbg_row ra, rb;
	struct xv_pair p;
	int fda, fdb, irq, rc;

	if (open2(&fda, &fdb, "xevt-api-a", "xevt-api-dbg", why, len))
		return -1;
	if (xv_pair_bind(&p, fda, fdb, why, len))
		return -1;
	irq = xv_irq_by_action("evtchn:xevt-api-dbg");
	if (irq < 0)
		return xv_why(why, len, "no IRQ named evtchn:xevt-api-dbg: %s",
			      strerror(-irq));
	if (dbg_want_row(p.b, &rb, "after binding", why, len))
		return -1;
	if (rb.irq != (unsigned int)irq || strcmp(rb.kind, "evtchn") ||
	    strcmp(rb.remote, "0") || strcmp(rb.flags, "l"))
		return xv_why(why, len,
			      "port %u: irq %u kind %s remote %s flags %s, want irq %d kind evtchn remote 0 flags l",
			      p.b, rb.irq, rb.kind, rb.remote, rb.flags, irq);
	if (rb.events != 1 || rb.spurious)
		return xv_why(why, len,
			      "port %u after its initial event: events %lu spurious %lu, want 1 and 0",
			      p.b, rb.events, rb.spurious);
	for (unsigned int i = 0; i < rounds; i++) {
		rc = xv_notify(fda, p.a);
		if (rc)
			return xv_why(why, len, "notify %u: %s", i, strerror(-rc));
		rc = expect_events(fdb, p.b, 1, 5000, "a->b", why, len);
		if (rc)
			return rc;
		rc = xv_unmask1(fdb, p.b);
		if (rc)
			return xv_why(why, len, "unmask %u: %s", i, strerror(-rc));
	}
	if (dbg_want_row(p.b, &rb, "after the notifications", why, len) ||
	    dbg_want_row(p.a, &ra, "after the notifications", why, len))
		return -1;
	if (rb.events != 1 + rounds || rb.spurious || ra.events)
		return xv_why(why, len,
			      "after %u notifications: b counts %lu events (%lu spurious), a %lu; want %u, 0, 0",
			      rounds, rb.events, rb.spurious, ra.events, 1 + rounds);
	if (rb.pending || rb.masked || strcmp(rb.why, "-") || strcmp(rb.flags, "l"))
		return xv_why(why, len,
			      "port %u at rest: pending %d masked %d why %s flags %s, want 0 0 - l",
			      p.b, rb.pending, rb.masked, rb.why, rb.flags);
	rc = xv_unbind(fdb, p.b);
	if (rc)
		return xv_why(why, len, "unbind b: %s", strerror(-rc));
	rc = dbg_row(p.b, &rb);
	if (rc)
		return xv_why(why, len, "port %u unbound, its row: %d", p.b, rc);
	close(fda);
	close(fdb);
	return 0;
}

/*
 * selftest=1 only: prove that the kernel-log watch of xv_run() can fail.
 * SysRq-t dumps every task's stack ("Call Trace:"); the verdict printed
 * must be "not ok".  The dump is expected: it is bracketed for the scan
 * of the whole log at the end of the boot (initramfs/tests/splat.sh).
 */
static int t_selftest(char *why, size_t len)
{
	const char *name = "selftest_kernel_log_watch_must_say_not_ok";
	FILE *f = fopen("/proc/sysrq-trigger", "w");
	int rc;

	if (!f)
		return xv_why(why, len, "no /proc/sysrq-trigger");
	rc = xv_kmsg("xevt: expected splat begin: %s", name);
	if (rc)
		return xv_why(why, len, "/dev/kmsg: %s", strerror(-rc));
	fputs("t\n", f);
	fclose(f);
	xv_sleep_us(500000);
	rc = xv_kmsg("xevt: expected splat end: %s", name);
	if (rc)
		return xv_why(why, len, "/dev/kmsg: %s", strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	xv_start("xevt-api", argc, argv);
	xv_run("api_loopback_pair_both_ways", 30, t_loopback);
	xv_run("api_masked_notifications_coalesce", 30, t_coalesce);
	xv_run("api_error_values", 30, t_errors);
	xv_run("api_domid_self_loopback", 30, t_domid_self);
	xv_run("api_virq_bind_once", 30, t_virq);
	xv_run("api_ring_overflow_and_reset", 60, t_overflow);
	xv_run("api_debugfs_row_counts_events", 30, t_debugfs);
	if (xv_arg_long("selftest", 0))
		xv_run("selftest_kernel_log_watch_must_say_not_ok", 30, t_selftest);
	return xv_finish();
}
