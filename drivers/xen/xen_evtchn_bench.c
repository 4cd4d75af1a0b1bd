// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen_evtchn_bench: event channel workloads for comparing implementations
 * of drivers/xen/events/ in a dom0 booted under Xen.
 *
 * Only the public API of <xen/events.h> and event channel hypercalls are
 * used, so this one source builds unchanged in our tree and in upstream's
 * (make bench boots both kernels and runs the same commands on each).
 *
 * Every channel is one end of a loopback pair: dom0 offers a port to itself
 * (EVTCHNOP_alloc_unbound, remote domain 0) and binds a second port to it
 * (EVTCHNOP_bind_interdomain); a notification on either end raises the
 * other.  Two sets of pairs exist:
 *
 *  - "idle" pairs, bound and never notified: the bound-port count against
 *    which the cost of an event is measured;
 *  - "work" pairs, routed to CPU0, that the workloads notify.
 *
 * Interface: debugfs file xen_evtchn_bench.  Writing one command runs it
 * to completion (as root, in the writer's context) and leaves one result
 * line, "key=value ...", that a read returns.  A command that fails
 * returns -errno from write() and its line says why.
 *
 *   idle N        grow or shrink the idle set to N ports (N/2 pairs);
 *                 reports the bind time split between Xen's hypercalls and
 *                 the guest's IRQ binding, and memory deltas since the set
 *                 was empty
 *   work M        bind M work pairs (replacing any earlier ones)
 *   batch K R     R times: raise K work ports with interrupts off, then
 *                 time their delivery when interrupts are enabled again
 *   pingpong R    R round trips chained in the handlers of work pair 0
 *   storm R MS    latency of work pair 0, R samples spread over MS
 *                 milliseconds, quiet and then while CPU1 floods work
 *                 pair 1
 *   bindrate P    bind and unbind P extra pairs, timed
 *   insn R        R times: one event and one round trip on work pair 0,
 *                 bracketed by XEB_MARK() markers for the instruction
 *                 counter tools/insn-count (make bench-insn); nothing is
 *                 timed here, the plugin counts
 *   insnbatch K R R times: raise K work ports with interrupts off, markers
 *                 around their delivery when interrupts are enabled again
 *   insnbind R    R times: bind and unbind a loopback pair, a global VIRQ
 *                 and an IPI, markers around each bind and each unbind
 *
 * Each workload counts the events its handlers saw against those it sent
 * and reports the difference as "lost="; a run with lost != 0 is invalid.
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <asm/xen/hypercall.h>

#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/xen.h>
#include <xen/xen.h>

/* Upper bounds: the largest ABI numbers 262,144 ports. */
#define XEB_MAX_IDLE_PAIRS	(262144 / 2)
#define XEB_MAX_WORK_PAIRS	2048
#define XEB_MAX_SAMPLES		20000
#define XEB_LINE		512

struct xeb_pair {
	evtchn_port_t port[2];
	int irq[2];
	void *id[2];			/* dev_id of each end's handler */
};

/* What the work handlers do: set by the running workload. */
enum xeb_mode { XEB_COUNT, XEB_PINGPONG, XEB_STORM, XEB_INSN };

/*
 * XEB_MARK(tag): a marker for the instruction counter of make bench-insn
 * (tools/insn-count, a QEMU TCG plugin), which recognises it by its bytes
 * and writes, per vCPU, the instructions executed since the previous
 * marker.  "nopl 0x5845TTTT(%rax)" (0f 1f 80 TT TT 45 58): a 7-byte no-op
 * whose displacement carries the tag in its low 16 bits; on hardware, or
 * under QEMU without the plugin, it does nothing.  The memory clobber
 * keeps the compiler from moving work across it.
 */
#define XEB_MARK(tag)							\
	({								\
		asm volatile("nopl 0x58450000 + %c0(%%rax)"		\
			     : : "i" (tag) : "memory");			\
	})

/* Tags of the insn workload; a figure is the interval ending at a tag. */
#define XEB_T_EMPTY0		0x01f0	/* two markers in a row ... */
#define XEB_T_EMPTY1		0x01f1	/* ... count 1 (the first marker) */
#define XEB_T_EV_START		0x0100	/* before the notify of one event */
#define XEB_T_EV_HANDLED	0x0101	/* end of its handler */
#define XEB_T_EV_RETURN		0x0102	/* the notify returned */
#define XEB_T_RT_START		0x0110	/* before the notify of a round trip */
#define XEB_T_RT_HANDLED	0x0111	/* end of the second handler */
#define XEB_T_RT_RETURN		0x0112	/* the notify returned */
#define XEB_T_BATCH_START	0x0120	/* K pending, before irqs on */
#define XEB_T_BATCH_END		0x0121	/* all K delivered */
#define XEB_T_PAIR_START	0x0130	/* before a loopback pair's bind */
#define XEB_T_PAIR_BOUND	0x0131	/* both ends bound */
#define XEB_T_PAIR_FREED	0x0132	/* both ends unbound */
#define XEB_T_VIRQ_START	0x0140	/* before a VIRQ's bind */
#define XEB_T_VIRQ_BOUND	0x0141
#define XEB_T_VIRQ_FREED	0x0142
#define XEB_T_IPI_START		0x0150	/* before an IPI's bind */
#define XEB_T_IPI_BOUND		0x0151
#define XEB_T_IPI_FREED		0x0152
/*
 * Context of the samples that follow: XEB_T_CTX_BEGIN, 64 bit markers
 * (most significant first: idle ports in the high half, K of a batch in
 * the low half), XEB_T_CTX_END.  A marker's tag is an immediate, so a
 * value goes out one bit at a time.
 */
#define XEB_T_CTX_BEGIN		0x0e00
#define XEB_T_CTX_END		0x0e01
#define XEB_T_BIT0		0x0e10
#define XEB_T_BIT1		0x0e11

/* The global VIRQ and the IPI that insnbind binds: none of dom0's. */
#define XEB_SPARE_VIRQ		VIRQ_ENOMEM
#define XEB_SPARE_IPI		XEN_NMI_VECTOR

static noinline void xeb_mark_ctx(unsigned int idle_ports, unsigned int k)
{
	u64 v = (u64)idle_ports << 32 | k;
	int i;

	XEB_MARK(XEB_T_CTX_BEGIN);
	for (i = 63; i >= 0; i--) {
		if ((v >> i) & 1)
			XEB_MARK(XEB_T_BIT1);
		else
			XEB_MARK(XEB_T_BIT0);
	}
	XEB_MARK(XEB_T_CTX_END);
}

/*
 * Clock: the TSC of CPU0, where every timed workload runs.  Not ktime:
 * under emulation the vCPUs' pvclocks drift apart and the clocksource's
 * monotonic guard then holds the slower vCPU's time still for a while,
 * which turns short intervals into zeros.
 */
static inline u64 xeb_now(void)
{
	return rdtsc_ordered();
}

static u64 xeb_ns(u64 cycles)
{
	return mul_u64_u32_div(cycles, 1000000, tsc_khz);
}

/* What the work handlers count; only CPU0 runs them. */
struct xeb_counts {
	unsigned long hits;		/* work events, any role */
	unsigned long flood;		/* events of the flooded pair */
	unsigned long rounds;		/* ping-pong round trips */
	unsigned long rounds_want;
	u64 stamp;			/* storm: when pair 0's event arrived */
};

static DEFINE_MUTEX(xeb_lock);		/* one command at a time */
static struct xeb_pair *xeb_idle;	/* [XEB_MAX_IDLE_PAIRS] */
static unsigned int xeb_nr_idle;
static struct xeb_pair xeb_work[XEB_MAX_WORK_PAIRS];
static unsigned int xeb_nr_work;
static atomic_long_t xeb_idle_hits;
static struct xeb_counts xeb_cnt;
static enum xeb_mode xeb_mode;
static DECLARE_COMPLETION(xeb_pp_done);
static u64 *xeb_samples;		/* [XEB_MAX_SAMPLES] */
static char xeb_result[XEB_LINE];

/* Memory in use when the idle set was last empty. */
static long xeb_base_slab, xeb_base_used;
/* Time spent binding the idle set, cumulated since it was empty. */
static u64 xeb_idle_xen_ns, xeb_idle_guest_ns;

static irqreturn_t xeb_idle_handler(int irq, void *dev_id)
{
	atomic_long_inc(&xeb_idle_hits);
	return IRQ_HANDLED;
}

/*
 * Work ports: dev_id encodes 1 + 2 * pair + end.  In ping-pong mode,
 * notifying end 0 of pair 0 raises end 1, whose handler notifies end 1,
 * which raises end 0: one round trip.  In storm mode, end 1 of pair 0
 * stamps its arrival and end 1 of pair 1 is the flooded port.
 */
static irqreturn_t xeb_work_handler(int irq, void *dev_id)
{
	unsigned long id = (unsigned long)dev_id - 1;
	struct xeb_pair *p = &xeb_work[0];

	if (xeb_mode == XEB_STORM && id == 3) {
		xeb_cnt.flood++;
		return IRQ_HANDLED;
	}
	if (xeb_mode == XEB_INSN) {
		/* Pair 0 only; markers at the very end of the handler. */
		xeb_cnt.hits++;
		if (id == 1 && xeb_cnt.rounds_want) {
			notify_remote_via_evtchn(p->port[1]);
		} else if (id == 1) {
			XEB_MARK(XEB_T_EV_HANDLED);
		} else if (id == 0) {
			xeb_cnt.rounds++;
			XEB_MARK(XEB_T_RT_HANDLED);
		}
		return IRQ_HANDLED;
	}
	xeb_cnt.hits++;
	if (xeb_mode == XEB_STORM && id == 1) {
		xeb_cnt.stamp = xeb_now();
	} else if (xeb_mode == XEB_PINGPONG && id == 1) {
		notify_remote_via_evtchn(p->port[1]);
	} else if (xeb_mode == XEB_PINGPONG && id == 0) {
		if (++xeb_cnt.rounds < xeb_cnt.rounds_want)
			notify_remote_via_evtchn(p->port[0]);
		else
			complete(&xeb_pp_done);
	}
	return IRQ_HANDLED;
}

static int xeb_hv_close(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

/* Two connected ports of dom0; Xen leaves the second one pending. */
static int xeb_hv_pair(evtchn_port_t port[2])
{
	struct evtchn_alloc_unbound au = {
		.dom = DOMID_SELF, .remote_dom = 0,
	};
	struct evtchn_bind_interdomain bi = { .remote_dom = 0 };
	int rc;

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
	if (rc)
		return rc;
	bi.remote_port = au.port;
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
	if (rc) {
		xeb_hv_close(au.port);
		return rc;
	}
	port[0] = au.port;
	port[1] = bi.local_port;
	return 0;
}

/*
 * Bind both ends of a fresh pair to handlers.  @xen_ns and @guest_ns
 * collect the time spent in the two hypercalls and in the guest's binding.
 */
static int xeb_pair_bind(struct xeb_pair *p, irq_handler_t fn,
			 const char *name, void *id0, void *id1,
			 u64 *xen_ns, u64 *guest_ns)
{
	u64 t0 = xeb_now(), t1;
	int rc, i;

	rc = xeb_hv_pair(p->port);
	t1 = xeb_now();
	*xen_ns += xeb_ns(t1 - t0);
	if (rc)
		return rc;
	for (i = 0; i < 2; i++) {
		rc = bind_evtchn_to_irqhandler(p->port[i], fn, 0, name,
					       i ? id1 : id0);
		if (rc < 0)
			break;
		p->irq[i] = rc;
		p->id[i] = i ? id1 : id0;
	}
	if (rc < 0) {
		/* The unbind of end 0 closes it; end 1 is still ours to close. */
		if (i == 1)
			unbind_from_irqhandler(p->irq[0], id0);
		else
			xeb_hv_close(p->port[0]);
		xeb_hv_close(p->port[1]);
	}
	*guest_ns += xeb_ns(xeb_now() - t1);
	return rc < 0 ? rc : 0;
}

static void xeb_pair_unbind(struct xeb_pair *p)
{
	unbind_from_irqhandler(p->irq[0], p->id[0]);
	unbind_from_irqhandler(p->irq[1], p->id[1]);
}

/*
 * Before reading memory counters: let RCU-deferred frees (IRQ descriptors,
 * bindings) finish and give the per-CPU page lists back to the buddy
 * allocator, whose free count is what xeb_used_bytes() subtracts.
 */
static void xeb_settle(void)
{
	synchronize_rcu();
	rcu_barrier();
	drain_all_pages(NULL);
}

static long xeb_slab_bytes(void)
{
	return (global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B) +
		global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B)) *
		PAGE_SIZE;
}

static long xeb_used_bytes(void)
{
	return (totalram_pages() - global_zone_page_state(NR_FREE_PAGES)) *
		PAGE_SIZE;
}

static unsigned int xeb_upcalls(void)
{
	return per_cpu(irq_stat, 0).irq_hv_callback_count;
}

static int xeb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of @n samples (sorted in place). */
static void xeb_stats(u64 *v, unsigned int n, u64 *med, u64 *min, u64 *max)
{
	sort(v, n, sizeof(*v), xeb_cmp_u64, NULL);
	*med = n ? v[n / 2] : 0;
	*min = n ? v[0] : 0;
	*max = n ? v[n - 1] : 0;
}

/* Workloads raise work ports from CPU0, where their IRQs are routed. */
static int xeb_on_cpu0(void)
{
	int rc = set_cpus_allowed_ptr(current, cpumask_of(0));

	if (!rc && raw_smp_processor_id() != 0)
		rc = -EAGAIN;
	return rc;
}

static void xeb_reset_counts(void)
{
	xeb_cnt = (struct xeb_counts){ };
}

/* ---- idle N ----------------------------------------------------------- */

static int xeb_cmd_idle(unsigned int ports)
{
	unsigned int want = ports / 2, from = xeb_nr_idle;
	u64 xen_ns = 0, guest_ns = 0, t0, unbind_ns = 0;
	int rc = 0;

	if (want > XEB_MAX_IDLE_PAIRS)
		return -EINVAL;
	if (!xeb_idle) {
		xeb_idle = kvcalloc(XEB_MAX_IDLE_PAIRS, sizeof(*xeb_idle),
				    GFP_KERNEL);
		if (!xeb_idle)
			return -ENOMEM;
	}
	if (!xeb_nr_idle) {
		xeb_settle();
		xeb_base_slab = xeb_slab_bytes();
		xeb_base_used = xeb_used_bytes();
		xeb_idle_xen_ns = 0;
		xeb_idle_guest_ns = 0;
	}
	t0 = xeb_now();
	while (xeb_nr_idle > want) {
		xeb_nr_idle--;
		xeb_pair_unbind(&xeb_idle[xeb_nr_idle]);
		cond_resched();
	}
	unbind_ns = xeb_ns(xeb_now() - t0);
	while (xeb_nr_idle < want) {
		rc = xeb_pair_bind(&xeb_idle[xeb_nr_idle], xeb_idle_handler,
				   "xeb-idle", NULL, NULL, &xen_ns, &guest_ns);
		if (rc)
			break;
		xeb_nr_idle++;
		cond_resched();
	}
	xeb_idle_xen_ns += xen_ns;
	xeb_idle_guest_ns += guest_ns;
	xeb_settle();
	snprintf(xeb_result, sizeof(xeb_result),
		 "idle ports=%u rc=%d added_pairs=%u xen_ns=%llu guest_ns=%llu unbind_ns=%llu total_xen_ns=%llu total_guest_ns=%llu slab_delta=%ld used_delta=%ld initial_events=%ld",
		 2 * xeb_nr_idle, rc,
		 xeb_nr_idle > from ? xeb_nr_idle - from : 0,
		 xen_ns, guest_ns, unbind_ns, xeb_idle_xen_ns,
		 xeb_idle_guest_ns, xeb_slab_bytes() - xeb_base_slab,
		 xeb_used_bytes() - xeb_base_used,
		 atomic_long_read(&xeb_idle_hits));
	return rc;
}

/* ---- work M ----------------------------------------------------------- */

static void xeb_work_release(void)
{
	while (xeb_nr_work) {
		xeb_nr_work--;
		xeb_pair_unbind(&xeb_work[xeb_nr_work]);
	}
}

/* Work pairs, both ends routed to CPU0. */
static int xeb_cmd_work(unsigned int pairs)
{
	u64 xen_ns = 0, guest_ns = 0;
	unsigned int i;
	int rc = 0;

	if (!pairs || pairs > XEB_MAX_WORK_PAIRS)
		return -EINVAL;
	xeb_work_release();
	while (xeb_nr_work < pairs) {
		struct xeb_pair *p = &xeb_work[xeb_nr_work];
		unsigned long id = 1 + 2 * xeb_nr_work;

		rc = xeb_pair_bind(p, xeb_work_handler, "xeb-work",
				   (void *)id, (void *)(id + 1),
				   &xen_ns, &guest_ns);
		if (rc)
			break;
		xeb_nr_work++;
		for (i = 0; i < 2 && !rc; i++)
			rc = irq_set_affinity(p->irq[i], cpumask_of(0));
		if (rc)
			break;
	}
	/* Let the initial event of every pair arrive, then start counting. */
	msleep(50);
	xeb_reset_counts();
	snprintf(xeb_result, sizeof(xeb_result), "work pairs=%u rc=%d",
		 xeb_nr_work, rc);
	if (rc)
		xeb_work_release();
	return rc;
}

/* Pick what the work handlers do (the caller runs on CPU0 already). */
static void xeb_begin(enum xeb_mode mode)
{
	xeb_mode = mode;
	xeb_reset_counts();
}

/* ---- batch K R -------------------------------------------------------- */

/* Port whose notification raises the k-th distinct work port. */
static evtchn_port_t xeb_kth_sender(unsigned int k)
{
	return xeb_work[k / 2].port[!(k & 1)];
}

static int xeb_cmd_batch(unsigned int k, unsigned int reps)
{
	unsigned int r, i, up0, upcalls = 0, late = 0;
	unsigned long lost = 0, before;
	u64 med, min, max, t0;

	if (!k || k > 2 * xeb_nr_work || !reps || reps > XEB_MAX_SAMPLES)
		return -EINVAL;
	xeb_begin(XEB_COUNT);
	for (r = 0; r < reps; r++) {
		before = xeb_cnt.hits;
		local_irq_disable();
		for (i = 0; i < k; i++)
			notify_remote_via_evtchn(xeb_kth_sender(i));
		up0 = xeb_upcalls();
		t0 = xeb_now();
		local_irq_enable();
		xeb_samples[r] = xeb_ns(xeb_now() - t0);
		upcalls += xeb_upcalls() - up0;
		if (xeb_cnt.hits - before != k) {
			/* Not all delivered at once: wait, then count. */
			late++;
			msleep(20);
			if (xeb_cnt.hits - before != k)
				lost += abs((long)(xeb_cnt.hits - before - k));
		}
		if (!(r & 63))
			cond_resched();
	}
	xeb_stats(xeb_samples, reps, &med, &min, &max);
	snprintf(xeb_result, sizeof(xeb_result),
		 "batch k=%u reps=%u idle_ports=%u median_ns=%llu min_ns=%llu max_ns=%llu per_event_ns=%llu events=%lu upcalls=%u late=%u lost=%lu",
		 k, reps, 2 * xeb_nr_idle, med, min, max, div_u64(med, k),
		 xeb_cnt.hits, upcalls, late, lost);
	return lost ? -EIO : 0;
}

/* ---- pingpong R ------------------------------------------------------- */

static int xeb_cmd_pingpong(unsigned int rounds)
{
	unsigned long lost;
	u64 t0, ns;
	int rc = 0;

	if (!rounds || !xeb_nr_work)
		return -EINVAL;
	xeb_begin(XEB_PINGPONG);
	reinit_completion(&xeb_pp_done);
	xeb_cnt.rounds_want = rounds;
	t0 = xeb_now();
	/* Raises end 1 (PING), whose handler raises end 0 (PONG), ... */
	notify_remote_via_evtchn(xeb_work[0].port[0]);
	if (!wait_for_completion_timeout(&xeb_pp_done, 60 * HZ))
		rc = -ETIMEDOUT;
	ns = xeb_ns(xeb_now() - t0);
	/* Both ends fired once per round trip. */
	lost = abs((long)(xeb_cnt.hits - 2 * xeb_cnt.rounds));
	snprintf(xeb_result, sizeof(xeb_result),
		 "pingpong rounds=%lu want=%u idle_ports=%u total_ns=%llu rtt_ns=%llu lost=%lu rc=%d",
		 xeb_cnt.rounds, rounds, 2 * xeb_nr_idle, ns,
		 div_u64(ns, rounds), lost, rc);
	xeb_mode = XEB_COUNT;
	if (!rc && (lost || xeb_cnt.rounds != rounds))
		rc = -EIO;
	return rc;
}

/* ---- storm R MS ------------------------------------------------------- */

struct xeb_flooder {
	evtchn_port_t port;
	u64 until_ns;
	unsigned long sent;
	bool stop;
	struct completion done;
};

static int xeb_flood_fn(void *data)
{
	struct xeb_flooder *f = data;

	while (!READ_ONCE(f->stop) && ktime_get_ns() < f->until_ns) {
		notify_remote_via_evtchn(f->port);
		f->sent++;
		if (!(f->sent & 255))
			cond_resched();
	}
	complete(&f->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * Latencies of pair 0 (notify end 0; the handler of end 1 stamps), from
 * this CPU, where the event is delivered on the hypercall's return; one
 * sample every @gap_us, interrupts on in between (so a flood is served
 * between samples too).  With @f, only samples taken while the flooder
 * still runs count.  An event not handled within about 1 ms is waited
 * for up to 100 ms and counted in *@late (its latency is a sample like
 * any other); one not handled by then is counted in *@lost.  Returns the
 * number of samples kept.
 */
static unsigned int xeb_latencies(unsigned int reps, unsigned int gap_us,
				  struct xeb_flooder *f, unsigned long *lost,
				  unsigned long *late)
{
	unsigned int r, w, kept = 0;
	u64 t0, stamp;

	for (r = 0; r < reps; r++) {
		unsigned long before = READ_ONCE(xeb_cnt.hits);

		WRITE_ONCE(xeb_cnt.stamp, 0);
		t0 = xeb_now();
		notify_remote_via_evtchn(xeb_work[0].port[0]);
		for (w = 0; READ_ONCE(xeb_cnt.hits) == before && w < 100; w++)
			usleep_range(1000, 1100);
		stamp = READ_ONCE(xeb_cnt.stamp);
		if (READ_ONCE(xeb_cnt.hits) - before != 1 || !stamp) {
			(*lost)++;
			continue;
		}
		if (w > 1)
			(*late)++;
		if (f && completion_done(&f->done))
			break;
		xeb_samples[kept++] = xeb_ns(stamp - t0);
		udelay(gap_us);
		if (!(r & 63))
			cond_resched();
	}
	return kept;
}

static int xeb_cmd_storm(unsigned int reps, unsigned int ms)
{
	struct xeb_flooder f = { .port = 0 };
	u64 q_med, q_min, q_max, s_med, s_min, s_max;
	unsigned long lost = 0, late = 0, flood;
	unsigned int quiet, kept, gap_us;
	struct task_struct *t;

	if (xeb_nr_work < 2 || !reps || reps > XEB_MAX_SAMPLES ||
	    !cpu_online(1) || !ms)
		return -EINVAL;
	/* Spread the samples over @ms, in both phases. */
	gap_us = min(1000U * ms / reps, 2000U);
	xeb_begin(XEB_STORM);

	/* Quiet: the reference latency. */
	quiet = xeb_latencies(reps, gap_us, NULL, &lost, &late);
	xeb_stats(xeb_samples, quiet, &q_med, &q_min, &q_max);

	/* Flooded: CPU1 raises pair 1's end 1 (on CPU0) as fast as it can. */
	f.port = xeb_work[1].port[0];
	/* Long enough for every sample; the samples end the flood. */
	f.until_ns = ktime_get_ns() + 2ULL * ms * NSEC_PER_MSEC + NSEC_PER_SEC;
	init_completion(&f.done);
	t = kthread_create(xeb_flood_fn, &f, "xeb-flood");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, 1);
	wake_up_process(t);
	usleep_range(10000, 20000);
	kept = xeb_latencies(reps, gap_us, &f, &lost, &late);
	WRITE_ONCE(f.stop, true);
	wait_for_completion(&f.done);
	kthread_stop(t);
	msleep(50);
	xeb_stats(xeb_samples, kept, &s_med, &s_min, &s_max);
	flood = xeb_cnt.flood;
	xeb_mode = XEB_COUNT;
	snprintf(xeb_result, sizeof(xeb_result),
		 "storm reps=%u idle_ports=%u quiet_median_ns=%llu quiet_min_ns=%llu quiet_max_ns=%llu storm_samples=%u storm_median_ns=%llu storm_min_ns=%llu storm_max_ns=%llu flood_sent=%lu flood_handled=%lu late=%lu lost=%lu",
		 reps, 2 * xeb_nr_idle, q_med, q_min, q_max, kept, s_med,
		 s_min, s_max, f.sent, flood, late, lost);
	/* Flood events may merge while pending; none may appear from nowhere. */
	if (lost || flood > f.sent || !flood || !kept)
		return -EIO;
	return 0;
}

/* ---- insn R ----------------------------------------------------------- */

/*
 * Exact costs for the instruction counter: on this CPU, with interrupts
 * on, so each event is delivered on the return of its notify hypercall
 * (the upcall runs before the notify returns).  One sample of each:
 *
 *   EV_START -> EV_HANDLED   one event, notify to the end of its handler
 *   EV_HANDLED -> EV_RETURN  the rest of the upcall, back in the caller
 *   RT_START -> RT_HANDLED   a round trip: notify end 0; the handler of
 *                            end 1 notifies end 1; the handler of end 0
 *                            ends it
 *   RT_HANDLED -> RT_RETURN  the rest of the upcall
 *
 * A timer tick or any other interrupt inside a sample adds to its count;
 * the host takes the most common count of each interval, which such
 * samples do not reach.  A sample whose events were not all handled by
 * the time the notify returned is waited for and counted as "late" (its
 * markers ran out of order; the host leaves such intervals out by their
 * previous tag).
 */
static int xeb_cmd_insn(unsigned int reps)
{
	struct xeb_pair *p = &xeb_work[0];
	unsigned long before, lost = 0;
	unsigned int r, late = 0;

	if (!reps || !xeb_nr_work)
		return -EINVAL;
	xeb_begin(XEB_INSN);
	xeb_mark_ctx(2 * xeb_nr_idle, 0);
	for (r = 0; r < reps; r++) {
		XEB_MARK(XEB_T_EMPTY0);
		XEB_MARK(XEB_T_EMPTY1);

		before = xeb_cnt.hits;
		xeb_cnt.rounds_want = 0;
		XEB_MARK(XEB_T_EV_START);
		notify_remote_via_evtchn(p->port[0]);
		XEB_MARK(XEB_T_EV_RETURN);

		xeb_cnt.rounds_want = 1;
		XEB_MARK(XEB_T_RT_START);
		notify_remote_via_evtchn(p->port[0]);
		XEB_MARK(XEB_T_RT_RETURN);

		if (READ_ONCE(xeb_cnt.hits) - before != 3) {
			late++;
			msleep(20);
			if (READ_ONCE(xeb_cnt.hits) - before != 3)
				lost += abs((long)(READ_ONCE(xeb_cnt.hits) -
						   before - 3));
		}
		if (!(r & 63))
			cond_resched();
	}
	snprintf(xeb_result, sizeof(xeb_result),
		 "insn reps=%u idle_ports=%u events=%lu rounds=%lu late=%u lost=%lu",
		 reps, 2 * xeb_nr_idle, xeb_cnt.hits, xeb_cnt.rounds, late,
		 lost);
	xeb_mode = XEB_COUNT;
	return lost || xeb_cnt.rounds != reps ? -EIO : 0;
}

/* ---- insnbatch K R ---------------------------------------------------- */

/*
 * Per event when K are pending at once: with interrupts off, raise K
 * distinct work ports (one notify each); the markers bracket enabling
 * interrupts again, in which the one upcall (or more) delivers all K.
 * The figure is the interval's count divided by K on the host.  A timer
 * tick that fell due while interrupts were off is delivered in the same
 * upcall and puts its sample off the mode.
 */
static int xeb_cmd_insnbatch(unsigned int k, unsigned int reps)
{
	unsigned long before, lost = 0;
	unsigned int r, i, late = 0;

	if (!k || k > 2 * xeb_nr_work || !reps)
		return -EINVAL;
	xeb_begin(XEB_COUNT);
	xeb_mark_ctx(2 * xeb_nr_idle, k);
	for (r = 0; r < reps; r++) {
		before = READ_ONCE(xeb_cnt.hits);
		local_irq_disable();
		for (i = 0; i < k; i++)
			notify_remote_via_evtchn(xeb_kth_sender(i));
		XEB_MARK(XEB_T_BATCH_START);
		local_irq_enable();
		XEB_MARK(XEB_T_BATCH_END);
		if (READ_ONCE(xeb_cnt.hits) - before != k) {
			late++;
			msleep(20);
			if (READ_ONCE(xeb_cnt.hits) - before != k)
				lost += abs((long)(READ_ONCE(xeb_cnt.hits) -
						   before - k));
		}
		if (!(r & 15))
			cond_resched();
	}
	snprintf(xeb_result, sizeof(xeb_result),
		 "insnbatch k=%u reps=%u idle_ports=%u events=%lu late=%u lost=%lu",
		 k, reps, 2 * xeb_nr_idle, xeb_cnt.hits, late, lost);
	return lost ? -EIO : 0;
}

/* ---- insnbind R ------------------------------------------------------- */

/*
 * One bind and one unbind, each bracketed, of:
 *
 *  - a loopback pair: the two hypercalls that make it, both ends bound
 *    to handlers (Xen leaves end 1 pending, so its bind delivers one
 *    event), then both unbound (which closes both ports);
 *  - XEB_SPARE_VIRQ, a global VIRQ nothing in dom0 binds, on CPU0;
 *  - XEB_SPARE_IPI on CPU0, the IPI vector a PV guest never binds (its
 *    NMIs go by hypercall).
 *
 * Work done after the unbind returns (an RCU-deferred free) is not in
 * the unbind's figure; a pause every 16 samples lets it run, so freed
 * descriptors do not pile up.
 */
static int xeb_cmd_insnbind(unsigned int reps)
{
	int rc = 0, virq_rc = 0, ipi_rc = 0, irq;
	u64 xen_ns = 0, guest_ns = 0;
	struct xeb_pair p;
	unsigned int r;

	if (!reps)
		return -EINVAL;
	xeb_mark_ctx(2 * xeb_nr_idle, 0);
	for (r = 0; r < reps && !rc; r++) {
		XEB_MARK(XEB_T_PAIR_START);
		rc = xeb_pair_bind(&p, xeb_idle_handler, "xeb-bind", NULL,
				   NULL, &xen_ns, &guest_ns);
		XEB_MARK(XEB_T_PAIR_BOUND);
		if (rc)
			break;
		xeb_pair_unbind(&p);
		XEB_MARK(XEB_T_PAIR_FREED);

		if (!virq_rc) {
			XEB_MARK(XEB_T_VIRQ_START);
			irq = bind_virq_to_irqhandler(XEB_SPARE_VIRQ, 0,
						      xeb_idle_handler, 0,
						      "xeb-virq", NULL);
			XEB_MARK(XEB_T_VIRQ_BOUND);
			if (irq < 0) {
				virq_rc = irq;
			} else {
				unbind_from_irqhandler(irq, NULL);
				XEB_MARK(XEB_T_VIRQ_FREED);
			}
		}

		if (!ipi_rc) {
			XEB_MARK(XEB_T_IPI_START);
			irq = bind_ipi_to_irqhandler(XEB_SPARE_IPI, 0,
						     xeb_idle_handler,
						     IRQF_PERCPU |
						     IRQF_NOBALANCING,
						     "xeb-ipi", NULL);
			XEB_MARK(XEB_T_IPI_BOUND);
			if (irq < 0) {
				ipi_rc = irq;
			} else {
				unbind_from_irqhandler(irq, NULL);
				XEB_MARK(XEB_T_IPI_FREED);
			}
		}
		if (!(r & 15))
			usleep_range(5000, 6000);
	}
	snprintf(xeb_result, sizeof(xeb_result),
		 "insnbind reps=%u done=%u idle_ports=%u pair_rc=%d virq=%u virq_rc=%d ipi=%u ipi_rc=%d",
		 reps, r, 2 * xeb_nr_idle, rc, XEB_SPARE_VIRQ, virq_rc,
		 XEB_SPARE_IPI, ipi_rc);
	return rc ? rc : (virq_rc ? virq_rc : ipi_rc);
}

/* ---- bindrate P ------------------------------------------------------- */

static int xeb_cmd_bindrate(unsigned int pairs)
{
	u64 xen_ns = 0, guest_ns = 0, t0, unbind_ns;
	struct xeb_pair *p;
	unsigned int n = 0;
	int rc = 0;

	if (!pairs || pairs > 16384)
		return -EINVAL;
	p = kvcalloc(pairs, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	for (n = 0; n < pairs; n++) {
		rc = xeb_pair_bind(&p[n], xeb_idle_handler, "xeb-rate", NULL,
				   NULL, &xen_ns, &guest_ns);
		if (rc)
			break;
	}
	t0 = xeb_now();
	while (n)
		xeb_pair_unbind(&p[--n]);
	unbind_ns = xeb_ns(xeb_now() - t0);
	kvfree(p);
	snprintf(xeb_result, sizeof(xeb_result),
		 "bindrate pairs=%u idle_ports=%u xen_ns=%llu guest_ns=%llu unbind_ns=%llu per_pair_ns=%llu rc=%d",
		 pairs, 2 * xeb_nr_idle, xen_ns, guest_ns, unbind_ns,
		 div_u64(xen_ns + guest_ns + unbind_ns, pairs), rc);
	return rc;
}

/* ---- debugfs ---------------------------------------------------------- */

static int xeb_run(char *cmd)
{
	unsigned int a = 0, b = 0;
	char verb[16];
	int n, rc;

	n = sscanf(cmd, "%15s %u %u", verb, &a, &b);
	if (n < 1)
		return -EINVAL;
	/*
	 * Every command runs on CPU0: intervals are timed on its TSC and the
	 * work ports are routed to it.
	 */
	rc = xeb_on_cpu0();
	if (rc)
		return rc;
	if (!strcmp(verb, "idle") && n == 2)
		return xeb_cmd_idle(a);
	if (!strcmp(verb, "work") && n == 2)
		return xeb_cmd_work(a);
	if (!strcmp(verb, "batch") && n == 3)
		return xeb_cmd_batch(a, b);
	if (!strcmp(verb, "pingpong") && n == 2)
		return xeb_cmd_pingpong(a);
	if (!strcmp(verb, "storm") && n == 3)
		return xeb_cmd_storm(a, b);
	if (!strcmp(verb, "bindrate") && n == 2)
		return xeb_cmd_bindrate(a);
	if (!strcmp(verb, "insn") && n == 2)
		return xeb_cmd_insn(a);
	if (!strcmp(verb, "insnbatch") && n == 3)
		return xeb_cmd_insnbatch(a, b);
	if (!strcmp(verb, "insnbind") && n == 2)
		return xeb_cmd_insnbind(a);
	return -EINVAL;
}

static ssize_t xeb_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char cmd[64];
	int rc;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&xeb_lock);
	snprintf(xeb_result, sizeof(xeb_result), "error");
	rc = xeb_run(cmd);
	if (rc && !strcmp(xeb_result, "error"))
		snprintf(xeb_result, sizeof(xeb_result), "error rc=%d", rc);
	mutex_unlock(&xeb_lock);
	return rc ? rc : len;
}

static ssize_t xeb_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	char line[XEB_LINE + 1];
	int n;

	mutex_lock(&xeb_lock);
	n = scnprintf(line, sizeof(line), "%s\n", xeb_result);
	mutex_unlock(&xeb_lock);
	return simple_read_from_buffer(ubuf, len, ppos, line, n);
}

static const struct file_operations xeb_fops = {
	.owner = THIS_MODULE,
	.write = xeb_write,
	.read = xeb_read,
	.llseek = default_llseek,
};

static int __init xeb_init(void)
{
	if (!xen_initial_domain())
		return 0;
	if (!tsc_khz) {
		pr_warn("xen_evtchn_bench: no TSC frequency, not available\n");
		return 0;
	}
	xeb_samples = kvcalloc(XEB_MAX_SAMPLES, sizeof(*xeb_samples),
			       GFP_KERNEL);
	if (!xeb_samples)
		return -ENOMEM;
	debugfs_create_file("xen_evtchn_bench", 0600, NULL, NULL, &xeb_fops);
	return 0;
}
late_initcall(xeb_init);
