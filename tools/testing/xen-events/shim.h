/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The harness's handle on the shim runtime (shim.c): the counters and
 * switches behind include/custom.h.
 */
#ifndef XEN_EVENTS_SHIM_H
#define XEN_EVENTS_SHIM_H

#include "events_kernel.h"
/* The contract and the core's side of it, as the kernel has them. */
#include "../../../drivers/xen/events/events_ops.h"

/*
 * printk/WARN accounting.  A "warning" is a WARN*() hit or a message at
 * KERN_WARNING or more severe.
 */
unsigned int shim_nr_warnings(void);
unsigned int shim_nr_messages(int level);
unsigned int shim_nr_warn_hits(void);
unsigned int shim_nr_suppressed(void);
bool shim_log_contains(const char *needle);
void shim_log_dump(FILE *f);
void shim_log_reset(void);
void shim_set_echo(bool on);

/* Allocation accounting and fault injection. */
long shim_pages_live(void);
long shim_kmallocs_live(void);
unsigned long shim_pages_allocated(void);
/* Make the (skip+1)-th next page (or kmalloc) allocation fail. */
void shim_fail_page_alloc(unsigned int skip);
void shim_fail_kmalloc(unsigned int skip);
/* The kmalloc failure asked for has not happened yet (and is disarmed). */
bool shim_fail_kmalloc_unused(void);

/*
 * The trace of barriers, bit operations and hypercalls (include/base.h):
 * entries in the order they happened, from every thread.  Starting it
 * empties it; it holds SHIM_TRACE_MAX entries and counts the ones it had
 * to drop.
 */
#define SHIM_TRACE_MAX	4096

struct shim_trace_entry {
	enum shim_trace_kind kind;
	const char *what;		/* the macro or function, or the hypercall */
	const void *addr;		/* the long a bit operation acted on */
	unsigned long mask;		/* its bit, or the hypercall's command */
	evtchn_port_t port;		/* the port of a port hypercall, or 0 */
	int cpu;			/* the CPU that did it */
};

void shim_trace_start(void);
void shim_trace_stop(void);
unsigned int shim_trace_len(void);
unsigned int shim_trace_dropped(void);
const struct shim_trace_entry *shim_trace_entry(unsigned int i);
/* Print the trace (e.g. after a failed check). */
void shim_trace_dump(FILE *f);

/* CPUs as the kernel sees them. */
void shim_cpus_init(unsigned int nr_cpus);
void shim_set_cpu_online(unsigned int cpu, bool online);

#endif /* XEN_EVENTS_SHIM_H */
