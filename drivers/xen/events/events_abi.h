/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: which ABI is in use, and the rules for changing it.
 *
 * events_abi.c holds the list of ABIs, the choice at boot and the fallback
 * on resume.  It needs nothing but the backend contract
 * (events_internal.h) and the way the core calls the ops (events_ops.h),
 * so tools/testing/xen-events/ can compile it unmodified and run it
 * against its model of Xen.  The run-time switch, which moves bindings,
 * is the core's (events_setup.c).
 */
#ifndef __XEN_EVENTS_ABI_H
#define __XEN_EVENTS_ABI_H

#include "events_ops.h"

/**
 * struct xevt_abi - one event channel ABI of this kernel
 * @key:   What xen.evtchn_abi takes and shows: "fifo", "3level", "2level".
 * @name:  What messages call it: "FIFO-based", "3-level", "2-level".
 * @probe: The backend's probe (events_internal.h).
 */
struct xevt_abi {
	const char *key;
	const char *name;
	int (*probe)(const struct evtchn_ops **ops);
};

/* The ABI in use, NULL before xevt_abi_choose(). */
const struct xevt_abi *xevt_abi_current(void);
/* The ABI every domain starts on, and the one a lost ABI falls back to. */
const struct xevt_abi *xevt_abi_2level(void);
const struct xevt_abi *xevt_abi_by_key(const char *key);
const char *xevt_abi_name(void);
void xevt_abi_use(const struct xevt_abi *abi, const struct evtchn_ops *ops);
int xevt_abi_choose(const char *first, bool fifo);
int xevt_abi_resume(void);
void xevt_abi_reset(void);

#endif /* __XEN_EVENTS_ABI_H */
