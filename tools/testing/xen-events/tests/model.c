// SPDX-License-Identifier: GPL-2.0-only
/*
 * Self-tests of the model hypervisor: it must behave as Xen 4.17 does, or
 * the backend tests prove nothing.  These drive the model with raw
 * hypercalls and read the shared memory directly, as a minimal guest.
 */

static int mop(unsigned int vcpu, int cmd, void *arg)
{
	return model_guest_event_channel_op(vcpu, cmd, arg);
}

static bool model_up(unsigned int nr_vcpus, unsigned int max_port, bool no_fifo)
{
	struct mx_config c = {
		.nr_vcpus = nr_vcpus,
		.max_evtchn_port = max_port,
		.no_fifo = no_fifo,
	};

	return mx_create(&c) == 0;
}

static int m_ipi(unsigned int vcpu)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	int rc = mop(0, EVTCHNOP_bind_ipi, &b);

	return rc ? rc : (int)b.port;
}

static int m_unbound(domid_t remote)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
	int rc = mop(0, EVTCHNOP_alloc_unbound, &a);

	return rc ? rc : (int)a.port;
}

static int m_interdomain(domid_t remote_dom, evtchn_port_t remote_port)
{
	struct evtchn_bind_interdomain b = {
		.remote_dom = remote_dom,
		.remote_port = remote_port,
	};
	int rc = mop(0, EVTCHNOP_bind_interdomain, &b);

	return rc ? rc : (int)b.local_port;
}

static int m_virq(unsigned int virq, unsigned int vcpu)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
	int rc = mop(0, EVTCHNOP_bind_virq, &b);

	return rc ? rc : (int)b.port;
}

static int m_send(evtchn_port_t port)
{
	struct evtchn_send s = { .port = port };

	return mop(0, EVTCHNOP_send, &s);
}

static int m_close(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	return mop(0, EVTCHNOP_close, &c);
}

static int m_unmask(evtchn_port_t port)
{
	struct evtchn_unmask u = { .port = port };

	return mop(0, EVTCHNOP_unmask, &u);
}

static int m_bind_vcpu(evtchn_port_t port, unsigned int vcpu)
{
	struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };

	return mop(0, EVTCHNOP_bind_vcpu, &b);
}

static int m_prio(evtchn_port_t port, unsigned int prio)
{
	struct evtchn_set_priority sp = { .port = port, .priority = prio };

	return mop(0, EVTCHNOP_set_priority, &sp);
}

static bool m_2l_pending(evtchn_port_t port)
{
	return test_bit(port, (unsigned long *)mx_shared_info()->evtchn_pending);
}

static void m_2l_mask(evtchn_port_t port, bool on)
{
	unsigned long *m = (unsigned long *)mx_shared_info()->evtchn_mask;

	if (on)
		set_bit(port, m);
	else
		clear_bit(port, m);
}

static xen_ulong_t m_sel(unsigned int vcpu)
{
	return READ_ONCE(mx_vcpu_info(vcpu)->evtchn_pending_sel);
}

static u8 m_upcall(unsigned int vcpu)
{
	return READ_ONCE(mx_vcpu_info(vcpu)->evtchn_upcall_pending);
}

/* A minimal FIFO guest: control blocks, array pages, a queue consumer. */
static void *m_pages[MX_MAX_VCPUS + MX_FIFO_MAX_PAGES];
static unsigned int m_nr_pages;
static u32 m_local_head[MX_MAX_VCPUS][EVTCHN_FIFO_MAX_QUEUES];

static void *m_page(void)
{
	void *pg = (void *)get_zeroed_page(GFP_KERNEL);

	if (pg)
		m_pages[m_nr_pages++] = pg;
	return pg;
}

static void m_free_pages(void)
{
	while (m_nr_pages)
		free_page((unsigned long)m_pages[--m_nr_pages]);
}

static int m_init_control(unsigned int vcpu, u64 gfn, u32 offset)
{
	struct evtchn_init_control ic = {
		.control_gfn = gfn,
		.offset = offset,
		.vcpu = vcpu,
	};
	int rc = mop(vcpu < mx_nr_vcpus() ? vcpu : 0, EVTCHNOP_init_control, &ic);

	if (!rc && ic.link_bits != EVTCHN_FIFO_LINK_BITS)
		return -EPROTO;
	return rc;
}

static int m_fifo_vcpu(unsigned int vcpu)
{
	void *pg = m_page();

	return pg ? m_init_control(vcpu, virt_to_gfn(pg), 0) : -ENOMEM;
}

static int m_fifo_add_page(void)
{
	struct evtchn_expand_array ea;
	event_word_t *pg = m_page();
	unsigned int i;

	if (!pg)
		return -ENOMEM;
	for (i = 0; i < MX_FIFO_PAGE_WORDS; i++)
		pg[i] = 1U << EVTCHN_FIFO_MASKED;
	ea.array_gfn = virt_to_gfn(pg);
	return mop(0, EVTCHNOP_expand_array, &ea);
}

/* Switch the model to FIFO with @pages array pages on every vCPU. */
static int m_fifo_up(unsigned int pages)
{
	unsigned int v;
	int rc = 0;

	memset(m_local_head, 0, sizeof(m_local_head));
	for (v = 0; v < mx_nr_vcpus() && !rc; v++)
		rc = m_fifo_vcpu(v);
	while (!rc && pages--)
		rc = m_fifo_add_page();
	return rc;
}

static void m_fifo_unmask_local(evtchn_port_t port)
{
	__atomic_fetch_and(mx_fifo_word(port), ~(1U << EVTCHN_FIFO_MASKED),
			   __ATOMIC_SEQ_CST);
}

/* Take the next event off a queue, as a guest would; 0 if empty. */
static evtchn_port_t m_fifo_pop(unsigned int vcpu, unsigned int prio)
{
	struct evtchn_fifo_control_block *cb = mx_fifo_control_block(vcpu);
	evtchn_port_t port = m_local_head[vcpu][prio];
	event_word_t *w;
	u32 old, unlinked;

	if (!port) {
		/* A new walk starts at HEAD, and only when READY says so. */
		if (!(__atomic_fetch_and(&cb->ready, ~(1U << prio),
					 __ATOMIC_SEQ_CST) & (1U << prio)))
			return 0;
		port = __atomic_load_n(&cb->head[prio], __ATOMIC_SEQ_CST);
	}
	if (!port)
		return 0;
	w = mx_fifo_word(port);
	old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	do {
		unlinked = old & ~((1U << EVTCHN_FIFO_LINKED) | EVTCHN_FIFO_LINK_MASK);
	} while (!__atomic_compare_exchange_n(w, &old, unlinked, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	m_local_head[vcpu][prio] = old & EVTCHN_FIFO_LINK_MASK;
	__atomic_fetch_and(w, ~(1U << EVTCHN_FIFO_PENDING), __ATOMIC_SEQ_CST);
	return port;
}

static u32 m_word(evtchn_port_t port)
{
	return __atomic_load_n(mx_fifo_word(port), __ATOMIC_SEQ_CST);
}

#define WB(b)	(1U << EVTCHN_FIFO_##b)

/* ---- Ports, states and error codes ---------------------------------------- */

static bool test_ports_lowest_free_first(void)
{
	ASSERT_TRUE(model_up(2, 0, false));
	ASSERT_EQ(m_unbound(DOMID_SELF), 1);
	ASSERT_EQ(m_unbound(DOMID_SELF), 2);
	ASSERT_EQ(m_ipi(1), 3);
	ASSERT_OK(m_close(2));
	ASSERT_EQ(m_ipi(0), 2);
	ASSERT_ERR(m_close(0), -EINVAL);	/* port 0 is reserved */
	ASSERT_OK(m_close(3));
	ASSERT_ERR(m_close(3), -EINVAL);	/* double close */
	ASSERT_ERR(m_close(5000), -EINVAL);	/* beyond 2-level */
	ASSERT_EQ(mx_ports_in_use(), 2);
	return true;
}

static bool test_error_codes(void)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = 7 };
	int ipi, virq;

	ASSERT_TRUE(model_up(2, 0, false));
	ipi = m_ipi(1);
	ASSERT_PORT(ipi);
	virq = m_virq(VIRQ_TIMER, 1);
	ASSERT_PORT(virq);
	ASSERT_ERR(m_virq(VIRQ_TIMER, 1), -EEXIST);
	ASSERT_PORT(m_virq(VIRQ_TIMER, 0));	/* per-vCPU: fine on another */
	ASSERT_ERR(m_virq(MX_NR_VIRQS, 0), -EINVAL);
	ASSERT_ERR(m_virq(VIRQ_CONSOLE, 1), -EINVAL);	/* global, not vCPU 0 */
	ASSERT_ERR(m_virq(VIRQ_DEBUG, 5), -ENOENT);
	ASSERT_ERR(m_ipi(9), -ENOENT);
	ASSERT_ERR(m_send(virq), -EINVAL);	/* nobody sends on a VIRQ */
	ASSERT_ERR(m_send(4096), -EINVAL);
	ASSERT_ERR(m_send(100), -EINVAL);	/* free port */
	ASSERT_ERR(m_bind_vcpu(ipi, 0), -EINVAL);
	ASSERT_ERR(m_bind_vcpu(virq, 0), -EINVAL);	/* per-vCPU VIRQ */
	ASSERT_ERR(m_bind_vcpu(100, 0), -EINVAL);
	ASSERT_ERR(m_bind_vcpu(ipi, 2), -ENOENT);
	ASSERT_ERR(m_unmask(4096), -EINVAL);
	ASSERT_OK(m_unmask(100));		/* free port: silently nothing */
	ASSERT_ERR(mop(0, 99, &st), -XEN_ENOSYS);
	ASSERT_ERR(mop(0, EVTCHNOP_send, NULL), -EFAULT);
	ASSERT_ERR(m_prio(ipi, 3), -XEN_ENOSYS);	/* no priorities in 2-level */
	ASSERT_OK(mop(0, EVTCHNOP_status, &st));
	ASSERT_EQ(st.status, EVTCHNSTAT_closed);
	st.port = virq;
	ASSERT_OK(mop(0, EVTCHNOP_status, &st));
	ASSERT_EQ(st.status, EVTCHNSTAT_virq);
	ASSERT_EQ(st.u.virq, VIRQ_TIMER);
	ASSERT_EQ(st.vcpu, 1);
	ASSERT_ERR(m_interdomain(5, 1), -ESRCH);
	ASSERT_ERR(m_interdomain(DOMID_SELF, ipi), -EINVAL);	/* not unbound */
	return true;
}

static bool test_capacity_2l(void)
{
	unsigned int i;
	int port;

	ASSERT_TRUE(model_up(1, 0, false));
	for (i = 1; i < MX_2L_PORTS; i++) {
		port = m_unbound(DOMID_SELF);
		ASSERT_EQ(port, i);
	}
	ASSERT_ERR(m_unbound(DOMID_SELF), -ENOSPC);
	ASSERT_ERR(m_ipi(0), -ENOSPC);
	ASSERT_OK(m_close(1234));
	ASSERT_EQ(m_ipi(0), 1234);
	return true;
}

static bool test_max_evtchn_port_cap(void)
{
	unsigned int i;

	/* A domU with xl's default max_event_channels: ports 1..1023. */
	ASSERT_TRUE(model_up(1, 1023, false));
	for (i = 1; i <= 1023; i++)
		ASSERT_EQ(m_ipi(0), i);
	ASSERT_ERR(m_ipi(0), -ENOSPC);
	return true;
}

static bool test_loopback_and_peer(void)
{
	int a, b, p;

	ASSERT_TRUE(model_up(2, 0, false));
	a = m_unbound(DOMID_SELF);
	ASSERT_PORT(a);
	ASSERT_OK(m_send(a));			/* unbound: dropped, success */
	ASSERT_FALSE(m_2l_pending(a));
	b = m_interdomain(DOMID_SELF, a);
	ASSERT_PORT(b);
	ASSERT_TRUE(m_2l_pending(b));		/* raised once at bind */
	ASSERT_FALSE(m_2l_pending(a));
	ASSERT_OK(m_send(b));
	ASSERT_TRUE(m_2l_pending(a));
	ASSERT_ERR(m_interdomain(DOMID_SELF, a), -EINVAL);	/* taken */
	ASSERT_OK(m_close(b));
	ASSERT_FALSE(m_2l_pending(b));		/* close clears pending */
	{
		struct mx_port_info info;

		ASSERT_OK(mx_port_info(a, &info));
		ASSERT_EQ(info.state, MX_UNBOUND);
	}
	/* The peer domain. */
	p = m_unbound(MX_PEER_DOMID);
	ASSERT_PORT(p);
	ASSERT_ERR(mx_peer_send(p), -EINVAL);	/* not connected yet */
	ASSERT_OK(mx_peer_connect(p));
	ASSERT_OK(mx_peer_send(p));
	ASSERT_TRUE(m_2l_pending(p));
	ASSERT_OK(m_send(p));
	ASSERT_OK(m_send(p));
	ASSERT_EQ(mx_peer_received(p), 2);
	ASSERT_OK(mx_peer_close(p));
	ASSERT_ERR(mx_peer_send(p), -EINVAL);
	ASSERT_OK(m_send(p));			/* unbound again: dropped */
	return true;
}

/* ---- 2-level ------------------------------------------------------------------ */

static bool test_2l_send_raises_selector_once(void)
{
	int p, q;

	ASSERT_TRUE(model_up(2, 0, false));
	p = m_ipi(1);
	q = m_ipi(1);
	ASSERT_PORT(p);
	ASSERT_EQ(m_upcall(1), 0);
	ASSERT_OK(m_send(p));
	ASSERT_TRUE(m_2l_pending(p));
	ASSERT_EQ(m_sel(1), 1UL << (p / 64));
	ASSERT_EQ(m_upcall(1), 1);
	ASSERT_EQ(m_upcall(0), 0);
	ASSERT_EQ(mx_stats()->kicks[1], 1);
	/* Same word, flag already up: no second kick. */
	ASSERT_OK(m_send(q));
	ASSERT_OK(m_send(p));
	ASSERT_EQ(mx_stats()->kicks[1], 1);
	return true;
}

static bool test_2l_mask_latches_until_unmask(void)
{
	int p;

	ASSERT_TRUE(model_up(2, 0, false));
	p = m_ipi(0);
	m_2l_mask(p, true);
	ASSERT_OK(m_send(p));
	ASSERT_TRUE(m_2l_pending(p));
	ASSERT_EQ(m_sel(0), 0);
	ASSERT_EQ(m_upcall(0), 0);
	ASSERT_OK(m_unmask(p));
	ASSERT_EQ(m_sel(0), 1UL << (p / 64));
	ASSERT_EQ(m_upcall(0), 1);
	/* Xen raises on unmask only if the mask bit was set. */
	WRITE_ONCE(mx_vcpu_info(0)->evtchn_upcall_pending, 0);
	WRITE_ONCE(mx_vcpu_info(0)->evtchn_pending_sel, 0);
	ASSERT_OK(m_unmask(p));
	ASSERT_EQ(m_upcall(0), 0);
	ASSERT_EQ(m_sel(0), 0);
	return true;
}

static bool test_2l_bind_vcpu_moves_future_events(void)
{
	int p;

	ASSERT_TRUE(model_up(2, 0, false));
	p = m_unbound(MX_PEER_DOMID);
	ASSERT_OK(mx_peer_connect(p));
	ASSERT_OK(mx_peer_send(p));
	ASSERT_EQ(m_upcall(0), 1);		/* new ports notify vCPU 0 */
	ASSERT_OK(m_bind_vcpu(p, 1));
	ASSERT_EQ(m_upcall(1), 0);		/* raised events stay put */
	clear_bit(p, (unsigned long *)mx_shared_info()->evtchn_pending);
	ASSERT_OK(mx_peer_send(p));
	ASSERT_EQ(m_upcall(1), 1);
	return true;
}

static bool test_virq_raise(void)
{
	int t0, t1, g;

	ASSERT_TRUE(model_up(2, 0, false));
	t0 = m_virq(VIRQ_TIMER, 0);
	t1 = m_virq(VIRQ_TIMER, 1);
	g = m_virq(VIRQ_CONSOLE, 0);
	ASSERT_OK(mx_raise_virq(1, VIRQ_TIMER));
	ASSERT_TRUE(m_2l_pending(t1));
	ASSERT_FALSE(m_2l_pending(t0));
	ASSERT_OK(m_bind_vcpu(g, 1));		/* global VIRQs may move */
	ASSERT_OK(mx_raise_virq(0, VIRQ_CONSOLE));
	ASSERT_TRUE(m_2l_pending(g));
	ASSERT_ERR(mx_raise_virq(0, VIRQ_DEBUG), -ENOENT);
	return true;
}

/* ---- FIFO --------------------------------------------------------------------- */

static bool test_fifo_setup_errors(void)
{
	struct evtchn_expand_array ea = { 0 };
	void *pg;

	ASSERT_TRUE(model_up(2, 0, false));
	pg = m_page();
	ASSERT_ERR(mop(0, EVTCHNOP_expand_array, &ea), -EOPNOTSUPP);
	ASSERT_ERR(m_init_control(2, virt_to_gfn(pg), 0), -ENOENT);
	ASSERT_ERR(m_init_control(0, virt_to_gfn(pg), 4), -EINVAL);
	ASSERT_ERR(m_init_control(0, virt_to_gfn(pg), 4096 - 64), -EINVAL);
	ASSERT_ERR(m_init_control(0, 12345, 0), -EINVAL);	/* not a page of ours */
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_OK(m_init_control(0, virt_to_gfn(pg), 4096 - 72));
	ASSERT_EQ(mx_abi(), MX_ABI_FIFO);
	ASSERT_ERR(m_init_control(0, virt_to_gfn(pg), 0), -EINVAL);	/* again */
	ASSERT_ERR(mop(0, EVTCHNOP_expand_array, &ea), -EINVAL);	/* gfn 0 */
	ASSERT_OK(m_fifo_add_page());
	ASSERT_EQ(mx_fifo_pages(), 1);
	m_free_pages();
	return true;
}

static bool test_fifo_no_fifo_xen(void)
{
	void *pg;

	ASSERT_TRUE(model_up(1, 0, true));
	pg = m_page();
	ASSERT_ERR(m_init_control(0, virt_to_gfn(pg), 0), -XEN_ENOSYS);
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	m_free_pages();
	return true;
}

static bool test_fifo_array_limit(void)
{
	unsigned int i;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(0));
	for (i = 0; i < MX_FIFO_MAX_PAGES; i++)
		ASSERT_OK(m_fifo_add_page());
	ASSERT_ERR(m_fifo_add_page(), -ENOSPC);
	ASSERT_EQ(mx_fifo_pages(), 128);
	m_free_pages();
	return true;
}

static bool test_fifo_queue_order_and_ready(void)
{
	int p[4], i;

	ASSERT_TRUE(model_up(2, 0, false));
	ASSERT_OK(m_fifo_up(1));
	for (i = 0; i < 4; i++) {
		p[i] = m_ipi(1);
		ASSERT_PORT(p[i]);
		m_fifo_unmask_local(p[i]);
	}
	ASSERT_OK(m_prio(p[3], 2));
	ASSERT_ERR(m_prio(p[3], 16), -EINVAL);
	ASSERT_ERR(m_prio(3000, 2), -EINVAL);		/* free port */
	ASSERT_OK(m_send(p[2]));
	ASSERT_EQ(mx_fifo_control_block(1)->ready, 1U << 7);
	ASSERT_EQ(mx_fifo_control_block(1)->head[7], p[2]);
	ASSERT_EQ(m_upcall(1), 1);
	ASSERT_OK(m_send(p[0]));
	ASSERT_OK(m_send(p[1]));
	ASSERT_OK(m_send(p[0]));			/* already linked: nothing */
	ASSERT_OK(m_send(p[3]));
	ASSERT_EQ(mx_fifo_queue_len(1, 7), 3);
	ASSERT_EQ(mx_fifo_queue_len(1, 2), 1);
	ASSERT_EQ(mx_fifo_control_block(1)->ready, (1U << 7) | (1U << 2));
	ASSERT_EQ(m_word(p[2]) & EVTCHN_FIFO_LINK_MASK, p[0]);
	ASSERT_EQ(m_word(p[0]) & EVTCHN_FIFO_LINK_MASK, p[1]);
	ASSERT_EQ(m_fifo_pop(1, 2), p[3]);
	ASSERT_EQ(m_fifo_pop(1, 7), p[2]);
	ASSERT_EQ(m_fifo_pop(1, 7), p[0]);
	ASSERT_EQ(m_fifo_pop(1, 7), p[1]);
	ASSERT_EQ(m_fifo_pop(1, 7), 0);
	ASSERT_EQ(m_fifo_pop(1, 2), 0);
	ASSERT_EQ(mx_fifo_control_block(1)->ready, 0);
	/* The queue was consumed: the next event is a new HEAD. */
	ASSERT_OK(m_send(p[1]));
	ASSERT_EQ(mx_fifo_control_block(1)->head[7], p[1]);
	ASSERT_EQ(mx_stats()->new_heads, 3);
	m_free_pages();
	return true;
}

static bool test_fifo_masked_pending_linked_on_unmask(void)
{
	int p;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	p = m_ipi(0);
	ASSERT_OK(m_send(p));
	ASSERT_EQ(m_word(p), WB(PENDING) | WB(MASKED));
	ASSERT_EQ(mx_fifo_control_block(0)->ready, 0);
	ASSERT_OK(m_unmask(p));
	ASSERT_EQ(m_word(p), WB(PENDING) | WB(LINKED));
	ASSERT_EQ(mx_fifo_control_block(0)->head[7], p);
	ASSERT_EQ(mx_stats()->unmask_already_clear, 0);
	m_free_pages();
	return true;
}

static bool test_fifo_latched_until_page_added(void)
{
	int p = 0, i;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	for (i = 0; i < 1100; i++)
		p = m_ipi(0);
	ASSERT_EQ(p, 1100);
	ASSERT_TRUE(!mx_fifo_word(p));
	ASSERT_OK(m_send(p));			/* no word: Xen remembers */
	ASSERT_OK(m_fifo_add_page());
	ASSERT_EQ(m_word(p), WB(PENDING) | WB(MASKED));
	m_free_pages();
	return true;
}

static bool test_fifo_init_carries_2l_pending(void)
{
	int p;

	ASSERT_TRUE(model_up(1, 0, false));
	p = m_ipi(0);
	ASSERT_OK(m_send(p));
	ASSERT_TRUE(m_2l_pending(p));
	ASSERT_OK(m_fifo_up(1));
	ASSERT_EQ(m_word(p), WB(PENDING) | WB(MASKED));
	m_free_pages();
	return true;
}

static bool test_fifo_busy_path_links(void)
{
	int p, q;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	p = m_ipi(0);
	q = m_ipi(0);
	m_fifo_unmask_local(p);
	m_fifo_unmask_local(q);
	ASSERT_OK(m_send(p));
	mx_force_link_contention(1);
	ASSERT_OK(m_send(q));
	ASSERT_EQ(mx_stats()->busy_set, 1);
	ASSERT_EQ(m_word(p) & (WB(BUSY) | EVTCHN_FIFO_LINK_MASK), q);
	ASSERT_EQ(m_fifo_pop(0, 7), p);
	ASSERT_EQ(m_fifo_pop(0, 7), q);
	m_free_pages();
	return true;
}

/* While Xen retries under BUSY, the "guest" keeps changing the tail. */
static evtchn_port_t fight_port;

static void fight_hook(enum mx_point pt, evtchn_port_t port, void *arg)
{
	(void)arg;
	if (pt == MX_PT_FIFO_BUSY_SET && port == fight_port)
		mx_force_link_contention(10);
}

static bool test_fifo_gives_up_linking(void)
{
	int p, q;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	p = m_ipi(0);
	q = m_ipi(0);
	m_fifo_unmask_local(p);
	m_fifo_unmask_local(q);
	ASSERT_OK(m_send(p));
	fight_port = p;
	mx_set_hook(fight_hook, NULL);
	/* The retries are bounded: Xen warns and the event is lost. */
	mx_force_link_contention(1);
	ASSERT_OK(m_send(q));
	mx_set_hook(NULL, NULL);
	ASSERT_EQ(mx_stats()->lost_events, 1);
	ASSERT_EQ(mx_stats()->xen_warnings, 1);
	ASSERT_EQ(m_word(p) & WB(BUSY), 0);
	mx_force_link_contention(0);
	hx_allow_xen_warnings();
	m_free_pages();
	return true;
}

static bool test_fifo_linked_port_not_reused(void)
{
	int p, q;

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	p = m_ipi(0);
	m_fifo_unmask_local(p);
	ASSERT_OK(m_send(p));
	ASSERT_OK(m_close(p));
	ASSERT_EQ(m_word(p) & WB(PENDING), 0);	/* close clears PENDING */
	q = m_ipi(0);
	ASSERT_NE(q, p);			/* still LINKED: busy */
	ASSERT_EQ(m_fifo_pop(0, 7), p);
	ASSERT_OK(m_close(q));
	ASSERT_EQ(m_ipi(0), p);			/* unlinked: reusable */
	m_free_pages();
	return true;
}

static bool test_fifo_requeue_on_other_vcpu(void)
{
	int p;

	ASSERT_TRUE(model_up(2, 0, false));
	ASSERT_OK(m_fifo_up(1));
	p = m_unbound(MX_PEER_DOMID);
	ASSERT_OK(mx_peer_connect(p));
	m_fifo_unmask_local(p);
	ASSERT_OK(mx_peer_send(p));
	ASSERT_EQ(mx_fifo_control_block(0)->head[7], p);
	ASSERT_EQ(m_fifo_pop(0, 7), p);
	ASSERT_OK(m_bind_vcpu(p, 1));
	ASSERT_OK(m_prio(p, 0));
	ASSERT_OK(mx_peer_send(p));
	ASSERT_EQ(mx_fifo_control_block(1)->head[0], p);
	ASSERT_EQ(mx_fifo_control_block(1)->ready, 1);
	ASSERT_EQ(mx_fifo_queue_len(1, 0), 1);
	ASSERT_EQ(m_fifo_pop(0, 7), 0);
	ASSERT_EQ(m_fifo_pop(1, 0), p);
	m_free_pages();
	return true;
}

static bool test_fifo_no_control_block_drops(void)
{
	int p;

	ASSERT_TRUE(model_up(2, 0, false));
	ASSERT_OK(m_fifo_vcpu(0));
	ASSERT_OK(m_fifo_add_page());
	p = m_ipi(1);				/* vCPU 1 never registered */
	m_fifo_unmask_local(p);
	ASSERT_OK(m_send(p));
	ASSERT_EQ(mx_stats()->xen_warnings, 1);
	ASSERT_EQ(m_word(p) & WB(LINKED), 0);
	hx_allow_xen_warnings();
	m_free_pages();
	return true;
}

static bool test_reset_back_to_2l(void)
{
	struct evtchn_reset r = { .dom = DOMID_SELF };

	ASSERT_TRUE(model_up(1, 0, false));
	ASSERT_OK(m_fifo_up(1));
	ASSERT_PORT(m_ipi(0));
	ASSERT_OK(mop(0, EVTCHNOP_reset, &r));
	ASSERT_EQ(mx_abi(), MX_ABI_2L);
	ASSERT_EQ(mx_ports_in_use(), 0);
	ASSERT_TRUE(!mx_fifo_control_block(0));
	ASSERT_OK(m_fifo_up(0));		/* may register again */
	m_free_pages();
	return true;
}

static const struct hx_test model_tests[] = {
	TEST(ports_lowest_free_first),
	TEST(error_codes),
	TEST(capacity_2l),
	TEST(max_evtchn_port_cap),
	TEST(loopback_and_peer),
	TEST(2l_send_raises_selector_once),
	TEST(2l_mask_latches_until_unmask),
	TEST(2l_bind_vcpu_moves_future_events),
	TEST(virq_raise),
	TEST(fifo_setup_errors),
	TEST(fifo_no_fifo_xen),
	TEST(fifo_array_limit),
	TEST(fifo_queue_order_and_ready),
	TEST(fifo_masked_pending_linked_on_unmask),
	TEST(fifo_latched_until_page_added),
	TEST(fifo_init_carries_2l_pending),
	TEST(fifo_busy_path_links),
	TEST(fifo_gives_up_linking),
	TEST(fifo_linked_port_not_reused),
	TEST(fifo_requeue_on_other_vcpu),
	TEST(fifo_no_control_block_drops),
	TEST(reset_back_to_2l),
};
