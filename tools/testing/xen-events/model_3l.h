/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A model of the hypervisor side of the 3-level event channel ABI, for the
 * host harness: Documentation/xen/evtchn-3level-abi.rst, executable.
 *
 * One domain (ours), its vCPUs, and a "peer" domain that only exists as
 * the far end of interdomain channels.  The domain starts on 2-level, as
 * every Xen domain does, and EVTCHNOP_3level switches it as the document
 * says; the 2-level ABI (Xen 4.17's event_2l.c behaviour) is there for the
 * time before the switch, after EVTCHNOP_reset, and for a domain whose
 * probe fell back.  FIFO is modelled only as far as the 3-level rules
 * need it (init_control switches the domain to "FIFO", nothing is
 * delivered there).
 *
 * It serves model_guest_event_channel_op() of include/xen_shim.h, so it
 * replaces model.c in the program it is linked into (the 3-level test
 * program, tests_3l.c).  Thread safe: vCPU threads and Xen-side threads
 * may call into it at once.
 */
#ifndef XEN_EVENTS_MODEL_3L_H
#define XEN_EVENTS_MODEL_3L_H

#include "events_internal.h"

/* W, and the geometry the document derives from it. */
#define M3_W		((unsigned int)(sizeof(xen_ulong_t) * 8))
#define M3_PORTS	(M3_W * M3_W * M3_W)
#define M3_2L_PORTS	(M3_W * M3_W)
#define M3_MAP_WORDS	(M3_W * M3_W)
#define M3_PAGE_WORDS	((unsigned int)(XEN_PAGE_SIZE / sizeof(xen_ulong_t)))
#define M3_MAP_PAGES	(M3_MAP_WORDS / M3_PAGE_WORDS)
#define M3_SEL_BYTES	(M3_W * (unsigned int)sizeof(xen_ulong_t))

#define M3_MAX_VCPUS	NR_CPUS
#define M3_NR_VIRQS	24
#define M3_PEER_DOMID	1
#define M3_NR_CMDS	40	/* EVTCHNOP_* numbers counted (3level is 32) */

enum m3_abi {
	M3_2L,
	M3_3L,
	M3_FIFO,
};

enum m3_state {
	M3_FREE = EVTCHNSTAT_closed,
	M3_UNBOUND = EVTCHNSTAT_unbound,
	M3_INTERDOMAIN = EVTCHNSTAT_interdomain,
	M3_PIRQ = EVTCHNSTAT_pirq,
	M3_VIRQ = EVTCHNSTAT_virq,
	M3_IPI = EVTCHNSTAT_ipi,
	M3_RESERVED = 6,
};

struct m3_config {
	unsigned int nr_vcpus;		/* 1 .. M3_MAX_VCPUS */
	/*
	 * The domain's max_evtchn_port (inclusive).  0 means none, as for
	 * dom0 (Xen's INT_MAX).
	 */
	unsigned int max_evtchn_port;
	bool domu;			/* not the hardware domain */
	bool stock;			/* Xen 4.17 as released: no 3-level */
	bool no_fifo;			/* init_control gives -ENOSYS */
	/*
	 * EVTCHNOP_close clears the L3 pending bit.  The document says it
	 * clears nothing; Xen 4.17's evtchn_free() clears pending for every
	 * ABI, and so does the xen/patches/ series.
	 */
	bool close_clears_pending;
	/* QUERY reports a geometry this kernel was not built for. */
	bool odd_geometry;
};

/* Counters the tests read. */
struct m3_stats {
	unsigned long calls[M3_NR_CMDS];	/* by EVTCHNOP_* */
	unsigned long calls_3l[3];		/* by EVTCHN_3L_* */
	unsigned long kicks[M3_MAX_VCPUS];	/* upcalls raised */
	unsigned long raised;			/* set_pending calls */
	/* 3-level events that found no L2 on their vCPU (latched). */
	unsigned long no_l2;
	/* Xen would have logged something (an event lost, say). */
	unsigned long xen_warnings;
};

/* A point where a test hook runs: the port's pending bit was just set. */
typedef void (*m3_hook_fn)(evtchn_port_t port, void *arg);

int m3_create(const struct m3_config *cfg);
void m3_destroy(void);
/*
 * The domain was resumed as a new one: no ports, 2-level, nothing
 * registered.  @stock: and the new host's Xen has no 3-level ABI.
 */
void m3_new_domain(bool stock);

struct shared_info *m3_shared_info(void);
struct vcpu_info *m3_vcpu_info(unsigned int vcpu);
enum m3_abi m3_abi(void);
/* Ports the domain may use right now (Xen's max_evtchns, capped). */
unsigned int m3_port_limit(void);
struct m3_stats *m3_stats(void);

/* ---- The Xen side ------------------------------------------------------ */

/*
 * Make @port's event happen as its far end would (the peer sending, Xen
 * raising the VIRQ, another vCPU sending the IPI).  -EINVAL for a port in
 * no state that can be raised.
 */
int m3_raise(evtchn_port_t port);
/* The peer binds to our unbound port @local (allocated for M3_PEER_DOMID). */
int m3_peer_connect(evtchn_port_t local);
/* Events our domain sent to the peer through @local. */
unsigned long m3_peer_received(evtchn_port_t local);

/* ---- Inspection -------------------------------------------------------- */

int m3_port_state(evtchn_port_t port, unsigned int *vcpu);
/* The vCPU's registered L2 (Xen's view), or NULL. */
xen_ulong_t *m3_sel2(unsigned int vcpu);
/* Xen's view of L3: is @port pending / masked?  False if not on 3-level. */
bool m3_l3_pending(evtchn_port_t port);
bool m3_l3_masked(evtchn_port_t port);
/* Pages Xen maps right now (L3 and L2), and whether all are still live. */
unsigned int m3_mapped_pages(void);
bool m3_mapped_pages_live(void);
unsigned long m3_unmask_calls(evtchn_port_t port);
unsigned int m3_ports_in_use(void);

/* ---- Steering ---------------------------------------------------------- */

/*
 * The (skip+1)-th next hypercall @cmd (for EVTCHNOP_3level: with
 * sub-command @sub; else @sub is ignored) fails with @err, changing
 * nothing.  Up to four such failures may be armed at once.
 */
void m3_fail_op(int cmd, int sub, int err, unsigned int skip);
void m3_set_hook(m3_hook_fn fn, void *arg);

/* vCPU wake-ups: a counter bumped by every kick, and a wait on it. */
unsigned int m3_kick_seq(unsigned int vcpu);
void m3_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec);
void m3_kick(unsigned int vcpu);

/* From the shim: is @p a live page the guest allocated? */
bool shim_page_is_live(const void *p);

#endif /* XEN_EVENTS_MODEL_3L_H */
