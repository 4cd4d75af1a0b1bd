/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An executable model of the Xen 4.17 event channel hypervisor interface,
 * for the host harness.  One domain (ours, domid 0, all privileges), its
 * vCPUs, and a "peer" domain (domid 1) that exists only as the far end of
 * interdomain channels the tests drive.
 *
 * Semantics and error codes follow Xen 4.17 (xen/common/event_channel.c,
 * event_2l.c, event_fifo.c); the model is written from their documented
 * behaviour, see README "The model".  The 3-level ABI, which no Xen
 * release has, follows Documentation/xen/evtchn-3level-abi.rst (what the
 * xen/patches/ series adds to 4.17).  It is thread safe: guest vCPU
 * threads and "Xen side" threads may call into it at once.
 */
#ifndef XEN_EVENTS_MODEL_H
#define XEN_EVENTS_MODEL_H

#include "events_kernel.h"

#define MX_MAX_VCPUS		NR_CPUS
#define MX_2L_PORTS		EVTCHN_2L_NR_CHANNELS
#define MX_FIFO_PORTS		EVTCHN_FIFO_NR_CHANNELS
#define MX_FIFO_PAGE_WORDS	(XEN_PAGE_SIZE / sizeof(event_word_t))
#define MX_FIFO_MAX_PAGES	(MX_FIFO_PORTS / MX_FIFO_PAGE_WORDS)
/* 3-level: W bits per xen_ulong_t, W * W * W ports, two L3 bitmaps. */
#define MX_3L_W			((unsigned int)(sizeof(xen_ulong_t) * 8))
#define MX_3L_PORTS		((unsigned int)EVTCHN_3L_NR_CHANNELS)
#define MX_3L_PAGE_WORDS	((unsigned int)(XEN_PAGE_SIZE / sizeof(xen_ulong_t)))
#define MX_3L_MAP_PAGES		(MX_3L_PORTS / MX_3L_W / MX_3L_PAGE_WORDS)
#define MX_3L_SEL_BYTES		(MX_3L_W * (unsigned int)sizeof(xen_ulong_t))
/* The largest port space of any ABI: every per-port table has this size. */
#define MX_MAX_PORTS		MX_3L_PORTS
#define MX_SELF_DOMID		0
#define MX_PEER_DOMID		1
#define MX_NR_CMDS		(EVTCHNOP_3level + 1)	/* EVTCHNOP_* counted */
#define MX_NR_VIRQS		24

enum mx_abi {
	MX_ABI_2L,
	MX_ABI_FIFO,
	MX_ABI_3L,
};

/* Port states, as EVTCHNSTAT_* plus the two internal ones. */
enum mx_state {
	MX_FREE = EVTCHNSTAT_closed,
	MX_UNBOUND = EVTCHNSTAT_unbound,
	MX_INTERDOMAIN = EVTCHNSTAT_interdomain,
	MX_PIRQ = EVTCHNSTAT_pirq,
	MX_VIRQ = EVTCHNSTAT_virq,
	MX_IPI = EVTCHNSTAT_ipi,
	MX_RESERVED = 6,
};

struct mx_config {
	unsigned int nr_vcpus;		/* 1..MX_MAX_VCPUS */
	unsigned int max_evtchn_port;	/* inclusive cap; 0: none (dom0) */
	bool no_fifo;			/* Xen < 4.4: FIFO ops give -ENOSYS */
	bool no_3l;			/* stock Xen: EVTCHNOP_3level -ENOSYS */
	bool domu;			/* not the hardware domain */
	/* 3-level QUERY reports a geometry no kernel was built for. */
	bool l3_odd_geometry;
};

/* Counters the tests read. */
struct mx_stats {
	unsigned long calls[MX_NR_CMDS];	/* hypercalls by EVTCHNOP_* */
	unsigned long xen_warnings;		/* Xen would have logged */
	unsigned long lost_events;		/* Xen gave up linking */
	unsigned long busy_set;			/* Xen set BUSY on a tail */
	unsigned long new_heads;		/* FIFO HEAD writes */
	unsigned long links;			/* FIFO LINK writes */
	unsigned long kicks[MX_MAX_VCPUS];	/* upcalls raised */
	/* EVTCHNOP_unmask on a PENDING FIFO port whose MASKED was clear. */
	unsigned long unmask_already_clear;
	/* A guest write cleared MASKED while the model held BUSY. */
	unsigned long cleared_under_busy;
	unsigned long bad_gfn;			/* -EINVAL for an unknown page */
	unsigned long calls_3l[3];		/* EVTCHNOP_3level by EVTCHN_3L_* */
	/* 3-level events that found no L2 on their vCPU (latched in L3). */
	unsigned long no_l2;
};

/* What a port looks like from Xen's side. */
struct mx_port_info {
	enum mx_state state;
	unsigned int vcpu;		/* notify vCPU */
	unsigned int priority;
	unsigned int virq;
	unsigned int remote_dom;
	evtchn_port_t remote_port;
};

/* Points where a test hook is called (with the port concerned). */
enum mx_point {
	MX_PT_FIFO_BUSY_SET,		/* Xen just set BUSY on a tail word */
	MX_PT_FIFO_BEFORE_LINK,		/* about to cmpxchg a LINK */
	MX_PT_FIFO_PENDING_SET,		/* PENDING set, link not yet done */
	MX_PT_2L_PENDING_SET,		/* pending bit set, selector not yet */
	MX_PT_UNMASK,			/* EVTCHNOP_unmask entered */
	MX_PT_3L_PENDING_SET,		/* L3 pending bit set, L2/L1 not yet */
	MX_PT_OP_DONE,			/* hypercall returned ("port": its cmd) */
};

typedef void (*mx_hook_fn)(enum mx_point pt, evtchn_port_t port, void *arg);

int mx_create(const struct mx_config *cfg);
void mx_destroy(void);
/* The domain was resumed as a new one: no ports, no FIFO, clean pages. */
void mx_new_domain(void);

struct shared_info *mx_shared_info(void);
struct vcpu_info *mx_vcpu_info(unsigned int vcpu);
unsigned int mx_nr_vcpus(void);
enum mx_abi mx_abi(void);
struct mx_stats *mx_stats(void);

/* ---- The Xen side: what other domains and Xen itself do ---------------- */

/* The peer offers a port to us (as its alloc_unbound for domid 0). */
evtchn_port_t mx_peer_offer(void);
/* The peer binds to our unbound port @local (allocated for MX_PEER_DOMID). */
int mx_peer_connect(evtchn_port_t local);
/* The peer sends on its end of our interdomain port @local. */
int mx_peer_send(evtchn_port_t local);
/* The peer closes its end of @local (ours goes back to unbound). */
int mx_peer_close(evtchn_port_t local);
/* Events our domain sent to the peer through @local. */
unsigned long mx_peer_received(evtchn_port_t local);
/* Xen raises @virq for @vcpu (global VIRQs: the vCPU is ignored). */
int mx_raise_virq(unsigned int vcpu, unsigned int virq);
/* @port's event happens as its far end would make it (any bound kind). */
int mx_raise(evtchn_port_t port);
/* Ports the domain may use now: the ABI's, capped by max_evtchn_port. */
unsigned int mx_port_limit(void);

/* ---- Inspection -------------------------------------------------------- */

int mx_port_info(evtchn_port_t port, struct mx_port_info *info);
/* The FIFO event word of @port, or NULL if its page was never added. */
event_word_t *mx_fifo_word(evtchn_port_t port);
struct evtchn_fifo_control_block *mx_fifo_control_block(unsigned int vcpu);
unsigned int mx_fifo_pages(void);
unsigned long mx_unmask_calls(evtchn_port_t port);
/* Every page Xen maps (control blocks, event array) is still allocated. */
bool mx_registered_pages_live(void);
/* Ports in any state but free/reserved. */
unsigned int mx_ports_in_use(void);
/* Xen's view of the FIFO queue: ports linked from HEAD, or -1 if broken. */
int mx_fifo_queue_len(unsigned int vcpu, unsigned int prio);
/* 3-level: the vCPU's registered L2 (Xen's view), or NULL. */
xen_ulong_t *mx_3l_sel2(unsigned int vcpu);
/* 3-level: L3 bits as Xen sees them (false when not on 3-level). */
bool mx_3l_pending(evtchn_port_t port);
bool mx_3l_masked(evtchn_port_t port);
/* 3-level: every port of @port's L3 word is masked. */
bool mx_3l_word_masked(evtchn_port_t port);
/* 3-level: distinct guest pages Xen maps (L3 bitmaps and L2 pages). */
unsigned int mx_3l_pages(void);
/*
 * The long holding @port's mask bit that Xen reads (2-level: shared_info,
 * 3-level: the L3 mask page), or NULL on FIFO (the event word has it).
 */
unsigned long *mx_mask_long(evtchn_port_t port);

/* ---- Steering ---------------------------------------------------------- */

/* The next (skip+1)-th hypercall @cmd fails with @err, doing nothing. */
void mx_fail_op(int cmd, int err, unsigned int skip);
/* One more such failure (up to four armed); @sub: EVTCHN_3L_* or -1. */
void mx_fail_op_add(int cmd, int sub, int err, unsigned int skip);
/*
 * The domain now runs on a Xen without FIFO (@no_fifo) or without the
 * 3-level ABI (@no_3l), as after a migration: what a resume meets.
 */
void mx_set_host(bool no_fifo, bool no_3l);
/* Yield at model interleaving points with probability permille/1000. */
void mx_set_chaos(unsigned int permille, u64 seed);
void mx_set_hook(mx_hook_fn fn, void *arg);
/* The next @n FIFO links lose their first cmpxchg (Xen's BUSY path). */
void mx_force_link_contention(unsigned int n);
/* Hold/release BUSY on @port's word as Xen does while it links. */
void mx_hold_busy(evtchn_port_t port);
void mx_release_busy(evtchn_port_t port);

/* vCPU wake-ups: a counter bumped on every kick, and a wait on it. */
unsigned int mx_kick_seq(unsigned int vcpu);
void mx_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec);
void mx_kick(unsigned int vcpu);

/* ---- A hostile hypervisor ---------------------------------------------- */

void mx_evil_fifo_head(unsigned int vcpu, unsigned int prio, u32 head);
void mx_evil_fifo_link(evtchn_port_t port, u32 link);
void mx_evil_fifo_word_or(evtchn_port_t port, event_word_t bits);
void mx_evil_fifo_ready(unsigned int vcpu, u32 ready);
void mx_evil_fifo_scribble(unsigned int vcpu, u64 seed);
void mx_evil_2l_pending(unsigned int vcpu, evtchn_port_t port);
void mx_evil_2l_selector(unsigned int vcpu, xen_ulong_t sel);
/* 3-level: @port's L3 pending bit, its L2 and L1 bits on @vcpu, upcall. */
void mx_evil_3l_pending(unsigned int vcpu, evtchn_port_t port);
/* 3-level: bits ORed into @vcpu's L1, or into word @word of its L2. */
void mx_evil_3l_l1(unsigned int vcpu, xen_ulong_t bits);
void mx_evil_3l_l2(unsigned int vcpu, unsigned int word, xen_ulong_t bits);
/* 3-level: Xen clears @port's L3 mask bit behind the guest's back. */
void mx_evil_3l_unmask(evtchn_port_t port);

/* From the shim: is @p a live page the guest allocated? */
bool shim_page_is_live(const void *p);

#endif /* XEN_EVENTS_MODEL_H */
