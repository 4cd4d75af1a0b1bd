// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hypervisor side of the 3-level event channel ABI, in userspace:
 * Documentation/xen/evtchn-3level-abi.rst made executable (see
 * model_3l.h).  Where the document leaves a choice open, the choice is
 * marked "DOC:" below and made as the xen/patches/ series makes it.
 *
 * Locking, outermost first:
 *   dom.lock (mutex)      port allocation, close, binding, ABI switches
 *   dom.abi_lock (rw)     taken for reading by every delivery, for writing
 *                         by REGISTER_BITMAPS, REGISTER_L2 and reset: the
 *                         switches are atomic with respect to delivery
 *   port->lock            a reader/writer spin lock per port; delivery
 *                         holds it shared, bind_vcpu and close exclusive
 * Guest memory (shared_info, L2, L3) is only touched with sequentially
 * consistent __atomic operations, as Xen uses locked instructions.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model_3l.h"

/* Per-vCPU VIRQs; every other VIRQ is global (bound on vCPU 0). */
#define M3_PERCPU_VIRQS	((1U << VIRQ_TIMER) | (1U << VIRQ_DEBUG) | \
			 (1U << VIRQ_XENOPROF) | (1U << VIRQ_XENPMU))

struct m3_port {
	u8 state;
	u8 virq;
	u16 remote_dom;
	u32 vcpu;		/* the notified vCPU */
	u32 remote_port;	/* loopback: our other end */
	int lock;		/* >0 readers, -1 writer */
};

static struct m3_domain {
	pthread_mutex_t lock;
	pthread_rwlock_t abi_lock;
	struct m3_config cfg;
	enum m3_abi abi;
	struct shared_info *si;
	struct m3_port *port;
	unsigned long *peer_received;	/* per local port */
	unsigned long *unmask_calls;	/* per port */
	unsigned int free_hint;
	u32 virq_port[M3_MAX_VCPUS][M3_NR_VIRQS];
	u32 kick_seq[M3_MAX_VCPUS];
	/* 3-level: the pages Xen maps, and each vCPU's L2. */
	xen_ulong_t *pending[M3_MAP_PAGES];
	xen_ulong_t *mask[M3_MAP_PAGES];
	xen_ulong_t *sel2[M3_MAX_VCPUS];
	struct m3_stats stats;
	/* steering */
	struct m3_failure {
		int cmd, sub, err;
		unsigned int skip;
	} fail[4];
	m3_hook_fn hook;
	void *hook_arg;
} dom;

static bool created;

/* ---- Small primitives ------------------------------------------------- */

static void m3_spin(unsigned int *n)
{
	if (++*n % 64 == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

static void port_rlock(struct m3_port *p)
{
	unsigned int n = 0;
	int v;

	for (;;) {
		v = __atomic_load_n(&p->lock, __ATOMIC_RELAXED);
		if (v >= 0 &&
		    __atomic_compare_exchange_n(&p->lock, &v, v + 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		m3_spin(&n);
	}
}

static void port_runlock(struct m3_port *p)
{
	__atomic_sub_fetch(&p->lock, 1, __ATOMIC_RELEASE);
}

static void port_wlock(struct m3_port *p)
{
	unsigned int n = 0;
	int v;

	for (;;) {
		v = 0;
		if (__atomic_compare_exchange_n(&p->lock, &v, -1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		m3_spin(&n);
	}
}

static void port_wunlock(struct m3_port *p)
{
	__atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

static void count(unsigned long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void xen_warn(const char *fmt, ...)
{
	va_list ap;

	count(&dom.stats.xen_warnings);
	if (!getenv("HX_VERBOSE"))
		return;
	fputs("(XEN) ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Guest memory: bit @bit of the bitmap at @map, with locked operations. */
static xen_ulong_t gbit(unsigned int bit)
{
	return (xen_ulong_t)1 << (bit % M3_W);
}

static bool g_test(xen_ulong_t *map, unsigned int bit)
{
	return __atomic_load_n(&map[bit / M3_W], __ATOMIC_SEQ_CST) & gbit(bit);
}

static bool g_test_and_set(xen_ulong_t *map, unsigned int bit)
{
	return __atomic_fetch_or(&map[bit / M3_W], gbit(bit),
				 __ATOMIC_SEQ_CST) & gbit(bit);
}

static bool g_test_and_clear(xen_ulong_t *map, unsigned int bit)
{
	return __atomic_fetch_and(&map[bit / M3_W], ~gbit(bit),
				  __ATOMIC_SEQ_CST) & gbit(bit);
}

/* L3: the word of @map (pages as Xen maps them) holding bit @port. */
static xen_ulong_t *l3_at(xen_ulong_t **map, evtchn_port_t port)
{
	unsigned int word = port / M3_W;

	return &map[word / M3_PAGE_WORDS][word % M3_PAGE_WORDS];
}

static bool l3_test(xen_ulong_t **map, evtchn_port_t port)
{
	return g_test(l3_at(map, port), port % M3_W);
}

static bool l3_test_and_set(xen_ulong_t **map, evtchn_port_t port)
{
	return g_test_and_set(l3_at(map, port), port % M3_W);
}

static void l3_clear(xen_ulong_t **map, evtchn_port_t port)
{
	g_test_and_clear(l3_at(map, port), port % M3_W);
}

static xen_ulong_t *sel1(unsigned int vcpu)
{
	return &dom.si->vcpu_info[vcpu].evtchn_pending_sel;
}

/* ---- Kicking vCPUs ---------------------------------------------------- */

void m3_kick(unsigned int vcpu)
{
	count(&dom.stats.kicks[vcpu]);
	__atomic_add_fetch(&dom.kick_seq[vcpu], 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &dom.kick_seq[vcpu], FUTEX_WAKE_PRIVATE, INT_MAX,
		NULL, NULL, 0);
}

unsigned int m3_kick_seq(unsigned int vcpu)
{
	return __atomic_load_n(&dom.kick_seq[vcpu], __ATOMIC_SEQ_CST);
}

void m3_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec)
{
	struct timespec ts = {
		.tv_sec = usec / 1000000,
		.tv_nsec = (long)(usec % 1000000) * 1000,
	};

	syscall(SYS_futex, &dom.kick_seq[vcpu], FUTEX_WAIT_PRIVATE, seen, &ts,
		NULL, 0);
}

/* vcpu_mark_events_pending(): the upcall flag, and a kick on 0 -> 1. */
static void mark_pending(unsigned int vcpu)
{
	if (!__atomic_exchange_n(&dom.si->vcpu_info[vcpu].evtchn_upcall_pending,
				 1, __ATOMIC_SEQ_CST))
		m3_kick(vcpu);
}

/* ---- Delivery ----------------------------------------------------------- */

static unsigned int abi_ports(void)
{
	return dom.abi == M3_3L ? M3_PORTS : M3_2L_PORTS;
}

static unsigned int port_limit(void)
{
	unsigned int n = abi_ports();

	if (dom.cfg.max_evtchn_port && dom.cfg.max_evtchn_port < n - 1)
		n = dom.cfg.max_evtchn_port + 1;
	return n;
}

/* Xen's port_is_valid(): within what the domain can address now. */
static bool port_valid(evtchn_port_t port)
{
	return port < port_limit();
}

static struct m3_port *P(evtchn_port_t port)
{
	return &dom.port[port];
}

/*
 * The second half of the 3-level delivery rule, for a port that is pending
 * and not masked: its L2 bit, then its L1 bit, then the upcall, each step
 * only if the previous one changed something.
 */
static void l3_select(unsigned int vcpu, evtchn_port_t port)
{
	xen_ulong_t *l2 = __atomic_load_n(&dom.sel2[vcpu], __ATOMIC_ACQUIRE);

	if (!l2) {
		/* Picked up by REGISTER_L2's rescan. */
		count(&dom.stats.no_l2);
		return;
	}
	if (g_test_and_set(l2, port / M3_W))
		return;
	if (g_test_and_set(sel1(vcpu), port / (M3_W * M3_W)))
		return;
	mark_pending(vcpu);
}

static void l3_set_pending(unsigned int vcpu, evtchn_port_t port)
{
	m3_hook_fn fn;

	if (l3_test_and_set(dom.pending, port))
		return;
	fn = __atomic_load_n(&dom.hook, __ATOMIC_ACQUIRE);
	if (fn)
		fn(port, dom.hook_arg);
	if (l3_test(dom.mask, port))
		return;
	l3_select(vcpu, port);
}

static xen_ulong_t *l2_pending(void)
{
	return dom.si->evtchn_pending;
}

static xen_ulong_t *l2_mask(void)
{
	return dom.si->evtchn_mask;
}

/* Xen 4.17's evtchn_2l_set_pending(). */
static void l2_set_pending(unsigned int vcpu, evtchn_port_t port)
{
	m3_hook_fn fn;

	if (g_test_and_set(l2_pending(), port))
		return;
	fn = __atomic_load_n(&dom.hook, __ATOMIC_ACQUIRE);
	if (fn)
		fn(port, dom.hook_arg);
	if (!g_test(l2_mask(), port) &&
	    !g_test_and_set(sel1(vcpu), port / M3_W))
		mark_pending(vcpu);
}

/* evtchn_port_set_pending(), with the port's lock held (shared). */
static void raise_port(evtchn_port_t port)
{
	unsigned int vcpu = P(port)->vcpu;

	count(&dom.stats.raised);
	pthread_rwlock_rdlock(&dom.abi_lock);
	switch (dom.abi) {
	case M3_3L:
		l3_set_pending(vcpu, port);
		break;
	case M3_2L:
		l2_set_pending(vcpu, port);
		break;
	default:
		xen_warn("port %u: FIFO delivery is not modelled", port);
		break;
	}
	pthread_rwlock_unlock(&dom.abi_lock);
}

/* ---- Ports ---------------------------------------------------------------- */

/* get_free_port(); dom.lock held.  Returns the port or -ENOSPC. */
static int alloc_port(enum m3_state state, unsigned int vcpu)
{
	unsigned int limit = port_limit(), port;

	for (port = dom.free_hint; port < limit; port++) {
		struct m3_port *p = P(port);

		if (p->state != M3_FREE)
			continue;
		port_wlock(p);
		p->state = state;
		p->vcpu = vcpu;
		p->virq = 0;
		p->remote_dom = 0;
		p->remote_port = 0;
		port_wunlock(p);
		__atomic_store_n(&dom.peer_received[port], 0, __ATOMIC_RELAXED);
		dom.free_hint = port + 1;
		return port;
	}
	return -ENOSPC;
}

/* evtchn_free(); dom.lock and the port's write lock held. */
static void free_port(evtchn_port_t port)
{
	struct m3_port *p = P(port);

	if (p->state == M3_VIRQ)
		dom.virq_port[p->vcpu][p->virq] = 0;
	p->state = M3_FREE;
	p->vcpu = 0;
	if (port < dom.free_hint)
		dom.free_hint = port;

	/*
	 * DOC: "EVTCHNOP_close: clears nothing in the bitmaps".  2-level is
	 * Xen 4.17's, which clears the pending bit.
	 */
	pthread_rwlock_rdlock(&dom.abi_lock);
	if (dom.abi == M3_2L)
		g_test_and_clear(l2_pending(), port);
	else if (dom.abi == M3_3L && dom.cfg.close_clears_pending)
		l3_clear(dom.pending, port);
	pthread_rwlock_unlock(&dom.abi_lock);
}

/* ---- Hypercalls other than EVTCHNOP_3level ------------------------------ */

static bool is_self(domid_t d)
{
	return d == DOMID_SELF || d == 0;
}

static int op_alloc_unbound(struct evtchn_alloc_unbound *a)
{
	int port;

	if (!is_self(a->dom))
		return -ESRCH;
	if (!is_self(a->remote_dom) && a->remote_dom != M3_PEER_DOMID)
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	port = alloc_port(M3_UNBOUND, 0);
	if (port > 0) {
		P(port)->remote_dom = is_self(a->remote_dom) ? 0 : M3_PEER_DOMID;
		a->port = port;
	}
	pthread_mutex_unlock(&dom.lock);
	return port < 0 ? port : 0;
}

/* Loopback only: the peer binds with m3_peer_connect(). */
static int op_bind_interdomain(struct evtchn_bind_interdomain *b)
{
	struct m3_port *r, *l;
	int port, rc = 0;

	if (!is_self(b->remote_dom))
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	if (!port_valid(b->remote_port)) {
		rc = -EINVAL;
		goto out;
	}
	r = P(b->remote_port);
	if (r->state != M3_UNBOUND || r->remote_dom != 0) {
		rc = -EINVAL;
		goto out;
	}
	port = alloc_port(M3_INTERDOMAIN, 0);
	if (port < 0) {
		rc = port;
		goto out;
	}
	l = P(port);
	l->remote_dom = 0;
	l->remote_port = b->remote_port;
	port_wlock(r);
	r->state = M3_INTERDOMAIN;
	r->remote_port = port;
	port_wunlock(r);
	b->local_port = port;
	/* Xen raises the new end once: notifications may have been lost. */
	port_rlock(l);
	raise_port(port);
	port_runlock(l);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_bind_virq(struct evtchn_bind_virq *b)
{
	int port, rc = 0;

	if (b->virq >= M3_NR_VIRQS)
		return -EINVAL;
	if (!(M3_PERCPU_VIRQS & (1U << b->virq)) && b->vcpu)
		return -EINVAL;
	if (b->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&dom.lock);
	if (dom.virq_port[b->vcpu][b->virq]) {
		rc = -EEXIST;
		goto out;
	}
	port = alloc_port(M3_VIRQ, b->vcpu);
	if (port < 0) {
		rc = port;
		goto out;
	}
	P(port)->virq = b->virq;
	dom.virq_port[b->vcpu][b->virq] = port;
	b->port = port;
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_bind_ipi(struct evtchn_bind_ipi *b)
{
	int port;

	if (b->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&dom.lock);
	port = alloc_port(M3_IPI, b->vcpu);
	if (port > 0)
		b->port = port;
	pthread_mutex_unlock(&dom.lock);
	return port < 0 ? port : 0;
}

static int op_close(struct evtchn_close *c)
{
	struct m3_port *p, *r = NULL;
	int rc = 0;

	pthread_mutex_lock(&dom.lock);
	if (!port_valid(c->port) || P(c->port)->state == M3_FREE ||
	    P(c->port)->state == M3_RESERVED) {
		rc = -EINVAL;
		goto out;
	}
	p = P(c->port);
	if (p->state == M3_INTERDOMAIN && p->remote_dom == 0)
		r = P(p->remote_port);
	if (r && r != p) {
		/* The other end of a loopback pair goes back to unbound. */
		port_wlock(r);
		r->state = M3_UNBOUND;
		r->remote_port = 0;
		port_wunlock(r);
	}
	port_wlock(p);
	free_port(c->port);
	port_wunlock(p);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_send(struct evtchn_send *s)
{
	evtchn_port_t target = 0;
	struct m3_port *p;
	int rc = 0;

	if (!port_valid(s->port))
		return -EINVAL;
	p = P(s->port);
	port_rlock(p);
	switch (p->state) {
	case M3_INTERDOMAIN:
		if (p->remote_dom == M3_PEER_DOMID)
			count(&dom.peer_received[s->port]);
		else
			target = p->remote_port;
		break;
	case M3_IPI:
		raise_port(s->port);
		break;
	case M3_UNBOUND:
		break;		/* nobody listens yet: dropped */
	default:
		rc = -EINVAL;
		break;
	}
	port_runlock(p);
	if (target) {
		struct m3_port *t = P(target);

		port_rlock(t);
		if (t->state == M3_INTERDOMAIN && t->remote_port == s->port)
			raise_port(target);
		port_runlock(t);
	}
	return rc;
}

static int op_bind_vcpu(struct evtchn_bind_vcpu *b)
{
	struct m3_port *p;
	int rc = 0;

	if (b->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	if (!port_valid(b->port))
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	p = P(b->port);
	port_wlock(p);
	switch (p->state) {
	case M3_VIRQ:
		if (M3_PERCPU_VIRQS & (1U << p->virq)) {
			rc = -EINVAL;
			break;
		}
		dom.virq_port[p->vcpu][p->virq] = 0;
		dom.virq_port[b->vcpu][p->virq] = b->port;
		p->vcpu = b->vcpu;
		break;
	case M3_UNBOUND:
	case M3_INTERDOMAIN:
	case M3_PIRQ:
		/* Selector bits already set on the old vCPU stay there. */
		p->vcpu = b->vcpu;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	port_wunlock(p);
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_unmask(struct evtchn_unmask *u)
{
	struct m3_port *p;
	unsigned int vcpu;

	if (!port_valid(u->port))
		return -EINVAL;
	count(&dom.unmask_calls[u->port]);
	p = P(u->port);
	port_rlock(p);
	vcpu = p->vcpu;
	pthread_rwlock_rdlock(&dom.abi_lock);
	if (dom.abi == M3_3L) {
		/* Whatever the mask bit was: the guest may have cleared it. */
		l3_clear(dom.mask, u->port);
		if (l3_test(dom.pending, u->port))
			l3_select(vcpu, u->port);
	} else if (dom.abi == M3_2L) {
		if (g_test_and_clear(l2_mask(), u->port) &&
		    g_test(l2_pending(), u->port) &&
		    !g_test_and_set(sel1(vcpu), u->port / M3_W))
			mark_pending(vcpu);
	}
	pthread_rwlock_unlock(&dom.abi_lock);
	port_runlock(p);
	return 0;
}

/* Unmap everything 3-level; dom.lock and abi_lock (write) held. */
static void l3_unmap_locked(void)
{
	unsigned int i;

	for (i = 0; i < M3_MAP_PAGES; i++) {
		dom.pending[i] = NULL;
		dom.mask[i] = NULL;
	}
	for (i = 0; i < M3_MAX_VCPUS; i++)
		__atomic_store_n(&dom.sel2[i], NULL, __ATOMIC_RELEASE);
}

static void reset_locked(void)
{
	unsigned int port;

	for (port = 1; port < M3_PORTS; port++) {
		struct m3_port *p = P(port);

		if (p->state != M3_FREE) {
			port_wlock(p);
			free_port(port);
			port_wunlock(p);
		}
	}
	memset(dom.virq_port, 0, sizeof(dom.virq_port));
	pthread_rwlock_wrlock(&dom.abi_lock);
	l3_unmap_locked();
	dom.abi = M3_2L;
	pthread_rwlock_unlock(&dom.abi_lock);
	dom.free_hint = 1;
}

static int op_reset(struct evtchn_reset *r)
{
	if (!is_self(r->dom))
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	reset_locked();
	pthread_mutex_unlock(&dom.lock);
	return 0;
}

static int op_init_control(struct evtchn_init_control *ic)
{
	int rc = 0;

	if (dom.cfg.no_fifo)
		return -ENOSYS;
	if (ic->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&dom.lock);
	pthread_rwlock_wrlock(&dom.abi_lock);
	if (dom.abi == M3_3L)
		rc = -EBUSY;	/* the 3-level ABI must be reset first */
	else
		dom.abi = M3_FIFO;	/* nothing more of FIFO is modelled */
	pthread_rwlock_unlock(&dom.abi_lock);
	pthread_mutex_unlock(&dom.lock);
	ic->link_bits = EVTCHN_FIFO_LINK_BITS;
	return rc;
}

static int op_expand_array(struct evtchn_expand_array *ea)
{
	(void)ea;
	if (dom.cfg.no_fifo)
		return -ENOSYS;
	/* Also on 3-level: its bitmaps are complete from phase 1. */
	return dom.abi == M3_FIFO ? 0 : -EOPNOTSUPP;
}

static int op_set_priority(struct evtchn_set_priority *sp)
{
	(void)sp;
	return dom.abi == M3_FIFO && !dom.cfg.no_fifo ? 0 : -ENOSYS;
}

/* ---- EVTCHNOP_3level ------------------------------------------------------ */

/* QUERY's rule: the hardware domain, or one sized beyond 2-level. */
static bool l3_allowed(void)
{
	return !dom.cfg.domu || !dom.cfg.max_evtchn_port ||
	       dom.cfg.max_evtchn_port >= M3_2L_PORTS;
}

/* A page the guest may map (a live page it allocated), or NULL. */
static xen_ulong_t *gfn_page(u64 gfn)
{
	void *pg;

	if (gfn >> (64 - XEN_PAGE_SHIFT))
		return NULL;
	pg = (void *)(uintptr_t)(gfn << XEN_PAGE_SHIFT);
	return shim_page_is_live(pg) ? pg : NULL;
}

static int l3_query(struct evtchn_3level *op)
{
	if (!l3_allowed())
		return -EPERM;
	op->u.query.nr_channels = M3_PORTS;
	op->u.query.bitmap_pages = M3_MAP_PAGES + dom.cfg.odd_geometry;
	op->u.query.l2_bytes = M3_SEL_BYTES;
	op->u.query.flags = 0;
	return 0;
}

/*
 * Phase 1.  DOC: the order of the checks is not given; as xen/patches/:
 * -EPERM, then the arguments (-EINVAL), -EBUSY, -EEXIST, then the pages
 * (-EINVAL) and -ENOMEM.
 */
static int l3_register_bitmaps(struct evtchn_3level *op)
{
	struct evtchn_3level_bitmaps *bm = &op->u.bitmaps;
	xen_ulong_t *pg[2 * M3_MAP_PAGES];
	unsigned int i, j, n = M3_MAP_PAGES;
	int rc = 0;

	if (!l3_allowed())
		return -EPERM;
	if (bm->nr_pages != M3_MAP_PAGES || bm->pad || op->vcpu)
		return -EINVAL;

	pthread_mutex_lock(&dom.lock);
	if (dom.abi == M3_FIFO) {
		rc = -EBUSY;
		goto out;
	}
	if (dom.abi == M3_3L) {
		rc = -EEXIST;
		goto out;
	}
	for (i = 0; i < 2 * n; i++) {
		pg[i] = gfn_page(i < n ? bm->pending_gfn[i] : bm->mask_gfn[i - n]);
		if (!pg[i]) {
			rc = -EINVAL;
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (pg[j] == pg[i]) {
				rc = -EINVAL;
				goto out;
			}
		}
	}

	/* Atomically with respect to event delivery to this domain: */
	pthread_rwlock_wrlock(&dom.abi_lock);
	for (i = 0; i < n; i++) {
		dom.pending[i] = pg[i];
		dom.mask[i] = pg[n + i];
	}
	/*
	 * The 2-level pending and mask bits of ports 0 .. W*W-1 overwrite
	 * theirs in L3; the ports above keep what the guest wrote.
	 */
	for (i = 0; i < M3_2L_PORTS / M3_W; i++) {
		__atomic_store_n(l3_at(dom.mask, i * M3_W),
				 __atomic_load_n(&l2_mask()[i], __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(l3_at(dom.pending, i * M3_W),
				 __atomic_load_n(&l2_pending()[i],
						 __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
	}
	dom.abi = M3_3L;
	pthread_rwlock_unlock(&dom.abi_lock);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

/*
 * Phase 2 for one vCPU.  DOC: order of the checks as xen/patches/:
 * -EINVAL for the state and the arguments, -ENOENT, -EEXIST, then the
 * page (-EINVAL) and -ENOMEM.
 */
static int l3_register_l2(struct evtchn_3level *op)
{
	struct evtchn_3level_l2 *req = &op->u.l2;
	unsigned int v = op->vcpu, port;
	xen_ulong_t *pg;
	int rc = -EINVAL;

	pthread_mutex_lock(&dom.lock);
	if (dom.abi != M3_3L || req->pad ||
	    req->offset % sizeof(xen_ulong_t) ||
	    req->offset > XEN_PAGE_SIZE - M3_SEL_BYTES)
		goto out;
	rc = -ENOENT;
	if (v >= dom.cfg.nr_vcpus)
		goto out;
	rc = -EEXIST;
	if (dom.sel2[v])
		goto out;
	rc = -EINVAL;
	pg = gfn_page(req->gfn);
	if (!pg)
		goto out;

	/* Atomically with delivery: the rescan sees what was latched. */
	pthread_rwlock_wrlock(&dom.abi_lock);
	__atomic_store_n(&dom.sel2[v],
			 (xen_ulong_t *)((char *)pg + req->offset),
			 __ATOMIC_RELEASE);
	for (port = 1; port < port_limit(); port++) {
		struct m3_port *p = P(port);

		if (p->state == M3_FREE || p->state == M3_RESERVED ||
		    p->vcpu != v)
			continue;
		if (l3_test(dom.pending, port) && !l3_test(dom.mask, port))
			l3_select(v, port);
	}
	pthread_rwlock_unlock(&dom.abi_lock);
	rc = 0;
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_3level(struct evtchn_3level *op)
{
	if (dom.cfg.stock)
		return -ENOSYS;
	if (op->cmd < ARRAY_SIZE(dom.stats.calls_3l))
		count(&dom.stats.calls_3l[op->cmd]);

	switch (op->cmd) {
	case EVTCHN_3L_QUERY:
		return l3_query(op);
	case EVTCHN_3L_REGISTER_BITMAPS:
		return l3_register_bitmaps(op);
	case EVTCHN_3L_REGISTER_L2:
		return l3_register_l2(op);
	default:
		/* DOC: not given; -EINVAL as xen/patches/. */
		return -EINVAL;
	}
}

/* ---- Dispatch ----------------------------------------------------------- */

static bool fail_injected(int cmd, void *arg, int *err)
{
	bool hit = false;
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	for (i = 0; i < ARRAY_SIZE(dom.fail) && !hit; i++) {
		struct m3_failure *f = &dom.fail[i];

		if (!f->err || f->cmd != cmd ||
		    (cmd == EVTCHNOP_3level &&
		     ((struct evtchn_3level *)arg)->cmd != (u32)f->sub))
			continue;
		if (f->skip) {
			f->skip--;
			continue;
		}
		*err = f->err;
		f->err = 0;
		hit = true;
	}
	pthread_mutex_unlock(&dom.lock);
	return hit;
}

int model_guest_event_channel_op(unsigned int xen_vcpu, int cmd, void *arg)
{
	int err;

	if (!created) {
		fprintf(stderr, "hypercall %d before the model exists\n", cmd);
		abort();
	}
	if (xen_vcpu >= dom.cfg.nr_vcpus) {
		fprintf(stderr, "hypercall %d from unknown vCPU %u\n", cmd,
			xen_vcpu);
		abort();
	}
	if (cmd >= 0 && cmd < M3_NR_CMDS)
		count(&dom.stats.calls[cmd]);
	if (!arg)
		return -EFAULT;
	if (fail_injected(cmd, arg, &err))
		return err;

	switch (cmd) {
	case EVTCHNOP_bind_interdomain:
		return op_bind_interdomain(arg);
	case EVTCHNOP_bind_virq:
		return op_bind_virq(arg);
	case EVTCHNOP_close:
		return op_close(arg);
	case EVTCHNOP_send:
		return op_send(arg);
	case EVTCHNOP_alloc_unbound:
		return op_alloc_unbound(arg);
	case EVTCHNOP_bind_ipi:
		return op_bind_ipi(arg);
	case EVTCHNOP_bind_vcpu:
		return op_bind_vcpu(arg);
	case EVTCHNOP_unmask:
		return op_unmask(arg);
	case EVTCHNOP_reset:
		return op_reset(arg);
	case EVTCHNOP_init_control:
		return op_init_control(arg);
	case EVTCHNOP_expand_array:
		return op_expand_array(arg);
	case EVTCHNOP_set_priority:
		return op_set_priority(arg);
	case EVTCHNOP_3level:
		return op_3level(arg);
	case EVTCHNOP_bind_pirq:
		return -EPERM;	/* no physical IRQs in the model */
	default:
		return -ENOSYS;
	}
}

/* ---- Life cycle ----------------------------------------------------------- */

int m3_create(const struct m3_config *cfg)
{
	if (created || !cfg->nr_vcpus || cfg->nr_vcpus > M3_MAX_VCPUS)
		return -EINVAL;
	memset(&dom, 0, sizeof(dom));
	dom.cfg = *cfg;
	dom.si = aligned_alloc(XEN_PAGE_SIZE, XEN_PAGE_SIZE);
	dom.port = calloc(M3_PORTS, sizeof(*dom.port));
	dom.peer_received = calloc(M3_PORTS, sizeof(*dom.peer_received));
	dom.unmask_calls = calloc(M3_PORTS, sizeof(*dom.unmask_calls));
	if (!dom.si || !dom.port || !dom.peer_received || !dom.unmask_calls) {
		free(dom.si);
		free(dom.port);
		free(dom.peer_received);
		free(dom.unmask_calls);
		return -ENOMEM;
	}
	pthread_mutex_init(&dom.lock, NULL);
	pthread_rwlock_init(&dom.abi_lock, NULL);
	memset(dom.si, 0, XEN_PAGE_SIZE);
	dom.port[0].state = M3_RESERVED;
	dom.free_hint = 1;
	dom.abi = M3_2L;
	created = true;
	return 0;
}

void m3_destroy(void)
{
	if (!created)
		return;
	created = false;
	free(dom.si);
	free(dom.port);
	free(dom.peer_received);
	free(dom.unmask_calls);
	pthread_rwlock_destroy(&dom.abi_lock);
	pthread_mutex_destroy(&dom.lock);
	memset(&dom, 0, sizeof(dom));
}

void m3_new_domain(bool stock)
{
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	reset_locked();
	dom.cfg.stock = stock;
	/* Like a restored guest's shared_info: whatever the old one held. */
	for (i = 0; i < M3_MAX_VCPUS; i++) {
		dom.si->vcpu_info[i].evtchn_upcall_pending = 0;
		dom.si->vcpu_info[i].evtchn_pending_sel = 0;
	}
	pthread_mutex_unlock(&dom.lock);
}

struct shared_info *m3_shared_info(void)
{
	return dom.si;
}

struct vcpu_info *m3_vcpu_info(unsigned int vcpu)
{
	return &dom.si->vcpu_info[vcpu];
}

enum m3_abi m3_abi(void)
{
	return dom.abi;
}

unsigned int m3_port_limit(void)
{
	return port_limit();
}

struct m3_stats *m3_stats(void)
{
	return &dom.stats;
}

/* ---- The Xen side ---------------------------------------------------------- */

int m3_raise(evtchn_port_t port)
{
	struct m3_port *p;
	int rc = 0;

	if (port >= M3_PORTS)
		return -EINVAL;
	p = P(port);
	port_rlock(p);
	switch (p->state) {
	case M3_INTERDOMAIN:
	case M3_IPI:
	case M3_VIRQ:
		raise_port(port);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	port_runlock(p);
	return rc;
}

int m3_peer_connect(evtchn_port_t local)
{
	struct m3_port *p;
	int rc = 0;

	if (local >= M3_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	p = P(local);
	port_wlock(p);
	if (p->state == M3_UNBOUND && p->remote_dom == M3_PEER_DOMID)
		p->state = M3_INTERDOMAIN;
	else
		rc = -EINVAL;
	port_wunlock(p);
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

unsigned long m3_peer_received(evtchn_port_t local)
{
	return local < M3_PORTS ?
	       __atomic_load_n(&dom.peer_received[local], __ATOMIC_RELAXED) : 0;
}

/* ---- Inspection ------------------------------------------------------------- */

int m3_port_state(evtchn_port_t port, unsigned int *vcpu)
{
	struct m3_port *p;
	int state;

	if (port >= M3_PORTS)
		return -EINVAL;
	p = P(port);
	port_rlock(p);
	state = p->state;
	if (vcpu)
		*vcpu = p->vcpu;
	port_runlock(p);
	return state;
}

xen_ulong_t *m3_sel2(unsigned int vcpu)
{
	return vcpu < M3_MAX_VCPUS ?
	       __atomic_load_n(&dom.sel2[vcpu], __ATOMIC_ACQUIRE) : NULL;
}

bool m3_l3_pending(evtchn_port_t port)
{
	return dom.abi == M3_3L && port < M3_PORTS &&
	       l3_test(dom.pending, port);
}

bool m3_l3_masked(evtchn_port_t port)
{
	return dom.abi == M3_3L && port < M3_PORTS && l3_test(dom.mask, port);
}

unsigned int m3_mapped_pages(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < M3_MAP_PAGES; i++)
		n += !!dom.pending[i] + !!dom.mask[i];
	for (i = 0; i < M3_MAX_VCPUS; i++)
		n += !!m3_sel2(i);
	return n;
}

bool m3_mapped_pages_live(void)
{
	unsigned int i;

	for (i = 0; i < M3_MAP_PAGES; i++) {
		if (dom.pending[i] && !shim_page_is_live(dom.pending[i]))
			return false;
		if (dom.mask[i] && !shim_page_is_live(dom.mask[i]))
			return false;
	}
	for (i = 0; i < M3_MAX_VCPUS; i++) {
		xen_ulong_t *l2 = m3_sel2(i);

		if (l2 && !shim_page_is_live((void *)((uintptr_t)l2 &
						      XEN_PAGE_MASK)))
			return false;
	}
	return true;
}

unsigned long m3_unmask_calls(evtchn_port_t port)
{
	return port < M3_PORTS ?
	       __atomic_load_n(&dom.unmask_calls[port], __ATOMIC_RELAXED) : 0;
}

unsigned int m3_ports_in_use(void)
{
	unsigned int port, n = 0;

	for (port = 1; port < M3_PORTS; port++)
		n += P(port)->state != M3_FREE;
	return n;
}

/* ---- Steering ----------------------------------------------------------------- */

void m3_fail_op(int cmd, int sub, int err, unsigned int skip)
{
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	for (i = 0; i < ARRAY_SIZE(dom.fail); i++) {
		if (!dom.fail[i].err) {
			dom.fail[i] = (struct m3_failure){ cmd, sub, err, skip };
			break;
		}
	}
	pthread_mutex_unlock(&dom.lock);
}

void m3_set_hook(m3_hook_fn fn, void *arg)
{
	dom.hook_arg = arg;
	__atomic_store_n(&dom.hook, fn, __ATOMIC_RELEASE);
}
