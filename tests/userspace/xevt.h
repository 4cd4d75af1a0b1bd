/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the userspace boot tests: they drive event channels of
 * dom0 through /dev/xen/evtchn and print their verdicts behind the marker
 * that the host reads from the serial log (see initramfs/init):
 *
 *   @@XEVT@@ ok <name>
 *   @@XEVT@@ not ok <name> # <why, with the counts>
 *   @@XEVT@@ | <report line>
 *
 * A loopback pair is two ports of dom0 connected to each other: "a" is
 * allocated unbound for domain 0 (dom0 itself), "b" is bound interdomain
 * to (0, a).  A notification on one raises the other.  Every port of the
 * device is bound "late EOI": after it fired once it stays masked until
 * its number is written back to the device (xv_unmask()).
 */
#ifndef XEVT_H
#define XEVT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Port numbers: the 3-level ABI (64-bit guest) has ports below 1 << 18,
 * FIFO below 1 << 17, 2-level below 4096.  XV_MAX_PORTS sizes the
 * per-port tables of every ABI.
 */
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define XV_MAX_PORTS	262144u
#define XV_FIFO_PORTS	131072u
#define XV_2L_PORTS	4096u
#define XV_MAX_CPUS	8

/* Lines of the test verdicts and reports. */
void xv_start(const char *prog, int argc, char **argv);
int xv_finish(void);
void xv_report(const char *fmt, ...) __printf(1, 2);

/*
 * A test body fills @why (one line, counts included) and returns non-zero
 * on failure.  xv_run() prints the verdict; a test that passed still fails
 * when the kernel logged a warning, a BUG or an oops while it ran.
 * @budget_s arms a watchdog: a test still running after that long is
 * reported as failed and the program exits (budget=N on the command line
 * overrides every budget).  With budgets=1 on the command line nothing
 * runs: xv_finish() prints "xevt-budget <sum of the budgets in seconds of
 * the tests that would run>" and returns 0.  With list=1 nothing runs
 * either: xv_run() prints "xevt-list <name>" for each test that would run
 * with these arguments (in order) and xv_finish() returns 0.
 * Verdicts go to stdout and, when /init opened the verdict channel
 * (XEVT_CHAN_FD=9 in the environment, fd 9 open), to fd 9 as well.
 */
typedef int (*xv_test_fn)(char *why, size_t len);
void xv_run(const char *name, unsigned int budget_s, xv_test_fn fn);
/* What the watchdog prints about the running test's progress. */
void xv_watch(void (*progress)(char *buf, size_t len, void *arg), void *arg);
/* A progress callback for a struct xv_pp. */
void xv_pp_progress(char *buf, size_t len, void *pp);
int xv_why(char *why, size_t len, const char *fmt, ...)
	__printf(3, 4);
/*
 * Command line: "key=value" parameters (xv_arg()) and test names; when
 * names are given, xv_run() runs only the tests whose name contains one.
 */
const char *xv_arg(const char *key, const char *dflt);
long xv_arg_long(const char *key, long dflt);

/*
 * For the running test only (xv_run() resets it): a test that makes
 * allocations fail on purpose (fault injection) expects the kernel to
 * report them: "FAULT_INJECTION: forcing a failure", "page allocation
 * failure: order:" (warn_alloc()) and "percpu: allocation failed", each
 * with at most one stack dump after it.  The kernel-log watch of xv_run()
 * then counts those instead of failing the test; any other warning, and
 * a stack dump no such report announced, still fails it.  Their number
 * is reported with the test's time.
 */
void xv_allow_alloc_failure_reports(void);

/*
 * A line in the kernel log (written to /dev/kmsg, so with the user
 * facility).  A test that makes the kernel splat on purpose brackets it
 * with "xevt: expected splat begin: <test>" and "... end: <test>", which
 * initramfs/tests/splat.sh honours.  Returns 0 or -errno.
 */
int xv_kmsg(const char *fmt, ...) __printf(1, 2);

/* /dev/xen/evtchn; every call returns the port / 0, or -errno. */
int xv_open(const char *tag);
int xv_bind_unbound(int fd, unsigned int remote_dom);
int xv_bind_interdomain(int fd, unsigned int remote_dom,
			unsigned int remote_port);
int xv_bind_virq(int fd, unsigned int virq);
int xv_unbind(int fd, unsigned int port);
int xv_notify(int fd, unsigned int port);
int xv_unmask(int fd, const unsigned int *ports, size_t n);
int xv_unmask1(int fd, unsigned int port);
int xv_reset(int fd);
/* Fired ports: count read (> 0), 0 on timeout, -errno. */
int xv_read(int fd, unsigned int *ports, size_t max, int timeout_ms);

struct xv_pair {
	int fda, fdb;
	unsigned int a, b;
};

/*
 * Bind a loopback pair, a on @fda and b on @fdb.  Xen marks a freshly
 * bound interdomain port pending; the pair is returned only after exactly
 * that one event arrived on b and b was unmasked again.
 */
int xv_pair_bind(struct xv_pair *p, int fda, int fdb, char *why, size_t len);
void xv_pair_unbind(struct xv_pair *p);

/*
 * Read events from @fds until @want were counted or @timeout_ms passed;
 * @count[port] is incremented per event, ports >= @nports are strays.
 * Returns the number counted by this call.
 */
unsigned long xv_collect(const int *fds, int nfds, uint32_t *count,
			 size_t nports, unsigned long want, int timeout_ms,
			 unsigned long *strays);

/*
 * Ping-pong on a loopback pair: thread A notifies a, thread B takes the
 * event on b, unmasks b and notifies b, A takes the event on a and
 * unmasks a: one round trip.  Every notification and every event is
 * counted; a round trip that takes longer than @wait_ms fails the run.
 * @rounds == 0: run until @stop is set.  @rtt (if set) receives up to
 * @rtt_cap round-trip times in ns.
 */
struct xv_pp {
	struct xv_pair pair;
	int cpu_a, cpu_b;		/* -1: not pinned */
	unsigned long rounds;
	int wait_ms;
	uint64_t *rtt;
	size_t rtt_cap;
	_Atomic int stop;
	/* results */
	_Atomic unsigned long done;
	unsigned long sent_a, recv_a, sent_b, recv_b, wrong, extra;
	uint64_t max_rtt;
	_Atomic int failed, a_finished;
	char err[320];
	/* private */
	void *priv[2];
};

int xv_pp_start(struct xv_pp *pp);
/* Join both threads, then count late events: 0 when every count is exact. */
int xv_pp_join(struct xv_pp *pp, char *why, size_t len);

/*
 * Many loopback pairs at once: a[i] on @fda, b[i] on @fdb.  Binding stops
 * at the first error (returned as -errno; a half-bound pair is undone).
 * xv_bulk_initial() checks that every b got exactly its one initial event
 * and nothing else fired, then unmasks every b; xv_bulk_deliver() notifies
 * every port once and checks that each peer fired exactly once.  Both take
 * several bulks so that pairs bound by different threads are checked
 * together.
 */
struct xv_bulk {
	int fda, fdb;
	unsigned int *a, *b;
	size_t n, cap;
};

int xv_bulk_init(struct xv_bulk *bk, int fda, int fdb, size_t cap);
int xv_bulk_bind(struct xv_bulk *bk, size_t want);
int xv_bulk_initial(struct xv_bulk *bk, int nbk, int timeout_ms,
		    char *why, size_t len);
int xv_bulk_deliver(struct xv_bulk *bk, int nbk, int timeout_ms,
		    char *why, size_t len);
int xv_bulk_unbind(struct xv_bulk *bk, char *why, size_t len);

/* IRQs, CPUs, time. */
/* IRQs whose action is @action: count found; the first @max in @irqs. */
int xv_irqs_by_action(const char *action, int *irqs, int max);
/* The one IRQ named @action, -ENOENT or -EEXIST (more than one). */
int xv_irq_by_action(const char *action);
/*
 * xv_irq_by_action() for a test body: on failure (-errno) also says in
 * @why that there is no single IRQ named @action.
 */
int xv_irq_of(const char *action, char *why, size_t len);
int xv_irq_cpu_counts(int irq, unsigned long *count, int max);
int xv_irq_set_affinity(int irq, int cpu);
/*
 * Notify a of @p once: exactly one event must arrive on b, handled (IRQ
 * statistics of @irq, b's IRQ) on @cpu and on no other CPU.
 */
int xv_one_event_on(struct xv_pair *p, int irq, int cpu, const char *what,
		    char *why, size_t len);
int xv_irq_effective_cpu(int irq);
int xv_cpu_set_online(int cpu, int online);
int xv_cpu_is_online(int cpu);
int xv_pin(int cpu);
int xv_unpin(void);
uint64_t xv_now_ns(void);
void xv_sleep_us(unsigned long us);

struct xv_stats {
	uint64_t min, median, p99, max;
};

void xv_stats(uint64_t *v, size_t n, struct xv_stats *st);

#endif
