// SPDX-License-Identifier: GPL-2.0-only
/*
 * The model hypervisor: Xen 4.17's event channel semantics, in userspace.
 *
 * Locking, outermost first:
 *   dom.lock (mutex)   port allocation, close, binding, init_control,
 *                      expand_array, reset, the 3-level registrations
 *   dom.abi_lock (rw)  held shared by every path that raises or unmasks
 *                      without dom.lock (raise_port, EVTCHNOP_unmask),
 *                      exclusive by what switches the ABI or maps 3-level
 *                      pages (init_control's switch, EVTCHN_3L_REGISTER_*,
 *                      reset): those are atomic with respect to delivery
 *   port->lock         a reader/writer spin lock per port; raising an event
 *                      holds it shared, rebinding/closing exclusive.  No
 *                      path holds two port locks at once except close of a
 *                      loopback pair, which takes both in port order under
 *                      dom.lock.
 *   queue->lock        FIFO per-vCPU, per-priority queue; two are taken in
 *                      address order when an event changes queue.
 * Guest-shared memory (shared_info, event words, control blocks) is only
 * touched with __atomic operations, as Xen uses locked instructions.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model.h"

#define W_PENDING	((u32)BIT(EVTCHN_FIFO_PENDING))
#define W_MASKED	((u32)BIT(EVTCHN_FIFO_MASKED))
#define W_LINKED	((u32)BIT(EVTCHN_FIFO_LINKED))
#define W_BUSY		((u32)BIT(EVTCHN_FIFO_BUSY))
#define W_LINK		((u32)EVTCHN_FIFO_LINK_MASK)

/* Per-vCPU VIRQs; every other VIRQ is global (bound on vCPU 0). */
#define PERCPU_VIRQS	((1U << VIRQ_TIMER) | (1U << VIRQ_DEBUG) | \
			 (1U << VIRQ_XENOPROF) | (1U << VIRQ_XENPMU))

struct mx_port {
	u8 state;
	u8 priority;
	u8 virq;
	bool latched;		/* FIFO: raised while its word was missing */
	u16 remote_dom;
	u32 vcpu;		/* notify vCPU */
	u32 remote_port;	/* loopback: our port; peer: the peer's id */
	u32 lastq;		/* FIFO: vcpu << 8 | priority last queued on */
	int lock;		/* >0 readers, -1 writer */
};

struct mx_queue {
	int lock;
	u32 tail;
	u8 prio;
	u32 *head;		/* in the guest's control block, or NULL */
};

struct mx_vcpu {
	unsigned int id;
	struct vcpu_info *vi;
	struct evtchn_fifo_control_block *cb;
	struct mx_queue q[EVTCHN_FIFO_MAX_QUEUES];
	u32 kick_seq;
	u32 virq_port[MX_NR_VIRQS];
};

/* Port @port's word and bit in an L3 bitmap (pages as Xen maps them). */
static xen_ulong_t *l3_word(xen_ulong_t **map, evtchn_port_t port)
{
	unsigned int word = port / MX_3L_W;

	return &map[word / MX_3L_PAGE_WORDS][word % MX_3L_PAGE_WORDS];
}

#define L3_BIT(port)	((xen_ulong_t)1 << ((port) % MX_3L_W))

struct mx_peer_port {
	u32 local;		/* our port bound to it, 0 if none */
	bool offered;
	unsigned long received;
};

#define MX_PEER_PORTS	MX_MAX_PORTS

static struct mx_domain {
	pthread_mutex_t lock;
	pthread_rwlock_t abi_lock;
	struct mx_config cfg;
	enum mx_abi abi;
	struct shared_info *si;
	struct mx_vcpu vcpu[MX_MAX_VCPUS];
	struct mx_port *port;
	unsigned long *unmask_calls;
	/* FIFO EVTCHNOP_unmask in progress on a port: begun - ended. */
	unsigned long *unmask_begun, *unmask_ended;
	unsigned int free_hint;
	unsigned int port_hwm;		/* no port above was ever in use */
	event_word_t *page[MX_FIFO_MAX_PAGES];
	unsigned int nr_pages;
	struct mx_peer_port *peer;
	unsigned int peer_next;
	/* 3-level: the L3 bitmaps and each vCPU's L2, as Xen maps them. */
	xen_ulong_t *l3_pending[MX_3L_MAP_PAGES];
	xen_ulong_t *l3_mask[MX_3L_MAP_PAGES];
	xen_ulong_t *l3_sel2[MX_MAX_VCPUS];
	struct mx_stats stats;
	/* steering */
	struct mx_failure {
		int cmd, sub, err;	/* sub: EVTCHN_3L_*, or -1 for any */
		unsigned int skip;
	} fail[4];
	unsigned int chaos;
	u64 chaos_seed;
	mx_hook_fn hook;
	void *hook_arg;
	unsigned int force_contention;
	u32 busy_held_port;
	bool busy_masked;
	unsigned long busy_unmasks;
} dom;

static bool created;

/* ---- Small primitives ------------------------------------------------- */

static void spin_wait(unsigned int *n)
{
	if (++*n % 64 == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

static void q_lock(struct mx_queue *q)
{
	unsigned int n = 0;

	while (__atomic_exchange_n(&q->lock, 1, __ATOMIC_ACQUIRE))
		spin_wait(&n);
}

static void q_unlock(struct mx_queue *q)
{
	__atomic_store_n(&q->lock, 0, __ATOMIC_RELEASE);
}

static void port_read_lock(struct mx_port *p)
{
	unsigned int n = 0;
	int v;

	for (;;) {
		v = __atomic_load_n(&p->lock, __ATOMIC_RELAXED);
		if (v >= 0 &&
		    __atomic_compare_exchange_n(&p->lock, &v, v + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		spin_wait(&n);
	}
}

static void port_read_unlock(struct mx_port *p)
{
	__atomic_sub_fetch(&p->lock, 1, __ATOMIC_RELEASE);
}

static void port_write_lock(struct mx_port *p)
{
	unsigned int n = 0;
	int v;

	for (;;) {
		v = 0;
		if (__atomic_compare_exchange_n(&p->lock, &v, -1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		spin_wait(&n);
	}
}

static void port_write_unlock(struct mx_port *p)
{
	__atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

static u64 chaos_next(void)
{
	static __thread u64 state;
	static __thread u64 gen;
	u64 x, seed = __atomic_load_n(&dom.chaos_seed, __ATOMIC_RELAXED);

	if (!state || gen != seed) {
		gen = seed;
		state = seed ^ ((u64)pthread_self() * 0x9e3779b97f4a7c15ULL);
		state |= 1;
	}
	x = state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	state = x;
	return x;
}

/* An interleaving point: maybe let another thread run here. */
static void chaos_point(void)
{
	unsigned int permille = __atomic_load_n(&dom.chaos, __ATOMIC_RELAXED);
	u64 r;

	if (!permille)
		return;
	r = chaos_next();
	if (r % 1000 >= permille)
		return;
	if (r & (1ULL << 40)) {
		sched_yield();
	} else {
		unsigned int i, spins = (r >> 20) % 200;

		for (i = 0; i < spins; i++)
			__builtin_ia32_pause();
	}
}

static void hook(enum mx_point pt, evtchn_port_t port)
{
	mx_hook_fn fn = __atomic_load_n(&dom.hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn(pt, port, dom.hook_arg);
	chaos_point();
}

static void xen_warn(const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&dom.stats.xen_warnings, 1, __ATOMIC_RELAXED);
	if (!getenv("HX_VERBOSE"))
		return;
	fputs("(XEN) ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void stat_inc(unsigned long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static unsigned int abi_max_ports(void)
{
	switch (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE)) {
	case MX_ABI_FIFO:
		return MX_FIFO_PORTS;
	case MX_ABI_3L:
		return MX_3L_PORTS;
	default:
		return MX_2L_PORTS;
	}
}

/* Xen's port_is_valid(): within what the domain's ABI can address. */
static bool port_valid(evtchn_port_t port)
{
	return port < abi_max_ports();
}

static struct mx_port *P(evtchn_port_t port)
{
	return &dom.port[port];
}

/* ---- Kicking vCPUs ---------------------------------------------------- */

void mx_kick(unsigned int vcpu)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	stat_inc(&dom.stats.kicks[vcpu]);
	__atomic_add_fetch(&v->kick_seq, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &v->kick_seq, FUTEX_WAKE_PRIVATE, INT_MAX,
		NULL, NULL, 0);
}

/* vcpu_mark_events_pending(): raise the upcall flag, kick on a 0->1 edge. */
static void mark_events_pending(struct mx_vcpu *v)
{
	if (!__atomic_exchange_n(&v->vi->evtchn_upcall_pending, 1,
				 __ATOMIC_SEQ_CST))
		mx_kick(v->id);
}

unsigned int mx_kick_seq(unsigned int vcpu)
{
	return __atomic_load_n(&dom.vcpu[vcpu].kick_seq, __ATOMIC_SEQ_CST);
}

void mx_wait_kick(unsigned int vcpu, unsigned int seen, unsigned int usec)
{
	struct timespec ts = {
		.tv_sec = usec / 1000000,
		.tv_nsec = (long)(usec % 1000000) * 1000,
	};

	syscall(SYS_futex, &dom.vcpu[vcpu].kick_seq, FUTEX_WAIT_PRIVATE,
		seen, &ts, NULL, 0);
}

/* ---- 2-level ---------------------------------------------------------- */

static unsigned long *l2_pending(void)
{
	return (unsigned long *)dom.si->evtchn_pending;
}

static unsigned long *l2_mask(void)
{
	return (unsigned long *)dom.si->evtchn_mask;
}

static unsigned long *l2_sel(struct mx_vcpu *v)
{
	return (unsigned long *)&v->vi->evtchn_pending_sel;
}

static void l2_raise(struct mx_vcpu *v, evtchn_port_t port)
{
	if (test_and_set_bit(port, l2_pending()))
		return;
	hook(MX_PT_2L_PENDING_SET, port);
	if (test_bit(port, l2_mask()))
		return;
	if (test_and_set_bit(port / BITS_PER_LONG, l2_sel(v)))
		return;
	mark_events_pending(v);
}

static void l2_unmask(struct mx_vcpu *v, evtchn_port_t port)
{
	if (!test_and_clear_bit(port, l2_mask()))
		return;
	if (!test_bit(port, l2_pending()))
		return;
	if (!test_and_set_bit(port / BITS_PER_LONG, l2_sel(v)))
		mark_events_pending(v);
}

/* ---- FIFO ------------------------------------------------------------- */

static event_word_t *fifo_word(evtchn_port_t port)
{
	unsigned int n = __atomic_load_n(&dom.nr_pages, __ATOMIC_ACQUIRE);
	unsigned int pg = port / MX_FIFO_PAGE_WORDS;

	if (port >= MX_FIFO_PORTS || pg >= n)
		return NULL;
	return dom.page[pg] + port % MX_FIFO_PAGE_WORDS;
}

static u32 wload(event_word_t *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static bool wcas(event_word_t *w, u32 *old, u32 new)
{
	return __atomic_compare_exchange_n(w, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*
 * Chain @port after the queue's tail @tail_port.  False if the tail is no
 * longer LINKED (the guest consumed it), in which case @port becomes HEAD.
 * Under contention Xen sets BUSY so the guest cannot unmask the tail
 * meanwhile, retries a bounded number of times and then gives up, losing
 * the event (a guest that fights it that hard is misbehaving).
 */
static bool try_link(event_word_t *tw, u32 seen, evtchn_port_t port)
{
	/* A test can make an attempt lose, as if the guest wrote meanwhile. */
	if (__atomic_load_n(&dom.force_contention, __ATOMIC_RELAXED)) {
		__atomic_sub_fetch(&dom.force_contention, 1, __ATOMIC_RELAXED);
		return false;
	}
	/* The new value has BUSY clear: linking releases it. */
	if (!wcas(tw, &seen, (seen & ~(W_BUSY | W_LINK)) | port))
		return false;
	stat_inc(&dom.stats.links);
	return true;
}

/*
 * While Xen holds BUSY the guest may not clear MASKED; only Xen's own
 * EVTCHNOP_unmask may.  A window opens once BUSY is set: it is judged only
 * if no such unmask was in flight, and MASKED is read after the counters,
 * so an unmask that finished before is already reflected in it.
 */
struct busy_window {
	bool judged;
	bool masked;
	unsigned long begun;
};

static void busy_open(struct busy_window *bw, event_word_t *w,
		      evtchn_port_t port)
{
	unsigned long b = __atomic_load_n(&dom.unmask_begun[port], __ATOMIC_SEQ_CST);
	unsigned long e = __atomic_load_n(&dom.unmask_ended[port], __ATOMIC_SEQ_CST);

	bw->judged = b == e;
	bw->begun = b;
	bw->masked = wload(w) & W_MASKED;
}

static void busy_check(struct busy_window *bw, u32 now, evtchn_port_t port)
{
	if (bw->judged && bw->masked && !(now & W_MASKED) &&
	    __atomic_load_n(&dom.unmask_begun[port], __ATOMIC_SEQ_CST) == bw->begun) {
		stat_inc(&dom.stats.cleared_under_busy);
		bw->judged = false;
	}
}

static bool fifo_chain(evtchn_port_t tail_port, evtchn_port_t port)
{
	event_word_t *tw = fifo_word(tail_port);
	struct busy_window bw;
	unsigned int attempt;
	u32 seen;

	if (!tw)
		return false;
	seen = wload(tw);
	if (!(seen & W_LINKED))
		return false;
	hook(MX_PT_FIFO_BEFORE_LINK, tail_port);
	if (try_link(tw, seen, port))
		return true;

	__atomic_fetch_or(tw, W_BUSY, __ATOMIC_SEQ_CST);
	busy_open(&bw, tw, tail_port);
	stat_inc(&dom.stats.busy_set);
	hook(MX_PT_FIFO_BUSY_SET, tail_port);
	for (attempt = 0; attempt < 4; attempt++) {
		seen = wload(tw);
		busy_check(&bw, seen, tail_port);
		if (!(seen & W_LINKED)) {
			__atomic_fetch_and(tw, ~W_BUSY, __ATOMIC_SEQ_CST);
			return false;
		}
		chaos_point();
		if (try_link(tw, seen, port))
			return true;
	}
	busy_check(&bw, wload(tw), tail_port);
	__atomic_fetch_and(tw, ~W_BUSY, __ATOMIC_SEQ_CST);
	stat_inc(&dom.stats.lost_events);
	xen_warn("port %u not linked", port);
	return true;
}

static u32 lastq_pack(unsigned int vcpu, unsigned int prio)
{
	return vcpu << 8 | prio;
}

static void lock_two(struct mx_queue *a, struct mx_queue *b)
{
	if (a == b) {
		q_lock(a);
	} else if (a < b) {
		q_lock(a);
		q_lock(b);
	} else {
		q_lock(b);
		q_lock(a);
	}
}

static void unlock_two(struct mx_queue *a, struct mx_queue *b)
{
	if (a != b)
		q_unlock(b);
	q_unlock(a);
}

/* evtchn_fifo_set_pending(): called with the port's lock held (shared). */
static void fifo_raise(struct mx_vcpu *v, evtchn_port_t port)
{
	struct mx_port *p = P(port);
	struct mx_queue *q = NULL, *old = NULL;
	event_word_t *w = fifo_word(port);
	bool new_head = false;
	unsigned int tries;
	u32 last;

	if (!w) {
		/* No page yet: remembered, raised when the page comes. */
		p->latched = true;
		return;
	}

	/*
	 * Lock the queue the port goes to and the one it was last queued on;
	 * either can change under us (rebinding, priority), so re-check and
	 * give up after three attempts, as Xen does.
	 */
	for (tries = 0; tries < 3; tries++) {
		last = __atomic_load_n(&p->lastq, __ATOMIC_ACQUIRE);
		q = &v->q[__atomic_load_n(&p->priority, __ATOMIC_RELAXED)];
		old = &dom.vcpu[last >> 8].q[last & 0xff];
		lock_two(q, old);
		if (last == __atomic_load_n(&p->lastq, __ATOMIC_ACQUIRE) &&
		    q == &v->q[__atomic_load_n(&p->priority, __ATOMIC_RELAXED)])
			break;
		unlock_two(q, old);
	}
	if (tries == 3) {
		xen_warn("port %u lost event (too many queue changes)", port);
		stat_inc(&dom.stats.lost_events);
		return;
	}

	if (!v->cb) {
		xen_warn("vcpu %u has no FIFO event channel control block", v->id);
		goto out;
	}

	__atomic_fetch_or(w, W_PENDING, __ATOMIC_SEQ_CST);
	hook(MX_PT_FIFO_PENDING_SET, port);

	if (!(wload(w) & W_MASKED) &&
	    !(__atomic_fetch_or(w, W_LINKED, __ATOMIC_SEQ_CST) & W_LINKED)) {
		bool chained = false;

		/* It was the tail of its old queue, which is empty now. */
		if (old->tail == port)
			old->tail = 0;
		if (old != q) {
			__atomic_store_n(&p->lastq, lastq_pack(v->id, q->prio),
					 __ATOMIC_RELEASE);
			q_unlock(old);
			old = q;
		}
		if (q->tail)
			chained = fifo_chain(q->tail, port);
		if (!chained) {
			__atomic_store_n(q->head, port, __ATOMIC_SEQ_CST);
			stat_inc(&dom.stats.new_heads);
			new_head = true;
		}
		q->tail = port;
	}
out:
	unlock_two(q, old);

	/* READY only for a new HEAD, so a guest that sees READY sees a HEAD. */
	if (new_head &&
	    !(__atomic_fetch_or(&v->cb->ready, 1U << q->prio, __ATOMIC_SEQ_CST) &
	      (1U << q->prio)))
		mark_events_pending(v);
}

static void fifo_unmask(struct mx_vcpu *v, evtchn_port_t port)
{
	event_word_t *w = fifo_word(port);

	if (!w)
		return;
	if (dom.busy_held_port == port)
		dom.busy_unmasks++;
	if ((wload(w) & (W_PENDING | W_MASKED)) == W_PENDING)
		stat_inc(&dom.stats.unmask_already_clear);
	__atomic_add_fetch(&dom.unmask_begun[port], 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(w, ~W_MASKED, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&dom.unmask_ended[port], 1, __ATOMIC_SEQ_CST);
	if (wload(w) & W_PENDING)
		fifo_raise(v, port);
}

/* ---- 3-level (Documentation/xen/evtchn-3level-abi.rst) ---------------- */

/* Bit @bit of a guest bitmap of xen_ulong_t words, with a locked RMW. */
static bool g_test_and_set(xen_ulong_t *map, unsigned int bit)
{
	xen_ulong_t b = (xen_ulong_t)1 << (bit % MX_3L_W);

	return __atomic_fetch_or(&map[bit / MX_3L_W], b, __ATOMIC_SEQ_CST) & b;
}

static bool l3_test(xen_ulong_t **map, evtchn_port_t port)
{
	return __atomic_load_n(l3_word(map, port), __ATOMIC_SEQ_CST) &
	       L3_BIT(port);
}

static bool l3_test_and_set(xen_ulong_t **map, evtchn_port_t port)
{
	return __atomic_fetch_or(l3_word(map, port), L3_BIT(port),
				 __ATOMIC_SEQ_CST) & L3_BIT(port);
}

static void l3_clear(xen_ulong_t **map, evtchn_port_t port)
{
	__atomic_fetch_and(l3_word(map, port), ~L3_BIT(port), __ATOMIC_SEQ_CST);
}

/*
 * The second half of set_pending, for a port pending and not masked: its
 * L2 bit on @v, then its L1 bit, then the upcall, each step only if the
 * one before changed something.  Without an L2 the event stays latched in
 * L3 for REGISTER_L2's rescan.
 */
static void l3_select(struct mx_vcpu *v, evtchn_port_t port)
{
	xen_ulong_t *l2 = __atomic_load_n(&dom.l3_sel2[v->id], __ATOMIC_ACQUIRE);

	if (!l2) {
		stat_inc(&dom.stats.no_l2);
		return;
	}
	if (g_test_and_set(l2, port / MX_3L_W))
		return;
	chaos_point();
	if (g_test_and_set(&v->vi->evtchn_pending_sel, port / (MX_3L_W * MX_3L_W)))
		return;
	mark_events_pending(v);
}

/* set_pending on 3-level: pending, then the mask test, then selection. */
static void l3_raise(struct mx_vcpu *v, evtchn_port_t port)
{
	if (l3_test_and_set(dom.l3_pending, port))
		return;
	hook(MX_PT_3L_PENDING_SET, port);
	if (l3_test(dom.l3_mask, port))
		return;
	l3_select(v, port);
}

/*
 * EVTCHNOP_unmask: clear the mask; a pending port is selected again,
 * whatever the mask bit was before (the guest may have cleared it).
 */
static void l3_unmask(struct mx_vcpu *v, evtchn_port_t port)
{
	l3_clear(dom.l3_mask, port);
	if (l3_test(dom.l3_pending, port))
		l3_select(v, port);
}

/* Forget every 3-level mapping; dom.lock and abi_lock (write) held. */
static void l3_unmap_locked(void)
{
	unsigned int i;

	for (i = 0; i < MX_3L_MAP_PAGES; i++) {
		dom.l3_pending[i] = NULL;
		dom.l3_mask[i] = NULL;
	}
	for (i = 0; i < MX_MAX_VCPUS; i++)
		__atomic_store_n(&dom.l3_sel2[i], NULL, __ATOMIC_RELEASE);
}

/* ---- Generic port operations ------------------------------------------ */

/* evtchn_port_set_pending(): with the port's lock held (shared). */
static void raise_port(evtchn_port_t port)
{
	struct mx_vcpu *v = &dom.vcpu[P(port)->vcpu];

	pthread_rwlock_rdlock(&dom.abi_lock);
	switch (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE)) {
	case MX_ABI_FIFO:
		fifo_raise(v, port);
		break;
	case MX_ABI_3L:
		l3_raise(v, port);
		break;
	default:
		l2_raise(v, port);
		break;
	}
	pthread_rwlock_unlock(&dom.abi_lock);
}

/* evtchn_free()'s clear of the pending state, for every ABI; dom.lock held. */
static void clear_pending(evtchn_port_t port)
{
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_FIFO) {
		event_word_t *w = fifo_word(port);

		if (w)
			__atomic_fetch_and(w, ~W_PENDING, __ATOMIC_SEQ_CST);
	} else if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L) {
		l3_clear(dom.l3_pending, port);
	} else {
		clear_bit(port, l2_pending());
	}
}

/* A FIFO port still LINKED cannot be handed out again (Xen's is_busy). */
static bool port_busy(evtchn_port_t port)
{
	event_word_t *w;

	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_FIFO)
		return false;
	w = fifo_word(port);
	return w && (wload(w) & W_LINKED);
}

/* get_free_port() + bind-time init; dom.lock held.  Returns port or -errno. */
static int alloc_port(enum mx_state state, unsigned int vcpu)
{
	unsigned int limit = abi_max_ports();
	unsigned int port;
	bool hint_ok = true;

	for (port = dom.free_hint; port < limit; port++) {
		struct mx_port *p = P(port);

		if (dom.cfg.max_evtchn_port && port > dom.cfg.max_evtchn_port)
			return -ENOSPC;
		if (p->state != MX_FREE) {
			if (hint_ok)
				dom.free_hint = port + 1;
			continue;
		}
		if (port_busy(port)) {
			hint_ok = false;
			continue;
		}
		port_write_lock(p);
		if (port > dom.port_hwm)
			__atomic_store_n(&dom.port_hwm, port, __ATOMIC_RELEASE);
		p->state = state;
		p->vcpu = vcpu;
		p->latched = false;
		p->remote_dom = 0;
		p->remote_port = 0;
		p->virq = 0;
		if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_FIFO) {
			event_word_t *w = fifo_word(port);

			p->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
			if (w && (wload(w) & W_LINKED))
				xen_warn("port %u already on a queue", port);
		}
		port_write_unlock(p);
		if (hint_ok)
			dom.free_hint = port + 1;
		return port;
	}
	return -ENOSPC;
}

/* evtchn_free(); dom.lock and the port's write lock held. */
static void free_port(evtchn_port_t port)
{
	struct mx_port *p = P(port);

	clear_pending(port);
	p->state = MX_FREE;
	p->vcpu = 0;
	p->latched = false;
	if (port < dom.free_hint)
		dom.free_hint = port;
}

/* ---- Hypercalls ------------------------------------------------------- */

static int op_alloc_unbound(struct evtchn_alloc_unbound *a)
{
	int port;

	if (a->dom != DOMID_SELF && a->dom != MX_SELF_DOMID)
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	port = alloc_port(MX_UNBOUND, 0);
	if (port > 0) {
		P(port)->remote_dom = a->remote_dom == DOMID_SELF ?
				      MX_SELF_DOMID : a->remote_dom;
		a->port = port;
	}
	pthread_mutex_unlock(&dom.lock);
	return port < 0 ? port : 0;
}

static int op_bind_interdomain(struct evtchn_bind_interdomain *b)
{
	unsigned int rdom = b->remote_dom == DOMID_SELF ? MX_SELF_DOMID :
			    b->remote_dom;
	struct mx_port *r, *l;
	int port, rc = 0;

	if (rdom != MX_SELF_DOMID && rdom != MX_PEER_DOMID)
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	if (rdom == MX_PEER_DOMID) {
		if (b->remote_port >= MX_PEER_PORTS ||
		    !dom.peer[b->remote_port].offered ||
		    dom.peer[b->remote_port].local) {
			rc = -EINVAL;
			goto out;
		}
	} else {
		if (!port_valid(b->remote_port)) {
			rc = -EINVAL;
			goto out;
		}
		r = P(b->remote_port);
		if (r->state != MX_UNBOUND || r->remote_dom != MX_SELF_DOMID) {
			rc = -EINVAL;
			goto out;
		}
	}
	port = alloc_port(MX_INTERDOMAIN, 0);
	if (port < 0) {
		rc = port;
		goto out;
	}
	l = P(port);
	l->remote_dom = rdom;
	l->remote_port = b->remote_port;
	if (rdom == MX_PEER_DOMID) {
		dom.peer[b->remote_port].local = port;
	} else {
		r = P(b->remote_port);
		port_write_lock(r);
		r->state = MX_INTERDOMAIN;
		r->remote_dom = MX_SELF_DOMID;
		r->remote_port = port;
		port_write_unlock(r);
	}
	b->local_port = port;
	/* The other end may have sent before we bound: always signal once. */
	port_read_lock(l);
	raise_port(port);
	port_read_unlock(l);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_bind_virq(struct evtchn_bind_virq *b)
{
	struct mx_vcpu *v;
	int port, rc = 0;

	if (b->virq >= MX_NR_VIRQS)
		return -EINVAL;
	if (!(PERCPU_VIRQS & (1U << b->virq)) && b->vcpu != 0)
		return -EINVAL;
	if (b->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	v = &dom.vcpu[b->vcpu];
	pthread_mutex_lock(&dom.lock);
	if (v->virq_port[b->virq]) {
		rc = -EEXIST;
		goto out;
	}
	port = alloc_port(MX_VIRQ, b->vcpu);
	if (port < 0) {
		rc = port;
		goto out;
	}
	P(port)->virq = b->virq;
	v->virq_port[b->virq] = port;
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
	port = alloc_port(MX_IPI, b->vcpu);
	if (port > 0)
		b->port = port;
	pthread_mutex_unlock(&dom.lock);
	return port < 0 ? port : 0;
}

static void lock_ports_in_order(struct mx_port *a, struct mx_port *b)
{
	if (b && b < a) {
		port_write_lock(b);
		port_write_lock(a);
	} else {
		port_write_lock(a);
		if (b && b != a)
			port_write_lock(b);
	}
}

static int op_close(struct evtchn_close *c)
{
	struct mx_port *p, *r = NULL;
	int rc = 0;

	pthread_mutex_lock(&dom.lock);
	if (!port_valid(c->port)) {
		rc = -EINVAL;
		goto out;
	}
	p = P(c->port);
	if (p->state == MX_FREE || p->state == MX_RESERVED) {
		rc = -EINVAL;
		goto out;
	}
	if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_SELF_DOMID)
		r = P(p->remote_port);
	lock_ports_in_order(p, r);
	if (p->state == MX_VIRQ)
		dom.vcpu[p->vcpu].virq_port[p->virq] = 0;
	if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_PEER_DOMID)
		dom.peer[p->remote_port].local = 0;
	if (r && r != p) {
		/* The other end of a loopback pair goes back to unbound. */
		r->state = MX_UNBOUND;
		r->remote_dom = MX_SELF_DOMID;
		r->remote_port = 0;
		port_write_unlock(r);
	}
	free_port(c->port);
	p->virq = 0;
	port_write_unlock(p);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_send(struct evtchn_send *s)
{
	struct mx_port *p, *r;
	evtchn_port_t target = 0;
	int rc = 0;

	if (!port_valid(s->port))
		return -EINVAL;
	p = P(s->port);
	port_read_lock(p);
	switch (p->state) {
	case MX_INTERDOMAIN:
		if (p->remote_dom == MX_PEER_DOMID)
			__atomic_add_fetch(&dom.peer[p->remote_port].received,
					   1, __ATOMIC_RELAXED);
		else
			target = p->remote_port;
		break;
	case MX_IPI:
		raise_port(s->port);
		break;
	case MX_UNBOUND:
		break;		/* nobody listens yet: dropped, and that is fine */
	default:
		rc = -EINVAL;
		break;
	}
	port_read_unlock(p);
	if (!target)
		return rc;

	/* One port lock at a time: re-check that the pair still holds. */
	r = P(target);
	port_read_lock(r);
	if (r->state == MX_INTERDOMAIN && r->remote_dom == MX_SELF_DOMID &&
	    r->remote_port == s->port)
		raise_port(target);
	port_read_unlock(r);
	return 0;
}

static int op_status(struct evtchn_status *st)
{
	struct mx_port *p;

	if (st->dom != DOMID_SELF && st->dom != MX_SELF_DOMID)
		return -ESRCH;
	if (!port_valid(st->port))
		return -EINVAL;
	p = P(st->port);
	port_read_lock(p);
	st->vcpu = p->vcpu;
	switch (p->state) {
	case MX_FREE:
	case MX_RESERVED:
		st->status = EVTCHNSTAT_closed;
		break;
	case MX_UNBOUND:
		st->status = EVTCHNSTAT_unbound;
		st->u.unbound.dom = p->remote_dom;
		break;
	case MX_INTERDOMAIN:
		st->status = EVTCHNSTAT_interdomain;
		st->u.interdomain.dom = p->remote_dom;
		st->u.interdomain.port = p->remote_port;
		break;
	case MX_VIRQ:
		st->status = EVTCHNSTAT_virq;
		st->u.virq = p->virq;
		break;
	case MX_IPI:
		st->status = EVTCHNSTAT_ipi;
		break;
	default:
		st->status = EVTCHNSTAT_pirq;
		break;
	}
	port_read_unlock(p);
	return 0;
}

static int op_bind_vcpu(struct evtchn_bind_vcpu *b)
{
	struct mx_port *p;
	int rc = 0;

	if (b->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	if (!port_valid(b->port))
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	p = P(b->port);
	port_write_lock(p);
	switch (p->state) {
	case MX_VIRQ:
		if (PERCPU_VIRQS & (1U << p->virq)) {
			rc = -EINVAL;
			break;
		}
		p->vcpu = b->vcpu;
		break;
	case MX_UNBOUND:
	case MX_INTERDOMAIN:
		/* Pending events stay where they were raised. */
		p->vcpu = b->vcpu;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	port_write_unlock(p);
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_unmask(struct evtchn_unmask *u)
{
	struct mx_port *p;

	if (!port_valid(u->port))
		return -EINVAL;
	__atomic_add_fetch(&dom.unmask_calls[u->port], 1, __ATOMIC_RELAXED);
	hook(MX_PT_UNMASK, u->port);
	p = P(u->port);
	port_read_lock(p);
	pthread_rwlock_rdlock(&dom.abi_lock);
	/* Free ports can be unmasked too; they just never get raised. */
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_FIFO)
		fifo_unmask(&dom.vcpu[p->vcpu], u->port);
	else if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L)
		l3_unmask(&dom.vcpu[p->vcpu], u->port);
	else
		l2_unmask(&dom.vcpu[p->vcpu], u->port);
	pthread_rwlock_unlock(&dom.abi_lock);
	port_read_unlock(p);
	return 0;
}

/* Raise the latched events of ports that just became addressable. */
static void raise_latched(evtchn_port_t from, evtchn_port_t to)
{
	evtchn_port_t port;

	for (port = from; port < to; port++) {
		struct mx_port *p = P(port);

		if (!p->latched || p->state == MX_FREE)
			continue;
		port_read_lock(p);
		p->latched = false;
		fifo_raise(&dom.vcpu[p->vcpu], port);
		port_read_unlock(p);
	}
}

static void *gfn_page(u64 gfn)
{
	void *pg = (void *)(uintptr_t)(gfn << XEN_PAGE_SHIFT);

	if (gfn >> (64 - XEN_PAGE_SHIFT) || !shim_page_is_live(pg)) {
		stat_inc(&dom.stats.bad_gfn);
		return NULL;
	}
	return pg;
}

static int op_init_control(struct evtchn_init_control *ic)
{
	struct mx_vcpu *v;
	void *pg;
	unsigned int i, port;
	int rc = 0;

	if (dom.cfg.no_fifo)
		return -XEN_ENOSYS;
	if (ic->vcpu >= dom.cfg.nr_vcpus)
		return -ENOENT;
	if (ic->offset > XEN_PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) ||
	    (ic->offset & 7))
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L) {
		rc = -EBUSY;	/* 3-level must be reset first */
		goto out;
	}
	v = &dom.vcpu[ic->vcpu];
	pg = gfn_page(ic->control_gfn);
	if (!pg || v->cb) {
		rc = -EINVAL;
		goto out;
	}
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_FIFO) {
		/*
		 * First vCPU: the domain switches to FIFO.  Bound ports keep
		 * their 2-level pending state as a latch, raised once their
		 * event array page is added.
		 */
		for (port = 1; port < MX_2L_PORTS; port++) {
			struct mx_port *p = P(port);

			if (p->state == MX_FREE)
				continue;
			p->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
			p->lastq = lastq_pack(p->vcpu, p->priority);
			p->latched = test_bit(port, l2_pending());
		}
		pthread_rwlock_wrlock(&dom.abi_lock);
		__atomic_store_n(&dom.abi, MX_ABI_FIFO, __ATOMIC_RELEASE);
		pthread_rwlock_unlock(&dom.abi_lock);
	}
	v->cb = (struct evtchn_fifo_control_block *)((char *)pg + ic->offset);
	for (i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++) {
		q_lock(&v->q[i]);
		v->q[i].head = &v->cb->head[i];
		v->q[i].tail = 0;
		q_unlock(&v->q[i]);
	}
	ic->link_bits = EVTCHN_FIFO_LINK_BITS;
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_expand_array(struct evtchn_expand_array *ea)
{
	unsigned int n;
	void *pg;
	int rc = 0;

	if (dom.cfg.no_fifo)
		return -XEN_ENOSYS;
	pthread_mutex_lock(&dom.lock);
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_FIFO) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	n = dom.nr_pages;
	if (n >= MX_FIFO_MAX_PAGES) {
		rc = -ENOSPC;
		goto out;
	}
	pg = gfn_page(ea->array_gfn);
	if (!pg) {
		rc = -EINVAL;
		goto out;
	}
	dom.page[n] = pg;
	__atomic_store_n(&dom.nr_pages, n + 1, __ATOMIC_RELEASE);
	raise_latched(n * MX_FIFO_PAGE_WORDS, (n + 1) * MX_FIFO_PAGE_WORDS);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

static int op_set_priority(struct evtchn_set_priority *sp)
{
	struct mx_port *p;

	if (dom.cfg.no_fifo || __atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_FIFO)
		return -XEN_ENOSYS;
	if (!port_valid(sp->port) || sp->priority > EVTCHN_FIFO_PRIORITY_MIN)
		return -EINVAL;
	p = P(sp->port);
	if (p->state == MX_FREE)
		return -EINVAL;
	port_write_lock(p);
	__atomic_store_n(&p->priority, sp->priority, __ATOMIC_RELAXED);
	port_write_unlock(p);
	return 0;
}

/* EVTCHNOP_reset of ourselves: everything closed, back to 2-level. */
static void reset_domain_locked(void)
{
	unsigned int port, i;

	for (port = 1; port <= dom.port_hwm; port++) {
		struct mx_port *p = P(port);

		if (p->state == MX_FREE)
			continue;
		if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_PEER_DOMID)
			dom.peer[p->remote_port].local = 0;
		/* Xen's reset closes each port: evtchn_free() clears pending. */
		clear_pending(port);
		p->state = MX_FREE;
		p->latched = false;
	}
	for (i = 0; i < MX_MAX_VCPUS; i++) {
		struct mx_vcpu *v = &dom.vcpu[i];
		unsigned int q;

		v->cb = NULL;
		for (q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
			v->q[q].head = NULL;
			v->q[q].tail = 0;
		}
		memset(v->virq_port, 0, sizeof(v->virq_port));
	}
	dom.nr_pages = 0;
	dom.port_hwm = 0;	/* every port is free: scans stop early */
	pthread_rwlock_wrlock(&dom.abi_lock);
	l3_unmap_locked();
	__atomic_store_n(&dom.abi, MX_ABI_2L, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&dom.abi_lock);
	dom.free_hint = 1;
}

static int op_reset(struct evtchn_reset *r)
{
	if (r->dom != DOMID_SELF && r->dom != MX_SELF_DOMID)
		return -ESRCH;
	pthread_mutex_lock(&dom.lock);
	reset_domain_locked();
	pthread_mutex_unlock(&dom.lock);
	return 0;
}

/* ---- EVTCHNOP_3level ---------------------------------------------------- */

/* QUERY's rule: the hardware domain, or a domain sized beyond 2-level. */
static bool l3_allowed(void)
{
	return !dom.cfg.domu || !dom.cfg.max_evtchn_port ||
	       dom.cfg.max_evtchn_port >= MX_2L_PORTS;
}

static int l3_query(struct evtchn_3level *op)
{
	if (!l3_allowed())
		return -EPERM;
	op->u.query.nr_channels = MX_3L_PORTS;
	op->u.query.bitmap_pages = MX_3L_MAP_PAGES + dom.cfg.l3_odd_geometry;
	op->u.query.l2_bytes = MX_3L_SEL_BYTES;
	op->u.query.flags = 0;
	return 0;
}

/*
 * Phase 1.  Errors in the document's order: -EPERM, the arguments
 * (-EINVAL), -EBUSY on FIFO, -EEXIST, then the frames (-EINVAL, also for
 * one given twice).  Then, atomically with respect to delivery, the pages
 * are mapped, the 2-level state of ports 0 .. W*W-1 is moved over (its
 * pending bits leave shared_info), and the domain is on 3-level.
 */
static int l3_register_bitmaps(struct evtchn_3level *op)
{
	struct evtchn_3level_bitmaps *bm = &op->u.bitmaps;
	const unsigned int n = MX_3L_MAP_PAGES;
	xen_ulong_t *pg[2 * MX_3L_MAP_PAGES];
	unsigned int i, j;
	int rc = 0;

	if (!l3_allowed())
		return -EPERM;
	if (bm->nr_pages != n || bm->pad || op->vcpu)
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_FIFO) {
		rc = -EBUSY;
		goto out;
	}
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L) {
		rc = -EEXIST;
		goto out;
	}
	for (i = 0; i < 2 * n; i++) {
		pg[i] = gfn_page(i < n ? bm->pending_gfn[i] : bm->mask_gfn[i - n]);
		for (j = 0; pg[i] && j < i; j++)
			if (pg[j] == pg[i])
				pg[i] = NULL;
		if (!pg[i]) {
			rc = -EINVAL;
			goto out;
		}
	}

	pthread_rwlock_wrlock(&dom.abi_lock);
	for (i = 0; i < n; i++) {
		dom.l3_pending[i] = pg[i];
		dom.l3_mask[i] = pg[n + i];
	}
	/* Ports 0 .. W*W-1 are words 0 .. W-1 of every bitmap. */
	for (i = 0; i < MX_2L_PORTS / MX_3L_W; i++) {
		__atomic_store_n(&dom.l3_mask[0][i],
				 __atomic_load_n(&dom.si->evtchn_mask[i],
						 __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&dom.l3_pending[0][i],
				 __atomic_exchange_n(&dom.si->evtchn_pending[i], 0,
						     __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&dom.abi, MX_ABI_3L, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&dom.abi_lock);
out:
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

/*
 * Phase 2 for one vCPU: -EINVAL (no phase 1, offset, page end, pad),
 * -ENOENT, -EEXIST, then the frame (-EINVAL).  Mapped atomically with
 * delivery, then L3 is scanned once for this vCPU's pending, unmasked
 * ports, which are selected (and the upcall raised).
 */
static int l3_register_l2(struct evtchn_3level *op)
{
	struct evtchn_3level_l2 *req = &op->u.l2;
	struct mx_vcpu *v;
	unsigned int port;
	void *pg;
	int rc = -EINVAL;

	pthread_mutex_lock(&dom.lock);
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_3L || req->pad ||
	    req->offset % sizeof(xen_ulong_t) ||
	    req->offset > XEN_PAGE_SIZE - MX_3L_SEL_BYTES)
		goto out;
	rc = -ENOENT;
	if (op->vcpu >= dom.cfg.nr_vcpus)
		goto out;
	v = &dom.vcpu[op->vcpu];
	rc = -EEXIST;
	if (dom.l3_sel2[v->id])
		goto out;
	rc = -EINVAL;
	pg = gfn_page(req->gfn);
	if (!pg)
		goto out;

	pthread_rwlock_wrlock(&dom.abi_lock);
	__atomic_store_n(&dom.l3_sel2[v->id],
			 (xen_ulong_t *)((char *)pg + req->offset),
			 __ATOMIC_RELEASE);
	for (port = 1; port <= dom.port_hwm && port < MX_3L_PORTS; port++) {
		struct mx_port *p = P(port);

		if (p->state == MX_FREE || p->state == MX_RESERVED ||
		    p->vcpu != v->id)
			continue;
		if (l3_test(dom.l3_pending, port) && !l3_test(dom.l3_mask, port))
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
	if (dom.cfg.no_3l)
		return -XEN_ENOSYS;		/* stock Xen: an unknown sub-op */
	if (op->cmd < ARRAY_SIZE(dom.stats.calls_3l))
		stat_inc(&dom.stats.calls_3l[op->cmd]);
	switch (op->cmd) {
	case EVTCHN_3L_QUERY:
		return l3_query(op);
	case EVTCHN_3L_REGISTER_BITMAPS:
		return l3_register_bitmaps(op);
	case EVTCHN_3L_REGISTER_L2:
		return l3_register_l2(op);
	default:
		return -EINVAL;
	}
}

static bool fail_injected(int cmd, void *arg, int *err)
{
	bool hit = false;
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	for (i = 0; i < ARRAY_SIZE(dom.fail) && !hit; i++) {
		struct mx_failure *f = &dom.fail[i];

		if (!f->err || f->cmd != cmd ||
		    (cmd == EVTCHNOP_3level && f->sub >= 0 &&
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

static int dispatch_op(int cmd, void *arg);

/*
 * A hypercall returned, every lock of the model dropped: the hook may
 * raise events and run upcalls (no chaos point, so that adding this one
 * changes no seeded interleaving).
 */
static void op_done(int cmd)
{
	mx_hook_fn fn = __atomic_load_n(&dom.hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn(MX_PT_OP_DONE, cmd, dom.hook_arg);
}

int model_guest_event_channel_op(unsigned int xen_vcpu, int cmd, void *arg)
{
	int err;

	if (!created) {
		fprintf(stderr, "hypercall %d before the model exists\n", cmd);
		abort();
	}
	if (xen_vcpu >= dom.cfg.nr_vcpus) {
		fprintf(stderr, "hypercall %d from unknown vCPU %u\n", cmd, xen_vcpu);
		abort();
	}
	if (cmd >= 0 && cmd < MX_NR_CMDS)
		stat_inc(&dom.stats.calls[cmd]);
	if (!arg)
		return -EFAULT;
	if (fail_injected(cmd, arg, &err))
		return err;
	err = dispatch_op(cmd, arg);
	op_done(cmd);
	return err;
}

/* The hypercall @cmd, with its checks done and its failure not injected. */
static int dispatch_op(int cmd, void *arg)
{
	switch (cmd) {
	case EVTCHNOP_bind_interdomain:
		return op_bind_interdomain(arg);
	case EVTCHNOP_bind_virq:
		return op_bind_virq(arg);
	case EVTCHNOP_close:
		return op_close(arg);
	case EVTCHNOP_send:
		return op_send(arg);
	case EVTCHNOP_status:
		return op_status(arg);
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
		return -XEN_ENOSYS;
	}
}

/* ---- Life cycle ------------------------------------------------------- */

int mx_create(const struct mx_config *cfg)
{
	unsigned int i;

	if (created || !cfg->nr_vcpus || cfg->nr_vcpus > MX_MAX_VCPUS)
		return -EINVAL;
	memset(&dom, 0, sizeof(dom));
	pthread_mutex_init(&dom.lock, NULL);
	pthread_rwlock_init(&dom.abi_lock, NULL);
	dom.cfg = *cfg;
	dom.si = aligned_alloc(XEN_PAGE_SIZE, XEN_PAGE_SIZE);
	dom.port = calloc(MX_MAX_PORTS, sizeof(*dom.port));
	dom.unmask_calls = calloc(MX_MAX_PORTS, sizeof(*dom.unmask_calls));
	dom.unmask_begun = calloc(MX_MAX_PORTS, sizeof(*dom.unmask_begun));
	dom.unmask_ended = calloc(MX_MAX_PORTS, sizeof(*dom.unmask_ended));
	dom.peer = calloc(MX_PEER_PORTS, sizeof(*dom.peer));
	if (!dom.si || !dom.port || !dom.unmask_calls || !dom.peer ||
	    !dom.unmask_begun || !dom.unmask_ended) {
		free(dom.si);
		free(dom.port);
		free(dom.unmask_calls);
		free(dom.unmask_begun);
		free(dom.unmask_ended);
		free(dom.peer);
		return -ENOMEM;
	}
	memset(dom.si, 0, XEN_PAGE_SIZE);
	dom.port[0].state = MX_RESERVED;
	dom.free_hint = 1;
	dom.peer_next = 1;
	__atomic_store_n(&dom.abi, MX_ABI_2L, __ATOMIC_RELEASE);
	for (i = 0; i < MX_MAX_VCPUS; i++) {
		unsigned int q;

		dom.vcpu[i].id = i;
		dom.vcpu[i].vi = &dom.si->vcpu_info[i];
		for (q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++)
			dom.vcpu[i].q[q].prio = q;
	}
	created = true;
	return 0;
}

void mx_destroy(void)
{
	if (!created)
		return;
	created = false;
	free(dom.si);
	free(dom.port);
	free(dom.unmask_calls);
	free(dom.unmask_begun);
	free(dom.unmask_ended);
	free(dom.peer);
	pthread_rwlock_destroy(&dom.abi_lock);
	pthread_mutex_destroy(&dom.lock);
	memset(&dom, 0, sizeof(dom));
}

void mx_new_domain(void)
{
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	reset_domain_locked();
	memset(dom.si->evtchn_pending, 0, sizeof(dom.si->evtchn_pending));
	memset(dom.si->evtchn_mask, 0, sizeof(dom.si->evtchn_mask));
	for (i = 0; i < MX_MAX_VCPUS; i++) {
		dom.si->vcpu_info[i].evtchn_upcall_pending = 0;
		dom.si->vcpu_info[i].evtchn_pending_sel = 0;
	}
	memset(dom.peer, 0, dom.peer_next * sizeof(*dom.peer));
	dom.peer_next = 1;
	pthread_mutex_unlock(&dom.lock);
}

struct shared_info *mx_shared_info(void)
{
	return dom.si;
}

struct vcpu_info *mx_vcpu_info(unsigned int vcpu)
{
	return dom.vcpu[vcpu].vi;
}

unsigned int mx_nr_vcpus(void)
{
	return dom.cfg.nr_vcpus;
}

enum mx_abi mx_abi(void)
{
	return __atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE);
}

struct mx_stats *mx_stats(void)
{
	return &dom.stats;
}

/* ---- The peer domain and Xen itself ------------------------------------ */

evtchn_port_t mx_peer_offer(void)
{
	evtchn_port_t id = 0;

	pthread_mutex_lock(&dom.lock);
	if (dom.peer_next < MX_PEER_PORTS) {
		id = dom.peer_next++;
		dom.peer[id].offered = true;
	}
	pthread_mutex_unlock(&dom.lock);
	return id;
}

int mx_peer_connect(evtchn_port_t local)
{
	struct mx_port *p;
	evtchn_port_t id;
	int rc = 0;

	if (!port_valid(local))
		return -EINVAL;
	id = mx_peer_offer();
	if (!id)
		return -ENOSPC;
	pthread_mutex_lock(&dom.lock);
	p = P(local);
	port_write_lock(p);
	if (p->state != MX_UNBOUND || p->remote_dom != MX_PEER_DOMID) {
		rc = -EINVAL;
	} else {
		p->state = MX_INTERDOMAIN;
		p->remote_port = id;
		dom.peer[id].local = local;
	}
	port_write_unlock(p);
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

int mx_peer_send(evtchn_port_t local)
{
	struct mx_port *p;
	int rc = 0;

	if (!port_valid(local))
		return -EINVAL;
	p = P(local);
	port_read_lock(p);
	if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_PEER_DOMID)
		raise_port(local);
	else
		rc = -EINVAL;
	port_read_unlock(p);
	return rc;
}

int mx_peer_close(evtchn_port_t local)
{
	struct mx_port *p;
	int rc = 0;

	if (!port_valid(local))
		return -EINVAL;
	pthread_mutex_lock(&dom.lock);
	p = P(local);
	port_write_lock(p);
	if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_PEER_DOMID) {
		dom.peer[p->remote_port].local = 0;
		p->state = MX_UNBOUND;
		p->remote_port = 0;
	} else {
		rc = -EINVAL;
	}
	port_write_unlock(p);
	pthread_mutex_unlock(&dom.lock);
	return rc;
}

unsigned long mx_peer_received(evtchn_port_t local)
{
	struct mx_port *p;
	unsigned long n = 0;

	if (!port_valid(local))
		return 0;
	p = P(local);
	port_read_lock(p);
	if (p->state == MX_INTERDOMAIN && p->remote_dom == MX_PEER_DOMID)
		n = __atomic_load_n(&dom.peer[p->remote_port].received,
				    __ATOMIC_RELAXED);
	port_read_unlock(p);
	return n;
}

int mx_raise(evtchn_port_t port)
{
	struct mx_port *p;
	int rc = 0;

	if (port >= MX_MAX_PORTS)
		return -EINVAL;
	p = P(port);
	port_read_lock(p);
	switch (p->state) {
	case MX_INTERDOMAIN:
	case MX_IPI:
	case MX_VIRQ:
		raise_port(port);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	port_read_unlock(p);
	return rc;
}

unsigned int mx_port_limit(void)
{
	unsigned int n = abi_max_ports();

	if (dom.cfg.max_evtchn_port && dom.cfg.max_evtchn_port < n - 1)
		n = dom.cfg.max_evtchn_port + 1;
	return n;
}

int mx_raise_virq(unsigned int vcpu, unsigned int virq)
{
	evtchn_port_t port;
	struct mx_port *p;
	int rc = 0;

	if (virq >= MX_NR_VIRQS || vcpu >= dom.cfg.nr_vcpus)
		return -EINVAL;
	if (!(PERCPU_VIRQS & (1U << virq)))
		vcpu = 0;
	port = __atomic_load_n(&dom.vcpu[vcpu].virq_port[virq], __ATOMIC_ACQUIRE);
	if (!port)
		return -ENOENT;
	p = P(port);
	port_read_lock(p);
	if (p->state == MX_VIRQ && p->virq == virq)
		raise_port(port);
	else
		rc = -ENOENT;
	port_read_unlock(p);
	return rc;
}

/* ---- Inspection -------------------------------------------------------- */

int mx_port_info(evtchn_port_t port, struct mx_port_info *info)
{
	struct mx_port *p;

	if (port >= MX_MAX_PORTS)
		return -EINVAL;
	p = P(port);
	port_read_lock(p);
	info->state = p->state;
	info->vcpu = p->vcpu;
	info->priority = p->priority;
	info->virq = p->virq;
	info->remote_dom = p->remote_dom;
	info->remote_port = p->remote_port;
	port_read_unlock(p);
	return 0;
}

event_word_t *mx_fifo_word(evtchn_port_t port)
{
	return fifo_word(port);
}

struct evtchn_fifo_control_block *mx_fifo_control_block(unsigned int vcpu)
{
	return dom.vcpu[vcpu].cb;
}

unsigned int mx_fifo_pages(void)
{
	return __atomic_load_n(&dom.nr_pages, __ATOMIC_ACQUIRE);
}

unsigned long mx_unmask_calls(evtchn_port_t port)
{
	return port < MX_MAX_PORTS ?
	       __atomic_load_n(&dom.unmask_calls[port], __ATOMIC_RELAXED) : 0;
}

bool mx_registered_pages_live(void)
{
	unsigned int i;

	for (i = 0; i < MX_MAX_VCPUS; i++) {
		void *cb = dom.vcpu[i].cb;

		if (cb && !shim_page_is_live((void *)((unsigned long)cb & PAGE_MASK)))
			return false;
	}
	for (i = 0; i < mx_fifo_pages(); i++)
		if (!shim_page_is_live(dom.page[i]))
			return false;
	for (i = 0; i < MX_3L_MAP_PAGES; i++) {
		if (dom.l3_pending[i] && !shim_page_is_live(dom.l3_pending[i]))
			return false;
		if (dom.l3_mask[i] && !shim_page_is_live(dom.l3_mask[i]))
			return false;
	}
	for (i = 0; i < MX_MAX_VCPUS; i++) {
		xen_ulong_t *l2 = mx_3l_sel2(i);

		if (l2 && !shim_page_is_live((void *)((unsigned long)l2 & PAGE_MASK)))
			return false;
	}
	return true;
}

xen_ulong_t *mx_3l_sel2(unsigned int vcpu)
{
	return vcpu < MX_MAX_VCPUS ?
	       __atomic_load_n(&dom.l3_sel2[vcpu], __ATOMIC_ACQUIRE) : NULL;
}

bool mx_3l_pending(evtchn_port_t port)
{
	return __atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L && port < MX_3L_PORTS &&
	       l3_test(dom.l3_pending, port);
}

bool mx_3l_masked(evtchn_port_t port)
{
	return __atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L && port < MX_3L_PORTS &&
	       l3_test(dom.l3_mask, port);
}

unsigned long *mx_mask_long(evtchn_port_t port)
{
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L && port < MX_3L_PORTS)
		return (unsigned long *)l3_word(dom.l3_mask, port);
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_2L && port < MX_2L_PORTS)
		return (unsigned long *)dom.si->evtchn_mask +
		       port / BITS_PER_LONG;
	return NULL;
}

bool mx_3l_word_masked(evtchn_port_t port)
{
	return __atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L && port < MX_3L_PORTS &&
	       !~__atomic_load_n(l3_word(dom.l3_mask, port), __ATOMIC_SEQ_CST);
}

unsigned int mx_3l_pages(void)
{
	void *seen[MX_MAX_VCPUS];
	unsigned int i, j, n = 0, pages = 0;

	for (i = 0; i < MX_3L_MAP_PAGES; i++)
		pages += !!dom.l3_pending[i] + !!dom.l3_mask[i];
	for (i = 0; i < MX_MAX_VCPUS; i++) {
		void *pg = mx_3l_sel2(i);

		if (!pg)
			continue;
		pg = (void *)((unsigned long)pg & PAGE_MASK);
		for (j = 0; j < n && seen[j] != pg; j++)
			;
		if (j == n)
			seen[n++] = pg;
	}
	return pages + n;
}

unsigned int mx_ports_in_use(void)
{
	unsigned int port, n = 0;

	for (port = 1; port <= dom.port_hwm; port++)
		n += P(port)->state != MX_FREE && P(port)->state != MX_RESERVED;
	return n;
}

int mx_fifo_queue_len(unsigned int vcpu, unsigned int prio)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];
	evtchn_port_t port;
	int n = 0;

	if (!v->cb)
		return -1;
	port = __atomic_load_n(&v->cb->head[prio], __ATOMIC_SEQ_CST);
	while (port) {
		event_word_t *w = fifo_word(port);

		if (!w || ++n > (int)MX_MAX_PORTS)
			return -1;
		if (!(wload(w) & W_LINKED))
			break;
		port = wload(w) & W_LINK;
	}
	return n;
}

/* ---- Steering ---------------------------------------------------------- */

void mx_fail_op(int cmd, int err, unsigned int skip)
{
	pthread_mutex_lock(&dom.lock);
	memset(dom.fail, 0, sizeof(dom.fail));
	dom.fail[0] = (struct mx_failure){ cmd, -1, err, skip };
	pthread_mutex_unlock(&dom.lock);
}

void mx_fail_op_add(int cmd, int sub, int err, unsigned int skip)
{
	unsigned int i;

	pthread_mutex_lock(&dom.lock);
	for (i = 0; i < ARRAY_SIZE(dom.fail); i++) {
		if (!dom.fail[i].err) {
			dom.fail[i] = (struct mx_failure){ cmd, sub, err, skip };
			break;
		}
	}
	pthread_mutex_unlock(&dom.lock);
}

void mx_set_host(bool no_fifo, bool no_3l)
{
	pthread_mutex_lock(&dom.lock);
	dom.cfg.no_fifo = no_fifo;
	dom.cfg.no_3l = no_3l;
	pthread_mutex_unlock(&dom.lock);
}

void mx_set_chaos(unsigned int permille, u64 seed)
{
	/* Atomic: vCPU threads may be at an interleaving point meanwhile. */
	__atomic_store_n(&dom.chaos_seed, seed | 1, __ATOMIC_RELAXED);
	__atomic_store_n(&dom.chaos, permille, __ATOMIC_RELEASE);
}

void mx_set_hook(mx_hook_fn fn, void *arg)
{
	dom.hook_arg = arg;
	__atomic_store_n(&dom.hook, fn, __ATOMIC_RELEASE);
}

void mx_force_link_contention(unsigned int n)
{
	__atomic_store_n(&dom.force_contention, n, __ATOMIC_RELEASE);
}

void mx_hold_busy(evtchn_port_t port)
{
	event_word_t *w = fifo_word(port);

	if (!w)
		return;
	dom.busy_held_port = port;
	dom.busy_unmasks = 0;
	dom.busy_masked = __atomic_fetch_or(w, W_BUSY, __ATOMIC_SEQ_CST) & W_MASKED;
}

void mx_release_busy(evtchn_port_t port)
{
	event_word_t *w = fifo_word(port);

	if (!w)
		return;
	/* MASKED went away while we held BUSY, and not by EVTCHNOP_unmask. */
	if (dom.busy_masked && !(wload(w) & W_MASKED) && !dom.busy_unmasks)
		stat_inc(&dom.stats.cleared_under_busy);
	__atomic_fetch_and(w, ~W_BUSY, __ATOMIC_SEQ_CST);
	dom.busy_held_port = 0;
}

/* ---- A hostile hypervisor ---------------------------------------------- */

void mx_evil_fifo_head(unsigned int vcpu, unsigned int prio, u32 head)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	if (!v->cb)
		return;
	__atomic_store_n(&v->cb->head[prio], head, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->cb->ready, 1U << prio, __ATOMIC_SEQ_CST);
	mark_events_pending(v);
}

void mx_evil_fifo_link(evtchn_port_t port, u32 link)
{
	event_word_t *w = fifo_word(port);
	u32 old;

	if (!w)
		return;
	old = wload(w);
	while (!wcas(w, &old, (old & ~W_LINK) | W_LINKED | (link & W_LINK)))
		;
}

void mx_evil_fifo_word_or(evtchn_port_t port, event_word_t bits)
{
	event_word_t *w = fifo_word(port);

	if (w)
		__atomic_fetch_or(w, bits, __ATOMIC_SEQ_CST);
}

void mx_evil_fifo_ready(unsigned int vcpu, u32 ready)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	if (!v->cb)
		return;
	__atomic_fetch_or(&v->cb->ready, ready, __ATOMIC_SEQ_CST);
	mark_events_pending(v);
}

void mx_evil_fifo_scribble(unsigned int vcpu, u64 seed)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];
	unsigned int i;
	u64 x = seed | 1;

	if (!v->cb)
		return;
	for (i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__atomic_store_n(&v->cb->head[i], (u32)x, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&v->cb->ready, (u32)(x >> 32), __ATOMIC_SEQ_CST);
	mark_events_pending(v);
}

void mx_evil_2l_pending(unsigned int vcpu, evtchn_port_t port)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	set_bit(port, l2_pending());
	set_bit(port / BITS_PER_LONG, l2_sel(v));
	mark_events_pending(v);
}

void mx_evil_2l_selector(unsigned int vcpu, xen_ulong_t sel)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	__atomic_fetch_or(&v->vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST);
	mark_events_pending(v);
}

/*
 * 3-level: whatever a test asks, whether or not the port is bound, masked
 * or within the domain's limit; ignored when not on 3-level.
 */
void mx_evil_3l_pending(unsigned int vcpu, evtchn_port_t port)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];
	xen_ulong_t *l2 = mx_3l_sel2(vcpu);

	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) != MX_ABI_3L || port >= MX_3L_PORTS)
		return;
	l3_test_and_set(dom.l3_pending, port);
	if (l2)
		g_test_and_set(l2, port / MX_3L_W);
	g_test_and_set(&v->vi->evtchn_pending_sel, port / (MX_3L_W * MX_3L_W));
	mark_events_pending(v);
}

void mx_evil_3l_l1(unsigned int vcpu, xen_ulong_t bits)
{
	struct mx_vcpu *v = &dom.vcpu[vcpu];

	__atomic_fetch_or(&v->vi->evtchn_pending_sel, bits, __ATOMIC_SEQ_CST);
	mark_events_pending(v);
}

void mx_evil_3l_l2(unsigned int vcpu, unsigned int word, xen_ulong_t bits)
{
	xen_ulong_t *l2 = mx_3l_sel2(vcpu);

	if (!l2 || word >= MX_3L_W)
		return;
	__atomic_fetch_or(&l2[word], bits, __ATOMIC_SEQ_CST);
	mx_evil_3l_l1(vcpu, (xen_ulong_t)1 << word);
}

void mx_evil_3l_unmask(evtchn_port_t port)
{
	if (__atomic_load_n(&dom.abi, __ATOMIC_ACQUIRE) == MX_ABI_3L && port < MX_3L_PORTS)
		l3_clear(dom.l3_mask, port);
}
