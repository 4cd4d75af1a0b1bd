/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen event channels: what the two bitmap ABIs, 2-level (events_2l.c) and
 * 3-level (events_3l.c), do the same way.
 *
 * Both keep each port's pending and mask bits in bitmaps of xen_ulong_t
 * words shared with Xen.  Xen keeps the port -> vCPU binding to itself, so
 * both also keep, for every CPU, a bitmap of the ports the core routed to
 * it, laid out like the pending bitmap: a port is only handled by the CPU
 * it is routed to, and a closed port's bit is cleared everywhere before
 * its number can be routed again.
 *
 * Everything is static inline: the upcall helpers are on the hot path,
 * and a helper that takes a function gets one of the caller's own static
 * functions, which the compiler calls directly (no indirect call).  Only
 * the bitmap backends include this header; the host harness compiles it
 * with them, unmodified.
 */
#ifndef __XEN_EVENTS_BITMAP_H
#define __XEN_EVENTS_BITMAP_H

#include "events_kernel.h"
#include "events_internal.h"

/* Ports per xen_ulong_t word of a bitmap. */
#define EVTCHN_BITMAP_WORD_PORTS	(sizeof(xen_ulong_t) * BITS_PER_BYTE)

/* Hex digits of one word, for debug dumps. */
#define EVTCHN_BITMAP_WORD_DIGITS	((int)(2 * sizeof(xen_ulong_t)))

/**
 * evtchn_bits() - a bitmap of xen_ulong_t words, for the bitops
 * @words: the bitmap.
 *
 * The bitops work on arrays of unsigned long.  An array of xen_ulong_t has
 * the same bit numbering on the little-endian machines Xen runs guests on,
 * even where xen_ulong_t is the wider type (32-bit Arm).
 *
 * Return: @words, as the bitops take it.
 */
static inline unsigned long *evtchn_bits(xen_ulong_t *words)
{
	return (unsigned long *)words;
}

/**
 * evtchn_bitmap_port_ok() - check a port the core handed to a backend
 * @port:     the port.
 * @nr_ports: bits in each of the backend's bitmaps.
 * @abi:      the ABI's name, for the warning.
 *
 * Warns once per backend about a port that does not fit.
 *
 * Return: true if @port fits the bitmaps.
 */
static inline bool evtchn_bitmap_port_ok(evtchn_port_t port,
					 unsigned int nr_ports,
					 const char *abi)
{
	return !WARN_ONCE(port >= nr_ports,
			  "xen:events: %s port %u out of range\n", abi, port);
}

/**
 * evtchn_bitmap_ready() - the ports of one word a CPU must handle now
 * @pending: the word of the pending bitmap (Xen writes it at any time).
 * @mask:    the same word of the mask bitmap.
 * @routed:  the same word of the CPU's routing bitmap.
 *
 * Return: the ports that are pending, not masked and routed to the CPU.
 */
static __always_inline xen_ulong_t
evtchn_bitmap_ready(const xen_ulong_t *pending, const xen_ulong_t *mask,
		    const xen_ulong_t *routed)
{
	return READ_ONCE(*pending) & ~READ_ONCE(*mask) & READ_ONCE(*routed);
}

/* ---- Routing ports to CPUs ------------------------------------------- */

/**
 * evtchn_bitmap_unroute_except() - route a port away from all CPUs but one
 * @port:   the port.
 * @keep:   the CPU that keeps its bit; nr_cpu_ids for none.
 * @routed: gives a CPU's routing bitmap, or NULL if it has none.
 *
 * Clears @port from the routing bitmap of every possible CPU but @keep.
 */
static __always_inline void
evtchn_bitmap_unroute_except(evtchn_port_t port, unsigned int keep,
			     xen_ulong_t *(*routed)(unsigned int cpu))
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		xen_ulong_t *map = routed(cpu);

		if (cpu != keep && map &&
		    test_bit(port, evtchn_bits(map)))
			clear_bit(port, evtchn_bits(map));
	}
}

/**
 * evtchn_bitmap_routed_cpu() - the CPU a port is routed to (debug dumps)
 * @port:   the port.
 * @routed: gives a CPU's routing bitmap, or NULL if it has none.
 *
 * Return: the first CPU whose routing bitmap has @port, or -1 if none.
 */
static __always_inline int
evtchn_bitmap_routed_cpu(evtchn_port_t port,
			 xen_ulong_t *(*routed)(unsigned int cpu))
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		xen_ulong_t *map = routed(cpu);

		if (map && test_bit(port, evtchn_bits(map)))
			return cpu;
	}
	return -1;
}

/* ---- The upcall ------------------------------------------------------ */

/**
 * evtchn_bitmap_serve() - deliver the ready ports of one word
 * @next_port: the CPU's round-robin cursor.
 * @nr_ports:  ports the cursor wraps around at.
 * @word:      the word's number in the bitmaps.
 * @ports:     the ports of @word to deliver (evtchn_bitmap_ready()).
 * @ctrl:      the upcall's loop state.
 *
 * Delivers the ports lowest first.  The cursor moves past each port before
 * the port is handled, so that whatever happens in the handler the next
 * scan goes on after it.
 *
 * Context: the upcall (handle_events), interrupts disabled.
 */
static __always_inline void
evtchn_bitmap_serve(unsigned int *next_port, unsigned int nr_ports,
		    unsigned int word, xen_ulong_t ports,
		    struct evtchn_loop_ctrl *ctrl)
{
	unsigned int bit;

	for_each_set_bit(bit, evtchn_bits(&ports),
			 EVTCHN_BITMAP_WORD_PORTS) {
		evtchn_port_t port = word * EVTCHN_BITMAP_WORD_PORTS + bit;

		*next_port = (port + 1) % nr_ports;
		evtchn_handle_port(port, ctrl);
	}
}

/**
 * evtchn_bitmap_timer_first() - deliver this CPU's timer ahead of a scan
 * @cpu:      the CPU the upcall runs on.
 * @nr_ports: ports the ABI can address.
 * @ready:    gives the ports of a word that @cpu must handle now
 *            (evtchn_bitmap_ready()), called with @arg.
 * @arg:      passed to @ready: the backend's state of @cpu.
 * @ctrl:     the upcall's loop state.
 *
 * The timer must not wait behind thousands of busy ports, so each pass of
 * the upcall starts with it, before the pass takes the selector.
 *
 * Context: the upcall (handle_events), interrupts disabled.
 */
static __always_inline void
evtchn_bitmap_timer_first(unsigned int cpu, unsigned int nr_ports,
			  xen_ulong_t (*ready)(const void *arg,
					       unsigned int word),
			  const void *arg, struct evtchn_loop_ctrl *ctrl)
{
	evtchn_port_t tick = evtchn_percpu_virq_port(cpu, VIRQ_TIMER);
	xen_ulong_t bit;

	if (!tick || tick >= nr_ports)
		return;
	bit = (xen_ulong_t)1 << (tick % EVTCHN_BITMAP_WORD_PORTS);
	if (ready(arg, tick / EVTCHN_BITMAP_WORD_PORTS) & bit)
		evtchn_handle_port(tick, ctrl);
}

/* ---- VIRQ_DEBUG ------------------------------------------------------ */

/**
 * evtchn_bitmap_dump_vcpu() - print a CPU's upcall state
 * @cpu:       the CPU.
 * @sel:       what the ABI calls vcpu_info's selector ("selector", "L1").
 * @next_port: the CPU's round-robin cursor.
 * @note:      appended to the line; "" for nothing.
 *
 * Return: false, with nothing printed, if @cpu has no vcpu_info.
 */
static inline bool evtchn_bitmap_dump_vcpu(unsigned int cpu, const char *sel,
					   unsigned int next_port,
					   const char *note)
{
	struct vcpu_info *vcpu = evtchn_vcpu_info(cpu);

	if (!vcpu)
		return false;
	pr_info("  cpu %u: upcall pending %u mask %u %s %0*llx next port %u%s\n",
		cpu, READ_ONCE(vcpu->evtchn_upcall_pending),
		READ_ONCE(vcpu->evtchn_upcall_mask), sel,
		EVTCHN_BITMAP_WORD_DIGITS,
		(unsigned long long)READ_ONCE(vcpu->evtchn_pending_sel),
		next_port, note);
	return true;
}

#endif /* __XEN_EVENTS_BITMAP_H */
