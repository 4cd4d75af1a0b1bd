// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's choice of ABI (drivers/xen/events/events_abi.c, compiled in
 * unmodified): the order it tries the ABIs in at boot, xen.evtchn_abi=
 * and xen.fifo_events=0; and a resume into a domain that refuses the ABI
 * in use, after which the core carries on with 2-level and can switch
 * back to the lost ABI later, on the memory that ABI kept.
 */

/* Ports 1 .. ABI_REBIND, bound again after a resume. */
#define ABI_REBIND	64

/* A port of @nr, bound anew: IPIs and interdomain ports on CPUs 0, 1. */
static int bind_mixed(unsigned int nr)
{
	return nr % 3 ? hx_bind_peer(nr % 2) : hx_bind_ipi(nr % 2);
}

/*
 * In a domain with nothing bound: bind ports 1 .. ABI_REBIND, raise each
 * once (one of them masked until the others are in), and check that
 * every event arrives once, on the CPU of its port.
 */
static bool fresh_ports_each_once(void)
{
	const evtchn_port_t held = 5;
	u64 before = hx_total_delivered();
	unsigned int i;

	for (i = 0; i < ABI_REBIND; i++) {
		ASSERT_EQ(bind_mixed(i), i + 1);
		ASSERT_OK(hx_raise(i + 1));
	}
	hx_mask(held);
	ASSERT_OK(hx_raise(held));
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), before + ABI_REBIND - 1);
	hx_unmask(held);
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), before + ABI_REBIND);
	for (i = 0; i < ABI_REBIND; i++)
		ASSERT_EQ(hx_port(i + 1)->per_cpu[i % 2], 1);
	return true;
}

/* After the core masked everything: no port open, none pending. */
static bool every_port_masked(void)
{
	evtchn_port_t port;

	for (port = 0; port < evtchn_ops->nr_channels(); port++) {
		if (!evtchn_ops->is_masked(port) || evtchn_ops->is_pending(port)) {
			hx_fail(__FILE__, __LINE__, __func__,
				"port %u not masked and idle after resume", port);
			return false;
		}
	}
	return true;
}

/* What a resume meets that makes the ABI in use go away. */
struct abi_loss {
	void (*host)(void);	/* the new domain's Xen, run by hx_resume_to() */
	int err;		/* what the backend's resume says */
	unsigned int warnings;	/* the backend's own, besides the core's */
};

/* Back on a host with every ABI: the ABI lost on resume is there again. */
static void host_with_every_abi(void)
{
	mx_set_host(false, false);
}

/*
 * On test_abi, with ports bound and an event waiting: resume into a
 * domain that refuses the ABI (@loss).  The core carries on with 2-level
 * and says so in one warning; every port is masked; the ABI's memory is
 * kept, nothing allocated; ports bound again deliver each event once.  A
 * second resume, onto a Xen that has the ABI again, stays on 2-level.
 * Then the core switches back to the lost ABI, with ports bound and
 * events pending, on the memory it kept.
 */
static bool resume_loses_abi(const struct abi_loss *loss)
{
	const struct xevt_abi *lost;
	unsigned long allocated;
	evtchn_port_t port;
	char line[160];
	u64 before;
	long pages;

	SETUP(2);
	lost = xevt_abi_current();
	ASSERT_TRUE(lost == hx_xevt_abi(test_abi));
	/* On CPU 0: CPU 1 goes down for the suspend with nothing of its own. */
	for (port = 1; port <= 100; port++)
		ASSERT_EQ(hx_bind_ipi(0), port);
	ASSERT_OK(hx_raise(100));	/* pending across the suspend */
	pages = shim_pages_live();
	allocated = shim_pages_allocated();

	ASSERT_OK(hx_resume_to(loss->host));
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_TRUE(xevt_abi_current() == xevt_abi_2level());
	ASSERT_EQ(strcmp(xevt_abi_name(), "2-level"), 0);
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_EQ(evtchn_ops->max_channels(), EVTCHN_2L_NR_CHANNELS);
	ASSERT_EQ(evtchn_ops->nr_channels(), EVTCHN_2L_NR_CHANNELS);
	snprintf(line, sizeof(line),
		 "%s ABI lost on resume (%d), using the 2-level ABI (%u ports)",
		 lost->name, loss->err, (unsigned int)EVTCHN_2L_NR_CHANNELS);
	ASSERT_TRUE(shim_log_contains(line));
	ASSERT_EQ(shim_nr_warnings(), 1 + loss->warnings);
	ASSERT_TRUE(every_port_masked());
	ASSERT_EQ(shim_pages_live(), pages);
	ASSERT_EQ(shim_pages_allocated(), allocated);
	before = hx_total_delivered();
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), before);
	ASSERT_TRUE(fresh_ports_each_once());

	ASSERT_OK(hx_resume_to(host_with_every_abi));
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_EQ(shim_nr_warnings(), 1 + loss->warnings);
	ASSERT_TRUE(fresh_ports_each_once());

	/*
	 * Traffic at the switch: events raised and not taken yet, and one
	 * on a port the test holds masked, all on CPU 0 (odd ports).  Each
	 * arrives once.
	 */
	for (port = 1; port <= ABI_REBIND; port += 14)
		ASSERT_OK(hx_raise(port));
	hx_mask(3);
	ASSERT_OK(hx_raise(3));
	allocated = shim_pages_allocated();
	ASSERT_OK(hx_switch_abi(test_abi));
	ASSERT_EQ(hx_abi(), test_abi);
	ASSERT_TRUE(xevt_abi_current() == lost);
	ASSERT_EQ(shim_pages_allocated(), allocated);
	hx_drain();
	for (port = 1; port <= ABI_REBIND; port += 14)
		ASSERT_EQ(hx_port(port)->delivered, 2);
	ASSERT_EQ(hx_port(3)->delivered, 1);
	hx_unmask(3);
	hx_drain();
	ASSERT_EQ(hx_port(3)->delivered, 2);
	for (port = 1; port <= ABI_REBIND; port++)
		ASSERT_OK(hx_raise(port));
	hx_drain();
	for (port = 1; port <= ABI_REBIND; port++)
		ASSERT_EQ(hx_port(port)->seen, hx_port(port)->raised);
	hx_allow_warnings();
	return true;
}

/* A Xen without FIFO and without the 3-level ABI (stock Xen < 4.4). */
static void host_2level_only(void)
{
	mx_set_host(true, true);
}

/* Xen cannot map the bitmap pages in the new domain. */
static void host_refuses_bitmaps(void)
{
	mx_fail_op_add(EVTCHNOP_3level, EVTCHN_3L_REGISTER_BITMAPS, -ENOMEM, 0);
}

/* The new domain's Xen cannot map the first control block offered. */
static void host_refuses_control_block(void)
{
	mx_fail_op(EVTCHNOP_init_control, -EINVAL, 0);
	mx_fail_op_add(EVTCHNOP_init_control, -1, -EINVAL, 0);
}

/* A new domain whose Xen refuses the first control block only. */
static void host_refuses_control_block_once(void)
{
	mx_fail_op(EVTCHNOP_init_control, -EINVAL, 0);
}

/*
 * 2-level cannot be lost: its resume says EVTCHN_RESUMED, and the core
 * keeps it, quietly, even on a Xen with nothing else.
 */
static bool resume_keeps_2level(void)
{
	const struct evtchn_ops *ops;

	SETUP(2);
	ops = evtchn_ops;
	ASSERT_OK(hx_bind_many(HX_PEER, 100, NULL));
	ASSERT_OK(hx_resume_to(host_2level_only));
	ASSERT_EQ(hx_abi(), HX_2L);
	ASSERT_TRUE(xevt_abi_current() == xevt_abi_2level());
	ASSERT_TRUE(evtchn_ops == ops);
	ASSERT_FALSE(shim_log_contains("lost on resume"));
	return fresh_ports_each_once();
}

/*
 * Resume onto a Xen that refuses the ABI in use: without FIFO, or unable
 * to map the 3-level bitmaps (a Xen without the 3-level ABI at all:
 * 3level/resume_on_stock_xen; a control block it cannot map:
 * fifo/resume_einval_not_kept).
 */
static bool test_resume_abi_lost(void)
{
	static const struct abi_loss fifo = {
		.host = host_2level_only,
		.err = -XEN_ENOSYS,
		.warnings = 1,	/* "control block of CPU 0 refused" */
	};
	static const struct abi_loss l3 = {
		.host = host_refuses_bitmaps,
		.err = -ENOMEM,
	};

	switch (test_abi) {
	case HX_FIFO:
		return resume_loses_abi(&fifo);
	case HX_3L:
		return resume_loses_abi(&l3);
	default:
		return resume_keeps_2level();
	}
}

/* One boot: what the command line says, what Xen offers, what comes. */
struct boot_case {
	struct hx_opts opts;
	enum hx_abi abi;		/* the ABI chosen */
	const char *says;		/* a line the core prints */
	unsigned int warnings;
};

static bool boot_ok(const struct boot_case *c)
{
	char line[96];

	ASSERT_OK(hx_setup(&c->opts));
	ASSERT_EQ(hx_abi(), c->abi);
	ASSERT_TRUE(xevt_abi_current() == hx_xevt_abi(c->abi));
	ASSERT_TRUE(shim_log_contains(c->says));
	snprintf(line, sizeof(line), "Using %s ABI (xen.evtchn_abi=%s)",
		 xevt_abi_name(), xevt_abi_current()->key);
	ASSERT_TRUE(shim_log_contains(line));
	snprintf(line, sizeof(line), "Event channel capacity: %u ports",
		 evtchn_ops->max_channels());
	ASSERT_TRUE(shim_log_contains(line));
	ASSERT_EQ(shim_nr_warnings(), c->warnings);
	if (c->opts.fifo_events_off)
		ASSERT_EQ(mx_stats()->calls[EVTCHNOP_init_control], 0);
	if (c->warnings)
		hx_allow_warnings();
	return fresh_ports_each_once();
}

static int boot_in_child(void *arg)
{
	return boot_ok(arg) ? 0 : 1;
}

/*
 * The boot order: FIFO, 3-level, 2-level, each ABI the domain refuses
 * skipped with a note; xen.fifo_events=0 leaves FIFO out; xen.evtchn_abi=
 * is tried first, and a key that is refused or unknown is warned about.
 * Each boot in a process of its own: the core chooses once.
 */
static bool test_boot_choice(void)
{
	static const struct boot_case cases[] = {
		{ { .boot_choice = true }, HX_FIFO,
		  "Event channel capacity: 131072 ports (1024 usable now)" },
		{ { .boot_choice = true, .no_fifo = true }, HX_3L,
		  "FIFO-based ABI (xen.evtchn_abi=fifo) refused (-38), trying the next one" },
		{ { .boot_choice = true, .no_fifo = true, .no_3l = true },
		  HX_2L, "3-level ABI (xen.evtchn_abi=3level) refused (-38), trying the next one" },
		{ { .boot_choice = true, .fifo_events_off = true }, HX_3L,
		  "Event channel capacity: 262144 ports (262144 usable now)" },
		{ { .boot_choice = true, .boot_abi = "2level" }, HX_2L,
		  "Using 2-level ABI (xen.evtchn_abi=2level)" },
		{ { .boot_choice = true, .boot_abi = "3level\n" }, HX_3L,
		  "Using 3-level ABI (xen.evtchn_abi=3level)" },
		{ { .boot_choice = true, .boot_abi = "3level", .domu = true,
		    .max_evtchn_port = 1023 }, HX_FIFO,
		  "3-level ABI (xen.evtchn_abi=3level) refused (-1), using the default order",
		  1 },
		{ { .boot_choice = true, .boot_abi = "4level" }, HX_FIFO,
		  "xen.evtchn_abi=4level is not an ABI of this kernel, using the default order",
		  1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (hx_in_child(boot_in_child, (void *)&cases[i])) {
			hx_fail(__FILE__, __LINE__, __func__, "boot %u failed", i);
			return false;
		}
	}
	return true;
}

/*
 * A run-time switch whose probe reset the domain (3-level: Xen took the
 * bitmaps, refused an L2, and the undo's EVTCHNOP_reset closed every
 * port): the core's xevt_abi_reset() leaves 2-level in use, every port
 * masked, nothing delivered of what was pending, and ports bound again
 * deliver each event once.
 */
static bool test_reset_with_ports_bound(void)
{
	u64 before;

	SETUP(2);
	ASSERT_OK(hx_bind_many(HX_PEER, 100, NULL));
	ASSERT_OK(hx_raise(50));
	hx_mask(60);
	ASSERT_OK(hx_raise(60));
	ASSERT_OK(hx_reset_domain());
	ASSERT_TRUE(xevt_abi_current() == xevt_abi_2level());
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_TRUE(every_port_masked());
	before = hx_total_delivered();
	hx_drain();
	ASSERT_EQ(hx_total_delivered(), before);
	return fresh_ports_each_once();
}

static const struct hx_test abi_tests[] = {
	TEST_ABI(resume_abi_lost, A_ALL),
	TEST_ABI(reset_with_ports_bound, A_2L),
	TEST_GROUP(abi, boot_choice, A_ALL, 0),
};
