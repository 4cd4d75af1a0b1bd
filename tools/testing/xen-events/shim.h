/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The harness's handle on the shim runtime (shim.c): the counters and
 * switches behind include/custom.h.
 */
#ifndef XEN_EVENTS_SHIM_H
#define XEN_EVENTS_SHIM_H

#include "events_internal.h"

/* printk/WARN accounting.  A "warning" is a WARN*() hit or a message at
 * KERN_WARNING or more severe. */
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

/* CPUs as the kernel sees them. */
void shim_cpus_init(unsigned int nr_cpus);
void shim_set_cpu_online(unsigned int cpu, bool online);

#endif /* XEN_EVENTS_SHIM_H */
