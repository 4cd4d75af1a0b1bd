/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The core program's handle on kcore.c, the runtime of include/kcore.h
 * (genirq, RCU, the workqueue, jiffies): counters and switches.
 */
#ifndef XEN_EVENTS_KCORE_H
#define XEN_EVENTS_KCORE_H

#include "events_kernel.h"
#include "include/kcore.h"

/* IRQ numbers handed out: KC_FIRST_IRQ .. KC_NR_IRQS - 1, lowest free first. */
#define KC_FIRST_IRQ	16
#define KC_NR_IRQS	((int)BIT(16))

struct kc_stats {
	unsigned long grace_periods;	/* synchronize_rcu() calls done */
	unsigned long works_run;	/* work items run by the worker */
	unsigned long flow_ctx_violations; /* a flow outside hard IRQ */
	unsigned long no_desc;		/* generic_handle_irq(): no descriptor */
	unsigned long no_flow;		/* ... a descriptor without flow */
	unsigned long other_hypercalls;	/* sched_op, vcpu_op, hvm_op (-ENOSYS) */
	unsigned long stop_machines;	/* stop_machine() calls */
};

extern struct kc_stats kc_stats;
/* The CPU the workqueue worker acts as (set before kc_start()). */
extern unsigned int kc_worker_cpu;

void kc_start(void);		/* start the worker */
void kc_stop(void);		/* stop it (after flush_workqueue()) */
unsigned int kc_timers_pending(void);
long kc_descs_live(void);
unsigned long kc_irq_flows(unsigned int irq);
const char *kc_irq_chip_name(unsigned int irq);
const char *kc_irq_flow_name(unsigned int irq);
bool kc_irq_masked(unsigned int irq);
struct msi_desc *kc_irq_msi_desc(unsigned int irq);

/* Failures a test makes happen once, then cleared: -errno, 0 for none. */
extern int kc_fail_irq_alloc_descs;
extern int kc_fail_irq_set_msi_desc;
/* PHYSDEVOP_*: the next @cmd fails with @err; how many @cmd were made. */
void kc_physdev_fail(int cmd, int err);
unsigned long kc_physdev_calls(int cmd);

#endif /* XEN_EVENTS_KCORE_H */
