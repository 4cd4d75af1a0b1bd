// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen event channels: the 3-level ABI.
 *
 * Documentation/xen/evtchn-3level-abi.rst is the specification.  In short,
 * with W the bits of a xen_ulong_t:
 *
 *   L3  two bitmaps of W * W * W bits in pages we give Xen: pending, mask;
 *   L2  per vCPU, W words in a page we give Xen: bit w says that L3 word w
 *       may hold a pending, unmasked port of that vCPU;
 *   L1  per vCPU, vcpu_info.evtchn_pending_sel: bit i says that L2 word i
 *       may have bits set.
 *
 * Xen raises a port by setting its L3 pending bit, then (unmasked ports
 * only) its L2 bit, then its L1 bit, each step only if the previous one
 * changed something, and finally the upcall.  The upcall takes L1 and
 * each L2 word it names with an atomic exchange, so it only ever reads L3
 * words that something was raised in: the cost of an event does not
 * depend on how many ports are bound.
 *
 * Xen keeps the port -> vCPU binding to itself, so, as for 2-level, every
 * CPU has a bitmap of the ports routed to it (@routed below), and an L3
 * word is filtered through it: a port is handled by the one CPU it is
 * routed to, and the bits of a closed port are cleared everywhere before
 * its number can be routed again.
 *
 * Nothing here takes a lock.  Routing bits are changed with atomic bit
 * operations from process context; everything else that is per CPU is
 * only touched by that CPU's upcall, or while the CPU is down.
 *
 * Design and locking: Documentation/xen/events.rst.
 */

#undef pr_fmt
#define pr_fmt(fmt) "xen:events: " fmt

#include "events_kernel.h"
#include "events_internal.h"
#include "events_bitmap.h"

/* W: ports per L3 word, L3 words per L2 word, L2 words per vCPU. */
#define L3_W		EVTCHN_BITMAP_WORD_PORTS
#define L3_NR_PORTS	((unsigned int)EVTCHN_3L_NR_CHANNELS)
#define L3_NR_WORDS	(L3_NR_PORTS / L3_W)
#define L3_MAP_BYTES	(L3_NR_WORDS * sizeof(xen_ulong_t))

/* An L3 bitmap as Xen maps it, and as we allocate it (kernel pages). */
#define L3_XEN_PAGES	(L3_MAP_BYTES / XEN_PAGE_SIZE)
#define L3_PAGE_WORDS	(PAGE_SIZE / sizeof(xen_ulong_t))
#define L3_MAP_PAGES	DIV_ROUND_UP(L3_MAP_BYTES, PAGE_SIZE)

/* One vCPU's L2 selector, and how many share a kernel page. */
#define L3_SEL_BYTES	(L3_W * sizeof(xen_ulong_t))
#define L3_SELS_PER_PAGE (PAGE_SIZE / L3_SEL_BYTES)

/* Pending ports shown by a dump. */
#define L3_DUMP_PORTS	128

/**
 * struct l3_map - one L3 bitmap (pending or mask)
 * @page: the kernel pages holding it, lowest ports first.  Xen maps them
 *        XEN_PAGE_SIZE by XEN_PAGE_SIZE (EVTCHN_3L_REGISTER_BITMAPS).
 */
struct l3_map {
	xen_ulong_t *page[L3_MAP_PAGES];
};

/**
 * struct l3_cpu_state - what the 3-level backend keeps per CPU
 * @routed:     Ports Xen delivers to this CPU, one bit each, laid out like
 *              the L3 bitmaps (L3_NR_WORDS words, allocated at probe).
 *              Set by bind_to_cpu, cleared by bind_to_cpu (old CPU),
 *              remove, percpu_deinit and resume; read locklessly by this
 *              CPU's upcall.
 * @sel2:       This CPU's L2 selector (L3_W words in one of @l3_sel_pages),
 *              shared with Xen once @registered.
 * @next_port:  Round-robin cursor: the next upcall starts at this port,
 *              the one after the last port served.  Only this CPU's upcall
 *              touches it while the CPU is up.
 * @registered: Xen knows @sel2 (EVTCHN_3L_REGISTER_L2 succeeded in this
 *              domain).
 * @known:      @registered was true once, so this CPU's vCPU number is
 *              known (l3_vcpu_known()), also after a resume.
 */
struct l3_cpu_state {
	xen_ulong_t *routed;
	xen_ulong_t *sel2;
	unsigned int next_port;
	bool registered;
	bool known;
};

static DEFINE_PER_CPU(struct l3_cpu_state, l3_pcpu);

static struct l3_map l3_pending, l3_mask;

/* The pages holding every possible CPU's L2, L3_SELS_PER_PAGE per page. */
static xen_ulong_t **l3_sel_pages;
static unsigned int l3_nr_sel_pages;

/*
 * Xen still maps our pages although we gave up on 3-level (the reset
 * failed): they must never be freed.
 */
static bool l3_pinned;

/* Registered with Xen: set by a successful switch, cleared when lost. */
static bool l3_in_use;

static struct l3_cpu_state *l3_state(unsigned int cpu)
{
	return &per_cpu(l3_pcpu, cpu);
}

/* @cpu's routing bitmap, NULL before l3_alloc() (evtchn_bitmap_*()). */
static xen_ulong_t *l3_routed(unsigned int cpu)
{
	return l3_state(cpu)->routed;
}

/* Word @word of an L3 bitmap. */
static xen_ulong_t *l3_word(struct l3_map *map, unsigned int word)
{
	return &map->page[word / L3_PAGE_WORDS][word % L3_PAGE_WORDS];
}

/* The word of an L3 bitmap holding @port's bit (number port % L3_W). */
static unsigned long *l3_port_word(struct l3_map *map, evtchn_port_t port)
{
	return evtchn_bits(l3_word(map, port / L3_W));
}

/* Bits 0 .. @n - 1 of a word; every bit for @n >= L3_W. */
static xen_ulong_t l3_below(unsigned int n)
{
	return n >= L3_W ? ~(xen_ulong_t)0 : ((xen_ulong_t)1 << n) - 1;
}

/* Every port the core hands us must fit the L3 bitmaps. */
static bool l3_port_ok(evtchn_port_t port)
{
	return evtchn_bitmap_port_ok(port, L3_NR_PORTS, "3-level");
}

/*
 * Ports of L3 word @word that @state's CPU must handle now: pending, not
 * masked, and routed to that CPU.
 */
static xen_ulong_t l3_ready(const struct l3_cpu_state *state,
			    unsigned int word)
{
	return evtchn_bitmap_ready(l3_word(&l3_pending, word),
				   l3_word(&l3_mask, word),
				   &state->routed[word]);
}

static int l3_hypercall(struct evtchn_3level *op)
{
	return HYPERVISOR_event_channel_op(EVTCHNOP_3level, op);
}

static unsigned int l3_max_channels(void)
{
	return L3_NR_PORTS;
}

static unsigned int l3_nr_channels(void)
{
	return L3_NR_PORTS;
}

/* ---- Routing ports to CPUs ------------------------------------------- */

static void l3_route(evtchn_port_t port, unsigned int cpu)
{
	xen_ulong_t *routed = l3_state(cpu)->routed;

	if (routed)
		set_bit(port, evtchn_bits(routed));
}

/* Clear @port from the routing bitmap of every CPU except @keep. */
static void l3_unroute_except(evtchn_port_t port, unsigned int keep)
{
	evtchn_bitmap_unroute_except(port, keep, l3_routed);
}

static void l3_bind_to_cpu(evtchn_port_t port, unsigned int cpu,
			   unsigned int old_cpu)
{
	if (!l3_port_ok(port) || WARN_ON_ONCE(cpu >= nr_cpu_ids))
		return;

	/*
	 * The new CPU first: a port briefly routed to two CPUs is at worst
	 * seen by both (the core lets one of them handle it), a port routed
	 * nowhere would lose what Xen already signalled.
	 */
	l3_route(port, cpu);
	/*
	 * Then every other CPU: the old one, and for a fresh port whatever
	 * an earlier user of the number may have left behind.
	 */
	l3_unroute_except(port, cpu);
	if (old_cpu == cpu)
		return;

	/*
	 * An event raised before the move may have been selected in the old
	 * vCPU's L1/L2, whose upcall skips the port from now on.  Have Xen
	 * select it on the new one.  A masked port is left alone: whoever
	 * unmasks it does the same (the core masks around every move).
	 */
	if (sync_test_bit(port % L3_W, l3_port_word(&l3_pending, port)) &&
	    !sync_test_bit(port % L3_W, l3_port_word(&l3_mask, port)))
		evtchn_xen_unmask(port);
}

static void l3_remove(evtchn_port_t port, unsigned int cpu)
{
	if (!l3_port_ok(port))
		return;

	/*
	 * Xen hands out the lowest free port number, so this one comes back
	 * soon: no CPU may keep it, whatever @cpu says.  EVTCHNOP_close does
	 * not touch the L3 bitmaps, so the next user must also find the port
	 * masked and not pending (the core masks it again before unmasking).
	 */
	l3_unroute_except(port, nr_cpu_ids);
	sync_set_bit(port % L3_W, l3_port_word(&l3_mask, port));
	sync_clear_bit(port % L3_W, l3_port_word(&l3_pending, port));
}

/* Forget everything @cpu knew about its ports (it is down, or gone). */
static void l3_forget_cpu(unsigned int cpu)
{
	struct l3_cpu_state *state = l3_state(cpu);

	if (state->routed)
		memset(state->routed, 0, L3_NR_WORDS * sizeof(xen_ulong_t));
	state->next_port = 0;
}

static int l3_percpu_deinit(unsigned int cpu)
{
	/*
	 * Every port that can move left the CPU before it died, and each
	 * move had Xen select a pending port on its new vCPU (bind_to_cpu,
	 * or the unmask that ends the move): nothing that lives on waits in
	 * this CPU's selectors.  What may still be routed here are the CPU's
	 * own VIRQs and IPIs, which the core closes.  No bit may outlive the
	 * CPU; its L2 stays registered with Xen for when it comes back.
	 */
	l3_forget_cpu(cpu);
	return 0;
}

/* ---- Pending and mask bits ------------------------------------------- */

static void l3_set_pending(evtchn_port_t port)
{
	if (l3_port_ok(port))
		sync_set_bit(port % L3_W, l3_port_word(&l3_pending, port));
}

static void l3_clear_pending(evtchn_port_t port)
{
	if (l3_port_ok(port))
		sync_clear_bit(port % L3_W, l3_port_word(&l3_pending, port));
}

static bool l3_is_pending(evtchn_port_t port)
{
	return l3_port_ok(port) &&
	       sync_test_bit(port % L3_W, l3_port_word(&l3_pending, port));
}

static void l3_mask_port(evtchn_port_t port)
{
	if (l3_port_ok(port))
		sync_set_bit(port % L3_W, l3_port_word(&l3_mask, port));
}

static bool l3_is_masked(evtchn_port_t port)
{
	/* A port we cannot address can never fire: call it masked. */
	return !l3_port_ok(port) ||
	       sync_test_bit(port % L3_W, l3_port_word(&l3_mask, port));
}

/*
 * Raise pending @port on @cpu, the CPU we run on, the way Xen would: its
 * L2 bit, then its L1 bit, then the upcall flag, each step only if the
 * previous one changed something (else an upcall is already due that
 * will get to the port).  PV only: the flag is checked when this CPU
 * enables interrupts again, so the upcall follows without a hypercall.
 */
static void l3_select_here(evtchn_port_t port, unsigned int cpu)
{
	struct vcpu_info *vcpu = evtchn_vcpu_info(cpu);

	if (sync_test_and_set_bit(port / L3_W,
				  evtchn_bits(l3_state(cpu)->sel2)))
		return;
	if (sync_test_and_set_bit(port / (L3_W * L3_W),
				  evtchn_bits(&vcpu->evtchn_pending_sel)))
		return;
	WRITE_ONCE(vcpu->evtchn_upcall_pending, 1);
}

static void l3_unmask(evtchn_port_t port)
{
	struct l3_cpu_state *state;
	unsigned int cpu;

	if (!l3_port_ok(port))
		return;

	/*
	 * Whatever the caller stored before unmasking (its per-IRQ state,
	 * the data the event announces) must be visible before the port can
	 * fire.  Pairs with the fully ordered xchg of the L1 and L2 selectors
	 * in l3_pass() on the CPU that takes the resulting upcall, which it
	 * executes before reading the mask bit and running the handler.
	 */
	smp_wmb();

	/*
	 * A value-returning sync RMW is fully ordered, also on UP kernels:
	 * the mask bit is clear before the pending bit is read below.  Xen's
	 * set_pending does the mirror image (a locked test-and-set of the
	 * pending bit, then a read of the mask bit), so either Xen saw the
	 * port unmasked and selected it itself, or we see it pending here.
	 */
	sync_test_and_clear_bit(port % L3_W, l3_port_word(&l3_mask, port));
	if (!sync_test_bit(port % L3_W, l3_port_word(&l3_pending, port)))
		return;

	/*
	 * Pending: it must be selected on the vCPU it is bound to.  We can
	 * do that ourselves only for this CPU, with a stable CPU (interrupts
	 * off, by contract), and only in a PV guest: in HVM and PVH only Xen
	 * can inject the upcall.  EVTCHNOP_unmask selects a pending port
	 * whatever its mask bit was (the 3-level ABI says so).
	 */
	if (xen_pv_domain() && !WARN_ON_ONCE(!irqs_disabled())) {
		cpu = smp_processor_id();
		state = l3_state(cpu);
		if (state->registered &&
		    test_bit(port, evtchn_bits(state->routed))) {
			l3_select_here(port, cpu);
			return;
		}
	}
	evtchn_xen_unmask(port);
}

/* ---- The upcall ------------------------------------------------------ */

/* Serve the ready ports of L3 word @word that are also in @keep. */
static void l3_serve_word(struct l3_cpu_state *state, unsigned int word,
			  xen_ulong_t keep, struct evtchn_loop_ctrl *ctrl)
{
	evtchn_bitmap_serve(&state->next_port, L3_NR_PORTS, word,
			    l3_ready(state, word) & keep, ctrl);
}

/*
 * Serve the L3 words that L2 word @i selects in @sel, lowest first.  Only
 * the ports in @keep of L3 word @cut (the cursor's word) are served.
 */
static void l3_serve_sel2(struct l3_cpu_state *state, unsigned int i,
			  xen_ulong_t sel, unsigned int cut, xen_ulong_t keep,
			  struct evtchn_loop_ctrl *ctrl)
{
	unsigned int bit;

	for_each_set_bit(bit, evtchn_bits(&sel), L3_W) {
		unsigned int word = i * L3_W + bit;

		l3_serve_word(state, word, word == cut ? keep : ~(xen_ulong_t)0,
			      ctrl);
	}
}

/*
 * One pass: take L1, and serve every ready port of the L3 words it leads
 * to once, in port order, from the round-robin cursor to the last port
 * and then from port 0 up to the cursor.  The L1 bit, L2 word and L3 word
 * holding the cursor are therefore split in two: their upper part first,
 * their lower part last.  Each L2 word is taken (exchanged with 0) once;
 * the cursor's L2 word is kept for the lower part.  A port that fires
 * again meanwhile is selected again by Xen and served by the next pass,
 * so a busy port cannot starve the ports after it at any of the three
 * levels.  Returns false if L1 was empty.
 */
static bool l3_pass(struct vcpu_info *vcpu, struct l3_cpu_state *state,
		    struct evtchn_loop_ctrl *ctrl)
{
	unsigned int start = state->next_port % L3_NR_PORTS;
	unsigned int cut = start / L3_W;		/* cursor's L3 word */
	unsigned int cut_i = cut / L3_W;		/* its L2 word */
	unsigned int cut_j = cut % L3_W;		/* its bit in there */
	xen_ulong_t upper = ~l3_below(start % L3_W);
	xen_ulong_t l1, sel, lower_sel = 0;
	unsigned int i;

	/*
	 * The xchg is fully ordered and pairs with Xen's set_pending, which
	 * sets a port's pending bit, then its L2 bit, then its L1 bit (each
	 * a locked RMW): the L2 bits behind every L1 bit we take are visible
	 * to the xchg of their word below, and the pending bits behind every
	 * L2 bit we take to l3_ready().  What fires from now on sets L1
	 * again and raises a new upcall, so nothing raised after this point
	 * is missed.
	 */
	l1 = xchg_xen_ulong(&vcpu->evtchn_pending_sel, 0);
	if (!l1)
		return false;

	/* From the cursor to the last port. */
	for (i = find_next_bit(evtchn_bits(&l1), L3_W, cut_i); i < L3_W;
	     i = find_next_bit(evtchn_bits(&l1), L3_W, i + 1)) {
		/* Atomic: Xen may be setting bits of this word right now. */
		sel = xchg_xen_ulong(&state->sel2[i], 0);
		if (i == cut_i) {
			/* The cursor's word is visited again at the end. */
			lower_sel = sel & l3_below(cut_j + !!(start % L3_W));
			sel &= ~l3_below(cut_j);
		}
		l3_serve_sel2(state, i, sel, cut, upper, ctrl);
	}

	/* Then from port 0 up to the cursor. */
	for (i = find_next_bit(evtchn_bits(&l1), cut_i + 1, 0); i <= cut_i;
	     i = find_next_bit(evtchn_bits(&l1), cut_i + 1, i + 1)) {
		sel = i == cut_i ? lower_sel :
				   xchg_xen_ulong(&state->sel2[i], 0);
		l3_serve_sel2(state, i, sel, cut, ~upper, ctrl);
	}
	return true;
}

/* l3_ready() for evtchn_bitmap_timer_first(); @arg: the state. */
static xen_ulong_t l3_timer_ready(const void *arg, unsigned int word)
{
	return l3_ready(arg, word);
}

static void l3_handle_events(unsigned int cpu, struct evtchn_loop_ctrl *ctrl)
{
	struct vcpu_info *vcpu = evtchn_vcpu_info(cpu);
	struct l3_cpu_state *state = l3_state(cpu);

	/*
	 * Without an L2 nothing can be selected for this vCPU: whatever L1
	 * holds is stale (the specification says to clear it).
	 */
	if (unlikely(!state->registered)) {
		xchg_xen_ulong(&vcpu->evtchn_pending_sel, 0);
		return;
	}

	do {
		evtchn_bitmap_timer_first(cpu, L3_NR_PORTS, l3_timer_ready,
					  state, ctrl);
	} while (l3_pass(vcpu, state, ctrl));
}

/* ---- Memory ------------------------------------------------------------ */

/* Fill the pages we give Xen as the ABI wants them before registration. */
static void l3_wipe(void)
{
	unsigned int i, cpu;

	for (i = 0; i < L3_MAP_PAGES; i++) {
		memset(l3_pending.page[i], 0, PAGE_SIZE);
		memset(l3_mask.page[i], 0xff, PAGE_SIZE);
	}
	for (i = 0; i < l3_nr_sel_pages; i++)
		memset(l3_sel_pages[i], 0, PAGE_SIZE);
	for_each_possible_cpu(cpu)
		l3_forget_cpu(cpu);
}

/* Free whatever l3_alloc() got.  Xen must not map any of it any more. */
static void l3_free(void)
{
	unsigned int i, cpu;

	for_each_possible_cpu(cpu) {
		struct l3_cpu_state *state = l3_state(cpu);

		kvfree(state->routed);
		memset(state, 0, sizeof(*state));
	}
	for (i = 0; l3_sel_pages && i < l3_nr_sel_pages; i++)
		free_page((unsigned long)l3_sel_pages[i]);
	kfree(l3_sel_pages);
	l3_sel_pages = NULL;
	l3_nr_sel_pages = 0;
	for (i = 0; i < L3_MAP_PAGES; i++) {
		free_page((unsigned long)l3_pending.page[i]);
		free_page((unsigned long)l3_mask.page[i]);
		l3_pending.page[i] = NULL;
		l3_mask.page[i] = NULL;
	}
}

static int l3_alloc(void)
{
	unsigned int i, cpu;

	for (i = 0; i < L3_MAP_PAGES; i++) {
		l3_pending.page[i] = (void *)__get_free_page(GFP_KERNEL);
		l3_mask.page[i] = (void *)__get_free_page(GFP_KERNEL);
		if (!l3_pending.page[i] || !l3_mask.page[i])
			goto nomem;
	}

	l3_nr_sel_pages = DIV_ROUND_UP(nr_cpu_ids, L3_SELS_PER_PAGE);
	l3_sel_pages = kcalloc(l3_nr_sel_pages, sizeof(*l3_sel_pages),
			       GFP_KERNEL);
	if (!l3_sel_pages)
		goto nomem;
	for (i = 0; i < l3_nr_sel_pages; i++) {
		l3_sel_pages[i] = (void *)__get_free_page(GFP_KERNEL);
		if (!l3_sel_pages[i])
			goto nomem;
	}

	for_each_possible_cpu(cpu) {
		struct l3_cpu_state *state = l3_state(cpu);

		state->routed = kvcalloc(L3_NR_WORDS, sizeof(xen_ulong_t),
					 GFP_KERNEL);
		if (!state->routed)
			goto nomem;
		state->sel2 = l3_sel_pages[cpu / L3_SELS_PER_PAGE] +
			      (cpu % L3_SELS_PER_PAGE) * L3_W;
	}

	l3_wipe();
	return 0;

nomem:
	l3_free();
	return -ENOMEM;
}

/* ---- Registration ------------------------------------------------------ */

/* The frame Xen maps as page @n of L3 bitmap @map. */
static u64 l3_map_gfn(struct l3_map *map, unsigned int n)
{
	unsigned long byte = (unsigned long)n * XEN_PAGE_SIZE;

	return evtchn_virt_to_gfn((char *)map->page[byte / PAGE_SIZE] +
				  byte % PAGE_SIZE);
}

/* Does Xen agree with the geometry this kernel was built for? */
static int l3_query(void)
{
	struct evtchn_3level op = { .cmd = EVTCHN_3L_QUERY };
	struct evtchn_3level_query *q = &op.u.query;
	int err;

	err = l3_hypercall(&op);
	if (err)
		return err;
	if (q->nr_channels != L3_NR_PORTS || q->bitmap_pages != L3_XEN_PAGES ||
	    q->l2_bytes != L3_SEL_BYTES) {
		pr_warn("3-level ABI: Xen offers %u ports, %u pages per bitmap, %u-byte L2; this kernel needs %u, %u, %zu\n",
			q->nr_channels, q->bitmap_pages, q->l2_bytes,
			L3_NR_PORTS, (unsigned int)L3_XEN_PAGES, L3_SEL_BYTES);
		return -EINVAL;
	}
	return 0;
}

/* Phase 1: hand Xen the L3 bitmaps; the domain is on 3-level after it. */
static int l3_register_bitmaps(void)
{
	struct evtchn_3level op = { .cmd = EVTCHN_3L_REGISTER_BITMAPS };
	struct evtchn_3level_bitmaps *bm = &op.u.bitmaps;
	unsigned int n;

	bm->nr_pages = L3_XEN_PAGES;
	for (n = 0; n < L3_XEN_PAGES; n++) {
		bm->pending_gfn[n] = l3_map_gfn(&l3_pending, n);
		bm->mask_gfn[n] = l3_map_gfn(&l3_mask, n);
	}
	return l3_hypercall(&op);
}

/* Phase 2 for @cpu: hand Xen its L2, zeroed.  Once per domain. */
static int l3_register_sel2(unsigned int cpu)
{
	struct l3_cpu_state *state = l3_state(cpu);
	struct evtchn_3level op = {
		.cmd = EVTCHN_3L_REGISTER_L2,
		.vcpu = evtchn_xen_vcpu_id(cpu),
	};
	int err;

	if (state->registered)
		return 0;
	memset(state->sel2, 0, L3_SEL_BYTES);
	op.u.l2.gfn = evtchn_virt_to_gfn(state->sel2);
	op.u.l2.offset = xen_offset_in_page(state->sel2);
	err = l3_hypercall(&op);
	if (err)
		return err;
	state->registered = true;
	state->known = true;
	return 0;
}

/*
 * Can @cpu's L2 be registered now?  A PV guest numbers its vCPUs like its
 * CPUs from the start; HVM and PVH guests learn a secondary CPU's vCPU
 * number only when it is brought up (CPUHP_XEN_PREPARE, which runs before
 * our percpu_init).  CPUs registered before a resume are known too.
 */
static bool l3_vcpu_known(unsigned int cpu)
{
	return xen_pv_domain() || l3_state(cpu)->known ||
	       cpu == smp_processor_id();
}

/* Back to 2-level after phase 1 worked: no port may be bound yet. */
static int l3_undo(int why)
{
	struct evtchn_reset op = { .dom = DOMID_SELF };
	unsigned int cpu;
	int err;

	for_each_possible_cpu(cpu)
		l3_state(cpu)->registered = false;

	err = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &op);
	if (err) {
		pr_err("3-level ABI: EVTCHNOP_reset failed (%d), Xen keeps our pages\n",
		       err);
		l3_pinned = true;
	}
	return why;
}

/*
 * Switch the domain to 3-level: phase 1, then phase 2 for every CPU whose
 * vCPU number is known (the others register in l3_percpu_init()).  On
 * failure the domain is back on 2-level.  @resuming: in a new domain,
 * whose 2-level state phase 1 carries over is left from the old one.
 */
static int l3_switch(bool resuming)
{
	unsigned int cpu, word;
	int err;

	err = l3_register_bitmaps();
	if (err)
		return err;

	/*
	 * No port is bound in the new domain yet, so nothing that phase 1
	 * carried over is real; as at boot, every port must stay masked
	 * until the core binds it again.  (At boot the core masks them.)
	 */
	for (word = 0; resuming && word < L3_W; word++) {
		WRITE_ONCE(*l3_word(&l3_mask, word), ~(xen_ulong_t)0);
		WRITE_ONCE(*l3_word(&l3_pending, word), 0);
	}

	for_each_possible_cpu(cpu) {
		if (!l3_vcpu_known(cpu))
			continue;
		err = l3_register_sel2(cpu);
		if (err) {
			pr_warn("3-level ABI: L2 of CPU %u (vCPU %u) refused (%d)\n",
				cpu, evtchn_xen_vcpu_id(cpu), err);
			return l3_undo(err);
		}
	}
	return 0;
}

static int l3_percpu_init(unsigned int cpu)
{
	int err;

	/*
	 * Too late to go back to 2-level, so a CPU whose L2 Xen refuses
	 * stays down: nothing could ever be delivered to it.
	 */
	err = l3_register_sel2(cpu);
	if (err)
		pr_err("3-level ABI: L2 of CPU %u (vCPU %u) refused (%d)\n",
		       cpu, evtchn_xen_vcpu_id(cpu), err);
	return err;
}

/* ---- Resume -------------------------------------------------------------- */

static int l3_resume(void)
{
	unsigned int cpu;
	int err;

	/*
	 * A new domain: Xen knows nothing of our pages and has no bindings.
	 * Interrupts are off here, so the pages of the old domain are
	 * reused, filled again as the ABI wants them before registration.
	 */
	for_each_possible_cpu(cpu)
		l3_state(cpu)->registered = false;
	l3_wipe();

	err = l3_query();
	if (!err)
		err = l3_switch(true);
	if (err) {
		/*
		 * Xen has none of our pages (phase 1 failed, or phase 2 and
		 * the reset put the domain back on 2-level): the core carries
		 * on with 2-level, and a later probe reuses the pages.
		 */
		for_each_possible_cpu(cpu)
			l3_state(cpu)->registered = false;
		l3_in_use = false;
		return err;
	}
	return EVTCHN_RESUMED;
}

/* ---- VIRQ_DEBUG ------------------------------------------------------ */

static void l3_dump_cpu(unsigned int cpu)
{
	struct l3_cpu_state *state = l3_state(cpu);
	unsigned int i;

	if (!evtchn_bitmap_dump_vcpu(cpu, "L1", state->next_port,
				     state->registered ? "" : " (no L2)") ||
	    !state->registered)
		return;
	for (i = 0; i < L3_W; i++) {
		xen_ulong_t sel = READ_ONCE(state->sel2[i]);

		if (sel)
			pr_info("    L2 word %2u: %0*llx\n", i,
				EVTCHN_BITMAP_WORD_DIGITS,
				(unsigned long long)sel);
	}
}

/* One pending port: where it goes and whether it is selected there. */
static void l3_dump_port(evtchn_port_t port)
{
	int target = evtchn_bitmap_routed_cpu(port, l3_routed);
	struct vcpu_info *vcpu = target < 0 ? NULL : evtchn_vcpu_info(target);
	struct l3_cpu_state *state = target < 0 ? NULL : l3_state(target);
	bool sel2 = state && state->registered &&
		    test_bit(port / L3_W, evtchn_bits(state->sel2));
	bool sel1 = vcpu && test_bit(port / (L3_W * L3_W),
				     evtchn_bits(&vcpu->evtchn_pending_sel));

	pr_info("  port %u: cpu %d%s L2 %d L1 %d\n", port, target,
		sync_test_bit(port % L3_W, l3_port_word(&l3_mask, port)) ?
		" masked" : "", sel2, sel1);
}

static void l3_debug_dump(void)
{
	unsigned int cpu, word, bit, shown = 0, more = 0;

	pr_info("3-level ABI, dumped on CPU %u\n", smp_processor_id());
	for_each_online_cpu(cpu)
		l3_dump_cpu(cpu);

	for (word = 0; word < L3_NR_WORDS; word++) {
		xen_ulong_t pending = READ_ONCE(*l3_word(&l3_pending, word));

		for_each_set_bit(bit, evtchn_bits(&pending), L3_W) {
			if (shown++ < L3_DUMP_PORTS)
				l3_dump_port(word * L3_W + bit);
			else
				more++;
		}
	}
	if (more)
		pr_info("  ... and %u more pending ports\n", more);
}

static const struct evtchn_ops evtchn_3l_ops = {
	.max_channels	= l3_max_channels,
	.nr_channels	= l3_nr_channels,
	.percpu_init	= l3_percpu_init,
	.percpu_deinit	= l3_percpu_deinit,
	.resume		= l3_resume,
	.bind_to_cpu	= l3_bind_to_cpu,
	.remove		= l3_remove,
	.set_pending	= l3_set_pending,
	.is_pending	= l3_is_pending,
	.clear_pending	= l3_clear_pending,
	.is_masked	= l3_is_masked,
	.mask		= l3_mask_port,
	.unmask		= l3_unmask,
	.handle_events	= l3_handle_events,
	.debug_dump	= l3_debug_dump,
};

/* The layout Documentation/xen/evtchn-3level-abi.rst fixes. */
static void l3_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct evtchn_3level) != 144);
	BUILD_BUG_ON(offsetof(struct evtchn_3level, vcpu) != 4);
	BUILD_BUG_ON(offsetof(struct evtchn_3level, u) != 8);
	BUILD_BUG_ON(sizeof(struct evtchn_3level_query) != 16);
	BUILD_BUG_ON(sizeof(struct evtchn_3level_bitmaps) != 136);
	BUILD_BUG_ON(offsetof(struct evtchn_3level_bitmaps, pending_gfn) != 8);
	BUILD_BUG_ON(offsetof(struct evtchn_3level_bitmaps, mask_gfn) != 72);
	BUILD_BUG_ON(sizeof(struct evtchn_3level_l2) != 16);
	BUILD_BUG_ON(offsetof(struct evtchn_3level_l2, offset) != 8);

	/* The geometry: W * W * W ports, bitmaps in whole Xen pages. */
	BUILD_BUG_ON(L3_W * L3_W * L3_W != EVTCHN_3L_NR_CHANNELS);
	BUILD_BUG_ON(L3_MAP_BYTES % XEN_PAGE_SIZE);
	BUILD_BUG_ON(L3_XEN_PAGES > EVTCHN_3L_MAX_BITMAP_PAGES);
	BUILD_BUG_ON(PAGE_SIZE % XEN_PAGE_SIZE);
	BUILD_BUG_ON(L3_SEL_BYTES > XEN_PAGE_SIZE);
	BUILD_BUG_ON(XEN_PAGE_SIZE % L3_SEL_BYTES);
}

/**
 * evtchn_3l_probe() - switch the domain to the 3-level event channel ABI
 * @ops: set to the 3-level operations on success
 *
 * Asks Xen first (EVTCHN_3L_QUERY) and allocates nothing unless it agrees.
 * Then registers the L3 bitmaps (phase 1) and the L2 selector of every CPU
 * whose vCPU number is known (phase 2, all possible CPUs in a PV guest).
 * If phase 2 fails, EVTCHNOP_reset puts the domain back on 2-level.  Memory
 * is freed on every failure, but never while Xen may still map it.  Pages
 * kept from a registration lost on resume are used again.
 *
 * At run time (the core switching from 2-level with ports bound) phase 1
 * carries the 2-level mask and pending bits over in Xen.  Phase 2 is
 * refused only for a vCPU Xen does not have, which boot would have met
 * first; its EVTCHNOP_reset would then close every bound port.
 *
 * Context: domain on 2-level, at boot or in a run-time switch with ports
 * bound (events_internal.h).  Allocates with GFP_KERNEL.
 * Return: 0, or -errno with the domain on the ABI it had: Xen's answer
 * (-ENOSYS from a Xen without the 3-level ABI, -EPERM for a domain that
 * may not use it, -EBUSY on FIFO), -EINVAL if Xen's geometry is not this
 * kernel's, -ENOMEM, or -EBUSY if 3-level is in use already.
 */
int evtchn_3l_probe(const struct evtchn_ops **ops)
{
	int err;

	l3_check_abi();
	if (l3_in_use || l3_pinned)
		return -EBUSY;

	err = l3_query();
	if (err)
		return err;

	/* Pages of an earlier life (lost on resume) are used again. */
	if (l3_pending.page[0])
		l3_wipe();
	else
		err = l3_alloc();
	if (err)
		return err;

	err = l3_switch(false);
	if (err) {
		if (!l3_pinned)
			l3_free();
		return err;
	}

	l3_in_use = true;
	*ops = &evtchn_3l_ops;
	return 0;
}
