/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The 3-level test program's view of the hypervisor model.
 *
 * The hypervisor side of Documentation/xen/evtchn-3level-abi.rst lives in
 * model.c, next to Xen 4.17's 2-level and FIFO, and is what every program
 * of the harness runs against.  tests_3l.c was written against an API of
 * its own (m3_*); this header keeps that API as thin wrappers over the
 * mx_* one (model_3l.c), so the 3-level-only tests (registration phases,
 * fallback, query, carry-over of 2-level state) run on the same model as
 * the every-ABI tests, the fuzzer and the benchmark.
 */
#ifndef XEN_EVENTS_MODEL_3L_H
#define XEN_EVENTS_MODEL_3L_H

#include "model.h"

#define M3_W		MX_3L_W
#define M3_PORTS	MX_3L_PORTS
#define M3_2L_PORTS	MX_2L_PORTS
#define M3_PAGE_WORDS	MX_3L_PAGE_WORDS
#define M3_MAP_PAGES	MX_3L_MAP_PAGES
#define M3_SEL_BYTES	MX_3L_SEL_BYTES
#define M3_MAX_VCPUS	MX_MAX_VCPUS
#define M3_NR_VIRQS	MX_NR_VIRQS
#define M3_PEER_DOMID	MX_PEER_DOMID

enum m3_abi {
	M3_2L,
	M3_3L,
	M3_FIFO,
};

struct m3_config {
	unsigned int nr_vcpus;		/* 1 .. M3_MAX_VCPUS */
	unsigned int max_evtchn_port;	/* inclusive; 0: none (dom0) */
	bool domu;			/* not the hardware domain */
	bool stock;			/* Xen 4.17 as released: no 3-level */
	bool no_fifo;			/* init_control gives -ENOSYS */
	bool odd_geometry;		/* QUERY: a geometry we were not built for */
};

/* The counters are model.c's (calls, calls_3l, kicks, no_l2, ...). */
#define m3_stats	mx_stats

int m3_create(const struct m3_config *cfg);
void m3_destroy(void);
/* Resumed as a new domain: no ports, 2-level; @stock: no 3-level there. */
void m3_new_domain(bool stock);

struct shared_info *m3_shared_info(void);
struct vcpu_info *m3_vcpu_info(unsigned int vcpu);
enum m3_abi m3_abi(void);
unsigned int m3_port_limit(void);

int m3_raise(evtchn_port_t port);
int m3_peer_connect(evtchn_port_t local);

xen_ulong_t *m3_sel2(unsigned int vcpu);
bool m3_l3_pending(evtchn_port_t port);
bool m3_l3_masked(evtchn_port_t port);
/* Guest pages Xen maps: the L3 bitmap pages plus one per registered L2. */
unsigned int m3_mapped_pages(void);
bool m3_mapped_pages_live(void);
unsigned long m3_unmask_calls(evtchn_port_t port);
unsigned int m3_ports_in_use(void);

/* The (skip+1)-th next @cmd (EVTCHNOP_3level: sub-command @sub) fails. */
void m3_fail_op(int cmd, int sub, int err, unsigned int skip);

unsigned int m3_kick_seq(unsigned int vcpu);
void m3_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec);
void m3_kick(unsigned int vcpu);

#endif /* XEN_EVENTS_MODEL_3L_H */
