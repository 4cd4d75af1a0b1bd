// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: delivery priorities.
 *
 * On an ABI with priorities (FIFO: 16 queues per vCPU, 0 highest, 7 the
 * default) every new binding gets the priority of its kind, the default
 * policy (xevt_prio_policy()):
 *
 *   XEVT_PRIO_VCPU (0)     the per-CPU timer VIRQ and the IPIs
 *   XEVT_PRIO_CONTROL (4)  the xenstore channel and the console
 *   default (7)            everything else: backends, /dev/xen/evtchn
 *
 * Documentation/xen/events.rst ("Priorities") says why.  2-level and
 * 3-level have no priorities: there Xen is not asked and nothing is
 * reported; the binding only records its policy's priority, which a
 * run-time switch to FIFO then applies.
 *
 * On top of it an operator can give every port of one remote domain a
 * priority at run time: the domain's ports bound now and those bound
 * later.  Written as "DOMID PRIORITY" (or "DOMID default", which gives
 * the policy's priority back) to /sys/kernel/debug/xen/events-priority,
 * which reads back the domains given one.  VIRQs and IPIs are not ports
 * of another domain and are not touched.  Without priorities the write
 * fails with -EOPNOTSUPP and says so once in the kernel log.
 *
 * Owns: the policy and the table domid -> priority.  Locks: xevt_lock
 * around every use (a port's remote domain is known under it, see
 * xevt_remote()).
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/xarray.h>

#include <xen/hvm.h>
#include <xen/interface/hvm/params.h>
#include <xen/xenbus.h>

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

/*
 * The port of this domain's own console, 0 if it has none or it is not a
 * port: dom0's console is VIRQ_CONSOLE, a PV domU's port is in its start
 * info, an HVM or PVH domU's in an HVM parameter (asked each time: it
 * changes across save/restore, and only ports bound by number get here).
 */
static evtchn_port_t xevt_console_port(void)
{
	u64 v = 0;

	if (xen_initial_domain())
		return 0;
	if (xen_pv_domain())
		return xen_start_info ? xen_start_info->console.domU.evtchn : 0;
	if (hvm_get_parameter(HVM_PARAM_CONSOLE_EVTCHN, &v))
		return 0;
	return v;
}

/**
 * xevt_prio_policy() - the default priority of a binding, by its kind
 * @xi: the binding, with its port.
 *
 * The per-CPU timer VIRQ and the IPIs get XEVT_PRIO_VCPU: a late tick or
 * IPI holds up the whole vCPU (and the CPUs waiting on it), their
 * handlers are short, and only Xen and this kernel raise them.  The
 * kernel's xenstore channel (xen_store_evtchn) and its console
 * (VIRQ_CONSOLE in dom0, the console port in a domU) get
 * XEVT_PRIO_CONTROL: the operator's way in, which must keep working while
 * guests flood the backends.  Everything else, backends and user space
 * ports, is driven by other domains and keeps XEN_IRQ_PRIORITY_DEFAULT.
 * Further consoles of the hvc_xen frontend are not recognised: they bind
 * a bare port, as a backend does.
 *
 * Context: process context, xevt_lock held.
 * Return: the priority, 0 (highest) .. XEN_IRQ_PRIORITY_MIN.
 */
int xevt_prio_policy(const struct xevt_irq *xi)
{
	evtchn_port_t port = READ_ONCE(xi->port);

	switch (xi->kind) {
	case XEVT_IPI:
		return XEVT_PRIO_VCPU;
	case XEVT_VIRQ:
		if (xi->u.virq.virq == VIRQ_TIMER && xi->u.virq.percpu)
			return XEVT_PRIO_VCPU;
		if (xi->u.virq.virq == VIRQ_CONSOLE)
			return XEVT_PRIO_CONTROL;
		break;
	case XEVT_PORT:
		if (port && (port == xen_store_evtchn ||
			     port == xevt_console_port()))
			return XEVT_PRIO_CONTROL;
		break;
	default:
		break;
	}
	return XEN_IRQ_PRIORITY_DEFAULT;
}

/**
 * xevt_prio_bound() - a port was bound: give it its priority
 * @xi: the new binding, with its port.
 *
 * The priority of its remote domain if the operator set one, else the
 * policy's (xevt_prio_policy()).  On an ABI without priorities Xen is
 * not asked: the policy's priority is only recorded, and given to the
 * port if the ABI is switched to one with priorities.  The remote domain
 * is asked from Xen (xevt_remote()) only while some domain has a
 * priority.
 *
 * Context: process context, xevt_lock held.
 */
void xevt_prio_bound(struct xevt_irq *xi)
{
	domid_t dom = XEVT_REMOTE_UNKNOWN;
	int prio, dprio;

	lockdep_assert_held(&xevt_lock);
	prio = xevt_prio_policy(xi);
	if (!evtchn_ops->set_priority) {
		/* Not applied, but kept for a switch to FIFO (events_setup.c). */
		WRITE_ONCE(xi->prio, prio);
		return;
	}
	if (!xa_empty(&xevt_dom_prio) && xi->kind == XEVT_PORT) {
		dom = xevt_remote(xi);
		dprio = dom == DOMID_SELF ? -1 : xevt_dom_prio_of(dom);
		if (dprio >= 0)
			prio = dprio;
	}
	/* Xen gives every port it allocates the default. */
	if (prio != XEN_IRQ_PRIORITY_DEFAULT && xevt_prio_apply(xi, prio))
		pr_warn_ratelimited("port %u (%s, domain %d): priority %d not set\n",
				    xi->port, xevt_kind_name(xi),
				    dom == XEVT_REMOTE_UNKNOWN ? -1 : dom, prio);
}

/**
 * xevt_dom_set_priority() - set the priority of a remote domain's ports
 * @dom:  the domain (a domid below DOMID_FIRST_RESERVED).
 * @prio: 0 (highest) .. 15, or -1 for the policy's priority again.
 *
 * Applies to every port bound now whose other end is @dom, and to every
 * port bound later; it overrides the default policy (xevt_prio_policy()).
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
				      xevt_prio_policy(xi) : prio);
		if (err && !ret)
			ret = err;
		else if (!err)
			n++;
	}
	if (prio < 0)
		pr_info("domain %u: default policy again, %d ports changed\n",
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
