/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host harness: plays the part of the event channel core
 * (events_base.c) for the backends under test, on top of the model
 * hypervisor, and records every delivery.
 *
 * A test binds ports (hx_bind_*), makes events happen (hx_raise), lets the
 * vCPUs take their upcalls (hx_drain, or vCPU threads) and compares what
 * was raised with what was delivered.  hx_finish() then checks the
 * invariants every test must keep (see harness.c).
 */
#ifndef XEN_EVENTS_HARNESS_H
#define XEN_EVENTS_HARNESS_H

#include "model.h"
#include "shim.h"
#include "../../../drivers/xen/events/events_abi.h"

enum hx_abi {
	HX_2L,
	HX_FIFO,
	HX_3L,
	HX_NR_ABIS,
};

extern const char *const hx_abi_name[HX_NR_ABIS];
bool hx_abi_built(enum hx_abi abi);
/* The core's entry (events_abi.c) for @abi, found by its key. */
const struct xevt_abi *hx_xevt_abi(enum hx_abi abi);

struct hx_opts {
	enum hx_abi abi;
	unsigned int nr_cpus;		/* 0: 2 */
	bool permute_vcpus;		/* Xen vCPU ids != Linux CPU numbers */
	bool hvm;			/* an HVM guest (2-level unmask path) */
	bool no_fifo;			/* the model is a Xen without FIFO */
	bool no_3l;			/* ... without the 3-level ABI (stock) */
	bool domu;			/* not the hardware domain */
	unsigned int max_evtchn_port;	/* the model's cap (0: none) */
	bool l3_odd_geometry;		/* 3-level QUERY: a geometry unknown */
	/* Run on CPU 0 with the model up, before the probe. */
	void (*before_probe)(void);
	/*
	 * Let the core choose the ABI as at boot (xevt_abi_choose()) instead
	 * of probing @abi: @boot_abi is xen.evtchn_abi= (NULL: not given),
	 * @fifo_events_off is xen.fifo_events=0.
	 */
	bool boot_choice;
	const char *boot_abi;
	bool fifo_events_off;
};

/*
 * Create the model, make @abi the ABI in use (its probe; 2-level if that
 * fails, as the core would carry on) or let the core choose
 * (@boot_choice), mask every port and bring the CPUs up.  Returns the
 * probe's result, or the choice's.
 */
int hx_setup(const struct hx_opts *opts);
int hx_setup_abi(enum hx_abi abi, unsigned int nr_cpus);
/* Invariants every test keeps; false (with a message) on a violation. */
bool hx_finish(void);
/* The same checks, after a drain, without tearing anything down. */
bool hx_check_invariants(void);
/* Start over as a new domain on @abi (see harness.c). */
int hx_restart(enum hx_abi abi);
/* Undo hx_setup(); hx_finish() calls it. */
void hx_teardown(void);

enum hx_abi hx_abi(void);
unsigned int hx_nr_cpus(void);
/* The Linux CPU whose Xen vCPU id is @vcpu. */
unsigned int hx_cpu_of_vcpu(unsigned int vcpu);

/* ---- Binding (the core's side of it) ------------------------------------ */

enum hx_kind {
	HX_NONE,
	HX_IPI,		/* sending on the port raises it */
	HX_PEER,	/* interdomain with the peer domain */
	HX_LOOP,	/* interdomain loopback pair */
	HX_VIRQ,
};

int hx_bind_ipi(unsigned int cpu);
int hx_bind_peer(unsigned int cpu);
int hx_bind_loop(unsigned int cpu_a, unsigned int cpu_b,
		 evtchn_port_t *a, evtchn_port_t *b);
int hx_bind_virq(unsigned int virq, unsigned int cpu);
/* Bind @n ports of @kind (IPI or PEER) round-robin over the CPUs. */
int hx_bind_many(enum hx_kind kind, unsigned int n, evtchn_port_t *ports);
int hx_close(evtchn_port_t port);
int hx_rebind(evtchn_port_t port, unsigned int cpu);
/* The same move without the core's mask and unmask around it. */
int hx_rebind_unmasked(evtchn_port_t port, unsigned int cpu);
int hx_set_priority(evtchn_port_t port, unsigned int prio);
void hx_mask(evtchn_port_t port);
void hx_unmask(evtchn_port_t port);
/* Unmask @port from @cpu (then back on CPU 0): the EVTCHNOP_unmask it took. */
unsigned long hx_unmask_counted(evtchn_port_t port, unsigned int cpu);

/* Make @port's event happen (as its other end would), counted. */
int hx_raise(evtchn_port_t port);
/* Our domain sends on @port (EVTCHNOP_send from the current CPU). */
int hx_send(evtchn_port_t port);

/* ---- Delivery ------------------------------------------------------------ */

/* Take @cpu's upcall now, on this thread. */
void hx_upcall(unsigned int cpu);
/* Xen asked for an upcall on @cpu (evtchn_upcall_pending). */
bool hx_upcall_pending(unsigned int cpu);
/* Take upcalls on every online CPU until none is pending; returns how many. */
unsigned int hx_drain(void);

struct hx_port {
	u8 kind;
	u8 cpu;
	bool bound;
	bool masked;
	evtchn_port_t partner;
	u64 raised;		/* events made to happen */
	u64 seen;		/* value of raised at the latest delivery */
	u32 delivered;
	u32 per_cpu[NR_CPUS];
	u32 wrong_cpu;
	u32 stray;		/* deliveries while not bound */
	void (*hook)(evtchn_port_t port, void *arg);
	void *hook_arg;
};

struct hx_port *hx_port(evtchn_port_t port);
u64 hx_total_delivered(void);
u64 hx_total_stray(void);
/* Deliveries in order: entry i of the log. */
void hx_log_reset(void);
unsigned int hx_log_len(void);
evtchn_port_t hx_log_port(unsigned int i);
unsigned int hx_log_cpu(unsigned int i);
void hx_set_hook(evtchn_port_t port, void (*fn)(evtchn_port_t, void *), void *arg);

/* ---- CPUs ---------------------------------------------------------------- */

/* The core's CPU hotplug: move @cpu's ports to @to, then take it down. */
int hx_cpu_down(unsigned int cpu, unsigned int to);
int hx_cpu_down_keep_ports(unsigned int cpu);
int hx_cpu_up(unsigned int cpu);
/*
 * Suspend and resume into a new domain: every binding is gone after.  The
 * core's xevt_abi_resume() runs; when the new domain refuses the ABI in
 * use, the core carries on with 2-level (hx_abi() says which).
 */
/* EVTCHNOP_reset with ports bound, then the core's xevt_abi_reset(). */
int hx_reset_domain(void);
int hx_resume(void);
/*
 * The same, with @host() run once the model is the new domain, before the
 * guest resumes: a host without an ABI, a restored shared_info.
 */
int hx_resume_to(void (*host)(void));
/*
 * Suspend, and Xen resumes the same domain: every binding is still there.
 * @told_new: SCHEDOP_shutdown said "new domain" all the same (a slow
 * resume), so the core runs the backend's resume, and keeps every
 * binding only if that finds the domain kept (else it forgets them all,
 * as hx_resume() does); else (cancelled) it runs nothing.
 */
int hx_resume_in_place(bool told_new);
/*
 * The core's run-time switch from 2-level to @to with ports bound, as
 * events_setup.c does it: every binding carried over, an event pending
 * at the switch delivered once.  0, or the probe's error (nothing
 * changed), -EBUSY when not on 2-level, -ENODEV for an ABI not built.
 */
int hx_switch_abi(enum hx_abi to);

/* vCPU threads: each online CPU takes its upcalls on its own thread. */
void hx_threads_start(void);
/* Wait until every CPU is idle with nothing pending (or @ms passed). */
bool hx_threads_quiesce(unsigned int ms);
void hx_threads_stop(void);
/* Run @fn(@arg) on @cpu (its thread if running, else here as @cpu). */
void hx_call_on(unsigned int cpu, void (*fn)(void *), void *arg);

/*
 * Run @fn(@arg) in a child process, and hx_finish() there when it returns
 * 0: a backend's state is static, so a process probes it once.  Returns
 * the child's exit status (@fn's value, 1 if hx_finish() failed), -1 if
 * it died.  Its output goes where the test's goes.
 */
int hx_in_child(int (*fn)(void *arg), void *arg);

/* ---- Expectations for hx_finish() ---------------------------------------- */

void hx_allow_warnings(void);
void hx_allow_stray(void);
void hx_allow_xen_warnings(void);
void hx_allow_wrong_cpu(void);
void hx_allow_loss(void);		/* a test of Xen's own give-up paths */

/* ---- Test plumbing ------------------------------------------------------- */

extern u64 hx_seed;
extern bool hx_verbose;
u64 hx_rand(void);
unsigned int hx_rand_below(unsigned int n);

/*
 * A failed assertion says where and why (hx_fail()), then ends the test:
 * each test runs in a child process of its own (main.c), which exits
 * (hx_bail()), as with kselftest_harness.h's ASSERT_*().
 */
void hx_fail(const char *file, int line, const char *func,
	     const char *fmt, ...) __printf(4, 5);
__noreturn void hx_bail(void);

#define ASSERT_TRUE(c)							\
	do {								\
		if (!(c)) {						\
			hx_fail(__FILE__, __LINE__, __func__,		\
				"%s is false", #c);			\
			hx_bail();					\
		}							\
	} while (0)
#define ASSERT_FALSE(c)		ASSERT_TRUE(!(c))
#define __ASSERT_CMP(a, op, b)						\
	do {								\
		long long __va = (long long)(a), __vb = (long long)(b);	\
		if (!(__va op __vb)) {					\
			hx_fail(__FILE__, __LINE__, __func__,		\
				"%s %s %s: %lld vs %lld",		\
				#a, #op, #b, __va, __vb);		\
			hx_bail();					\
		}							\
	} while (0)
#define ASSERT_EQ(a, b)		__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b)		__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b)		__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b)		__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b)		__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b)		__ASSERT_CMP(a, >=, b)
#define ASSERT_OK(rc)		ASSERT_EQ(rc, 0)
#define ASSERT_ERR(rc, err)	ASSERT_EQ(rc, err)
#define ASSERT_PORT(rc)		ASSERT_GT(rc, 0)

#endif /* XEN_EVENTS_HARNESS_H */
