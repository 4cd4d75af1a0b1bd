// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runtime of include/kcore.h: the kernel services the real core uses,
 * in userspace, for the core program (xen-events-core-test).
 *
 *  - genirq: descriptors by number, the edge and per-CPU flows, request,
 *    free, disable, enable, affinity; written from the kernel's
 *    documented genirq behaviour (the flows ack, mask while a handler of
 *    the same IRQ runs elsewhere, replay an event that came meanwhile).
 *  - RCU: each thread that reads registers a slot with a nesting count
 *    and a generation; synchronize_rcu() waits until every reader it saw
 *    inside a read-side section has left that section.
 *  - one workqueue worker thread, acting as CPU kc_worker_cpu; delayed
 *    work is due on the virtual jiffies clock; RCU work runs after a
 *    grace period.
 *  - an XArray as a sorted array under a mutex.
 *  - seeded interleaving points in every lock, unlock and RCU section.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>

#include "events_kernel.h"
#include "include/kcore.h"
#include "kcore.h"

#include <xen/interface/physdev.h>

/* ---- Interleaving points -------------------------------------------------- */

static unsigned int chaos_permille;
static u64 chaos_seed;
static unsigned int chaos_threads;

void kc_set_chaos(unsigned int permille, u64 seed)
{
	__atomic_store_n(&chaos_seed, seed | 1, __ATOMIC_RELAXED);
	__atomic_store_n(&chaos_permille, permille, __ATOMIC_RELEASE);
}

static u64 chaos_next(void)
{
	static __thread u64 state, gen;
	static __thread unsigned int me;
	u64 seed = __atomic_load_n(&chaos_seed, __ATOMIC_RELAXED), x;

	if (!state || gen != seed) {
		if (!me)
			me = __atomic_add_fetch(&chaos_threads, 1,
						__ATOMIC_RELAXED);
		gen = seed;
		state = (seed ^ (me * 0x9e3779b97f4a7c15ULL)) | 1;
	}
	x = state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	state = x;
	return x;
}

void kc_chaos_point(void)
{
	unsigned int permille = __atomic_load_n(&chaos_permille, __ATOMIC_ACQUIRE);
	unsigned int i, spins;
	u64 r;

	if (!permille)
		return;
	r = chaos_next();
	if (r % 1000 >= permille)
		return;
	if (r & (1ULL << 40)) {
		sched_yield();
		return;
	}
	spins = (r >> 20) % 300;
	for (i = 0; i < spins; i++)
		__builtin_ia32_pause();
}

void kc_lock(pthread_mutex_t *m)
{
	kc_chaos_point();
	pthread_mutex_lock(m);
}

void kc_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	kc_chaos_point();
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n >= size ? (int)size - 1 : n;
}

/* ---- CPU masks --------------------------------------------------------------- */

static struct cpumask one_cpu[NR_CPUS];

__attribute__((constructor)) static void one_cpu_init(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ARRAY_SIZE(one_cpu); cpu++)
		one_cpu[cpu].bits[cpu / BITS_PER_LONG] |= BIT(cpu % BITS_PER_LONG);
}

const struct cpumask *cpumask_of(unsigned int cpu)
{
	return &one_cpu[cpu % ARRAY_SIZE(one_cpu)];
}

/* ---- RCU ------------------------------------------------------------------------ */

#define KC_RCU_SLOTS	256

static struct kc_rcu_slot {
	int used;
	int nest;
	unsigned long gen;
} rcu_slot[KC_RCU_SLOTS];

static __thread int rcu_me = -1;
static pthread_key_t rcu_key;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;

static void rcu_slot_release(void *arg)
{
	int slot = (int)(uintptr_t)arg - 1;

	if (__atomic_load_n(&rcu_slot[slot].nest, __ATOMIC_RELAXED))
		fprintf(stderr, "HX-FAIL: thread exited inside rcu_read_lock()\n");
	__atomic_store_n(&rcu_slot[slot].used, 0, __ATOMIC_RELEASE);
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu_key, rcu_slot_release);
}

static int rcu_slot_claim(void)
{
	int i, zero;

	pthread_once(&rcu_once, rcu_key_init);
	for (i = 0; i < KC_RCU_SLOTS; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&rcu_slot[i].used, &zero, 1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			rcu_me = i;
			pthread_setspecific(rcu_key, (void *)(uintptr_t)(i + 1));
			return i;
		}
	}
	shim_bug(__FILE__, __LINE__, "out of RCU reader slots");
}

/* Per thread: the CPU it acts as is past its last RCU report. */
static __thread bool rcu_not_watching;
kc_rcu_deref_fn kc_rcu_deref_hook;

void kc_rcu_set_watching(bool watching)
{
	rcu_not_watching = !watching;
}

bool kc_rcu_watching(void)
{
	return !rcu_not_watching;
}

void rcu_read_lock(void)
{
	int me = rcu_me >= 0 ? rcu_me : rcu_slot_claim();
	struct kc_rcu_slot *s = &rcu_slot[me];

	WARN(rcu_not_watching,
	     "%s() on CPU %d, which RCU no longer watches (offline)",
	     __func__, shim_cpu);

	/* Sequentially consistent: ordered before the reads of the section. */
	__atomic_store_n(&s->nest, s->nest + 1, __ATOMIC_SEQ_CST);
	kc_chaos_point();
}

void rcu_read_unlock(void)
{
	struct kc_rcu_slot *s;

	kc_chaos_point();
	if (rcu_me < 0 || !rcu_slot[rcu_me].nest)
		shim_bug(__FILE__, __LINE__, "read-side unlock without a lock");
	s = &rcu_slot[rcu_me];
	if (s->nest == 1)
		__atomic_add_fetch(&s->gen, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->nest, s->nest - 1, __ATOMIC_SEQ_CST);
}

bool kc_in_rcu_reader(void)
{
	return rcu_me >= 0 && rcu_slot[rcu_me].nest;
}

void synchronize_rcu(void)
{
	unsigned long gen[KC_RCU_SLOTS];
	bool wait[KC_RCU_SLOTS];
	int i;

	WARN(kc_in_rcu_reader(), "%s() inside a read-side section", __func__);
	might_sleep();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < KC_RCU_SLOTS; i++) {
		wait[i] = __atomic_load_n(&rcu_slot[i].nest, __ATOMIC_SEQ_CST);
		if (wait[i])
			gen[i] = __atomic_load_n(&rcu_slot[i].gen, __ATOMIC_SEQ_CST);
	}
	for (i = 0; i < KC_RCU_SLOTS; i++) {
		while (wait[i] &&
		       __atomic_load_n(&rcu_slot[i].nest, __ATOMIC_SEQ_CST) &&
		       __atomic_load_n(&rcu_slot[i].gen, __ATOMIC_SEQ_CST) == gen[i])
			sched_yield();
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_add_fetch(&kc_stats.grace_periods, 1, __ATOMIC_RELAXED);
}

/* ---- Jiffies ----------------------------------------------------------------------- */

u64 kc_jiffies = INITIAL_JIFFIES;

/* No xenstore, no start info: the core's policy finds no control port. */
int xen_store_evtchn;
struct start_info *xen_start_info;
u64 kc_clock_ns;

/* ---- The workqueue --------------------------------------------------------------------- */

enum {
	KC_WORK_IDLE,
	KC_WORK_READY,
	KC_WORK_TIMER,
	KC_WORK_RCU,
};

struct kc_stats kc_stats;
unsigned int kc_worker_cpu;

static struct workqueue_struct the_system_wq = { .name = "events" };
struct workqueue_struct *system_wq = &the_system_wq;

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond = PTHREAD_COND_INITIALIZER;	/* worker */
static pthread_cond_t wq_idle = PTHREAD_COND_INITIALIZER;	/* flushers */
static LIST_HEAD(wq_ready);
static LIST_HEAD(wq_timers);
static LIST_HEAD(wq_rcu);
static unsigned int wq_rcu_inflight;
static struct work_struct *wq_running;
static bool wq_stop, wq_started;
static pthread_t wq_thread;

/* wq_lock held. */
static void wq_move_due(void)
{
	struct work_struct *w, *n;
	u64 now = get_jiffies_64();

	list_for_each_entry_safe(w, n, &wq_timers, entry) {
		if (time_before64(now, w->due))
			continue;
		list_del(&w->entry);
		w->state = KC_WORK_READY;
		list_add_tail(&w->entry, &wq_ready);
	}
}

static void *wq_worker(void *arg)
{
	struct work_struct *w, *n;
	LIST_HEAD(batch);

	shim_set_cpu(kc_worker_cpu);
	pthread_mutex_lock(&wq_lock);
	while (!wq_stop) {
		wq_move_due();
		if (!list_empty(&wq_rcu)) {
			/* Everything queued so far waits for one grace period. */
			list_for_each_entry_safe(w, n, &wq_rcu, entry) {
				list_del(&w->entry);
				list_add_tail(&w->entry, &batch);
				wq_rcu_inflight++;
			}
			pthread_mutex_unlock(&wq_lock);
			synchronize_rcu();
			pthread_mutex_lock(&wq_lock);
			list_for_each_entry_safe(w, n, &batch, entry) {
				list_del(&w->entry);
				w->state = KC_WORK_READY;
				list_add_tail(&w->entry, &wq_ready);
				wq_rcu_inflight--;
			}
			continue;
		}
		if (!list_empty(&wq_ready)) {
			w = list_first_entry(&wq_ready, struct work_struct, entry);
			list_del_init(&w->entry);
			/* Not pending any more: it may be queued again while it runs. */
			w->state = KC_WORK_IDLE;
			wq_running = w;
			pthread_mutex_unlock(&wq_lock);
			w->func(w);
			__atomic_add_fetch(&kc_stats.works_run, 1, __ATOMIC_RELAXED);
			pthread_mutex_lock(&wq_lock);
			wq_running = NULL;
			pthread_cond_broadcast(&wq_idle);
			continue;
		}
		pthread_cond_broadcast(&wq_idle);
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
	return NULL;
}

void kc_start(void)
{
	pthread_mutex_lock(&wq_lock);
	wq_stop = false;
	if (!wq_started && !pthread_create(&wq_thread, NULL, wq_worker, NULL))
		wq_started = true;
	pthread_mutex_unlock(&wq_lock);
}

void kc_stop(void)
{
	pthread_mutex_lock(&wq_lock);
	if (!wq_started) {
		pthread_mutex_unlock(&wq_lock);
		return;
	}
	wq_stop = true;
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
	pthread_join(wq_thread, NULL);
	wq_started = false;
}

static bool wq_queue_locked(struct work_struct *w, unsigned long delay)
{
	if (!delay) {
		w->state = KC_WORK_READY;
		list_add_tail(&w->entry, &wq_ready);
	} else {
		w->state = KC_WORK_TIMER;
		w->due = get_jiffies_64() + delay;
		list_add_tail(&w->entry, &wq_timers);
	}
	pthread_cond_broadcast(&wq_cond);
	return true;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *w)
{
	bool queued = false;

	kc_chaos_point();
	pthread_mutex_lock(&wq_lock);
	if (w->state == KC_WORK_IDLE)
		queued = wq_queue_locked(w, 0);
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay)
{
	bool queued = false;

	pthread_mutex_lock(&wq_lock);
	if (dw->work.state == KC_WORK_IDLE)
		queued = wq_queue_locked(&dw->work, delay);
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
		      unsigned long delay)
{
	struct work_struct *w = &dw->work;
	bool was;

	kc_chaos_point();
	pthread_mutex_lock(&wq_lock);
	was = w->state != KC_WORK_IDLE;
	if (w->state == KC_WORK_READY || w->state == KC_WORK_TIMER)
		list_del_init(&w->entry);
	if (w->state != KC_WORK_RCU)
		wq_queue_locked(w, delay);
	pthread_mutex_unlock(&wq_lock);
	return was;
}

bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rw)
{
	struct work_struct *w = &rw->work;
	bool queued = false;

	pthread_mutex_lock(&wq_lock);
	if (w->state == KC_WORK_IDLE) {
		w->state = KC_WORK_RCU;
		list_add_tail(&w->entry, &wq_rcu);
		pthread_cond_broadcast(&wq_cond);
		queued = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	struct work_struct *w = &dw->work;
	bool was;

	pthread_mutex_lock(&wq_lock);
	was = w->state == KC_WORK_READY || w->state == KC_WORK_TIMER;
	if (was) {
		list_del_init(&w->entry);
		w->state = KC_WORK_IDLE;
	}
	while (wq_running == w)
		pthread_cond_wait(&wq_idle, &wq_lock);
	pthread_mutex_unlock(&wq_lock);
	return was;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	pthread_mutex_lock(&wq_lock);
	if (wq_started) {
		for (;;) {
			wq_move_due();
			if (list_empty(&wq_ready) && list_empty(&wq_rcu) &&
			    !wq_rcu_inflight && !wq_running)
				break;
			pthread_cond_broadcast(&wq_cond);
			pthread_cond_wait(&wq_idle, &wq_lock);
		}
	}
	pthread_mutex_unlock(&wq_lock);
}

void rcu_barrier(void)
{
	flush_workqueue(system_wq);
}

void kc_jiffies_advance(unsigned long n)
{
	__atomic_add_fetch(&kc_jiffies, n, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&wq_lock);
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
}

unsigned int kc_timers_pending(void)
{
	struct work_struct *w;
	unsigned int n = 0;

	pthread_mutex_lock(&wq_lock);
	list_for_each_entry(w, &wq_timers, entry)
		n++;
	pthread_mutex_unlock(&wq_lock);
	return n;
}

/* ---- XArray ----------------------------------------------------------------------------- */

void xa_init(struct xarray *xa)
{
	memset(xa, 0, sizeof(*xa));
	pthread_mutex_init(&xa->lock, NULL);
}

/* The position of @index, or where it would go.  Lock held. */
static unsigned long xa_pos(struct xarray *xa, unsigned long index)
{
	unsigned long lo = 0, hi = xa->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (xa->index[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *xa_load(struct xarray *xa, unsigned long index)
{
	unsigned long pos;
	void *e = NULL;

	/* The kernel's xa_load() is a read-side section of its own. */
	WARN(rcu_not_watching,
	     "%s() on CPU %d, which RCU no longer watches (offline)",
	     __func__, shim_cpu);
	pthread_mutex_lock(&xa->lock);
	pos = xa_pos(xa, index);
	if (pos < xa->nr && xa->index[pos] == index)
		e = xa->entry[pos];
	pthread_mutex_unlock(&xa->lock);
	return e;
}

/* Lock held.  @replace: overwrite an existing entry. */
static void *xa_put(struct xarray *xa, unsigned long index, void *entry,
		    bool replace, int *err)
{
	unsigned long pos = xa_pos(xa, index), cap;
	void *old;

	*err = 0;
	if (pos < xa->nr && xa->index[pos] == index) {
		old = xa->entry[pos];
		if (!replace) {
			*err = -EBUSY;
			return old;
		}
		if (entry) {
			xa->entry[pos] = entry;
		} else {
			memmove(&xa->index[pos], &xa->index[pos + 1],
				(xa->nr - pos - 1) * sizeof(*xa->index));
			memmove(&xa->entry[pos], &xa->entry[pos + 1],
				(xa->nr - pos - 1) * sizeof(*xa->entry));
			xa->nr--;
		}
		return old;
	}
	if (!entry)
		return NULL;
	if (xa->nr == xa->cap) {
		unsigned long *ni;
		void **ne;

		cap = xa->cap ? xa->cap * 2 : 16;
		ni = realloc(xa->index, cap * sizeof(*ni));
		if (ni)
			xa->index = ni;
		ne = realloc(xa->entry, cap * sizeof(*ne));
		if (ne)
			xa->entry = ne;
		if (!ni || !ne) {
			*err = -ENOMEM;
			return NULL;
		}
		xa->cap = cap;
	}
	memmove(&xa->index[pos + 1], &xa->index[pos],
		(xa->nr - pos) * sizeof(*xa->index));
	memmove(&xa->entry[pos + 1], &xa->entry[pos],
		(xa->nr - pos) * sizeof(*xa->entry));
	xa->index[pos] = index;
	xa->entry[pos] = entry;
	xa->nr++;
	return NULL;
}

void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	void *old;
	int err;

	pthread_mutex_lock(&xa->lock);
	old = xa_put(xa, index, entry, true, &err);
	pthread_mutex_unlock(&xa->lock);
	return err ? (void *)(long)err : old;
}

int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	int err;

	pthread_mutex_lock(&xa->lock);
	xa_put(xa, index, entry, false, &err);
	pthread_mutex_unlock(&xa->lock);
	return err;
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *old;
	int err;

	pthread_mutex_lock(&xa->lock);
	old = xa_put(xa, index, NULL, true, &err);
	pthread_mutex_unlock(&xa->lock);
	return old;
}

void xa_destroy(struct xarray *xa)
{
	pthread_mutex_lock(&xa->lock);
	free(xa->index);
	free(xa->entry);
	xa->index = NULL;
	xa->entry = NULL;
	xa->nr = 0;
	xa->cap = 0;
	pthread_mutex_unlock(&xa->lock);
}

bool xa_empty(struct xarray *xa)
{
	bool empty;

	pthread_mutex_lock(&xa->lock);
	empty = !xa->nr;
	pthread_mutex_unlock(&xa->lock);
	return empty;
}

void *xa_find(struct xarray *xa, unsigned long *index, unsigned long max,
	      unsigned long filter)
{
	unsigned long pos;
	void *e = NULL;

	pthread_mutex_lock(&xa->lock);
	pos = xa_pos(xa, *index);
	if (pos < xa->nr && xa->index[pos] <= max) {
		*index = xa->index[pos];
		e = xa->entry[pos];
	}
	pthread_mutex_unlock(&xa->lock);
	return e;
}

void *xa_find_after(struct xarray *xa, unsigned long *index,
		    unsigned long max, unsigned long filter)
{
	unsigned long next = *index + 1;

	if (!next)
		return NULL;
	*index = next;
	return xa_find(xa, index, max, filter);
}

/* ---- genirq ---------------------------------------------------------------------------------- */

struct irq_desc {
	struct irq_data irq_data;
	struct msi_desc *msi;		/* irq_set_msi_desc() */
	irq_flow_handler_t handle_irq;
	const char *flow_name;
	raw_spinlock_t lock;
	unsigned long status;		/* IRQ_* flags */
	unsigned int depth;		/* disable depth */
	bool disabled, masked, started, pending;
	bool inprogress;		/* a handler runs (atomic) */
	irq_handler_t handler;
	void *dev_id;
	const char *devname;
	unsigned long flags;
	unsigned long nr_flow, nr_handled, nr_replayed;
};

static struct irq_desc *descs[KC_NR_IRQS];
static pthread_mutex_t desc_lock = PTHREAD_MUTEX_INITIALIZER;
static long descs_live;

static struct irq_desc *desc_of(unsigned int irq)
{
	if (irq >= KC_NR_IRQS)
		return NULL;
	return __atomic_load_n(&descs[irq], __ATOMIC_ACQUIRE);
}

/* A new descriptor at @irq (free), desc_lock held; 0 or -ENOMEM. */
static int desc_new_at(unsigned int irq)
{
	struct irq_desc *desc = calloc(1, sizeof(*desc));

	if (!desc)
		return -ENOMEM;
	desc->irq_data.irq = irq;
	pthread_mutex_init(&desc->lock.m, NULL);
	/* As a new dynamic descriptor: not requestable, disabled, masked. */
	desc->status = IRQ_NOREQUEST | IRQ_NOPROBE | IRQ_NOAUTOEN;
	desc->depth = 1;
	desc->disabled = true;
	desc->masked = true;
	cpumask_copy(&desc->irq_data.affinity, cpu_possible_mask);
	descs_live++;
	__atomic_store_n(&descs[irq], desc, __ATOMIC_RELEASE);
	return 0;
}

/* The next irq_alloc_descs() fails with this (-errno), once; 0: none. */
int kc_fail_irq_alloc_descs;

/*
 * @cnt consecutive descriptors from @from up (@irq < 0) or at @irq, the
 * lowest free range first; the first number, or -ENOMEM (no room),
 * -EEXIST (@irq taken), -EINVAL.
 */
int irq_alloc_descs(int irq, unsigned int from, unsigned int cnt, int node)
{
	unsigned int start, i;
	int ret;

	if (!cnt)
		return -EINVAL;
	pthread_mutex_lock(&desc_lock);
	ret = kc_fail_irq_alloc_descs;
	if (ret) {
		kc_fail_irq_alloc_descs = 0;
		goto out;
	}
	start = irq >= 0 ? (unsigned int)irq : max(from, (unsigned int)KC_FIRST_IRQ);
	for (;;) {
		ret = -ENOMEM;
		if (start + cnt > KC_NR_IRQS)
			goto out;
		for (i = 0; i < cnt && !descs[start + i]; i++)
			;
		if (i == cnt)
			break;
		ret = -EEXIST;
		if (irq >= 0)
			goto out;
		start += i + 1;
	}
	for (i = 0; i < cnt; i++) {
		ret = desc_new_at(start + i);
		if (ret)
			break;
	}
	if (ret) {
		/* Nothing half done: the ones made go again. */
		while (i--) {
			struct irq_desc *desc = descs[start + i];

			__atomic_store_n(&descs[start + i], NULL, __ATOMIC_RELEASE);
			descs_live--;
			pthread_mutex_destroy(&desc->lock.m);
			free(desc);
		}
		goto out;
	}
	ret = start;
out:
	pthread_mutex_unlock(&desc_lock);
	return ret;
}

int irq_alloc_desc(int node)
{
	return irq_alloc_descs(-1, 0, 1, node);
}

int irq_alloc_desc_at(unsigned int at, int node)
{
	return irq_alloc_descs(at, at, 1, node);
}

void irq_free_descs(unsigned int from, unsigned int cnt)
{
	unsigned int i;

	for (i = 0; i < cnt; i++)
		irq_free_desc(from + i);
}

void irq_free_desc(unsigned int irq)
{
	struct irq_desc *desc;

	pthread_mutex_lock(&desc_lock);
	desc = desc_of(irq);
	if (desc) {
		WARN(desc->handler, "IRQ %u freed with a handler (%s)", irq,
		     desc->devname);
		__atomic_store_n(&descs[irq], NULL, __ATOMIC_RELEASE);
		descs_live--;
	}
	pthread_mutex_unlock(&desc_lock);
	if (desc) {
		/*
		 * As the kernel frees descriptors after a grace period: a
		 * lookup under rcu_read_lock() (irq_set_affinity(), the
		 * /proc path) may still hold it.
		 */
		synchronize_rcu();
		pthread_mutex_destroy(&desc->lock.m);
		free(desc);
	}
}

long kc_descs_live(void)
{
	long n;

	pthread_mutex_lock(&desc_lock);
	n = descs_live;
	pthread_mutex_unlock(&desc_lock);
	return n;
}

struct irq_data *irq_get_irq_data(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc ? &desc->irq_data : NULL;
}

void irq_set_chip_and_handler_name(unsigned int irq, const struct irq_chip *chip,
				   irq_flow_handler_t handle, const char *name)
{
	struct irq_desc *desc = desc_of(irq);

	if (WARN(!desc, "no IRQ %u", irq))
		return;
	/* Read without the lock by xevt_from_irq(). */
	__atomic_store_n(&desc->irq_data.chip, chip, __ATOMIC_RELEASE);
	desc->handle_irq = handle;
	desc->flow_name = name;
}

/* The next irq_set_msi_desc() fails with this (-errno), once; 0: none. */
int kc_fail_irq_set_msi_desc;

int irq_set_msi_desc(unsigned int irq, struct msi_desc *entry)
{
	struct irq_desc *desc = desc_of(irq);
	int ret = __atomic_exchange_n(&kc_fail_irq_set_msi_desc, 0,
				      __ATOMIC_RELAXED);

	if (ret)
		return ret;
	if (!desc)
		return -EINVAL;
	desc->msi = entry;
	return 0;
}

struct msi_desc *kc_irq_msi_desc(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc ? desc->msi : NULL;
}

bool irqd_is_started(struct irq_data *d)
{
	return container_of(d, struct irq_desc, irq_data)->started;
}

void irq_set_status_flags(unsigned int irq, unsigned long set)
{
	struct irq_desc *desc = desc_of(irq);

	if (desc)
		desc->status |= set;
}

void irq_clear_status_flags(unsigned int irq, unsigned long clr)
{
	struct irq_desc *desc = desc_of(irq);

	if (desc)
		desc->status &= ~clr;
}

void irq_modify_status(unsigned int irq, unsigned long clr, unsigned long set)
{
	struct irq_desc *desc = desc_of(irq);

	if (desc)
		desc->status = (desc->status & ~clr) | set;
}

struct irq_data *irq_desc_get_irq_data(struct irq_desc *desc)
{
	return &desc->irq_data;
}

/*
 * As the kernel's (patches/0090): an allocated descriptor without a
 * handler gets the state of a new one (desc_new_at()), its number kept;
 * -EBUSY while requested or started.
 */
int irq_reinit_desc(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);
	int ret = 0;

	if (!desc)
		return -EINVAL;
	raw_spin_lock(&desc->lock);
	if (desc->handler || desc->started) {
		ret = -EBUSY;
	} else {
		__atomic_store_n(&desc->irq_data.chip, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&desc->irq_data.chip_data, NULL,
				 __ATOMIC_RELEASE);
		desc->handle_irq = NULL;
		desc->flow_name = NULL;
		desc->msi = NULL;
		desc->status = IRQ_NOREQUEST | IRQ_NOPROBE | IRQ_NOAUTOEN;
		desc->depth = 1;
		desc->disabled = true;
		desc->masked = true;
		desc->pending = false;
		desc->flags = 0;
		desc->nr_flow = 0;
		desc->nr_handled = 0;
		desc->nr_replayed = 0;
		cpumask_copy(&desc->irq_data.affinity, cpu_possible_mask);
		cpumask_clear(&desc->irq_data.effective);
	}
	raw_spin_unlock(&desc->lock);
	return ret;
}

void irq_data_update_affinity(struct irq_data *d, const struct cpumask *m)
{
	cpumask_copy(&d->affinity, m);
}

void irq_data_update_effective_affinity(struct irq_data *d,
					const struct cpumask *m)
{
	cpumask_copy(&d->effective, m);
}

/* The chip operations, with genirq's "masked" state.  desc->lock held. */
static void chip_mask(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	if (desc->masked)
		return;
	if (c->irq_mask)
		c->irq_mask(&desc->irq_data);
	desc->masked = true;
}

static void chip_unmask(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	if (!desc->masked)
		return;
	if (c->irq_unmask)
		c->irq_unmask(&desc->irq_data);
	desc->masked = false;
}

static void chip_mask_ack(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	if (c->irq_mask_ack) {
		c->irq_mask_ack(&desc->irq_data);
		desc->masked = true;
	} else {
		chip_mask(desc);
		if (c->irq_ack)
			c->irq_ack(&desc->irq_data);
	}
}

static void chip_enable(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	desc->disabled = false;
	if (c->irq_enable) {
		c->irq_enable(&desc->irq_data);
		desc->masked = false;
	} else {
		chip_unmask(desc);
	}
}

static void chip_disable(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	desc->disabled = true;
	if (c->irq_disable) {
		c->irq_disable(&desc->irq_data);
		desc->masked = true;
	} else {
		chip_mask(desc);
	}
}

/* An event that came while the IRQ was disabled is replayed at enable. */
static void chip_resend(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	if (!desc->pending)
		return;
	desc->pending = false;
	desc->nr_replayed++;
	if (c->irq_retrigger)
		c->irq_retrigger(&desc->irq_data);
}

int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
		const char *name, void *dev_id)
{
	struct irq_desc *desc = desc_of(irq);
	unsigned long f;
	int err = 0;

	might_sleep();
	if (!desc || !handler || !desc->irq_data.chip)
		return -EINVAL;
	raw_spin_lock_irqsave(&desc->lock, f);
	if (desc->status & IRQ_NOREQUEST) {
		err = -EINVAL;
	} else if (desc->handler) {
		err = -EBUSY;
	} else {
		desc->handler = handler;
		desc->dev_id = dev_id;
		desc->devname = name;
		desc->flags = flags;
		if (!(desc->status & IRQ_NOAUTOEN)) {
			const struct irq_chip *c = desc->irq_data.chip;

			desc->depth = 0;
			desc->started = true;
			if (c->irq_startup) {
				desc->disabled = false;
				c->irq_startup(&desc->irq_data);
				desc->masked = false;
			} else {
				chip_enable(desc);
			}
			chip_resend(desc);
		}
	}
	raw_spin_unlock_irqrestore(&desc->lock, f);
	return err;
}

void synchronize_irq(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);
	unsigned long f;
	bool busy;

	if (!desc)
		return;
	do {
		while (__atomic_load_n(&desc->inprogress, __ATOMIC_ACQUIRE))
			sched_yield();
		/* A flow may be between taking the lock and setting the flag. */
		raw_spin_lock_irqsave(&desc->lock, f);
		busy = __atomic_load_n(&desc->inprogress, __ATOMIC_ACQUIRE);
		raw_spin_unlock_irqrestore(&desc->lock, f);
	} while (busy);
}

const void *free_irq(unsigned int irq, void *dev_id)
{
	struct irq_desc *desc = desc_of(irq);
	const struct irq_chip *c;
	const char *name;
	unsigned long f;

	might_sleep();
	if (WARN(!desc, "%s(%u): no such IRQ", __func__, irq))
		return NULL;
	raw_spin_lock_irqsave(&desc->lock, f);
	if (!desc->handler || desc->dev_id != dev_id) {
		raw_spin_unlock_irqrestore(&desc->lock, f);
		WARN(1, "Trying to free already-free IRQ %u", irq);
		return NULL;
	}
	name = desc->devname;
	desc->handler = NULL;
	desc->dev_id = NULL;
	desc->devname = NULL;
	c = desc->irq_data.chip;
	if (c->irq_shutdown) {
		c->irq_shutdown(&desc->irq_data);
		desc->masked = true;
		desc->disabled = true;
	} else {
		chip_disable(desc);
	}
	desc->started = false;
	desc->depth = 1;
	desc->pending = false;
	raw_spin_unlock_irqrestore(&desc->lock, f);
	synchronize_irq(irq);
	return name;
}

void disable_irq_nosync(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);
	unsigned long f;

	if (!desc)
		return;
	raw_spin_lock_irqsave(&desc->lock, f);
	if (!desc->depth++)
		chip_disable(desc);
	raw_spin_unlock_irqrestore(&desc->lock, f);
}

void disable_irq(unsigned int irq)
{
	disable_irq_nosync(irq);
	synchronize_irq(irq);
}

void enable_irq(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);
	unsigned long f;

	if (!desc)
		return;
	raw_spin_lock_irqsave(&desc->lock, f);
	if (!desc->depth) {
		WARN(1, "Unbalanced enable for IRQ %u", irq);
	} else if (!--desc->depth && desc->started) {
		chip_enable(desc);
		chip_resend(desc);
	}
	raw_spin_unlock_irqrestore(&desc->lock, f);
}

/*
 * As a write to /proc/irq/N/smp_affinity: any time, also while the IRQ is
 * being freed.  The descriptor lock is taken with interrupts off, which
 * the kernel's RCU counts as a read-side section: modelled by one.
 */
int irq_set_affinity(unsigned int irq, const struct cpumask *mask)
{
	const struct irq_chip *chip;
	struct irq_desc *desc;
	unsigned long f;
	int ret = -EINVAL;

	rcu_read_lock();
	desc = desc_of(irq);
	if (!desc)
		goto out;
	/* The chip under the lock, as the kernel's: irq_reinit_desc() resets it. */
	raw_spin_lock_irqsave(&desc->lock, f);
	chip = desc->irq_data.chip;
	if (chip && chip->irq_set_affinity) {
		ret = chip->irq_set_affinity(&desc->irq_data, mask, false);
		if (ret == IRQ_SET_MASK_OK || ret == IRQ_SET_MASK_OK_DONE)
			cpumask_copy(&desc->irq_data.affinity, mask);
	}
	raw_spin_unlock_irqrestore(&desc->lock, f);
out:
	rcu_read_unlock();
	return ret < 0 ? ret : 0;
}

/* Run the handler with the lock dropped.  desc->lock held. */
static void handle_irq_event(struct irq_desc *desc)
{
	irq_handler_t handler = desc->handler;
	void *dev_id = desc->dev_id;

	desc->pending = false;
	__atomic_store_n(&desc->inprogress, true, __ATOMIC_RELEASE);
	raw_spin_unlock(&desc->lock);
	if (handler) {
		handler(desc->irq_data.irq, dev_id);
		__atomic_add_fetch(&desc->nr_handled, 1, __ATOMIC_RELAXED);
	}
	raw_spin_lock(&desc->lock);
	__atomic_store_n(&desc->inprogress, false, __ATOMIC_RELEASE);
}

/* Flows run in hard IRQ context: interrupts off, inside the upcall. */
static void flow_context(struct irq_desc *desc)
{
	if (!shim_irqs_off || !shim_in_irq)
		__atomic_add_fetch(&kc_stats.flow_ctx_violations, 1,
				   __ATOMIC_RELAXED);
	__atomic_add_fetch(&desc->nr_flow, 1, __ATOMIC_RELAXED);
}

void handle_edge_irq(struct irq_desc *desc)
{
	flow_context(desc);
	raw_spin_lock(&desc->lock);
	/* Running on another CPU, disabled or without handler: note, mask. */
	if (__atomic_load_n(&desc->inprogress, __ATOMIC_ACQUIRE) ||
	    desc->disabled || !desc->handler) {
		desc->pending = true;
		chip_mask_ack(desc);
		goto out;
	}
	if (desc->irq_data.chip->irq_ack)
		desc->irq_data.chip->irq_ack(&desc->irq_data);
	do {
		if (!desc->handler) {
			chip_mask(desc);
			goto out;
		}
		/* An event came meanwhile and masked the IRQ: let it in. */
		if (desc->pending && !desc->disabled && desc->masked)
			chip_unmask(desc);
		handle_irq_event(desc);
	} while (desc->pending && !desc->disabled);
out:
	raw_spin_unlock(&desc->lock);
}

/*
 * The fasteoi flow (level PIRQs): the handler, then the EOI; an event
 * while the handler runs elsewhere, or while disabled, is kept pending
 * and masked.
 */
void handle_fasteoi_irq(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;

	flow_context(desc);
	raw_spin_lock(&desc->lock);
	if (__atomic_load_n(&desc->inprogress, __ATOMIC_ACQUIRE) ||
	    desc->disabled || !desc->handler) {
		desc->pending = true;
		chip_mask(desc);
		goto out;
	}
	handle_irq_event(desc);
out:
	if (c->irq_eoi)
		c->irq_eoi(&desc->irq_data);
	raw_spin_unlock(&desc->lock);
}

void handle_percpu_irq(struct irq_desc *desc)
{
	const struct irq_chip *c = desc->irq_data.chip;
	irq_handler_t handler = READ_ONCE(desc->handler);

	flow_context(desc);
	if (c->irq_ack)
		c->irq_ack(&desc->irq_data);
	if (handler) {
		handler(desc->irq_data.irq, READ_ONCE(desc->dev_id));
		__atomic_add_fetch(&desc->nr_handled, 1, __ATOMIC_RELAXED);
	}
	if (c->irq_eoi)
		c->irq_eoi(&desc->irq_data);
}

int generic_handle_irq(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	if (!desc) {
		__atomic_add_fetch(&kc_stats.no_desc, 1, __ATOMIC_RELAXED);
		return -EINVAL;
	}
	generic_handle_irq_desc(desc);
	return 0;
}

struct irq_desc *irq_to_desc(unsigned int irq)
{
	return desc_of(irq);
}

/* The kernel's calls handle_irq, handle_bad_irq by default; counted here. */
void generic_handle_irq_desc(struct irq_desc *desc)
{
	if (!desc->handle_irq) {
		__atomic_add_fetch(&kc_stats.no_flow, 1, __ATOMIC_RELAXED);
		return;
	}
	desc->handle_irq(desc);
}

int irq_set_chip_data(unsigned int irq, void *data)
{
	struct irq_desc *desc = desc_of(irq);

	if (!desc)
		return -EINVAL;
	__atomic_store_n(&desc->irq_data.chip_data, data, __ATOMIC_RELEASE);
	return 0;
}

unsigned long kc_irq_flows(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc ? __atomic_load_n(&desc->nr_flow, __ATOMIC_RELAXED) : 0;
}

const char *kc_irq_chip_name(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc && desc->irq_data.chip ? desc->irq_data.chip->name : NULL;
}

const char *kc_irq_flow_name(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc ? desc->flow_name : NULL;
}

bool kc_irq_masked(unsigned int irq)
{
	struct irq_desc *desc = desc_of(irq);

	return desc && desc->masked;
}

/* ---- Hypercalls the model does not serve ---------------------------------------------------- */

int HYPERVISOR_sched_op(int cmd, void *arg)
{
	__atomic_add_fetch(&kc_stats.other_hypercalls, 1, __ATOMIC_RELAXED);
	return -XEN_ENOSYS;
}

int HYPERVISOR_vcpu_op(int cmd, int vcpu, void *arg)
{
	__atomic_add_fetch(&kc_stats.other_hypercalls, 1, __ATOMIC_RELAXED);
	return -XEN_ENOSYS;
}

/*
 * ---- PHYSDEVOP: what events_pirq.c asks of Xen ---------------------------------------------
 *
 * Not the model's: the harness has no devices.  Each op succeeds as Xen
 * 4.17 documents it for a dom0 whose PIRQs exist (new PIRQ numbers from
 * 64 up, no EOI needed, the EOI map page registered), counted; a test
 * makes one op fail (kc_physdev_fail()).  Any other op is a hypercall
 * the harness does not serve.
 */
#define KC_PHYSDEV_OPS	64

static int physdev_fail[KC_PHYSDEV_OPS];
static unsigned long physdev_calls[KC_PHYSDEV_OPS];
static int physdev_next_pirq = 64;

void kc_physdev_fail(int cmd, int err)
{
	if (cmd >= 0 && cmd < KC_PHYSDEV_OPS)
		__atomic_store_n(&physdev_fail[cmd], err, __ATOMIC_RELAXED);
}

unsigned long kc_physdev_calls(int cmd)
{
	if (cmd < 0 || cmd >= KC_PHYSDEV_OPS)
		return 0;
	return __atomic_load_n(&physdev_calls[cmd], __ATOMIC_RELAXED);
}

int HYPERVISOR_physdev_op(int cmd, void *arg)
{
	int err;

	if (cmd < 0 || cmd >= KC_PHYSDEV_OPS)
		goto unserved;
	__atomic_add_fetch(&physdev_calls[cmd], 1, __ATOMIC_RELAXED);
	err = __atomic_exchange_n(&physdev_fail[cmd], 0, __ATOMIC_RELAXED);
	if (err)
		return err;
	switch (cmd) {
	case PHYSDEVOP_get_free_pirq:
		((struct physdev_get_free_pirq *)arg)->pirq =
			__atomic_fetch_add(&physdev_next_pirq, 1, __ATOMIC_RELAXED);
		return 0;
	case PHYSDEVOP_irq_status_query:
		((struct physdev_irq_status_query *)arg)->flags = 0;
		return 0;
	case PHYSDEVOP_alloc_irq_vector:
		((struct physdev_irq *)arg)->vector = 0x40;
		return 0;
	case PHYSDEVOP_pirq_eoi_gmfn_v2:
	case PHYSDEVOP_eoi:
	case PHYSDEVOP_map_pirq:
	case PHYSDEVOP_unmap_pirq:
		return 0;
	}
unserved:
	__atomic_add_fetch(&kc_stats.other_hypercalls, 1, __ATOMIC_RELAXED);
	return -XEN_ENOSYS;
}

/* ---- events_setup.c's services ------------------------------------------------------------ */

int xen_set_callback_via(u64 via)
{
	__atomic_add_fetch(&kc_stats.other_hypercalls, 1, __ATOMIC_RELAXED);
	return -XEN_ENOSYS;
}

int HYPERVISOR_hvm_op(int op, void *arg)
{
	__atomic_add_fetch(&kc_stats.other_hypercalls, 1, __ATOMIC_RELAXED);
	return -XEN_ENOSYS;
}

void (*kc_park_hook)(bool park);

int stop_machine_cpuslocked(int (*fn)(void *data), void *data,
			    const struct cpumask *cpus)
{
	unsigned long flags;
	int ret;

	if (kc_park_hook)
		kc_park_hook(true);
	local_irq_save(flags);
	ret = fn(data);
	local_irq_restore(flags);
	if (kc_park_hook)
		kc_park_hook(false);
	__atomic_add_fetch(&kc_stats.stop_machines, 1, __ATOMIC_RELAXED);
	return ret;
}

int (*kc_cpuhp_startup)(unsigned int cpu);
int (*kc_cpuhp_teardown)(unsigned int cpu);

int cpuhp_setup_state_nocalls(enum cpuhp_state state, const char *name,
			      int (*startup)(unsigned int cpu),
			      int (*teardown)(unsigned int cpu))
{
	kc_cpuhp_startup = startup;
	kc_cpuhp_teardown = teardown;
	return 0;
}

ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len;

	if (!size)
		return -E2BIG;
	len = strnlen(src, size);
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = 0;
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

char *strim(char *s)
{
	size_t len = strlen(s);
	char *start = s;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' ||
		       s[len - 1] == '\t'))
		s[--len] = 0;
	while (*start == ' ' || *start == '\t' || *start == '\n')
		start++;
	return start;
}

/* As the kernel's: digits and at most one trailing newline. */
int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || v > UINT_MAX)
		return -ERANGE;
	if (*end == '\n')
		end++;
	if (end == s || *end)
		return -EINVAL;
	*res = v;
	return 0;
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PAGE_SIZE, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : min(n, (int)PAGE_SIZE - 1);
}

/* ---- debugfs and seq_file ------------------------------------------------------------------- */

#define KC_DEBUGFS_FILES	16

static struct kc_debugfs_file {
	const char *name;
	struct inode inode;
	const struct file_operations *fops;
} debugfs_files[KC_DEBUGFS_FILES];
static unsigned int nr_debugfs_files;
static char debugfs_dir;

struct dentry *debugfs_lookup(const char *name, struct dentry *parent)
{
	return NULL;
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	return (struct dentry *)&debugfs_dir;
}

struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	struct kc_debugfs_file *f;

	if (nr_debugfs_files == KC_DEBUGFS_FILES)
		return NULL;
	f = &debugfs_files[nr_debugfs_files++];
	f->name = name;
	f->inode.i_private = data;
	f->fops = fops;
	return (struct dentry *)f;
}

static struct kc_debugfs_file *debugfs_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_debugfs_files; i++)
		if (!strcmp(debugfs_files[i].name, name))
			return &debugfs_files[i];
	return NULL;
}

int seq_open(struct file *file, const struct seq_operations *op)
{
	struct seq_file *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->op = op;
	file->private_data = m;
	return 0;
}

void *__seq_open_private(struct file *file, const struct seq_operations *op,
			 int psize)
{
	void *priv = kzalloc(psize, GFP_KERNEL);

	if (!priv)
		return NULL;
	if (seq_open(file, op)) {
		kfree(priv);
		return NULL;
	}
	((struct seq_file *)file->private_data)->private = priv;
	return priv;
}

int seq_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	free(m->buf);
	free(m);
	file->private_data = NULL;
	return 0;
}

int seq_release_private(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kfree(m->private);
	return seq_release(inode, file);
}

static void *single_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? NULL : (void *)1;
}

static void *single_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void single_stop(struct seq_file *m, void *v)
{
}

static int single_show(struct seq_file *m, void *v)
{
	return m->single_show(m, v);
}

static const struct seq_operations single_ops = {
	.start = single_start,
	.next = single_next,
	.stop = single_stop,
	.show = single_show,
};

int single_open(struct file *file, int (*show)(struct seq_file *m, void *v),
		void *data)
{
	struct seq_file *m;
	int ret;

	ret = seq_open(file, &single_ops);
	if (ret)
		return ret;
	m = file->private_data;
	m->private = data;
	m->single_show = show;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	return seq_release(inode, file);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
		va_end(ap);
		if (n >= 0 && m->count + n < m->size) {
			m->count += n;
			return;
		}
		m->size = m->size ? m->size * 2 : 4096;
		m->buf = realloc(m->buf, m->size);
		if (!m->buf)
			shim_bug(__FILE__, __LINE__, "seq_file: out of memory");
	}
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_printf(m, "%s", s);
}

/* The whole file at the first read, then from the offset. */
ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	loff_t pos = 0;
	size_t n;
	void *p;

	if (!*ppos && !m->count) {
		p = m->op->start(m, &pos);
		while (p) {
			if (m->op->show(m, p) < 0)
				break;
			p = m->op->next(m, p, &pos);
		}
		m->op->stop(m, p);
	}
	if ((size_t)*ppos >= m->count)
		return 0;
	n = min(len, m->count - (size_t)*ppos);
	memcpy(buf, m->buf + *ppos, n);
	*ppos += n;
	return n;
}

loff_t seq_lseek(struct file *file, loff_t off, int whence)
{
	file->f_pos = off;
	return off;
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (end == s || errno || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	*res = v;
	return 0;
}

ssize_t kc_debugfs_read(const char *name, char *buf, size_t size)
{
	struct kc_debugfs_file *f = debugfs_find(name);
	struct file file = { };
	ssize_t n, total = 0;
	int ret;

	if (!f)
		return -ENOENT;
	file.f_inode = &f->inode;
	ret = f->fops->open(&f->inode, &file);
	if (ret)
		return ret;
	while (size - total > 1) {
		n = f->fops->read(&file, buf + total, size - total - 1, &file.f_pos);
		if (n <= 0)
			break;
		total += n;
	}
	buf[total] = 0;
	f->fops->release(&f->inode, &file);
	return total;
}

ssize_t kc_debugfs_write(const char *name, const char *text)
{
	struct kc_debugfs_file *f = debugfs_find(name);
	struct file file = { };
	ssize_t n;
	int ret;

	if (!f || !f->fops->write)
		return -ENOENT;
	file.f_inode = &f->inode;
	ret = f->fops->open(&f->inode, &file);
	if (ret)
		return ret;
	n = f->fops->write(&file, text, strlen(text), &file.f_pos);
	f->fops->release(&f->inode, &file);
	return n;
}
