// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: starting up, and the ABI in use.
 *
 * Owns: the choice of the ABI at boot (xen.evtchn_abi, xen.fifo_events),
 * the run-time switch from 2-level to a better ABI with ports bound (a
 * write to /sys/module/xen/parameters/evtchn_abi), the fallback to 2-level
 * when a resume finds the ABI gone, rebuilding the bindings on resume in a
 * new domain, the CPU hotplug hooks and, on x86, the HVM callback vector.
 * Backends never choose or fall back themselves.
 *
 * Locks: a switch holds the CPU hotplug lock and then xevt_lock for its
 * whole length; resume runs under stop_machine() and takes none.
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/stop_machine.h>

#ifdef CONFIG_X86
#include <asm/desc.h>
#include <asm/idtentry.h>
#include <asm/irq.h>
#include <asm/xen/cpuid.h>
#include <asm/xen/pci.h>
#endif

#include <xen/hvm.h>
#include <xen/interface/hvm/hvm_op.h>

#include "events_abi.h"
#include "events_core.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "xen."

/* ---- Parameters -------------------------------------------------------- */

/*
 * false: leave FIFO out of the default order (which then is 3-level,
 * 2-level).  Afterwards true exactly when FIFO is in use.
 */
bool xen_fifo_events = true;
module_param_named(fifo_events, xen_fifo_events, bool, 0);

/* ---- Suspend / resume -------------------------------------------------- */

static unsigned int xevt_rebuild(void);

/*
 * Bind a VIRQ or IPI again in the new domain, on the CPU it was on.  A
 * global VIRQ can only be bound on vCPU 0; it is moved on afterwards.
 */
static void xevt_rebind_percpu(struct xevt_irq *xi)
{
	unsigned int want = xi->cpu, on;
	evtchn_port_t port;
	int err;

	if (xi->kind == XEVT_VIRQ) {
		on = xi->u.virq.percpu ? xi->u.virq.home : 0;
		err = xevt_virq_port(xi->u.virq.virq, on, &port);
	} else {
		on = xi->u.ipi.home;
		err = xevt_ipi_port(on, &port);
	}
	if (!err) {
		err = xevt_attach(xi, port, on, GFP_ATOMIC);
		if (err)
			xevt_close(port);
	}
	if (err) {
		pr_err("resume: IRQ %u (%s) not bound again (%d)\n",
		       xi->irq, xevt_kind_name(xi), err);
		return;
	}

	if (xi->kind == XEVT_VIRQ && !xi->u.virq.percpu) {
		xevt_virq_follow(xi, on);
		if (want != on && cpu_online(want))
			xevt_move(xi, want);
	} else if (xi->kind == XEVT_IPI) {
		WRITE_ONCE(per_cpu(xevt_pcpu, on).ipi_port[xi->u.ipi.vector],
			   port);
	}
	if (xi->prio != XEN_IRQ_PRIORITY_DEFAULT)
		evtchn_op_set_priority(port, xi->prio);
}

/**
 * xen_irq_resume() - rebuild the bindings after resuming in a new domain
 *
 * Every port number of the old domain is meaningless now.  The ABI
 * registers again, all bindings lose their port, and VIRQs and IPIs are
 * bound again on the same CPUs.  Inter-domain ports stay unbound: their
 * drivers reconnect (xenbus) and call rebind_evtchn_irq() or bind anew.
 * Only called when Xen reported a new domain, never after a cancelled
 * suspend.  A toolstack's slow resume (xc_domain_resume() with fast=0)
 * reports a new domain although Xen kept the old one, ports and all; when
 * the ABI backend finds its registration still in place, nothing is
 * rebound and every binding keeps its port, as after a cancelled suspend.
 *
 * Context: stop_machine(), interrupts disabled, other CPUs parked.
 */
void xen_irq_resume(void)
{
	if (xevt_abi_resume() == EVTCHN_RESUME_KEPT) {
		pr_info("resumed in the same domain: every event channel kept\n");
		return;
	}
	xevt_rebuild();
}

/*
 * Every port of the domain is gone (a new domain, or EVTCHNOP_reset): every
 * binding loses its port, VIRQs and IPIs are bound again on their CPUs and
 * GSI PIRQs mapped again.  Inter-domain ports stay unbound until their
 * drivers bind again.  Returns how many port bindings are left without one.
 *
 * Context: stop_machine(), interrupts disabled, other CPUs parked.
 */
static unsigned int xevt_rebuild(void)
{
	unsigned int lost = 0;
	struct xevt_irq *xi;

	list_for_each_entry(xi, &xevt_list, node) {
		WRITE_ONCE(xi->port, 0);
		xevt_uncount(xi);
		if (xi->kind == XEVT_IPI)
			WRITE_ONCE(per_cpu(xevt_pcpu, xi->u.ipi.home)
				   .ipi_port[xi->u.ipi.vector], 0);
	}
	xevt_table_clear();
	xevt_ports_reset();

	list_for_each_entry(xi, &xevt_list, node) {
		if (xi->kind == XEVT_VIRQ || xi->kind == XEVT_IPI)
			xevt_rebind_percpu(xi);
		else if (xi->kind == XEVT_PORT)
			lost++;
	}

	xevt_pirq_resume();
	return lost;
}

/* ---- CPU hotplug ------------------------------------------------------- */

static int xevt_cpu_prepare(unsigned int cpu)
{
	return evtchn_op_percpu(cpu, true);
}

static int xevt_cpu_dead(unsigned int cpu)
{
	return evtchn_op_percpu(cpu, false);
}

/* ---- HVM callback vectors (x86) ---------------------------------------- */

#if defined(CONFIG_X86) && defined(CONFIG_XEN_PVHVM)
/**
 * xen_setup_callback_vector() - have Xen raise the global callback vector
 *
 * On failure events arrive through the platform PCI device instead.
 */
void xen_setup_callback_vector(void)
{
	u64 via = HVM_CALLBACK_VECTOR(HYPERVISOR_CALLBACK_VECTOR);

	if (!xen_have_vector_callback)
		return;
	if (xen_set_callback_via(via)) {
		pr_err("Xen refused the HVM callback vector; using platform PCI\n");
		xen_have_vector_callback = false;
	}
}

/**
 * xen_set_upcall_vector() - give a vCPU its own upcall vector
 * @cpu: the CPU.
 *
 * Return: 0, or Xen's error.
 */
int xen_set_upcall_vector(unsigned int cpu)
{
	xen_hvm_evtchn_upcall_vector_t op = {
		.vcpu = per_cpu(xen_vcpu_id, cpu),
		.vector = HYPERVISOR_CALLBACK_VECTOR,
	};
	int rc;

	rc = HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &op);
	/*
	 * Also set a callback "via" once: toolstacks take its presence as
	 * the sign of a PV-aware guest.
	 */
	if (!rc && cpu == 0)
		rc = xen_set_callback_via(1);
	return rc;
}

static void __init xevt_hvm_vector_init(void)
{
	u32 features;

	if (!xen_have_vector_callback)
		return;

	/* Best: a vector per vCPU, which Xen advertises in CPUID. */
	features = cpuid_eax(xen_cpuid_base() + 4);
	if ((features & XEN_HVM_CPUID_UPCALL_VECTOR) &&
	    xen_set_upcall_vector(0) == 0) {
		xen_percpu_upcall = true;
	} else if (xen_feature(XENFEAT_hvm_callback_vector)) {
		/* Next best: one vector for all vCPUs. */
		xen_setup_callback_vector();
		if (!xen_have_vector_callback)
			return;
	} else {
		/* Events come through the platform PCI device's interrupt. */
		xen_have_vector_callback = false;
		return;
	}

	xevt_install_callback_vector();
	pr_info("Xen HVM callback vector for event delivery is enabled (%s)\n",
		xen_percpu_upcall ? "a per-vCPU upcall vector" :
				    "one callback vector for all vCPUs");
}
#else
void xen_setup_callback_vector(void)
{
}

int xen_set_upcall_vector(unsigned int cpu)
{
	return -ENODEV;
}

static inline void xevt_hvm_vector_init(void)
{
}
#endif

/* ---- Choosing and switching the ABI ------------------------------------ */

/*
 * Per-CPU VIRQs (the timer) and IPIs must keep working while the ABI is
 * switched: the switch waits for RCU grace periods, which need both.
 */
static bool xevt_switch_keeps_live(const struct xevt_irq *xi)
{
	return xi->kind == XEVT_IPI ||
	       (xi->kind == XEVT_VIRQ && xi->u.virq.percpu);
}

/*
 * Move the binding @xi to the ABI @new: make its port addressable, route
 * it, give it its priority, and move a 2-level pending bit that Xen did
 * not carry over (an event sent while Xen switched).  FIFO and 3-level
 * take a pending bit that is already set as the same one event.
 * Returns 1 if a pending bit was moved, 0, or -errno from setup.
 */
static int xevt_switch_port(struct xevt_irq *xi, const struct evtchn_ops *old,
			    const struct evtchn_ops *new)
{
	evtchn_port_t port = READ_ONCE(xi->port);
	int err;

	err = __evtchn_op_setup(new, port);
	if (err)
		return err;
	new->bind_to_cpu(port, xi->cpu, xi->cpu);
	if (xi->prio != XEN_IRQ_PRIORITY_DEFAULT)
		__evtchn_op_set_priority(new, port, xi->prio);
	if (!old->is_pending(port))
		return 0;
	old->clear_pending(port);
	new->set_pending(port);
	return 1;
}

/*
 * Move every bound port that is (@live) or is not a per-CPU one; adds the
 * pending bits moved to *@moved and returns how many ports failed setup.
 */
static unsigned int xevt_switch_ports(const struct evtchn_ops *old,
				      const struct evtchn_ops *new, bool live,
				      unsigned int *moved)
{
	unsigned int unready = 0;
	struct xevt_irq *xi;
	int ret;

	list_for_each_entry(xi, &xevt_list, node) {
		if (!READ_ONCE(xi->port) || xevt_switch_keeps_live(xi) != live)
			continue;
		ret = xevt_switch_port(xi, old, new);
		if (ret < 0)
			unready++;
		else
			*moved += ret;
	}
	return unready;
}

/*
 * Did a failed probe leave the domain without its ports?  A probe resets
 * the domain's event channels (EVTCHNOP_reset, which closes every port and
 * returns it to 2-level) only to undo half a switch: 3-level when Xen took
 * the bitmaps but refused a CPU's L2.  Asked of Xen about one IPI port,
 * which every online CPU has.
 */
static bool xevt_domain_was_reset(void)
{
	struct evtchn_status st = { .dom = DOMID_SELF };
	struct xevt_irq *xi;

	list_for_each_entry(xi, &xevt_list, node) {
		st.port = READ_ONCE(xi->port);
		if (xi->kind != XEVT_IPI || !st.port)
			continue;
		return !HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) &&
		       st.status == EVTCHNSTAT_closed;
	}
	return false;
}

static int xevt_reset_fn(void *lost)
{
	xevt_abi_reset();
	*(unsigned int *)lost = xevt_rebuild();
	return 0;
}

/*
 * The probe of @to failed with @err after Xen reset every channel of the
 * domain: as after a resume in a new domain, bind the VIRQs and IPIs
 * again, on 2-level, and say loudly which channels are gone.
 */
static void xevt_switch_after_reset(const struct xevt_abi *to, int err)
{
	unsigned int lost = 0;

	stop_machine_cpuslocked(xevt_reset_fn, &lost, NULL);
	pr_crit("switch to the %s ABI (xen.evtchn_abi=%s) failed (%d) after Xen reset every event channel: VIRQs and IPIs bound again on the %s ABI, %u other channels lost until their drivers bind again\n",
		to->name, to->key, err, xevt_abi_name(), lost);
}

/*
 * The run-time switch.  Xen moves a domain from 2-level to FIFO or
 * 3-level with its ports open (and carries each port's pending bit over);
 * it moves nothing back without EVTCHNOP_reset, which closes every port.
 * So only 2-level is ever left, and every binding comes along:
 *
 *  1. Every bound port except the per-CPU ones gets the XEVT_MASK_SWITCH
 *     reason, which masks it in 2-level; after a grace period no upcall
 *     still works on one of them.  Then the per-CPU ports (timer, IPIs)
 *     get it too, for steps 2 and 3 only: an upcall that runs the old
 *     ABI's code after Xen switched would take the new ABI's selector
 *     bits as its own and drop them (a 3-level L1 word, FIFO's upcall
 *     flag), and Xen, finding the port's L2 word (or queue) already
 *     announced, would never announce that CPU's timer or IPIs again:
 *     the CPU goes deaf and the switch hangs in step 4's grace period
 *     (seen in one switch-3l boot in six).  With every bound port masked
 *     Xen announces nothing until step 3 unmasks through the new ABI.
 *  2. The new ABI's probe switches Xen; every CPU registers.  Events sent
 *     from now on land in the new ABI, where every port starts masked
 *     (3-level: as it was in 2-level).
 *  3. The per-CPU ports move (xevt_switch_port()), the new ABI becomes
 *     the one in use, and each per-CPU port is unmasked in it (which
 *     delivers what came meanwhile): steps 2 and 3 take no lock and wait
 *     for nothing, so the timer and IPIs are held up only briefly.
 *  4. After a grace period no upcall runs the old ABI; the other ports
 *     move, and dropping XEVT_MASK_SWITCH unmasks each port whose other
 *     reasons allow it: a pending port is delivered then, once.
 *
 * Context: process context; takes the CPU hotplug lock, then xevt_lock.
 * Senders are never stopped: nothing is lost or doubled on the masked
 * ports.  Binds and unbinds wait.
 */
static int xevt_switch_abi(const struct xevt_abi *to)
{
	const struct evtchn_ops *old, *new = NULL;
	unsigned int cpu, nr = 0, moved = 0, unready;
	const struct xevt_abi *from;
	struct xevt_irq *xi;
	int err, ret;

	cpus_read_lock();
	mutex_lock(&xevt_lock);
	from = xevt_abi_current();
	old = evtchn_ops;
	err = 0;
	if (to == from)
		goto out;
	err = -EBUSY;
	if (from != xevt_abi_2level()) {
		pr_warn("switch to the %s ABI (xen.evtchn_abi=%s) refused (%d): the %s ABI cannot be left without closing every port\n",
			to->name, to->key, err, from->name);
		goto out;
	}

	/* 1. */
	list_for_each_entry(xi, &xevt_list, node) {
		if (!READ_ONCE(xi->port))
			continue;
		nr++;
		if (!xevt_switch_keeps_live(xi))
			xevt_mask(xi, XEVT_MASK_SWITCH);
	}
	synchronize_rcu();
	list_for_each_entry(xi, &xevt_list, node) {
		if (READ_ONCE(xi->port) && xevt_switch_keeps_live(xi))
			xevt_mask(xi, XEVT_MASK_SWITCH);
	}

	/* 2. */
	err = to->probe(&new);
	if (err && xevt_domain_was_reset()) {
		xevt_switch_after_reset(to, err);
		goto unmask;
	}
	if (err) {
		pr_warn("switch to the %s ABI (xen.evtchn_abi=%s) refused (%d): staying on the %s ABI, every channel as it was\n",
			to->name, to->key, err, from->name);
		goto unmask;
	}
	for_each_online_cpu(cpu) {
		ret = __evtchn_op_percpu(new, cpu, true);
		if (ret)
			pr_err("switch: CPU %u not registered with the %s ABI (%d): no events for it\n",
			       cpu, to->name, ret);
	}

	/* 3. */
	unready = xevt_switch_ports(old, new, true, &moved);
	xevt_abi_use(to, new);
	xen_fifo_events = to->probe == evtchn_fifo_probe;
	list_for_each_entry(xi, &xevt_list, node) {
		if (xevt_switch_keeps_live(xi))
			xevt_unmask(xi, XEVT_MASK_SWITCH);
	}

	/* 4. */
	synchronize_rcu();
	unready += xevt_switch_ports(old, new, false, &moved);
	pr_info("switched from the %s to the %s ABI (xen.evtchn_abi=%s) with %u ports bound (%u pending bits moved), capacity now %u ports\n",
		from->name, to->name, to->key, nr, moved, new->max_channels());
	if (unready)
		pr_err("switch: %u ports could not be set up in the %s ABI and stay masked\n",
		       unready, to->name);

unmask:
	/*
	 * Also from bindings that lost their port: a new one starts clean.
	 * The per-CPU ports were unmasked in step 3 already, unless the
	 * switch did not happen.
	 */
	list_for_each_entry(xi, &xevt_list, node) {
		if (!xevt_switch_keeps_live(xi) || err)
			xevt_unmask(xi, XEVT_MASK_SWITCH);
	}
out:
	mutex_unlock(&xevt_lock);
	cpus_read_unlock();
	return err;
}

/* Key of an ABI to try first at boot, empty for the default order. */
static char xevt_abi_boot[16];

/*
 * xen.evtchn_abi: at boot the ABI to try first; read later, the key of the
 * ABI in use; written later, a run-time switch to that ABI (0 or -errno).
 */
static int xevt_abi_param_set(const char *val, const struct kernel_param *kp)
{
	const struct xevt_abi *to;

	if (!xevt_abi_current()) {
		strscpy(xevt_abi_boot, val, sizeof(xevt_abi_boot));
		strim(xevt_abi_boot);
		return 0;
	}
	to = xevt_abi_by_key(val);
	if (!to)
		return -EINVAL;
	return xevt_switch_abi(to);
}

static int xevt_abi_param_get(char *buf, const struct kernel_param *kp)
{
	const struct xevt_abi *abi = xevt_abi_current();

	return sysfs_emit(buf, "%s\n", abi ? abi->key : xevt_abi_boot);
}

static const struct kernel_param_ops xevt_abi_param_ops = {
	.set = xevt_abi_param_set,
	.get = xevt_abi_param_get,
};
module_param_cb(evtchn_abi, &xevt_abi_param_ops, NULL, 0644);

/**
 * xen_init_IRQ() - set up event channels at boot
 *
 * Chooses the ABI, masks every port, installs the CPU hotplug hooks and,
 * on x86, the PIRQ and callback vector plumbing.
 *
 * Context: early boot (init_IRQ()), boot CPU only.
 */
void __init xen_init_IRQ(void)
{
	evtchn_port_t port;
	int rc;

	if (xevt_abi_choose(xevt_abi_boot, xen_fifo_events))
		panic("xen:events: no event channel ABI accepted\n");
	xen_fifo_events = xevt_abi_current()->probe == evtchn_fifo_probe;

	if (xevt_table_init())
		panic("xen:events: no memory for the port table\n");

	/* Nothing is bound yet: no port may fire before it has an IRQ. */
	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		evtchn_ops->mask(port);

	xevt_eoi_init();

	rc = cpuhp_setup_state_nocalls(CPUHP_XEN_EVTCHN_PREPARE,
				       "xen/evtchn:prepare",
				       xevt_cpu_prepare, xevt_cpu_dead);
	if (rc)
		pr_err("CPU hotplug hooks not installed (%d)\n", rc);

	xevt_pirq_init();

#ifdef CONFIG_X86
	if (xen_pv_domain() && xen_initial_domain())
		pci_xen_initial_domain();
	xevt_hvm_vector_init();
	if (xen_hvm_domain()) {
		native_init_IRQ();
		/* After native_init_IRQ(): it hooks __acpi_register_gsi. */
		pci_xen_hvm_init();
	}
#endif
}
