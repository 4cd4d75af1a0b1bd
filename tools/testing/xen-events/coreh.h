/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The core program's harness: the REAL core (events_base.c, events_bind.c,
 * events_upcall.c, events_lateeoi.c, events_prio.c, events_usage.c,
 * events_setup.c, events_debugfs.c, events_pirq.c and events_abi.c) and
 * the real backends, on the model hypervisor, driven
 * through the kernel API drivers use (<xen/events.h>: bind_*_to_irqhandler,
 * unbind_from_irqhandler, xen_irq_lateeoi, irq_set_affinity, ...) with the
 * upcall entered through xen_evtchn_do_upcall().  See README, "The core
 * program".
 *
 * CPUs: CPUs 0 .. nr_upcall - 1 take upcalls (on their own vCPU thread
 * once ch_threads_start() ran, else when a test calls ch_upcall()); the
 * others are process-context CPUs for test threads, and the last one is
 * the workqueue worker's.  Ports are only ever delivered to upcall CPUs.
 */
#ifndef XEN_EVENTS_COREH_H
#define XEN_EVENTS_COREH_H

#include "kcore.h"
#include "model.h"
#include "shim.h"
#include "../../../drivers/xen/events/events_core.h"

enum ch_abi {
	CH_2L,
	CH_FIFO,
	CH_3L,
	CH_NR_ABIS,
};

extern const char *const ch_abi_name[CH_NR_ABIS];
bool ch_abi_built(enum ch_abi abi);

/*
 * Boot: the model with @nr_cpus vCPUs, xen.evtchn_abi=@abi, the core's
 * xen_init_IRQ() (its choice of ABI, the port table, every port masked,
 * the delayed EOI queues, its CPU hotplug state), the other CPUs brought
 * up through that state, the worker.  The first @nr_upcall CPUs take
 * upcalls.  0, or -errno; -ENODEV when the ABI chosen is not @abi.
 */
int ch_setup(enum ch_abi abi, unsigned int nr_upcall, unsigned int nr_cpus);
/* The invariants (see coreh.c); false with a message on a violation. */
bool ch_finish(void);
unsigned int ch_nr_upcall(void);
/* The first CPU that takes no upcalls (for test threads). */
unsigned int ch_first_ctl_cpu(void);

/* ---- Devices: what a driver passes as dev_id ------------------------------- */

struct ch_dev {
	int irq;
	evtchn_port_t port;
	bool lateeoi;
	bool hold_eoi;		/* lateeoi: the handler does not end the event */
	unsigned int eoi_flags;	/* given to xen_irq_lateeoi() by the handler */
	struct xenbus_device xb;
	/* Counted by the handler. */
	unsigned long calls;
	unsigned long per_cpu[NR_CPUS];
	int last_cpu;
	int running;		/* handlers running now (must stay <= 1) */
	unsigned long overlap;	/* ... found another one running */
	unsigned long ctx_bad;	/* ... not in hard IRQ with interrupts off */
	/* Raise sequence: raised before each raise, seen = raised in the handler. */
	u64 raised;
	u64 seen;
	bool unbound;		/* unbind_from_irqhandler() returned */
	unsigned long after_unbind;
};

irqreturn_t ch_handler(int irq, void *dev_id);
void ch_dev_init(struct ch_dev *d);
void ch_dev_reinit(struct ch_dev *d);

/*
 * Bind through the kernel API, as a driver: an interdomain port with the
 * peer domain (its offer, bind_interdomain_evtchn_to_irqhandler_lateeoi),
 * an unbound port the peer connects to then bound with
 * bind_evtchn_to_irqhandler() (@lateeoi: the _lateeoi flavour), a VIRQ, an
 * IPI.  The IRQ, or -errno.
 */
int ch_bind_interdomain(struct ch_dev *d);
int ch_bind_evtchn(struct ch_dev *d, bool lateeoi);
int ch_bind_virq(struct ch_dev *d, unsigned int virq, unsigned int cpu,
		 bool percpu);
int ch_bind_ipi(struct ch_dev *d, enum ipi_vector vec, unsigned int cpu);
void ch_unbind(struct ch_dev *d);

/* The peer (or Xen, for a VIRQ) raises @d's port, counted in d->raised. */
int ch_raise(struct ch_dev *d);

/* ---- Upcalls ---------------------------------------------------------------- */

void ch_upcall(unsigned int cpu);
bool ch_upcall_pending(unsigned int cpu);
/* Upcalls on the upcall CPUs until none is pending; how many. */
unsigned int ch_drain(void);
void ch_threads_start(void);
void ch_threads_stop(void);
/* Nothing pending, no upcall running, the workqueue flushed (or @ms passed). */
bool ch_quiesce(unsigned int ms);

/* Run as @cpu (a process-context CPU) on this thread. */
void ch_as_cpu(unsigned int cpu);

/* ---- Expectations --------------------------------------------------------------- */

void ch_allow_warnings(void);

/* ---- Test plumbing ----------------------------------------------------------------- */

extern u64 ch_seed;
extern bool ch_verbose;
u64 ch_rand(u64 *state);

/*
 * A failed assertion says where and why (ch_fail()), then ends the test:
 * each test runs in a child process of its own (core_main.c), which exits
 * (ch_bail()), as with kselftest_harness.h's ASSERT_*().
 */
void ch_fail(const char *file, int line, const char *func,
	     const char *fmt, ...) __printf(4, 5);
__noreturn void ch_bail(void);

#define ASSERT_TRUE(c)							\
	do {								\
		if (!(c)) {						\
			ch_fail(__FILE__, __LINE__, __func__,		\
				"%s is false", #c);			\
			ch_bail();					\
		}							\
	} while (0)
#define ASSERT_FALSE(c)		ASSERT_TRUE(!(c))
#define __ASSERT_CMP(a, op, b)						\
	do {								\
		long long __va = (long long)(a), __vb = (long long)(b);	\
		if (!(__va op __vb)) {					\
			ch_fail(__FILE__, __LINE__, __func__,		\
				"%s %s %s: %lld vs %lld",		\
				#a, #op, #b, __va, __vb);		\
			ch_bail();					\
		}							\
	} while (0)
#define ASSERT_EQ(a, b)		__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b)		__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b)		__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b)		__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b)		__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b)		__ASSERT_CMP(a, >=, b)
#define ASSERT_OK(rc)		ASSERT_EQ(rc, 0)
#define ASSERT_STREQ(a, b)						\
	do {								\
		const char *__sa = (a), *__sb = (b);			\
		if (!__sa || !__sb || strcmp(__sa, __sb)) {		\
			ch_fail(__FILE__, __LINE__, __func__,		\
				"%s == %s: \"%s\" vs \"%s\"", #a, #b,	\
				__sa ? __sa : "(null)",			\
				__sb ? __sb : "(null)");		\
			ch_bail();					\
		}							\
	} while (0)

#endif /* XEN_EVENTS_COREH_H */
