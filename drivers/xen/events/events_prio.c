// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: delivery priority by remote domain.
 *
 * On an ABI with priorities (FIFO: 16 queues per vCPU, 0 highest), an
 * operator can give every port of one remote domain a priority at run
 * time: the domain's ports bound now and those bound later.  Written as
 * "DOMID PRIORITY" (or "DOMID default") to
 * /sys/kernel/debug/xen/events-priority, which reads back the domains
 * given one.  The ports a driver gave a priority itself
 * (xen_set_irq_priority(), the timer VIRQ) are not ports of another
 * domain and are not touched.  2-level and 3-level have no priorities:
 * the write fails with -EOPNOTSUPP and says so once in the kernel log.
 *
 * Owns: the table domid -> priority.  Locks: xevt_lock around every use
 * (a port's remote domain is known under it, see xevt_remote()).
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/xarray.h>

#include "events_core.h"

/* domid -> priority (a value entry), under xevt_lock. */
static DEFINE_XARRAY(xevt_dom_prio);

/* The priority set for @dom, or -1.  xevt_lock held. */
static int xevt_dom_prio_of(domid_t dom)
{
	void *v = xa_load(&xevt_dom_prio, dom);

	return v ? (int)xa_to_value(v) : -1;
}

/* Set @xi's priority to @prio; 0 or -errno. */
static int xevt_prio_apply(struct xevt_irq *xi, int prio)
{
	evtchn_port_t port = READ_ONCE(xi->port);
	int ret;

	if (!port)
		return 0;
	ret = evtchn_op_set_priority(port, prio);
	if (!ret)
		WRITE_ONCE(xi->prio, prio);
	return ret;
}

/**
 * xevt_prio_bound() - a port was bound: give it its domain's priority
 * @xi: the new binding, with its port.
 *
 * Costs nothing while no domain has a priority; otherwise the remote
 * domain may have to be asked from Xen (xevt_remote()).
 *
 * Context: process context, xevt_lock held.
 */
void xevt_prio_bound(struct xevt_irq *xi)
{
	domid_t dom;
	int prio;

	lockdep_assert_held(&xevt_lock);
	if (xa_empty(&xevt_dom_prio) || xi->kind != XEVT_PORT)
		return;
	dom = xevt_remote(xi);
	if (dom == XEVT_REMOTE_UNKNOWN || dom == DOMID_SELF)
		return;
	prio = xevt_dom_prio_of(dom);
	if (prio >= 0 && xevt_prio_apply(xi, prio))
		pr_warn_ratelimited("port %u of domain %u: priority %d not set\n",
				    xi->port, dom, prio);
}

/**
 * xevt_dom_set_priority() - set the priority of a remote domain's ports
 * @dom:  the domain (a domid below DOMID_FIRST_RESERVED).
 * @prio: 0 (highest) .. 15, or -1 for the default again.
 *
 * Applies to every port bound now whose other end is @dom, and to every
 * port bound later.
 *
 * Context: process context; takes xevt_lock.
 * Return: the number of ports changed, -EINVAL for a bad argument,
 * -EOPNOTSUPP if the ABI in use has no priorities, -ENOMEM, or the
 * hypervisor's error for the first port it refused.
 */
int xevt_dom_set_priority(domid_t dom, int prio)
{
	struct xevt_irq *xi;
	int ret = 0, n = 0, err;

	if (dom >= DOMID_FIRST_RESERVED || prio < -1 ||
	    prio > XEN_IRQ_PRIORITY_MIN)
		return -EINVAL;

	mutex_lock(&xevt_lock);
	if (!evtchn_ops->set_priority) {
		pr_warn_once("the %s ABI has no priorities: a domain's priority cannot be set\n",
			     xevt_abi_name());
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (prio < 0)
		xa_erase(&xevt_dom_prio, dom);
	else
		ret = xa_err(xa_store(&xevt_dom_prio, dom, xa_mk_value(prio),
				      GFP_KERNEL));
	if (ret)
		goto out;

	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind != XEVT_PORT || xevt_remote(xi) != dom)
			continue;
		err = xevt_prio_apply(xi, prio < 0 ?
				      XEN_IRQ_PRIORITY_DEFAULT : prio);
		if (err && !ret)
			ret = err;
		else if (!err)
			n++;
	}
	if (prio < 0)
		pr_info("domain %u: default priority again, %d ports changed\n",
			dom, n);
	else
		pr_info("domain %u: priority %d, %d ports changed\n", dom, prio,
			n);
	if (!ret)
		ret = n;
out:
	mutex_unlock(&xevt_lock);
	return ret;
}

/**
 * xevt_dom_priorities() - the domains given a priority, for debugfs
 * @fn:  called for each, in domid order.
 * @arg: passed to @fn.
 *
 * Context: process context; takes xevt_lock.
 */
void xevt_dom_priorities(void (*fn)(domid_t dom, int prio, void *arg),
			 void *arg)
{
	unsigned long dom;
	void *v;

	mutex_lock(&xevt_lock);
	xa_for_each(&xevt_dom_prio, dom, v)
		fn(dom, (int)xa_to_value(v), arg);
	mutex_unlock(&xevt_lock);
}
