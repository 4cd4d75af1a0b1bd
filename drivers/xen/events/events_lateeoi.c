// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: late EOI and event storm bounds.
 *
 * A port bound with one of the *_lateeoi() functions stays masked after
 * each event until its driver calls xen_irq_lateeoi(), so a peer cannot
 * make us handle events faster than the driver consumes them.  Two more
 * defences against a peer that sends too many events:
 *
 * - Spurious back-off.  A driver that found no work passes
 *   XEN_EOI_FLAG_SPURIOUS.  After more consecutive spurious EOIs than the
 *   device's threshold (xenbus "spurious_threshold", default 1) the EOI,
 *   and so the next event, is delayed by 1, 2, 4, ... jiffies, at most one
 *   second.  The first EOI with work behind it resets the count.
 *
 * - Upcall time bound.  When one upcall has been handling events for
 *   longer than xen.event_loop_timeout, late EOIs issued from inside that
 *   upcall are delayed by xen.event_eoi_delay, which lets the loop end.
 *
 * Delayed EOIs wait on a per-CPU queue ordered by due time; a delayed work
 * item ends the ones that are due.
 *
 * When a port's back-off starts (its first delayed EOI after a run of
 * spurious ones), one line names the domain being throttled:
 *
 *   xen:events: domain 5: events throttled (port 42 spurious, EOI delayed 4 ms)
 *
 * (KERN_NOTICE: the defence working as designed) at most once per domain
 * per XEVT_THROTTLE_QUIET; the starts left unprinted meanwhile are counted
 * in that domain's next line.  XEVT_THROTTLE_DOMS domains are remembered:
 * past that, the one printed longest ago is forgotten first.  The start
 * is noted where it happens (any context) and printed by a work item,
 * which may ask Xen who the remote domain is.
 *
 * Owns the xen-dyn-lateeoi chip, whose ack masks the port until the EOI,
 * xen_irq_lateeoi() and the delay queues.  The upcall (events_upcall.c)
 * only decides, per event, that its EOI is to be deferred.
 *
 * Locks: each CPU's queue lock and the throttle notes' lock, leaves
 * (events_core.h); the throttle work takes xevt_lock, then, after
 * dropping it, xevt_throttle_mutex.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/irq.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>

#include <xen/xenbus.h>

#include "events_core.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen."

/* How long (jiffies) a deferred late EOI waits. */
unsigned int xevt_eoi_delay __read_mostly = 10;
module_param_named(event_eoi_delay, xevt_eoi_delay, uint, 0644);

/* Count of consecutive spurious EOIs beyond which nothing changes. */
#define XEVT_SPURIOUS_CAP	U8_MAX

/* A domain's throttle line is printed at most once in this long. */
#define XEVT_THROTTLE_QUIET	(60 * HZ)

/* Back-off starts waiting to be printed; more are dropped. */
#define XEVT_THROTTLE_NOTES	16

/* A port whose spurious back-off just started. */
struct xevt_throttle_note {
	evtchn_port_t port;
	unsigned int irq;
	domid_t dom;
	unsigned long delay;
};

/* Notes from xevt_lateeoi() to xevt_throttle_fn(), a ring. */
static struct {
	raw_spinlock_t lock;	/* a leaf: protects the ring */
	unsigned int head;
	unsigned int len;
	struct xevt_throttle_note note[XEVT_THROTTLE_NOTES];
} xevt_throttle = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(xevt_throttle.lock),
};

/* Domains remembered as printed; past that the oldest is forgotten. */
#define XEVT_THROTTLE_DOMS	64

/* What was printed for a domain, in xevt_throttled[]. */
struct xevt_throttle_dom {
	bool used;
	domid_t dom;		/* as xevt_remote() names it */
	unsigned long last;	/* jiffies of its last line */
	unsigned int more;	/* starts not printed since */
};

/* Protects xevt_throttled[]; taken by the work item and the tests. */
static DEFINE_MUTEX(xevt_throttle_mutex);
static struct xevt_throttle_dom xevt_throttled[XEVT_THROTTLE_DOMS];
/* Lines printed since boot (for the tests). */
static atomic_t xevt_throttle_printed = ATOMIC_INIT(0);

static void xevt_throttle_fn(struct work_struct *work);
static DECLARE_WORK(xevt_throttle_work, xevt_throttle_fn);

/**
 * struct xevt_eoiq - one CPU's queue of delayed late EOIs
 * @lock: protects @list and the eoi_node of queued bindings.
 * @list: bindings by eoi_due, earliest first.
 * @work: ends the due EOIs; armed for the head's due time.
 */
struct xevt_eoiq {
	raw_spinlock_t lock;
	struct list_head list;
	struct delayed_work work;
};

static DEFINE_PER_CPU(struct xevt_eoiq, xevt_eoiq);

/* Let the binding's next event in. */
static void xevt_eoi_finish(struct xevt_irq *xi)
{
	WRITE_ONCE(xi->eoi_due, 0);
	/* Release: pairs with test_and_set_bit_lock() in evtchn_handle_port(). */
	clear_bit_unlock(XEVT_ACTIVE, &xi->state);
	xevt_unmask(xi, XEVT_MASK_EOI);
}

/* Put @xi on its CPU's queue, unless it is there already. */
static void xevt_eoi_enqueue(struct xevt_irq *xi)
{
	struct xevt_eoiq *q = per_cpu_ptr(&xevt_eoiq, xi->eoi_cpu);
	struct xevt_irq *pos;
	unsigned long flags;
	u64 now;

	raw_spin_lock_irqsave(&q->lock, flags);
	if (!list_empty(&xi->eoi_node))
		goto out;

	/* New entries tend to be due last: search from the tail. */
	list_for_each_entry_reverse(pos, &q->list, eoi_node) {
		if (!time_before64(xi->eoi_due, pos->eoi_due))
			break;
	}
	/* Behind @pos, or at the head when the loop ran off the front. */
	list_add(&xi->eoi_node, &pos->eoi_node);

	if (list_first_entry(&q->list, struct xevt_irq, eoi_node) == xi) {
		now = get_jiffies_64();
		mod_delayed_work(system_wq, &q->work,
				 time_after64(xi->eoi_due, now) ?
				 xi->eoi_due - now : 0);
	}
out:
	raw_spin_unlock_irqrestore(&q->lock, flags);
}

static void xevt_eoi_worker(struct work_struct *work)
{
	struct xevt_eoiq *q = container_of(to_delayed_work(work),
					   struct xevt_eoiq, work);
	struct xevt_irq *xi;
	unsigned long flags;
	u64 now = get_jiffies_64();

	for (;;) {
		/* Keeps a binding that is being unbound alive until done. */
		rcu_read_lock();
		raw_spin_lock_irqsave(&q->lock, flags);
		xi = list_first_entry_or_null(&q->list, struct xevt_irq,
					      eoi_node);
		if (xi && time_before64(now, xi->eoi_due)) {
			mod_delayed_work(system_wq, &q->work,
					 xi->eoi_due - now);
			xi = NULL;
		}
		if (xi)
			list_del_init(&xi->eoi_node);
		raw_spin_unlock_irqrestore(&q->lock, flags);

		if (xi)
			xevt_eoi_finish(xi);
		rcu_read_unlock();
		if (!xi)
			break;
	}
}

/**
 * xevt_eoi_defer() - the upcall's budget is spent: delay @xi's late EOI
 * @xi: a late EOI binding whose event is about to be handled.
 *
 * Context: the upcall, with @xi's active guard held.
 */
void xevt_eoi_defer(struct xevt_irq *xi)
{
	xi->eoi_cpu = smp_processor_id();
	xi->eoi_epoch = __this_cpu_read(xevt_epoch);
	xi->eoi_due = get_jiffies_64() + READ_ONCE(xevt_eoi_delay);
}

/**
 * xevt_eoi_forget() - take a binding off its delayed EOI queue
 * @xi: a binding being freed.
 */
void xevt_eoi_forget(struct xevt_irq *xi)
{
	struct xevt_eoiq *q = per_cpu_ptr(&xevt_eoiq, xi->eoi_cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&q->lock, flags);
	list_del_init(&xi->eoi_node);
	raw_spin_unlock_irqrestore(&q->lock, flags);
}

/* Jiffies to hold back an EOI after @count consecutive spurious ones. */
static unsigned long xevt_backoff(unsigned int count, unsigned int threshold)
{
	unsigned int shift;

	if (count <= threshold)
		return 0;
	shift = count - threshold - 1;
	if (shift >= ilog2(HZ) + 1)
		return HZ;
	return min_t(unsigned long, 1UL << shift, HZ);
}

/* Spurious EOIs in a row @xi is allowed before its back-off starts. */
static unsigned int xevt_threshold(const struct xevt_irq *xi)
{
	struct xenbus_device *dev = xi->kind == XEVT_PORT ? xi->u.dev : NULL;

	return dev && dev->spurious_threshold ? dev->spurious_threshold : 1;
}

/**
 * xevt_backoff_now() - the spurious back-off a binding is in
 * @xi: the binding.
 *
 * A port is in back-off from its first delayed EOI after a run of
 * spurious ones until a driver ends an event that was not spurious.
 *
 * Context: any; the caller keeps @xi alive.
 * Return: the delay its last late EOI got, in jiffies; 0 if none.
 */
unsigned long xevt_backoff_now(const struct xevt_irq *xi)
{
	if (!xi->lateeoi)
		return 0;
	return xevt_backoff(READ_ONCE(xi->spurious), xevt_threshold(xi));
}

/* Note that @xi's back-off started with @delay jiffies; any context. */
static void xevt_throttle_note(struct xevt_irq *xi, unsigned long delay)
{
	struct xevt_throttle_note *n;
	unsigned long flags;

	raw_spin_lock_irqsave(&xevt_throttle.lock, flags);
	if (xevt_throttle.len < XEVT_THROTTLE_NOTES) {
		n = &xevt_throttle.note[(xevt_throttle.head +
					 xevt_throttle.len++) %
					XEVT_THROTTLE_NOTES];
		n->port = READ_ONCE(xi->port);
		n->irq = xi->irq;
		n->dom = READ_ONCE(xi->remote);
		n->delay = delay;
	}
	raw_spin_unlock_irqrestore(&xevt_throttle.lock, flags);
	schedule_work(&xevt_throttle_work);
}

/*
 * The entry of @dom in xevt_throttled[]: its own, else a free one, else
 * the one printed longest ago (whose domain may then print again sooner).
 */
static struct xevt_throttle_dom *xevt_throttle_slot(domid_t dom)
{
	struct xevt_throttle_dom *td, *pick = NULL;

	lockdep_assert_held(&xevt_throttle_mutex);
	for (td = xevt_throttled; td < xevt_throttled + XEVT_THROTTLE_DOMS;
	     td++) {
		if (td->used && td->dom == dom)
			return td;
		if (!pick || (pick->used &&
			      (!td->used || time_before(td->last, pick->last))))
			pick = td;
	}
	pick->used = false;
	return pick;
}

/* Print @n, unless its domain had a line less than the quiet time ago. */
static void xevt_throttle_report(const struct xevt_throttle_note *n)
{
	struct xevt_throttle_dom *td;
	struct xevt_irq *xi;
	unsigned long now = jiffies;
	unsigned int more = 0;
	domid_t dom = n->dom;
	char num[8];

	/* Still bound to the same IRQ: the binding can tell its domain. */
	mutex_lock(&xevt_lock);
	xi = n->port ? xevt_from_port(n->port) : NULL;
	if (xi && xi->irq == n->irq)
		dom = xevt_remote(xi);
	mutex_unlock(&xevt_lock);

	mutex_lock(&xevt_throttle_mutex);
	td = xevt_throttle_slot(dom);
	if (td->used && time_before(now, td->last + XEVT_THROTTLE_QUIET)) {
		td->more++;
		goto out;
	}
	if (td->used)
		more = td->more;
	td->used = true;
	td->dom = dom;
	td->last = now;
	td->more = 0;

	if (more)
		pr_notice("domain %s: events throttled (port %u spurious, EOI delayed %u ms; %u more since the last line)\n",
			  xevt_dom_name(dom, num, sizeof(num)), n->port,
			  jiffies_to_msecs(n->delay), more);
	else
		pr_notice("domain %s: events throttled (port %u spurious, EOI delayed %u ms)\n",
			  xevt_dom_name(dom, num, sizeof(num)), n->port,
			  jiffies_to_msecs(n->delay));
	atomic_inc(&xevt_throttle_printed);
out:
	mutex_unlock(&xevt_throttle_mutex);
}

static void xevt_throttle_fn(struct work_struct *work)
{
	struct xevt_throttle_note n;
	unsigned long flags;

	for (;;) {
		raw_spin_lock_irqsave(&xevt_throttle.lock, flags);
		if (!xevt_throttle.len) {
			raw_spin_unlock_irqrestore(&xevt_throttle.lock, flags);
			break;
		}
		n = xevt_throttle.note[xevt_throttle.head];
		xevt_throttle.head = (xevt_throttle.head + 1) %
				     XEVT_THROTTLE_NOTES;
		xevt_throttle.len--;
		raw_spin_unlock_irqrestore(&xevt_throttle.lock, flags);
		xevt_throttle_report(&n);
	}
}

/**
 * xevt_throttle_lines() - throttle lines printed since boot
 *
 * Return: the count.
 */
unsigned int xevt_throttle_lines(void)
{
	return atomic_read(&xevt_throttle_printed);
}

/**
 * xevt_throttle_flush() - print the back-off starts noted so far
 *
 * Context: process context, no lock of ours held.
 */
void xevt_throttle_flush(void)
{
	flush_work(&xevt_throttle_work);
}

/**
 * xevt_throttle_rearm() - let a domain's next back-off start be printed
 * @dom: the domain, as xevt_remote() names it.
 *
 * Context: process context, no lock of ours held.
 */
void xevt_throttle_rearm(domid_t dom)
{
	struct xevt_throttle_dom *td;

	mutex_lock(&xevt_throttle_mutex);
	td = xevt_throttle_slot(dom);
	td->used = false;
	mutex_unlock(&xevt_throttle_mutex);
}

static void xevt_lateeoi(struct xevt_irq *xi, bool spurious)
{
	struct xenbus_device *dev = xi->kind == XEVT_PORT ? xi->u.dev : NULL;
	unsigned int threshold = 1;	/* set where it is used: spurious */
	unsigned long delay = 0;
	u64 due;

	if (!READ_ONCE(xi->port) || !list_empty_careful(&xi->eoi_node))
		return;

	if (!spurious) {
		xi->spurious = 0;
	} else {
		if (xi->spurious < XEVT_SPURIOUS_CAP)
			xi->spurious++;
		WRITE_ONCE(xi->nr_spurious, xi->nr_spurious + 1);
		threshold = xevt_threshold(xi);
		delay = xevt_backoff(xi->spurious, threshold);
		if (dev) {
			atomic_inc(&dev->spurious_events);
			atomic_add(delay, &dev->jiffies_eoi_delayed);
		}
	}

	if (delay) {
		WRITE_ONCE(xi->nr_eoi_delayed, xi->nr_eoi_delayed + 1);
		/* The first delay of a run: the back-off starts. */
		if (!xevt_backoff(xi->spurious - 1, threshold))
			xevt_throttle_note(xi, delay);
		due = get_jiffies_64() + delay;
		/*
		 * Any CPU's queue will do: the caller may be preemptible
		 * (xen_irq_lateeoi() from process context), and being moved
		 * right after choosing only means another CPU's worker runs
		 * the EOI.
		 */
		if (!xi->eoi_due)
			xi->eoi_cpu = raw_smp_processor_id();
		/* Never shorten a delay the upcall bound already imposed. */
		if (!xi->eoi_due || time_after64(due, xi->eoi_due))
			xi->eoi_due = due;
	} else if (xi->eoi_due &&
		   per_cpu(xevt_epoch, xi->eoi_cpu) != xi->eoi_epoch) {
		/* The storming upcall is over: no need to wait. */
		xi->eoi_due = 0;
	}

	if (xi->eoi_due)
		xevt_eoi_enqueue(xi);
	else
		xevt_eoi_finish(xi);
}

/* ---- The chip ---------------------------------------------------------- */

/*
 * Late EOI flow: the event stays masked and "active" until the driver
 * calls xen_irq_lateeoi(); only the pending bit is cleared now, so a new
 * event is remembered while we wait.
 */
static void xevt_lateeoi_ack(struct irq_data *d)
{
	struct xevt_irq *xi = xevt_from_data(d);
	evtchn_port_t port;

	if (!xi)
		return;
	xevt_mask(xi, XEVT_MASK_EOI);
	port = READ_ONCE(xi->port);
	if (port)
		evtchn_ops->clear_pending(port);
}

/* As xen-dyn, but the driver ends each event with xen_irq_lateeoi(). */
const struct irq_chip xevt_chip_lateeoi = {
	/* irqbalance balances chips whose name contains "xen-dyn". */
	.name			= "xen-dyn-lateeoi",
	.irq_ack		= xevt_lateeoi_ack,
	/* mask_ack: the driver will not run, so the event ends now. */
	XEVT_MOVABLE_CHIP_OPS,
};

/**
 * xen_irq_lateeoi() - end the current event of a late EOI IRQ
 * @irq:       an IRQ bound with one of the *_lateeoi() functions.
 * @eoi_flags: XEN_EOI_FLAG_SPURIOUS if the event brought no work.
 *
 * Unmasks the port now, or later if the peer looks like it is flooding us
 * (see the top of this file).  Calling it without an event outstanding is
 * harmless.
 *
 * Context: any, including the IRQ's own handler.
 */
void xen_irq_lateeoi(unsigned int irq, unsigned int eoi_flags)
{
	struct xevt_irq *xi;

	rcu_read_lock();
	xi = xevt_from_irq(irq);
	if (xi && !WARN_ON_ONCE(!xi->lateeoi))
		xevt_lateeoi(xi, eoi_flags & XEN_EOI_FLAG_SPURIOUS);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(xen_irq_lateeoi);

/**
 * xevt_eoi_init() - set up the delayed EOI queue of every possible CPU
 *
 * Context: boot.
 */
void __init xevt_eoi_init(void)
{
	struct xevt_eoiq *q;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		q = per_cpu_ptr(&xevt_eoiq, cpu);
		raw_spin_lock_init(&q->lock);
		INIT_LIST_HEAD(&q->list);
		INIT_DELAYED_WORK(&q->work, xevt_eoi_worker);
	}
}
