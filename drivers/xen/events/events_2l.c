// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the 2-level ABI.
 *
 * Every port owns one bit in each of two bitmaps of the shared_info page:
 * evtchn_pending[] (set by Xen when the port fires) and evtchn_mask[] (set
 * by the guest to hold it back).  Ports are grouped in "words" of
 * BITS_PER_XEN_ULONG ports.  When an unmasked port of word W becomes
 * pending, Xen sets bit W of the evtchn_pending_sel selector in the
 * vcpu_info of the vCPU the port is bound to, then raises that vCPU's
 * upcall.  The upcall therefore only reads the words its selector names.
 *
 * Xen keeps the port -> vCPU binding to itself, so this file keeps, for
 * every CPU, a bitmap of the ports the core bound there (@routed below).
 * A word's pending bits are filtered through it: a port is only ever
 * handled by the one CPU it is routed to, and a bit left behind by an
 * earlier user of a port number is always cleared before the number is
 * routed again.
 *
 * Design and locking: Documentation/xen/events.rst.
 */

#undef pr_fmt
#define pr_fmt(fmt) "xen:events: " fmt

#include "events_kernel.h"
#include "events_internal.h"
#include "events_bitmap.h"

/* Ports per selector bit, and number of selector bits in use. */
#define L2_WORD_PORTS	EVTCHN_BITMAP_WORD_PORTS
#define L2_NR_WORDS	(EVTCHN_2L_NR_CHANNELS / L2_WORD_PORTS)

/**
 * struct l2_cpu_state - what the 2-level backend keeps per CPU
 * @routed:    Ports Xen delivers to this CPU, one bit each, laid out like
 *             shared_info's evtchn_pending[].  Set by bind_to_cpu,
 *             cleared by bind_to_cpu (old CPU), remove, percpu_deinit and
 *             resume; read locklessly by this CPU's upcall.
 * @next_port: Round-robin cursor: the scan of the next upcall starts at
 *             this port, the one after the last port served.  Only the
 *             owning CPU's upcall touches it while the CPU is up.
 */
struct l2_cpu_state {
	xen_ulong_t routed[L2_NR_WORDS];
	unsigned int next_port;
};

static DEFINE_PER_CPU(struct l2_cpu_state, l2_pcpu);

static struct l2_cpu_state *l2_state(unsigned int cpu)
{
	return &per_cpu(l2_pcpu, cpu);
}

/* @cpu's routing bitmap (evtchn_bitmap_unroute_except() and friends). */
static xen_ulong_t *l2_routed(unsigned int cpu)
{
	return l2_state(cpu)->routed;
}

static unsigned long *l2_pending_bits(void)
{
	return evtchn_bits(evtchn_shared_info()->evtchn_pending);
}

static unsigned long *l2_mask_bits(void)
{
	return evtchn_bits(evtchn_shared_info()->evtchn_mask);
}

/* Every port the core hands us must fit the shared_info bitmaps. */
static bool l2_port_ok(evtchn_port_t port)
{
	return evtchn_bitmap_port_ok(port, EVTCHN_2L_NR_CHANNELS, "2-level");
}

/*
 * Ports of selector word @word that @state's CPU must handle now: pending,
 * not masked, and routed to that CPU.
 */
static xen_ulong_t l2_ready_in_word(struct shared_info *s,
				    const struct l2_cpu_state *state,
				    unsigned int word)
{
	return evtchn_bitmap_ready(&s->evtchn_pending[word],
				   &s->evtchn_mask[word], &state->routed[word]);
}

static unsigned int l2_max_channels(void)
{
	return EVTCHN_2L_NR_CHANNELS;
}

/* ---- Routing ports to CPUs ------------------------------------------- */

/* Clear @port from the routing bitmap of every CPU except @keep. */
static void l2_unroute_except(evtchn_port_t port, unsigned int keep)
{
	evtchn_bitmap_unroute_except(port, keep, l2_routed);
}

static void l2_bind_to_cpu(evtchn_port_t port, unsigned int cpu,
			   unsigned int old_cpu)
{
	if (!l2_port_ok(port))
		return;

	/*
	 * Route to the new CPU before forgetting the old one: a port that is
	 * briefly routed twice can at worst be seen by both CPUs (the core
	 * lets only one of them handle it), while a port routed nowhere
	 * would lose an event that Xen already signalled.
	 */
	set_bit(port, evtchn_bits(l2_routed(cpu)));

	if (old_cpu != cpu && old_cpu < nr_cpu_ids)
		clear_bit(port, evtchn_bits(l2_routed(old_cpu)));
	else
		/* A fresh port: drop whatever an earlier user left. */
		l2_unroute_except(port, cpu);
}

static void l2_remove(evtchn_port_t port, unsigned int cpu)
{
	if (!l2_port_ok(port))
		return;

	/*
	 * Xen hands out the lowest free port number, so this one comes back
	 * soon.  Clear it everywhere rather than trusting @cpu alone: a
	 * stale bit would steal the next user's events for a CPU that has
	 * no handler for them.
	 */
	clear_bit(port, evtchn_bits(l2_routed(cpu)));
	l2_unroute_except(port, nr_cpu_ids);
}

static void l2_forget_cpu(unsigned int cpu)
{
	memset(l2_state(cpu), 0, sizeof(struct l2_cpu_state));
}

static int l2_percpu_deinit(unsigned int cpu)
{
	l2_forget_cpu(cpu);
	return 0;
}

static int l2_resume(void)
{
	unsigned int cpu;

	/* The new domain has no bindings yet; the core re-routes each one. */
	for_each_possible_cpu(cpu)
		l2_forget_cpu(cpu);
	return EVTCHN_RESUMED;
}

/* ---- Pending and mask bits ------------------------------------------- */

static void l2_set_pending(evtchn_port_t port)
{
	if (l2_port_ok(port))
		sync_set_bit(port, l2_pending_bits());
}

static void l2_clear_pending(evtchn_port_t port)
{
	if (l2_port_ok(port))
		sync_clear_bit(port, l2_pending_bits());
}

static bool l2_is_pending(evtchn_port_t port)
{
	return l2_port_ok(port) && sync_test_bit(port, l2_pending_bits());
}

static void l2_mask(evtchn_port_t port)
{
	if (l2_port_ok(port))
		sync_set_bit(port, l2_mask_bits());
}

static bool l2_is_masked(evtchn_port_t port)
{
	/* A port we cannot address can never fire: call it masked. */
	return !l2_port_ok(port) || sync_test_bit(port, l2_mask_bits());
}

/*
 * Unmask @port, which is routed to @cpu, the CPU we run on, without a
 * hypercall where possible.  Returns true if EVTCHNOP_unmask must finish
 * the job, with the mask bit set again so that Xen sees an unmask.
 */
static bool l2_unmask_here(evtchn_port_t port, unsigned int cpu)
{
	struct vcpu_info *vcpu = evtchn_vcpu_info(cpu);
	unsigned int word = port / L2_WORD_PORTS;

	/*
	 * A value-returning sync RMW is fully ordered, also on UP kernels:
	 * the mask bit is clear before the pending bit is read below.  Xen's
	 * set_pending does the mirror image (a locked test-and-set of the
	 * pending bit, then a read of the mask bit), so either Xen saw the
	 * port unmasked and raised it itself, or we see it pending here.
	 * The old mask value does not matter: a pending port is raised
	 * either way, so no edge is lost.
	 */
	sync_test_and_clear_bit(port, l2_mask_bits());
	if (!sync_test_bit(port, l2_pending_bits()))
		return false;

	if (!xen_pv_domain()) {
		/*
		 * HVM and PVH: only Xen can inject the upcall vector, and
		 * EVTCHNOP_unmask raises the port only if it finds it masked.
		 */
		sync_set_bit(port, l2_mask_bits());
		return true;
	}

	/*
	 * PV: raise it the way Xen would.  The upcall runs as soon as this
	 * CPU enables interrupts again (the core calls us with them off).
	 * If the selector bit was already set an upcall is already due and
	 * will scan this word.
	 */
	if (!sync_test_and_set_bit(word,
				   evtchn_bits(&vcpu->evtchn_pending_sel)))
		WRITE_ONCE(vcpu->evtchn_upcall_pending, 1);
	return false;
}

static void l2_unmask(evtchn_port_t port)
{
	unsigned int cpu;

	if (!l2_port_ok(port))
		return;

	/*
	 * Whatever the caller stored before unmasking (its per-IRQ state,
	 * the data the event announces) must be visible before the port
	 * can fire.  Pairs with the fully ordered xchg of the selector in
	 * l2_handle_events() on the CPU that takes the resulting upcall,
	 * which it executes before reading the mask bit and running the
	 * handler.
	 */
	smp_wmb();

	/*
	 * The local path needs a stable CPU.  Interrupts are off by
	 * contract; if not, let Xen do it, which is right from anywhere.
	 */
	if (WARN_ON_ONCE(!irqs_disabled()))
		goto let_xen_unmask;

	cpu = smp_processor_id();
	if (test_bit(port, evtchn_bits(l2_routed(cpu))) &&
	    !l2_unmask_here(port, cpu))
		return;

let_xen_unmask:
	/* Xen clears the mask and, if the port is pending, raises it. */
	evtchn_xen_unmask(port);
}

/* ---- The upcall ------------------------------------------------------ */

/* Deliver the ports of selector word @word that are set in @ports. */
static void l2_serve_word(struct l2_cpu_state *state, unsigned int word,
			  xen_ulong_t ports, struct evtchn_loop_ctrl *ctrl)
{
	evtchn_bitmap_serve(&state->next_port, EVTCHN_2L_NR_CHANNELS, word,
			    ports, ctrl);
}

/*
 * Serve every ready port of the words named in @sel once, in port order,
 * starting at the round-robin cursor and wrapping around.  The cursor's
 * word is visited twice: first from the cursor up, last below it.  Ports
 * that fire again meanwhile set a selector bit again, so the caller comes
 * back for them; a busy low port cannot starve the ports above it.
 */
static void l2_scan(struct shared_info *s, struct l2_cpu_state *state,
		    xen_ulong_t sel, struct evtchn_loop_ctrl *ctrl)
{
	unsigned int start = state->next_port % EVTCHN_2L_NR_CHANNELS;
	unsigned int first = start / L2_WORD_PORTS;
	xen_ulong_t below = ((xen_ulong_t)1 << (start % L2_WORD_PORTS)) - 1;
	unsigned long *words = evtchn_bits(&sel);
	unsigned int word;

	/* From the cursor to the last port. */
	for (word = find_next_bit(words, L2_NR_WORDS, first);
	     word < L2_NR_WORDS;
	     word = find_next_bit(words, L2_NR_WORDS, word + 1)) {
		xen_ulong_t ports = l2_ready_in_word(s, state, word);

		if (word == first)
			ports &= ~below;
		l2_serve_word(state, word, ports, ctrl);
	}

	/* Then from port 0 up to the cursor. */
	for (word = find_next_bit(words, first + 1, 0);
	     word <= first;
	     word = find_next_bit(words, first + 1, word + 1)) {
		xen_ulong_t ports = l2_ready_in_word(s, state, word);

		if (word == first)
			ports &= below;
		l2_serve_word(state, word, ports, ctrl);
	}
}

/* l2_ready_in_word() for evtchn_bitmap_timer_first(); @arg: the state. */
static xen_ulong_t l2_timer_ready(const void *arg, unsigned int word)
{
	return l2_ready_in_word(evtchn_shared_info(), arg, word);
}

static void l2_handle_events(unsigned int cpu, struct evtchn_loop_ctrl *ctrl)
{
	struct shared_info *s = evtchn_shared_info();
	struct vcpu_info *vcpu = evtchn_vcpu_info(cpu);
	struct l2_cpu_state *state = l2_state(cpu);
	xen_ulong_t sel;

	/*
	 * Take the selector.  The xchg is fully ordered and pairs with Xen's
	 * set_pending, which sets a port's pending bit before the selector
	 * bit of its word: the pending bits of every word we take are
	 * visible to l2_scan().  Ports that fire from now on set the
	 * selector again and raise a new upcall, so nothing raised after
	 * this point is missed.
	 *
	 * The timer is served ahead of every scan.  The pass that finds the
	 * selector empty scans nothing, so it skips the timer too: a timer
	 * event raised since the last look set the selector, and so is not
	 * an empty pass.
	 */
	evtchn_bitmap_timer_first(cpu, EVTCHN_2L_NR_CHANNELS, l2_timer_ready,
				  state, ctrl);
	sel = xchg_xen_ulong(&vcpu->evtchn_pending_sel, 0);
	while (sel) {
		l2_scan(s, state, sel, ctrl);
		sel = xchg_xen_ulong(&vcpu->evtchn_pending_sel, 0);
		if (sel)
			evtchn_bitmap_timer_first(cpu, EVTCHN_2L_NR_CHANNELS,
						  l2_timer_ready, state, ctrl);
	}
}

/* ---- VIRQ_DEBUG ------------------------------------------------------ */

static void l2_debug_dump(void)
{
	struct shared_info *s = evtchn_shared_info();
	unsigned int cpu, word;
	unsigned long port;

	pr_info("2-level ABI, dumped on CPU %u\n", smp_processor_id());

	for_each_online_cpu(cpu)
		evtchn_bitmap_dump_vcpu(cpu, "selector", l2_state(cpu)->next_port,
					"");

	for (word = 0; word < L2_NR_WORDS; word++) {
		xen_ulong_t pending = READ_ONCE(s->evtchn_pending[word]);

		if (!pending)
			continue;
		pr_info("  word %2u: pending %0*llx mask %0*llx\n", word,
			EVTCHN_BITMAP_WORD_DIGITS, (unsigned long long)pending,
			EVTCHN_BITMAP_WORD_DIGITS,
			(unsigned long long)READ_ONCE(s->evtchn_mask[word]));
	}

	for_each_set_bit(port, l2_pending_bits(), EVTCHN_2L_NR_CHANNELS) {
		int target = evtchn_bitmap_routed_cpu(port, l2_routed);
		struct vcpu_info *vcpu = target < 0 ? NULL :
					 evtchn_vcpu_info(target);
		bool selected = vcpu &&
			test_bit(port / L2_WORD_PORTS,
				 evtchn_bits(&vcpu->evtchn_pending_sel));

		pr_info("  port %lu: cpu %d%s%s\n", port, target,
			sync_test_bit(port, l2_mask_bits()) ? " masked" : "",
			selected ? "" : " not-selected");
	}
}

static const struct evtchn_ops evtchn_2l_ops = {
	.max_channels	= l2_max_channels,
	.nr_channels	= l2_max_channels,
	.percpu_deinit	= l2_percpu_deinit,
	.resume		= l2_resume,
	.bind_to_cpu	= l2_bind_to_cpu,
	.remove		= l2_remove,
	.set_pending	= l2_set_pending,
	.is_pending	= l2_is_pending,
	.clear_pending	= l2_clear_pending,
	.is_masked	= l2_is_masked,
	.mask		= l2_mask,
	.unmask		= l2_unmask,
	.handle_events	= l2_handle_events,
	.debug_dump	= l2_debug_dump,
};

/**
 * evtchn_2l_probe() - select the 2-level event channel ABI
 * @ops: set to the 2-level operations
 *
 * Every Xen offers the 2-level ABI and a domain starts on it, so there is
 * nothing to ask the hypervisor.
 *
 * Context: any of the probes' (events_internal.h), also the fallback on
 * resume under stop_machine(): does not sleep.
 * Return: 0.
 */
int evtchn_2l_probe(const struct evtchn_ops **ops)
{
	*ops = &evtchn_2l_ops;
	return 0;
}
