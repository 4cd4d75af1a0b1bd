// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the ABIs of this kernel and which one is in use.
 *
 * Owns: the list of ABIs (the one place their keys and names are spelled),
 * the choice at boot and the fallback to 2-level when a resume finds the
 * ABI gone.  Needs only the backend contract, so the host harness
 * (tools/testing/xen-events/) compiles this file unmodified.  The
 * run-time switch, which moves bindings, is in events_setup.c.
 *
 * Locks: none of its own.  The ABI changes at boot, under stop_machine()
 * on resume, and under xevt_lock in a run-time switch; readers use
 * xevt_abi_current().
 */

#define pr_fmt(fmt) "xen:" KBUILD_MODNAME ": " fmt

#include "events_abi.h"

/*
 * The ABIs of this kernel, best first: the one place their names are
 * spelled.  @key is what xen.evtchn_abi takes and shows, @name what
 * messages say.  3-level is only granted by a hypervisor that implements
 * it (Documentation/xen/evtchn-3level-abi.rst) and only to dom0 and driver
 * domains: its probe asks first (EVTCHN_3L_QUERY) and allocates nothing
 * when told no.  2-level is last and cannot fail.
 */
static const struct xevt_abi xevt_abis[] = {
	{ "fifo",	"FIFO-based",	evtchn_fifo_probe },
	{ "3level",	"3-level",	evtchn_3l_probe },
	{ "2level",	"2-level",	evtchn_2l_probe },
};

/*
 * The ABI in use, NULL before boot chose one.  Changed at boot, on resume
 * (under stop_machine()) and by a run-time switch (under xevt_lock).
 */
static const struct xevt_abi *xevt_abi;

const struct xevt_abi *xevt_abi_current(void)
{
	return READ_ONCE(xevt_abi);
}

const struct xevt_abi *xevt_abi_2level(void)
{
	return &xevt_abis[ARRAY_SIZE(xevt_abis) - 1];
}

/* The ABI whose key is @key, or NULL. */
const struct xevt_abi *xevt_abi_by_key(const char *key)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xevt_abis); i++)
		if (sysfs_streq(key, xevt_abis[i].key))
			return &xevt_abis[i];
	return NULL;
}

/**
 * xevt_abi_name() - name of the event channel ABI in use
 *
 * Return: "FIFO-based", "3-level" or "2-level".
 */
const char *xevt_abi_name(void)
{
	return xevt_abi ? xevt_abi->name : "no";
}

/* Make @abi, whose probe returned @ops, the one in use. */
void xevt_abi_use(const struct xevt_abi *abi, const struct evtchn_ops *ops)
{
	WRITE_ONCE(evtchn_ops, ops);
	WRITE_ONCE(xevt_abi, abi);
}

static bool xevt_try(const struct xevt_abi *abi, bool forced)
{
	const struct evtchn_ops *ops = NULL;
	int err = abi->probe(&ops);

	if (!err) {
		xevt_abi_use(abi, ops);
		return true;
	}
	if (forced)
		pr_warn("%s ABI (xen.evtchn_abi=%s) refused (%d), using the default order\n",
			abi->name, abi->key, err);
	else
		pr_info("%s ABI (xen.evtchn_abi=%s) refused (%d), trying the next one\n",
			abi->name, abi->key, err);
	return false;
}

/**
 * xevt_abi_choose() - pick the ABI at boot
 * @first: key of an ABI to try first (xen.evtchn_abi=), or "" for none.
 * @fifo:  false: leave FIFO out of the default order (xen.fifo_events=0).
 *
 * Tries @first, then the default order, best first; says which one won.
 *
 * Return: 0, or -ENODEV if every probe failed (2-level cannot).
 */
int xevt_abi_choose(const char *first, bool fifo)
{
	const struct xevt_abi *forced = NULL;
	unsigned int i;

	if (first[0]) {
		forced = xevt_abi_by_key(first);
		if (!forced)
			pr_warn("xen.evtchn_abi=%s is not an ABI of this kernel, using the default order\n",
				first);
	}

	if (forced)
		xevt_try(forced, true);
	for (i = 0; i < ARRAY_SIZE(xevt_abis) && !xevt_abi; i++) {
		if (&xevt_abis[i] == forced)
			continue;
		if (!fifo && xevt_abis[i].probe == evtchn_fifo_probe)
			continue;
		xevt_try(&xevt_abis[i], false);
	}
	if (!xevt_abi)
		return -ENODEV;

	pr_info("Using %s ABI (xen.evtchn_abi=%s)\n", xevt_abi->name,
		xevt_abi->key);
	pr_info("Event channel capacity: %u ports (%u usable now)\n",
		evtchn_ops->max_channels(), evtchn_ops->nr_channels());
	return 0;
}

/* Nothing may fire before the core binds it (again). */
static void xevt_abi_mask_all(void)
{
	evtchn_port_t port;

	for (port = 0; port < evtchn_ops->nr_channels(); port++)
		evtchn_ops->mask(port);
}

/**
 * xevt_abi_resume() - register the ABI again after a resume
 *
 * Runs the backend's resume.  When the new domain refuses the ABI in use
 * (a host without it), carries on with 2-level, which every domain starts
 * on, as at boot: every port masked.  Nothing is bound in the new domain
 * yet, so no binding has to move.  Backends never fall back themselves.
 *
 * Context: stop_machine(), from xen_irq_resume().
 * Return: EVTCHN_RESUME_KEPT if the hypervisor kept the domain (every
 * binding stays), else EVTCHN_RESUMED.
 */
int xevt_abi_resume(void)
{
	const struct xevt_abi *was = xevt_abi;
	const struct evtchn_ops *ops = NULL;
	int ret;

	ret = evtchn_op_resume();
	if (ret == EVTCHN_RESUME_KEPT)
		return ret;
	if (ret < 0) {
		if (evtchn_2l_probe(&ops) || !ops) {
			pr_crit("%s ABI lost on resume (%d) and no 2-level ABI\n",
				was->name, ret);
			return EVTCHN_RESUMED;
		}
		__evtchn_op_resume(ops);
		xevt_abi_use(xevt_abi_2level(), ops);
		pr_warn("%s ABI lost on resume (%d), using the %s ABI (%u ports)\n",
			was->name, ret, xevt_abi->name, ops->max_channels());
	}

	/*
	 * A new domain's mask bits are whatever the old one left in the
	 * restored shared_info: as at boot, nothing may fire before the
	 * core binds it again.
	 */
	xevt_abi_mask_all();
	return EVTCHN_RESUMED;
}

/**
 * xevt_abi_reset() - the domain's event channels were reset
 *
 * After EVTCHNOP_reset every port is closed and the domain is on 2-level,
 * the only ABI a run-time switch leaves (so the one in use).  As on resume
 * in a new domain, the ABI forgets its per-port state and every port is
 * masked before the core binds anything again.
 *
 * Context: stop_machine().
 */
void xevt_abi_reset(void)
{
	__evtchn_op_resume(evtchn_ops);
	xevt_abi_mask_all();
}

