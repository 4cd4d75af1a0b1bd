// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: who holds our ports, and how close we are to running
 * out of them.
 *
 * A dom0 serving thousands of guests holds a few ports for each of them.
 * Every binding records the domain at the other end of its port
 * (xevt_irq.remote).  The xenbus interdomain binding, VIRQs, IPIs and
 * PIRQs know it when they bind.  A port bound by number
 * (bind_evtchn_to_irq*(), which is how /dev/xen/evtchn binds) is looked up
 * with EVTCHNOP_status the first time somebody asks (debugfs, the warning
 * below) and the answer is kept: neither the bind path nor the upcall
 * pays for it.
 *
 * xevt_usage_collect() sums the bindings by remote domain in one pass over
 * xevt_list into an XArray keyed by domain, so a read costs O(bindings)
 * whatever the number of domains; events_debugfs.c prints the result as
 * /sys/kernel/debug/xen/events-by-domain.
 *
 * Rates cost the upcall nothing beyond the per-binding event count it
 * keeps anyway: each open of events-by-domain ends a rate interval
 * (xevt_usage_sample()), which began at the previous open (or at boot),
 * and each binding remembers its count at the start of the interval.  A
 * domain's events in the interval are the sums of the differences over
 * its ports bound now; events of ports unbound meanwhile are not in them.
 *
 * A counter of bound ports is updated where the core attaches and detaches
 * ports.  When it reaches 90% of the ports the ABI can hand out, a work
 * item logs it once, with the domains holding the most; when it falls
 * under 80% again, the work item says so and the warning is re-armed.
 *
 * Design and locking: Documentation/xen/events.rst.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "events_core.h"

/* Percentages of the usable ports: warn at or above, re-arm below. */
#define XEVT_HEADROOM_WARN	90
#define XEVT_HEADROOM_REARM	80

/* Domains named by the warning. */
#define XEVT_HEADROOM_TOP	5

/* Jiffies at which the current rate interval began, under xevt_lock. */
static unsigned long xevt_rate_start = INITIAL_JIFFIES;

/* Ports bound by the core: counted by xevt_attach(), xevt_detach(). */
static atomic_t xevt_nr_ports = ATOMIC_INIT(0);

/*
 * The warning was printed and is not re-armed yet.  Written only by
 * xevt_headroom_fn() (a work item never runs twice at once), read by
 * xevt_ports_add() to decide whether the work has something to do.
 */
static bool xevt_headroom_warned;

static void xevt_headroom_fn(struct work_struct *work);
static DECLARE_WORK(xevt_headroom_work, xevt_headroom_fn);

/**
 * xevt_ports_usable() - how many ports the ABI can hand out
 *
 * max_channels() is the number of port numbers the ABI addresses (ports
 * 0 to max - 1: 4096 for 2-level on 64-bit, 131072 for FIFO, 262144 for
 * 3-level).  Xen never hands out port 0, so one fewer can be bound.
 *
 * Return: the number of ports that can be bound at most.
 */
unsigned int xevt_ports_usable(void)
{
	return evtchn_ops->max_channels() - 1;
}

/**
 * xevt_ports_in_use() - ports bound by the core right now
 *
 * Return: the count, all kinds of bindings together.
 */
unsigned int xevt_ports_in_use(void)
{
	return atomic_read(&xevt_nr_ports);
}

static bool xevt_headroom_high(unsigned int n, unsigned int usable)
{
	return (u64)n * 100 >= (u64)usable * XEVT_HEADROOM_WARN;
}

static bool xevt_headroom_low(unsigned int n, unsigned int usable)
{
	return (u64)n * 100 < (u64)usable * XEVT_HEADROOM_REARM;
}

/**
 * xevt_ports_add() - count ports attached (@delta > 0) or detached
 * @delta: the change.
 *
 * When the count crosses a threshold of the warning, the work item that
 * logs it is queued; nothing is printed here.
 *
 * Context: any (xevt_attach() and xevt_detach() run under xevt_lock, under
 * an IRQ descriptor's lock for PIRQs, or in stop_machine() on resume).
 * Never called from the upcall.
 */
void xevt_ports_add(int delta)
{
	/* Fully ordered: pairs with smp_mb() in xevt_headroom_fn(). */
	unsigned int n = atomic_add_return(delta, &xevt_nr_ports);
	unsigned int usable = xevt_ports_usable();
	bool todo;

	if (READ_ONCE(xevt_headroom_warned))
		todo = xevt_headroom_low(n, usable);
	else
		todo = xevt_headroom_high(n, usable);
	if (todo)
		schedule_work(&xevt_headroom_work);
}

/**
 * xevt_ports_reset() - no port is bound any more (resume in a new domain)
 *
 * Context: xen_irq_resume(), before VIRQs and IPIs are bound again.
 */
void xevt_ports_reset(void)
{
	atomic_set(&xevt_nr_ports, 0);
}

/**
 * xevt_remote() - the domain at the other end of a binding's port
 * @xi: the binding.
 *
 * A port binding that does not know its remote domain yet asks Xen
 * (EVTCHNOP_status) and keeps the answer: an unbound port can only ever be
 * bound by the domain it is offered to, so the answer stays right for as
 * long as the binding keeps its port.  A port Xen reports as closed (or as
 * a PIRQ) is asked about again next time.
 *
 * Context: process context, xevt_lock held (it protects xevt_irq.remote).
 * Return: the domid, DOMID_SELF, or XEVT_REMOTE_UNKNOWN.
 */
domid_t xevt_remote(struct xevt_irq *xi)
{
	struct evtchn_status st = { .dom = DOMID_SELF };

	lockdep_assert_held(&xevt_lock);

	if (xi->remote != XEVT_REMOTE_UNKNOWN || xi->kind != XEVT_PORT)
		return xi->remote;
	st.port = READ_ONCE(xi->port);
	if (!st.port || HYPERVISOR_event_channel_op(EVTCHNOP_status, &st))
		return XEVT_REMOTE_UNKNOWN;

	switch (st.status) {
	case EVTCHNSTAT_interdomain:
		xi->remote = st.u.interdomain.dom;
		break;
	case EVTCHNSTAT_unbound:
		xi->remote = st.u.unbound.dom;
		break;
	case EVTCHNSTAT_virq:
	case EVTCHNSTAT_ipi:
		xi->remote = DOMID_SELF;
		break;
	default:
		break;
	}
	return xi->remote;
}

/**
 * xevt_dom_key() - where a domain sorts in struct xevt_usage
 * @dom: a domid, DOMID_SELF or XEVT_REMOTE_UNKNOWN.
 *
 * DOMID_SELF comes first, then domains in ascending order.  Real domids
 * are below DOMID_FIRST_RESERVED, so XEVT_REMOTE_UNKNOWN sorts after them.
 *
 * Return: the index of @dom in xevt_usage.doms.
 */
unsigned long xevt_dom_key(domid_t dom)
{
	return dom == DOMID_SELF ? 0 : (unsigned long)dom + 1;
}

/**
 * xevt_dom_name() - a remote domain as printed
 * @dom: a domid, DOMID_SELF or XEVT_REMOTE_UNKNOWN.
 * @buf: room for the number.
 * @len: size of @buf.
 *
 * Return: "self", "?" (not known), or the number written into @buf.
 */
const char *xevt_dom_name(domid_t dom, char *buf, size_t len)
{
	if (dom == DOMID_SELF)
		return "self";
	if (dom == XEVT_REMOTE_UNKNOWN)
		return "?";
	snprintf(buf, len, "%u", dom);
	return buf;
}

/**
 * xevt_usage_release() - free what xevt_usage_collect() built
 * @u: the snapshot.
 */
void xevt_usage_release(struct xevt_usage *u)
{
	struct xevt_dom_usage *du;
	unsigned long key;

	xa_for_each(&u->doms, key, du)
		kfree(du);
	xa_destroy(&u->doms);
	u->nr_doms = 0;
}

/* The entry of @dom in @u, created on first use. */
static struct xevt_dom_usage *xevt_usage_of(struct xevt_usage *u,
					    domid_t dom)
{
	unsigned long key = xevt_dom_key(dom);
	struct xevt_dom_usage *du = xa_load(&u->doms, key);

	if (du)
		return du;
	du = kzalloc(sizeof(*du), GFP_KERNEL);
	if (!du)
		return NULL;
	du->dom = dom;
	if (xa_err(xa_store(&u->doms, key, du, GFP_KERNEL))) {
		kfree(du);
		return NULL;
	}
	u->nr_doms++;
	return du;
}

static int xevt_usage_walk(struct xevt_usage *u, bool sample)
{
	struct xevt_dom_usage *du;
	struct xevt_irq *xi;
	unsigned long events, backoff, now;
	evtchn_port_t port;
	int err = 0;

	memset(u, 0, sizeof(*u));
	xa_init(&u->doms);
	u->usable = xevt_ports_usable();

	mutex_lock(&xevt_lock);
	now = jiffies;
	u->interval = now - xevt_rate_start;
	u->ports_in_use = xevt_ports_in_use();
	list_for_each_entry(xi, &xevt_list, node) {
		u->irqs++;
		/* PIRQ startup and shutdown change it without xevt_lock. */
		port = READ_ONCE(xi->port);
		if (!port)
			continue;
		du = xevt_usage_of(u, xevt_remote(xi));
		if (!du) {
			err = -ENOMEM;
			break;
		}
		du->ports++;
		events = READ_ONCE(xi->nr_events);
		du->events += events;
		du->recent += events - xi->nr_events_mark;
		du->spurious += READ_ONCE(xi->nr_spurious);
		du->eoi_delayed += READ_ONCE(xi->nr_eoi_delayed);
		if (evtchn_ops->is_masked(port))
			du->masked++;
		backoff = xevt_backoff_now(xi);
		if (backoff) {
			du->backoff++;
			du->backoff_max = max(du->backoff_max, backoff);
		}
		/* The first walk may ask Xen about every port. */
		if (!(u->irqs % 1024))
			cond_resched();
	}
	/* A new interval only once every binding was read. */
	if (sample && !err) {
		list_for_each_entry(xi, &xevt_list, node)
			xi->nr_events_mark = READ_ONCE(xi->nr_events);
		xevt_rate_start = now;
	}
	mutex_unlock(&xevt_lock);

	if (err)
		xevt_usage_release(u);
	return err;
}

/**
 * xevt_usage_collect() - sum the bound ports by remote domain
 * @u: filled in; release it with xevt_usage_release() after success.
 *
 * One pass over the bindings under xevt_lock.  Bindings without a port
 * (PIRQs not started) count in @u->irqs only.  The first call resolves
 * the remote domain of every port bound by number (xevt_remote()).  The
 * rate interval goes on (see xevt_usage_sample()).
 *
 * Context: process context; takes xevt_lock.
 * Return: 0, or -ENOMEM with nothing left to release.
 */
int xevt_usage_collect(struct xevt_usage *u)
{
	return xevt_usage_walk(u, false);
}

/**
 * xevt_usage_rate() - a domain's events per second in the rate interval
 * @u:  the snapshot.
 * @du: one of its domains.
 *
 * Return: @du->recent over @u->interval, rounded down.
 */
unsigned long xevt_usage_rate(const struct xevt_usage *u,
			      const struct xevt_dom_usage *du)
{
	return div64_u64((u64)du->recent * HZ, max(u->interval, 1UL));
}

/**
 * xevt_usage_sample() - xevt_usage_collect(), and begin a rate interval
 * @u: filled in; release it with xevt_usage_release() after success.
 *
 * As xevt_usage_collect(); in addition the interval @u reports on ends
 * here and the next one begins (each binding's count is marked).  One
 * more pass over the bindings, under the same hold of xevt_lock.
 *
 * Context: process context; takes xevt_lock.
 * Return: 0, or -ENOMEM with nothing left to release (the interval goes
 * on).
 */
int xevt_usage_sample(struct xevt_usage *u)
{
	return xevt_usage_walk(u, true);
}

/* Print the warning: @n of @usable ports are bound. */
static void xevt_headroom_warn(unsigned int n, unsigned int usable)
{
	struct xevt_dom_usage *top[XEVT_HEADROOM_TOP] = { }, *du;
	/* " d32767:262143" per domain, and the NUL. */
	char list[XEVT_HEADROOM_TOP * 16 + 1] = "";
	char num[8];
	struct xevt_usage u;
	unsigned long key;
	int i, len = 0;

	if (!xevt_usage_collect(&u)) {
		/* Ascending keys: ties keep self and lower domids first. */
		xa_for_each(&u.doms, key, du) {
			for (i = XEVT_HEADROOM_TOP; i > 0; i--)
				if (top[i - 1] && top[i - 1]->ports >= du->ports)
					break;
			if (i == XEVT_HEADROOM_TOP)
				continue;
			memmove(&top[i + 1], &top[i],
				(XEVT_HEADROOM_TOP - 1 - i) * sizeof(top[0]));
			top[i] = du;
		}
		for (i = 0; i < XEVT_HEADROOM_TOP && top[i]; i++) {
			du = top[i];
			len += scnprintf(list + len, sizeof(list) - len,
					 " %s%s:%u",
					 du->dom == DOMID_SELF ||
					 du->dom == XEVT_REMOTE_UNKNOWN ?
					 "" : "d",
					 xevt_dom_name(du->dom, num, sizeof(num)),
					 du->ports);
		}
		xevt_usage_release(&u);
	}

	pr_warn("headroom: %u of %u ports in use (>= %u%%), most held by:%s\n",
		n, usable, XEVT_HEADROOM_WARN, list);
}

/*
 * Print what the counter crossed since the last run: the warning, or the
 * end of it.  A work item, so that the binder's locks are not held and
 * xevt_lock can be taken to name the domains.
 */
static void xevt_headroom_fn(struct work_struct *work)
{
	unsigned int usable = xevt_ports_usable();
	unsigned int n;

	for (;;) {
		n = atomic_read(&xevt_nr_ports);
		if (!xevt_headroom_warned && xevt_headroom_high(n, usable)) {
			xevt_headroom_warn(n, usable);
			WRITE_ONCE(xevt_headroom_warned, true);
		} else if (xevt_headroom_warned &&
			   xevt_headroom_low(n, usable)) {
			pr_info("headroom: back under %u%%: %u of %u ports in use\n",
				XEVT_HEADROOM_REARM, n, usable);
			WRITE_ONCE(xevt_headroom_warned, false);
		} else {
			break;
		}
		/*
		 * A binder that read the old state did not queue us: read the
		 * count again.  Pairs with atomic_add_return() in
		 * xevt_ports_add(): it sees the new state or we see its count.
		 */
		smp_mb();
	}
}
