/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the core's files (events_base.c, events_bind.c, events_upcall.c,
 * events_lateeoi.c, events_prio.c, events_usage.c, events_setup.c,
 * events_debugfs.c, events_pirq.c) use from the kernel
 * beyond the backends' seam: the part of genirq they drive (descriptors,
 * chips, the edge and per-CPU flows, request_irq()/free_irq()), RCU,
 * workqueues, mutexes and raw spinlocks, lists, an XArray, jiffies, and the
 * xenbus device fields they count in.  Written for the harness from the
 * kernel's documented behaviour; the runtime is kcore.c.
 *
 * The core's translation units (core_*.c) include the shim
 * events_kernel.h first, then the kernel file; the kernel file's
 * <linux/irq.h>, <linux/rcupdate.h>, ... find the one-line headers in
 * include/linux/ and include/xen/, which all lead here (the core program
 * is compiled with -I include, the backends' program is not).
 *
 * The lists are the kernel's own include/linux/list.h.
 * STUBBED: XArray (a sorted array under a mutex, lookups
 * included), lockdep (nothing is checked), module parameters.
 * CUSTOMISED for testing: genirq (counted flows, "interrupts off" checked
 * in the flows), RCU (readers counted per thread, synchronize_rcu() waits
 * for the readers it saw), the workqueue (one worker thread acting as a
 * CPU of the harness's choice; delayed work due on a virtual jiffies
 * clock that tests advance), seeded interleaving points in every lock and
 * RCU operation (kc_set_chaos()).
 */
#ifndef XEN_EVENTS_SHIM_KCORE_H
#define XEN_EVENTS_SHIM_KCORE_H

#include "custom.h"
#include "xen_shim.h"

#include <limits.h>
#include <pthread.h>

/* ---- Seeded interleaving points ------------------------------------------ */

/* With probability @permille/1000 at each point, yield or spin (seeded). */
void kc_set_chaos(unsigned int permille, u64 seed);
void kc_chaos_point(void);

/* ---- Odds and ends --------------------------------------------------------- */

#ifndef S16_MAX
#define S16_MAX		((s16)(U16_MAX >> 1))
#endif
#define NUMA_NO_NODE	(-1)
#define NSEC_PER_SEC	1000000000ULL
static inline int ilog2(u64 n)
{
	return n ? 63 - __builtin_clzll(n) : -1;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
	__printf(3, 4);
#define lockdep_is_held(l)	((void)(l), 1)

/* ---- Lists ----------------------------------------------------------------- */

/*
 * The kernel's own include/linux/list.h, linked from the kernel tree with
 * the Xen ABI headers (Makefile).  Its types are defined here as the
 * kernel's include/linux/types.h does (the UAPI <linux/types.h> that
 * base.h includes has none).  What list.h includes: <linux/poison.h> is
 * the kernel's too; <linux/container_of.h> and <asm/barrier.h> are
 * include/wrap/, which lead to base.h.
 */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#include <linux/list.h>

/* ---- Raw spinlocks and mutexes (pthread mutexes) ---------------------------- */

struct raw_spinlock {
	pthread_mutex_t m;
};

/* The kernel's type name (a typedef there) for what the core declares. */
#define raw_spinlock_t			struct raw_spinlock
#define __RAW_SPIN_LOCK_UNLOCKED(x)	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_RAW_SPINLOCK(x)		raw_spinlock_t x = { PTHREAD_MUTEX_INITIALIZER }

void kc_lock(pthread_mutex_t *m);
void kc_unlock(pthread_mutex_t *m);

#define raw_spin_lock_init(l)	pthread_mutex_init(&(l)->m, NULL)
#define raw_spin_lock(l)	kc_lock(&(l)->m)
#define raw_spin_unlock(l)	kc_unlock(&(l)->m)
#define raw_spin_lock_irqsave(l, flags)					\
	do { local_irq_save(flags); kc_lock(&(l)->m); } while (0)
#define raw_spin_unlock_irqrestore(l, flags)				\
	do { kc_unlock(&(l)->m); local_irq_restore(flags); } while (0)
#define raw_spin_lock_irq(l)	do { local_irq_disable(); kc_lock(&(l)->m); } while (0)
#define raw_spin_unlock_irq(l)	do { kc_unlock(&(l)->m); local_irq_enable(); } while (0)

struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(x)		struct mutex x = { PTHREAD_MUTEX_INITIALIZER }
#define mutex_init(x)		pthread_mutex_init(&(x)->m, NULL)
/* Sleeping with "interrupts" off or inside an upcall is a bug. */
#define mutex_lock(x)		do { might_sleep(); kc_lock(&(x)->m); } while (0)
#define mutex_unlock(x)		kc_unlock(&(x)->m)

/* ---- CPU masks (beyond custom.h) -------------------------------------------- */

const struct cpumask *cpumask_of(unsigned int cpu);

static inline bool cpumask_intersects(const struct cpumask *a,
				      const struct cpumask *b)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a->bits); i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

static inline void cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	*dst = *src;
}

/*
 * The kernel's definition (include/linux/cpumask.h): for_each_and_bit() is
 * the kernel's find.h (base.h); the loop leaves nr_cpu_ids in @cpu.
 */
#define for_each_cpu_and(cpu, a, b)					\
	for_each_and_bit(cpu, cpumask_bits(a), cpumask_bits(b), nr_cpu_ids)

/* ---- RCU --------------------------------------------------------------------- */

void rcu_read_lock(void);
void rcu_read_unlock(void);
void synchronize_rcu(void);
/* Wait for the RCU work queued so far (queue_rcu_work()) to have run. */
void rcu_barrier(void);
bool kc_in_rcu_reader(void);

/*
 * Whether RCU watches the CPU this thread acts as.  It stops watching a
 * CPU going offline at the CPU's last report (rcu_report_dead()), before
 * the CPU tells the control CPU it is dead; a read-side section there,
 * rcu_read_lock() or an XArray lookup (which takes one), is what
 * PROVE_RCU reports as "RCU used illegally from offline CPU": here a WARN.
 * Every thread starts watched.
 */
void kc_rcu_set_watching(bool watching);
bool kc_rcu_watching(void);

/*
 * A reader held between its lookup and its use: when set, called on the
 * loading thread with every pointer rcu_dereference() and
 * rcu_dereference_check() load (the port table's lookups, the VIRQ
 * tables), after the load.  A test blocks there the one reader it wants
 * to hold while another thread acts.
 */
typedef void (*kc_rcu_deref_fn)(const void *p);
extern kc_rcu_deref_fn kc_rcu_deref_hook;

static inline void kc_rcu_deref_seen(const void *p)
{
	kc_rcu_deref_fn hook = __atomic_load_n(&kc_rcu_deref_hook,
					       __ATOMIC_ACQUIRE);

	if (hook)
		hook(p);
}

#define rcu_dereference(p) ({						\
	typeof(p) __kc_rp = READ_ONCE(p);				\
									\
	kc_rcu_deref_seen(__kc_rp);					\
	__kc_rp;							\
})
#define rcu_dereference_check(p, c)	rcu_dereference(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_dereference_raw(p)		READ_ONCE(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
/* No ordering, as in the kernel (WRITE_ONCE() is a release under TSan). */
#define RCU_INIT_POINTER(p, v)		__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

/* ---- Jiffies and time (virtual: tests advance them) -------------------------- */

#define HZ		250
extern u64 kc_jiffies;
#define jiffies		((unsigned long)__atomic_load_n(&kc_jiffies, __ATOMIC_ACQUIRE))
static inline u64 get_jiffies_64(void)
{
	return __atomic_load_n(&kc_jiffies, __ATOMIC_ACQUIRE);
}

/* Advance the clock by @n jiffies and run what became due. */
void kc_jiffies_advance(unsigned long n);

#define time_after64(a, b)	((s64)((b) - (a)) < 0)
#define time_before64(a, b)	time_after64(b, a)
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define jiffies_to_nsecs(j)	((u64)(j) * (NSEC_PER_SEC / HZ))
#define jiffies_to_msecs(j)	((unsigned int)((j) * (1000 / HZ)))
/* kc_jiffies at the start (kcore.c). */
#define INITIAL_JIFFIES		1000UL
#define div64_u64(a, b)		((u64)(a) / (u64)(b))
#define msecs_to_jiffies(m)	((unsigned long)(m) * HZ / 1000)
/* Monotonic ns: the jiffies clock plus what tests add (kc_clock_ns). */
extern u64 kc_clock_ns;
static inline u64 ktime_get_mono_fast_ns(void)
{
	return jiffies_to_nsecs(get_jiffies_64()) +
	       __atomic_load_n(&kc_clock_ns, __ATOMIC_RELAXED);
}

/* ---- Workqueues ------------------------------------------------------------ */

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	struct list_head entry;
	int state;		/* KC_WORK_*: kcore.c, under its lock */
	u64 due;		/* delayed work: jiffies */
};

struct delayed_work {
	struct work_struct work;
};

struct rcu_work {
	struct work_struct work;
};

struct workqueue_struct {
	const char *name;
};

extern struct workqueue_struct *system_wq;

/*
 * An idle work item's entry is not read (kcore.c goes by its state and
 * links the entry when it queues the work), so a static one needs no
 * self-referencing initializer.
 */
#define DECLARE_WORK(n, f)	struct work_struct n = { .func = (f) }
static inline void INIT_WORK(struct work_struct *w, work_func_t f)
{
	w->func = f;
	INIT_LIST_HEAD(&w->entry);
	w->state = 0;
}

#define INIT_DELAYED_WORK(dw, f) INIT_WORK(&(dw)->work, f)
#define INIT_RCU_WORK(rw, f)	INIT_WORK(&(rw)->work, f)
#define to_delayed_work(w)	container_of(w, struct delayed_work, work)
#define to_rcu_work(w)		container_of(w, struct rcu_work, work)

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
#define schedule_work(w)	queue_work(system_wq, (w))
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
		      unsigned long delay);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay);
bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rw);
bool cancel_delayed_work_sync(struct delayed_work *dw);
void flush_workqueue(struct workqueue_struct *wq);
/* Waits for more than @w: whatever the workqueue holds. */
#define flush_work(w)		flush_workqueue(system_wq)

/* ---- XArray (a sorted array; every operation under its mutex) -------------- */

struct xarray {
	pthread_mutex_t lock;
	unsigned long nr, cap;
	unsigned long *index;
	void **entry;
};

#define XA_PRESENT		((unsigned long)-1)
#define DEFINE_XARRAY(name)	struct xarray name = { .lock = PTHREAD_MUTEX_INITIALIZER }
void xa_init(struct xarray *xa);
void *xa_load(struct xarray *xa, unsigned long index);
void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *xa_erase(struct xarray *xa, unsigned long index);
void xa_destroy(struct xarray *xa);
bool xa_empty(struct xarray *xa);
/* The first entry at or after *@index (up to @max), its index in *@index. */
void *xa_find(struct xarray *xa, unsigned long *index, unsigned long max,
	      unsigned long filter);
void *xa_find_after(struct xarray *xa, unsigned long *index,
		    unsigned long max, unsigned long filter);

/*
 * xa_for_each(): the kernel's loop (xa_find() from index 0, then
 * xa_find_after() until NULL), stepped by kc_xa_next() so that each
 * argument is evaluated once; @index is left at the last entry found.
 */
struct kc_xa_iter {
	struct xarray *array;
	unsigned long *at;
	bool started;
};

static inline void *kc_xa_next(struct kc_xa_iter *it)
{
	if (it->started)
		return xa_find_after(it->array, it->at, ULONG_MAX, XA_PRESENT);
	it->started = true;
	*it->at = 0;
	return xa_find(it->array, it->at, ULONG_MAX, XA_PRESENT);
}

#define xa_for_each(xa, index, entry)					\
	for (struct kc_xa_iter __kc_xi = { (xa), &(index), false };	\
	     ((entry) = kc_xa_next(&__kc_xi));)

/* Error entries are small negative "pointers", value entries odd ones. */
static inline bool xa_is_err(const void *e)
{
	return (unsigned long)e >= (unsigned long)-MAX_ERRNO;
}

static inline int xa_err(const void *e)
{
	return xa_is_err(e) ? (int)(long)e : 0;
}

static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}

static inline unsigned long xa_to_value(const void *e)
{
	return (unsigned long)e >> 1;
}

static inline bool xa_is_value(const void *e)
{
	return (unsigned long)e & 1;
}

/* ---- genirq ------------------------------------------------------------------ */

enum irqreturn {
	IRQ_NONE = 0,
	IRQ_HANDLED = 1,
	IRQ_WAKE_THREAD = 2,
};

/* The kernel's type name (a typedef there) for what handlers return. */
#define irqreturn_t	enum irqreturn

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

struct irq_desc;
typedef void (*irq_flow_handler_t)(struct irq_desc *desc);

struct irq_data {
	unsigned int irq;
	const struct irq_chip *chip;
	void *chip_data;		/* irq_set_chip_data() */
	struct cpumask affinity;
	struct cpumask effective;
};

struct irq_chip {
	const char *name;
	unsigned int (*irq_startup)(struct irq_data *d);
	void (*irq_shutdown)(struct irq_data *d);
	void (*irq_enable)(struct irq_data *d);
	void (*irq_disable)(struct irq_data *d);
	void (*irq_ack)(struct irq_data *d);
	void (*irq_mask)(struct irq_data *d);
	void (*irq_mask_ack)(struct irq_data *d);
	void (*irq_unmask)(struct irq_data *d);
	void (*irq_eoi)(struct irq_data *d);
	int (*irq_set_affinity)(struct irq_data *d, const struct cpumask *dest,
				bool force);
	int (*irq_retrigger)(struct irq_data *d);
};

/* irq_set_affinity() results of a chip. */
#define IRQ_SET_MASK_OK		0
#define IRQ_SET_MASK_OK_NOCOPY	1
#define IRQ_SET_MASK_OK_DONE	2

/* Status flags (irq_set_status_flags()). */
#define IRQ_NOREQUEST		BIT(0)
#define IRQ_NOAUTOEN		BIT(1)
#define IRQ_MOVE_PCNTXT		BIT(2)
#define IRQ_NOPROBE		BIT(3)

/* request_irq() flags. */
#define IRQF_SHARED		0x00000080
#define IRQF_PERCPU		0x00000400
#define IRQF_NOBALANCING	0x00000800
#define IRQF_NO_SUSPEND		0x00004000
#define IRQF_FORCE_RESUME	0x00008000
#define IRQF_NO_THREAD		0x00010000
#define IRQF_EARLY_RESUME	0x00020000

int irq_alloc_desc(int node);
void irq_free_desc(unsigned int irq);
struct irq_data *irq_get_irq_data(unsigned int irq);
void irq_set_chip_and_handler_name(unsigned int irq, const struct irq_chip *chip,
				   irq_flow_handler_t handle, const char *name);
void irq_set_status_flags(unsigned int irq, unsigned long set);
void irq_clear_status_flags(unsigned int irq, unsigned long clr);
void irq_modify_status(unsigned int irq, unsigned long clr, unsigned long set);
int irq_reinit_desc(unsigned int irq);
struct irq_data *irq_desc_get_irq_data(struct irq_desc *desc);
void irq_data_update_affinity(struct irq_data *d, const struct cpumask *m);
void irq_data_update_effective_affinity(struct irq_data *d,
					const struct cpumask *m);
int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
		const char *name, void *dev_id);
const void *free_irq(unsigned int irq, void *dev_id);
void disable_irq(unsigned int irq);
void disable_irq_nosync(unsigned int irq);
void enable_irq(unsigned int irq);
void synchronize_irq(unsigned int irq);
int irq_set_affinity(unsigned int irq, const struct cpumask *mask);
int generic_handle_irq(unsigned int irq);
struct irq_desc *irq_to_desc(unsigned int irq);
void generic_handle_irq_desc(struct irq_desc *desc);
int irq_set_chip_data(unsigned int irq, void *data);

static inline void *irq_data_get_irq_chip_data(struct irq_data *d)
{
	return __atomic_load_n(&d->chip_data, __ATOMIC_ACQUIRE);
}

static inline const struct irq_chip *irq_data_get_irq_chip(struct irq_data *d)
{
	return __atomic_load_n(&d->chip, __ATOMIC_ACQUIRE);
}

void handle_edge_irq(struct irq_desc *desc);
void handle_percpu_irq(struct irq_desc *desc);

/*
 * ---- What events_pirq.c uses: ranges of descriptors, MSI, PHYSDEVOP ---------
 *
 * The PCI device and its MSI descriptors are opaque: the core only passes
 * them on.  <xen/interface/physdev.h> is the kernel's own (linked like the
 * ABI headers); the ops are served by kcore.c.
 */
#define CONFIG_PCI_MSI		1
#define NR_IRQS_LEGACY		16
struct pci_dev;
struct msi_desc;
int irq_alloc_descs(int irq, unsigned int from, unsigned int cnt, int node);
void irq_free_descs(unsigned int from, unsigned int cnt);
int irq_alloc_desc_at(unsigned int at, int node);
int irq_set_msi_desc(unsigned int irq, struct msi_desc *entry);
bool irqd_is_started(struct irq_data *d);
void handle_fasteoi_irq(struct irq_desc *desc);
int HYPERVISOR_physdev_op(int cmd, void *arg);

/* ---- Hypercalls beyond event channels ---------------------------------------- */

int HYPERVISOR_sched_op(int cmd, void *arg);
int HYPERVISOR_vcpu_op(int cmd, int vcpu, void *arg);

/* ---- xen/xenbus.h: the fields of a xenbus device the core counts in ----------- */

/*
 * linux/device.h: the reference count a binding holds on its xenbus device
 * (put with release order; a test reads it with acquire before it frees
 * or reuses the device, as the driver core frees it only at zero).
 */
struct device {
	int refs;
};

static inline struct device *get_device(struct device *dev)
{
	if (dev)
		__atomic_fetch_add(&dev->refs, 1, __ATOMIC_RELAXED);
	return dev;
}

static inline void put_device(struct device *dev)
{
	if (dev)
		__atomic_fetch_sub(&dev->refs, 1, __ATOMIC_RELEASE);
}

struct xenbus_device {
	struct device dev;
	const char *devicetype;
	const char *nodename;
	const char *otherend;
	int otherend_id;
	atomic_t event_channels;
	atomic_t events;
	atomic_t spurious_events;
	atomic_t jiffies_eoi_delayed;
	unsigned int spurious_threshold;
};

/* The xenstore port the kernel's xenbus binds (the policy's "control"). */
extern int xen_store_evtchn;

/*
 * ---- What events_setup.c uses: boot, switch, resume, CPU hotplug -------------
 *
 * <xen/interface/hvm/hvm_op.h>, <xen/interface/features.h> and
 * <asm/xen/cpuid.h> are the kernel's own (linked like the ABI headers).
 * The HVM plumbing is stubbed: the harness's guest is PV, whose boot asks
 * CPUID and the feature flags (no HVM vector: 0) and goes no further.
 */
typedef u64 __aligned(8) aligned_u64;	/* linux/types.h */
#include <xen/interface/features.h>
#include <xen/interface/hvm/hvm_op.h>
#include <asm/xen/cpuid.h>

#define HYPERVISOR_CALLBACK_VECTOR	0xf3
#define HVM_CALLBACK_VECTOR(x)		(((u64)2) << 56 | (x))
int xen_set_callback_via(u64 via);
int HYPERVISOR_hvm_op(int op, void *arg);

/*
 * The console port of a domU (events_prio.c): the start info of a PV
 * guest (the harness's guest has none: NULL), an HVM parameter otherwise
 * (none here).
 */
#include <xen/interface/hvm/params.h>
extern struct start_info *xen_start_info;
static inline int hvm_get_parameter(int idx, u64 *value)
{
	return -EINVAL;
}

static inline u32 cpuid_eax(u32 op)
{
	return 0;
}

static inline u32 xen_cpuid_base(void)
{
	return 0;
}

static inline int xen_feature(int flag)
{
	return 0;
}

#define alloc_intr_gate(vector, handler)	do { } while (0)
static inline void native_init_IRQ(void)
{
}

static inline int pci_xen_hvm_init(void)
{
	return 0;
}

static inline int pci_xen_initial_domain(void)
{
	return 0;
}

/*
 * stop_machine(): @fn runs on this thread with interrupts off while the
 * harness has parked every other CPU's thread (kc_park_hook).
 */
extern void (*kc_park_hook)(bool park);
int stop_machine_cpuslocked(int (*fn)(void *data), void *data,
			    const struct cpumask *cpus);
#define stop_machine	stop_machine_cpuslocked

/* CPU hotplug: the one state the core installs, recorded for the harness. */
enum cpuhp_state {
	CPUHP_INVALID = -1,
	CPUHP_XEN_EVTCHN_PREPARE = 1,
};

int cpuhp_setup_state_nocalls(enum cpuhp_state state, const char *name,
			      int (*startup)(unsigned int cpu),
			      int (*teardown)(unsigned int cpu));
extern int (*kc_cpuhp_startup)(unsigned int cpu);
extern int (*kc_cpuhp_teardown)(unsigned int cpu);

/* Module parameters with callbacks: the ops kept where a test finds them. */
struct kernel_param {
	const char *name;
	void *arg;
};

struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buffer, const struct kernel_param *kp);
};

#define module_param_cb(name, ops, arg, perm) \
	const struct kernel_param_ops *kc_param_ops_##name = (ops)

ssize_t strscpy(char *dst, const char *src, size_t size);
char *strim(char *s);
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int sysfs_emit(char *buf, const char *fmt, ...)
	__printf(2, 3);

/*
 * ---- What events_debugfs.c uses: debugfs files and seq_file ------------------
 *
 * debugfs_create_file() records the file (kc_debugfs_read() and
 * kc_debugfs_write() in kcore.c open, read or write and release it as the
 * VFS would); seq_read() runs the iterator over the whole file at the
 * first read.  late_initcall() keeps the function for the harness, which
 * calls it after boot.
 */
struct inode {
	void *i_private;
};

struct file {
	void *private_data;
	loff_t f_pos;
	struct inode *f_inode;
};

struct module;
#define THIS_MODULE	((struct module *)0)
struct seq_file {
	char *buf;
	size_t size, count;
	loff_t index;
	const struct seq_operations *op;
	void *private;
	int (*single_show)(struct seq_file *m, void *v);	/* single_open() */
};

struct seq_operations {
	void *(*start)(struct seq_file *m, loff_t *pos);
	void (*stop)(struct seq_file *m, void *v);
	void *(*next)(struct seq_file *m, void *v, loff_t *pos);
	int (*show)(struct seq_file *m, void *v);
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char *buf, size_t len, loff_t *ppos);
	ssize_t (*write)(struct file *file, const char *buf, size_t len,
			 loff_t *ppos);
	loff_t (*llseek)(struct file *file, loff_t off, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

struct dentry;
#define SEQ_START_TOKEN	((void *)1)

int seq_open(struct file *file, const struct seq_operations *op);
void *__seq_open_private(struct file *file, const struct seq_operations *op,
			 int psize);
int seq_release(struct inode *inode, struct file *file);
int seq_release_private(struct inode *inode, struct file *file);
int single_open(struct file *file, int (*show)(struct seq_file *m, void *v),
		void *data);
int single_release(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *ppos);
loff_t seq_lseek(struct file *file, loff_t off, int whence);
void seq_printf(struct seq_file *m, const char *fmt, ...)
	__printf(2, 3);
void seq_puts(struct seq_file *m, const char *s);

#define DEFINE_SEQ_ATTRIBUTE(__name)					\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	int ret = seq_open(file, &__name ## _sops);			\
									\
	if (!ret && inode->i_private)					\
		((struct seq_file *)file->private_data)->private =	\
			inode->i_private;				\
	return ret;							\
}									\
static const struct file_operations __name ## _fops = {		\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= seq_release,					\
}

struct dentry *debugfs_lookup(const char *name, struct dentry *parent);
struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
#define late_initcall(fn)	int (*kc_late_initcall_ ## fn)(void) = (fn)

static inline unsigned long copy_from_user(void *to, const void *from,
					   unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}

int kstrtoint(const char *s, unsigned int base, int *res);

/* The harness's VFS: the whole of a debugfs file, or a write to it. */
ssize_t kc_debugfs_read(const char *name, char *buf, size_t size);
ssize_t kc_debugfs_write(const char *name, const char *text);

/*
 * ---- xen/events.h: the driver API the core defines ---------------------------
 *
 * The kernel's <xen/events.h> repeats what xen_shim.h already has
 * (enum ipi_vector, notify_remote_via_evtchn()), so the core program
 * declares the rest here.  The core's files see these declarations too,
 * so a definition that does not match fails to compile.
 */
struct xenbus_device;
int bind_evtchn_to_irq(evtchn_port_t evtchn);
int bind_evtchn_to_irq_lateeoi(evtchn_port_t evtchn);
int bind_evtchn_to_irqhandler(evtchn_port_t evtchn, irq_handler_t handler,
			      unsigned long irqflags, const char *devname,
			      void *dev_id);
int bind_evtchn_to_irqhandler_lateeoi(evtchn_port_t evtchn,
				      irq_handler_t handler,
				      unsigned long irqflags,
				      const char *devname, void *dev_id);
int bind_virq_to_irq(unsigned int virq, unsigned int cpu, bool percpu);
int bind_virq_to_irqhandler(unsigned int virq, unsigned int cpu,
			    irq_handler_t handler, unsigned long irqflags,
			    const char *devname, void *dev_id);
int bind_ipi_to_irqhandler(enum ipi_vector ipi, unsigned int cpu,
			   irq_handler_t handler, unsigned long irqflags,
			   const char *devname, void *dev_id);
int bind_interdomain_evtchn_to_irq_lateeoi(struct xenbus_device *dev,
					   evtchn_port_t remote_port);
int bind_interdomain_evtchn_to_irqhandler_lateeoi(struct xenbus_device *dev,
						  evtchn_port_t remote_port,
						  irq_handler_t handler,
						  unsigned long irqflags,
						  const char *devname,
						  void *dev_id);
void unbind_from_irqhandler(unsigned int irq, void *dev_id);
void xen_irq_lateeoi(unsigned int irq, unsigned int eoi_flags);
int xen_set_irq_priority(unsigned int irq, unsigned int priority);
int evtchn_make_refcounted(evtchn_port_t evtchn);
int evtchn_get(evtchn_port_t evtchn);
void evtchn_put(evtchn_port_t evtchn);
void xen_send_IPI_one(unsigned int cpu, enum ipi_vector vector);
void rebind_evtchn_irq(evtchn_port_t evtchn, int irq);
void notify_remote_via_irq(int irq);
void xen_irq_resume(void);
void xen_clear_irq_pending(int irq);
void xen_set_irq_pending(int irq);
bool xen_test_irq_pending(int irq);
void xen_poll_irq(int irq);
void xen_poll_irq_timeout(int irq, u64 timeout);
unsigned int irq_from_evtchn(evtchn_port_t evtchn);
int irq_evtchn_from_virq(unsigned int cpu, unsigned int virq,
			 evtchn_port_t *evtchn);
int xen_evtchn_do_upcall(void);
void xen_init_IRQ(void);
int xen_bind_pirq_gsi_to_irq(unsigned int gsi, unsigned int pirq,
			     int shareable, char *name);
int xen_allocate_pirq_msi(struct pci_dev *dev, struct msi_desc *msidesc);
int xen_bind_pirq_msi_to_irq(struct pci_dev *dev, struct msi_desc *msidesc,
			     int pirq, int nvec, const char *name,
			     domid_t domid);
int xen_destroy_irq(int irq);
int xen_irq_from_pirq(unsigned int pirq);
int xen_pirq_from_irq(unsigned int irq);
int xen_irq_from_gsi(unsigned int gsi);
int xen_test_irq_shared(int irq);

#endif /* XEN_EVENTS_SHIM_KCORE_H */
