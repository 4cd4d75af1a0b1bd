/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An executable model of the Xen 4.17 event channel hypervisor interface,
 * for the host harness.  One domain (ours, domid 0, all privileges), its
 * vCPUs, and a "peer" domain (domid 1) that exists only as the far end of
 * interdomain channels the tests drive.
 *
 * Semantics and error codes follow Xen 4.17 (xen/common/event_channel.c,
 * event_2l.c, event_fifo.c); the model is written from their documented
 * behaviour, see README "The model".  It is thread safe: guest vCPU threads
 * and "Xen side" threads may call into it at once.
 */
#ifndef XEN_EVENTS_MODEL_H
#define XEN_EVENTS_MODEL_H

#include "events_internal.h"

#define MX_MAX_VCPUS		NR_CPUS
#define MX_MAX_PORTS		EVTCHN_FIFO_NR_CHANNELS
#define MX_2L_PORTS		EVTCHN_2L_NR_CHANNELS
#define MX_FIFO_PAGE_WORDS	(XEN_PAGE_SIZE / sizeof(event_word_t))
#define MX_FIFO_MAX_PAGES	(MX_MAX_PORTS / MX_FIFO_PAGE_WORDS)
#define MX_SELF_DOMID		0
#define MX_PEER_DOMID		1
#define MX_NR_CMDS		16	/* EVTCHNOP_* numbers 0..15 */
#define MX_NR_VIRQS		24

enum mx_abi {
	MX_ABI_2L,
	MX_ABI_FIFO,
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

/* ---- Steering ---------------------------------------------------------- */

/* The next (skip+1)-th hypercall @cmd fails with @err, doing nothing. */
void mx_fail_op(int cmd, int err, unsigned int skip);
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

/* From the shim: is @p a live page the guest allocated? */
bool shim_page_is_live(const void *p);

#endif /* XEN_EVENTS_MODEL_H */
