// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile (or broken) hypervisor writes nonsense into memory the guest
 * shares with it.  The guest must stay up: no crash, no hang, at most one
 * warning, and no event lost on the ports Xen still treats correctly.
 *
 * Every test raises healthy ports before and after the injection and
 * leaves the final no-loss check to hx_finish().
 */

static evtchn_port_t healthy[8];

/* Bind the healthy ports (two per CPU) in a domain set up as @o says. */
static bool healthy_up_opts(const struct hx_opts *o)
{
	unsigned int i, nr_cpus = o->nr_cpus;

	ASSERT_OK(hx_setup(o));
	ASSERT_EQ(hx_abi(), o->abi);
	for (i = 0; i < 8; i++) {
		int p = hx_bind_peer(i % nr_cpus);

		ASSERT_PORT(p);
		healthy[i] = p;
	}
	return true;
}

/* Bind the healthy ports (two per CPU) and check they work. */
static bool healthy_up(unsigned int nr_cpus)
{
	struct hx_opts o = { .abi = test_abi, .nr_cpus = nr_cpus };

	return healthy_up_opts(&o);
}

/* Raise every healthy port; drain; each must have been delivered. */
static bool healthy_round(void)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		ASSERT_OK(hx_raise(healthy[i]));
	hx_drain();
	for (i = 0; i < 8; i++)
		ASSERT_EQ(hx_port(healthy[i])->seen, hx_port(healthy[i])->raised);
	return true;
}

/* Injection with healthy traffic queued before it and raised after it. */
#define AROUND(inject)							\
	do {								\
		unsigned int __i;					\
		for (__i = 0; __i < 8; __i++)				\
			ASSERT_OK(hx_raise(healthy[__i]));		\
		inject;							\
		hx_drain();						\
		ASSERT_TRUE(healthy_round());				\
	} while (0)

/* ---- FIFO -------------------------------------------------------------------- */

static bool test_fifo_head_past_array(void)
{
	ASSERT_TRUE(healthy_up(2));
	ASSERT_EQ(mx_fifo_pages(), 1);
	AROUND(mx_evil_fifo_head(0, 3, 5000));
	ASSERT_EQ(shim_nr_warnings(), 1);
	ASSERT_EQ(hx_total_stray(), 0);
	hx_allow_warnings();
	return true;
}

static bool test_fifo_head_out_of_range(void)
{
	ASSERT_TRUE(healthy_up(2));
	/*
	 * Queues other than the healthy ports' (7): a HEAD overwritten in a
	 * queue that holds events loses them for any guest, since Xen only
	 * links after its tail from then on.
	 */
	AROUND(mx_evil_fifo_head(1, 5, 0xffffffff));
	AROUND(mx_evil_fifo_head(0, 0, EVTCHN_FIFO_NR_CHANNELS));
	ASSERT_EQ(shim_nr_warnings(), 1);
	hx_allow_warnings();
	return true;
}

/* READY with an empty HEAD (Xen sets READY only with a new HEAD). */
static bool test_fifo_ready_without_head(void)
{
	ASSERT_TRUE(healthy_up(2));
	AROUND(mx_evil_fifo_ready(0, 0xffff));
	ASSERT_LE(shim_nr_warnings(), 1);
	hx_allow_warnings();
	return true;
}

/* A LINK past the array in the middle of a queue. */
static bool test_fifo_link_past_array(void)
{
	int p;

	ASSERT_TRUE(healthy_up(1));
	p = hx_bind_peer(0);
	ASSERT_OK(hx_raise(p));			/* queued, tail of queue 7 */
	mx_evil_fifo_link(p, 100000);		/* only 1 page exists */
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(shim_nr_warnings(), 1);
	ASSERT_TRUE(healthy_round());
	ASSERT_TRUE(healthy_round());
	hx_allow_warnings();
	return true;
}

/*
 * HEAD and LINK naming ports that were never bound, with and without a
 * pending bit: nothing is delivered for them (they are masked), no stray
 * reaches the core.
 */
static bool test_fifo_never_bound_ports(void)
{
	int p;

	ASSERT_TRUE(healthy_up(2));
	AROUND(mx_evil_fifo_head(0, 2, 900));
	mx_evil_fifo_word_or(901, (1U << EVTCHN_FIFO_PENDING) |
				  (1U << EVTCHN_FIFO_LINKED));
	AROUND(mx_evil_fifo_head(1, 4, 901));
	p = hx_bind_peer(0);
	ASSERT_OK(hx_raise(p));
	mx_evil_fifo_link(p, 902);
	mx_evil_fifo_word_or(902, 1U << EVTCHN_FIFO_PENDING);
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_LE(shim_nr_warnings(), 1);
	ASSERT_TRUE(healthy_round());
	hx_allow_warnings();
	return true;
}

/* A queue that loops back on itself ends (LINKED is cleared as we go). */
static bool test_fifo_link_cycle(void)
{
	int a, b;

	ASSERT_TRUE(healthy_up(1));
	a = hx_bind_peer(0);
	b = hx_bind_peer(0);
	ASSERT_OK(hx_raise(a));
	ASSERT_OK(hx_raise(b));
	mx_evil_fifo_link(b, a);		/* a -> b -> a -> ... */
	hx_drain();
	ASSERT_EQ(hx_port(a)->delivered, 1);
	ASSERT_EQ(hx_port(b)->delivered, 1);
	ASSERT_TRUE(healthy_round());
	hx_allow_warnings();
	return true;
}

struct scribbler {
	u64 seed;
	unsigned int left;
};

/* Rewrites the control block from inside a handler, mid-walk. */
static void scribble_hook(evtchn_port_t port, void *arg)
{
	struct scribbler *s = arg;

	if (s->left) {
		s->left--;
		mx_evil_fifo_scribble(shim_cpu, s->seed++);
	}
}

/*
 * The control block rewritten under the guest, 200 times, seeded: HEADs
 * and READY bits of every kind of nonsense.  One warning per kind (a bad
 * HEAD or LINK, READY bits of queues that do not exist).
 */
static bool test_fifo_control_block_rewritten(void)
{
	static struct scribbler s;
	unsigned int round;

	ASSERT_TRUE(healthy_up(2));
	s.seed = hx_seed;
	for (round = 0; round < 200; round++) {
		s.left = 1;
		hx_set_hook(healthy[round % 8], scribble_hook, &s);
		AROUND((void)0);
		hx_set_hook(healthy[round % 8], NULL, NULL);
	}
	ASSERT_LE(shim_nr_warnings(), 2);
	ASSERT_EQ(hx_total_stray(), 0);
	hx_allow_warnings();
	return true;
}

/* Xen never drops BUSY: an unmask must still finish (through Xen). */
static bool test_fifo_busy_forever(void)
{
	int p;

	ASSERT_TRUE(healthy_up(1));
	p = hx_bind_peer(0);
	hx_mask(p);
	mx_hold_busy(p);
	hx_unmask(p);				/* must return */
	ASSERT_EQ(mx_stats()->cleared_under_busy, 0);
	mx_release_busy(p);
	ASSERT_EQ(*mx_fifo_word(p) & (1U << EVTCHN_FIFO_MASKED), 0);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->delivered, 1);
	ASSERT_TRUE(healthy_round());
	return true;
}

/* ---- 2-level ------------------------------------------------------------------ */

/* Pending bits on ports that were never bound (masked since boot). */
static bool test_2l_pending_never_bound(void)
{
	unsigned int i;

	ASSERT_TRUE(healthy_up(2));
	for (i = 0; i < 50; i++)
		AROUND(mx_evil_2l_pending(i % 2, 1000 + i * 61));
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/* Every selector bit set with nothing behind it. */
static bool test_2l_selector_garbage(void)
{
	unsigned int i;

	ASSERT_TRUE(healthy_up(2));
	for (i = 0; i < 20; i++)
		AROUND(mx_evil_2l_selector(i % 2, ~0UL));
	ASSERT_EQ(hx_total_stray(), 0);
	return true;
}

/* Pending on a port closed by the core (masked at close). */
static bool test_2l_pending_after_close(void)
{
	int p;

	ASSERT_TRUE(healthy_up(2));
	p = hx_bind_peer(1);
	ASSERT_OK(hx_close(p));
	AROUND(mx_evil_2l_pending(1, p));
	ASSERT_EQ(hx_total_stray(), 0);
	return true;
}

/* ---- 3-level ------------------------------------------------------------------ */

/*
 * The 3-level backend serves only ports that are pending, not masked AND
 * routed to the CPU whose upcall runs (its own bitmap, which Xen cannot
 * write).  Everything below is nonsense the guest must drop without a
 * crash, a hang, a stray delivery or a lost healthy event.  None of it
 * warns: each state is also one a correct Xen produces in a race (a port
 * masked or closed after Xen selected it, a selector bit whose port was
 * served by the previous pass), so a warning would fire on a sound host.
 * The one warning a 3-level guest can give here is "port out of range",
 * for a port the core hands it, never for what Xen writes.
 */

/* A spread of ports over all three levels, none of them bound. */
static evtchn_port_t l3_far_port(unsigned int i)
{
	return (1000 + i * 5237) % MX_3L_PORTS;
}

/* Pending, selected on the right level bits, never bound (so masked). */
static bool test_3l_pending_never_bound(void)
{
	unsigned int i;

	ASSERT_TRUE(healthy_up(2));
	for (i = 0; i < 50; i++)
		AROUND(mx_evil_3l_pending(i % 2, l3_far_port(i)));
	AROUND(mx_evil_3l_pending(1, MX_3L_PORTS - 1));
	ASSERT_TRUE(mx_3l_pending(MX_3L_PORTS - 1));
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/*
 * Xen also clears the mask bits of ports never bound, and of port 0
 * (never allocated): only the backend's routing stands between them and
 * the core, which must not see one of them.
 */
static bool test_3l_unmasked_never_bound(void)
{
	unsigned int i;

	ASSERT_TRUE(healthy_up(2));
	for (i = 0; i < 50; i++) {
		mx_evil_3l_unmask(l3_far_port(i));
		AROUND(mx_evil_3l_pending(i % 2, l3_far_port(i)));
	}
	mx_evil_3l_unmask(0);
	AROUND(mx_evil_3l_pending(0, 0));
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/* Every L1 and L2 bit set, with nothing behind most of them. */
static bool test_3l_selector_garbage(void)
{
	unsigned int i, w;

	ASSERT_TRUE(healthy_up(2));
	for (i = 0; i < 20; i++) {
		AROUND(mx_evil_3l_l1(i % 2, ~(xen_ulong_t)0));
		for (w = 0; w < MX_3L_W; w += 1 + i % 7)
			mx_evil_3l_l2(i % 2, w, ~(xen_ulong_t)0);
		AROUND((void)0);
	}
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/*
 * A domain Xen lets use ports 0..1023 only: pending, unmasked, selected
 * bits for ports past that range, up to the last bit of the bitmaps.
 */
static bool test_3l_pending_past_range(void)
{
	struct hx_opts o = { .abi = HX_3L, .nr_cpus = 2, .max_evtchn_port = 1023 };
	static const evtchn_port_t past[] = {
		1024, 1025, 4095, 4096, 65535, 65536, 131071, 131072,
		200000, MX_3L_PORTS - 2, MX_3L_PORTS - 1,
	};
	unsigned int i;

	ASSERT_TRUE(healthy_up_opts(&o));
	for (i = 0; i < ARRAY_SIZE(past); i++) {
		mx_evil_3l_unmask(past[i]);
		AROUND(mx_evil_3l_pending(i % 2, past[i]));
	}
	/* The domain's range is still what Xen said. */
	ASSERT_EQ(hx_bind_many(HX_PEER, 1023 - 8, NULL), 0);
	ASSERT_ERR(hx_bind_ipi(0), -ENOSPC);
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/* Pending on a port the core closed (masked and unrouted at close). */
static bool test_3l_pending_after_close(void)
{
	int p;

	ASSERT_TRUE(healthy_up(2));
	p = hx_bind_peer(1);
	ASSERT_PORT(p);
	ASSERT_OK(hx_close(p));
	AROUND(mx_evil_3l_pending(1, p));
	mx_evil_3l_unmask(p);
	AROUND(mx_evil_3l_pending(0, p));
	ASSERT_EQ(hx_total_stray(), 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	return true;
}

/*
 * A bound port selected on a vCPU it is not bound to: never served there
 * (its own CPU may pick it up when a healthy event selects its word).
 */
static bool test_3l_selected_on_wrong_vcpu(void)
{
	int p;

	ASSERT_TRUE(healthy_up(2));
	p = hx_bind_peer(1);
	ASSERT_PORT(p);
	AROUND(mx_evil_3l_pending(0, p));
	ASSERT_EQ(hx_port(p)->per_cpu[0], 0);
	ASSERT_EQ(hx_port(p)->wrong_cpu, 0);
	ASSERT_EQ(shim_nr_warnings(), 0);
	/* Once Xen selects it where it belongs, it arrives there. */
	ASSERT_OK(hx_close(p));
	p = hx_bind_peer(1);
	ASSERT_OK(hx_raise(p));
	hx_drain();
	ASSERT_EQ(hx_port(p)->per_cpu[1], 1);
	return true;
}

static const struct hx_test hostile_tests[] = {
	TEST_ABI(fifo_head_past_array, A_FIFO),
	TEST_ABI(fifo_head_out_of_range, A_FIFO),
	TEST_ABI(fifo_ready_without_head, A_FIFO),
	TEST_ABI(fifo_link_past_array, A_FIFO),
	TEST_ABI(fifo_never_bound_ports, A_FIFO),
	TEST_ABI(fifo_link_cycle, A_FIFO),
	TEST_ABI(fifo_control_block_rewritten, A_FIFO),
	TEST_ABI(fifo_busy_forever, A_FIFO),
	TEST_ABI(2l_pending_never_bound, A_2L),
	TEST_ABI(2l_selector_garbage, A_2L),
	TEST_ABI(2l_pending_after_close, A_2L),
	TEST_ABI(3l_pending_never_bound, A_3L),
	TEST_ABI(3l_unmasked_never_bound, A_3L),
	TEST_ABI(3l_selector_garbage, A_3L),
	TEST_ABI(3l_pending_past_range, A_3L),
	TEST_ABI(3l_pending_after_close, A_3L),
	TEST_ABI(3l_selected_on_wrong_vcpu, A_3L),
};
