/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel facilities CUSTOMISED for testing: every one of them is observable
 * by the tests (counters, logs) or steerable by them (fault injection,
 * which vCPU a thread is).  The runtime behind them is shim.c.
 *
 *  - printk and WARN*(): counted by level and kept in a log; a test can
 *    assert "exactly one warning" (shim_nr_warnings()).
 *  - BUG(), panic(): print where, then abort (the runner reports a crash).
 *  - CPUs: each thread has a CPU identity (shim_set_cpu()); the main thread
 *    starts as CPU 0.  smp_processor_id() is that identity.
 *  - Per-CPU variables are arrays of NR_CPUS copies.
 *  - Interrupt state is per thread; the harness disables "interrupts"
 *    around the upcall and wherever the core would.
 *  - Pages and kmalloc() come from the C library, counted; the Nth
 *    allocation can be made to fail.
 */
#ifndef XEN_EVENTS_SHIM_CUSTOM_H
#define XEN_EVENTS_SHIM_CUSTOM_H

#include "base.h"

/* ---- printk ---------------------------------------------------------- */

#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define KERN_DEFAULT	""
#define KERN_CONT	KERN_SOH "c"

#define LOGLEVEL_EMERG		0
#define LOGLEVEL_ALERT		1
#define LOGLEVEL_CRIT		2
#define LOGLEVEL_ERR		3
#define LOGLEVEL_WARNING	4
#define LOGLEVEL_NOTICE		5
#define LOGLEVEL_INFO		6
#define LOGLEVEL_DEBUG		7

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

/* The kernel's printk() is a wrapper around _printk(); nothing here calls it. */
__printf(1, 2) int _printk(const char *fmt, ...);
__printf(1, 2) static inline int no_printk(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

#define pr_emerg(fmt, ...)	_printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...)	_printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)	_printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	_printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	_printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warning		pr_warn
#define pr_notice(fmt, ...)	_printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	_printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#ifdef DEBUG
#define pr_debug(fmt, ...)	_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...)	no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#endif
#define pr_devel(fmt, ...)	no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)

/* Once per call site (and per test: every test runs in a fresh process). */
#define __shim_printk_once(fmt, ...) ({				\
	static bool __print_once;					\
	bool __ret_print_once = !__print_once;				\
	if (!__print_once) {						\
		__print_once = true;					\
		_printk(fmt, ##__VA_ARGS__);				\
	}								\
	unlikely(__ret_print_once);					\
})
#define pr_emerg_once(fmt, ...)	__shim_printk_once(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_once(fmt, ...)	__shim_printk_once(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_once(fmt, ...)	__shim_printk_once(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_once(fmt, ...)	__shim_printk_once(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)	__shim_printk_once(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_once(fmt, ...) __shim_printk_once(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_once(fmt, ...)	__shim_printk_once(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug_once(fmt, ...)	no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)

/* The kernel's default ratelimit: a burst of 10 per call site. */
#define SHIM_RATELIMIT_BURST	10
#define __shim_printk_ratelimited(fmt, ...) ({			\
	static int __rl_count;						\
	if (__atomic_add_fetch(&__rl_count, 1, __ATOMIC_RELAXED) <=	\
	    SHIM_RATELIMIT_BURST)					\
		_printk(fmt, ##__VA_ARGS__);				\
	else								\
		shim_note_suppressed();					\
})
#define pr_emerg_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...) \
	__shim_printk_ratelimited(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug_ratelimited(fmt, ...)	no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)

void shim_note_suppressed(void);
void dump_stack(void);

/* ---- BUG / WARN / panic ---------------------------------------------- */

__noreturn void shim_bug(const char *file, int line, const char *what);
void shim_warn(const char *file, int line, const char *fmt, ...)
	__printf(3, 4);

/* BUG() and BUG_ON() are the shim's, which say where and abort. */
#define BUG		__shim_bug
#define BUG_ON		__shim_bug_on
#define __shim_bug()	shim_bug(__FILE__, __LINE__, "BUG()")
#define __shim_bug_on(cond)						\
	do {								\
		if (unlikely(cond))					\
			shim_bug(__FILE__, __LINE__, "BUG_ON(" #cond ")"); \
	} while (0)

#define WARN(cond, fmt, ...) ({						\
	bool __warn_c = !!(cond);					\
	if (unlikely(__warn_c))						\
		shim_warn(__FILE__, __LINE__, fmt, ##__VA_ARGS__);	\
	unlikely(__warn_c);						\
})
#define WARN_ON(cond)		WARN(cond, "WARN_ON(%s)", #cond)
#define WARN_ONCE(cond, fmt, ...) ({					\
	static bool __warned;						\
	bool __warn_oc = !!(cond);					\
	if (unlikely(__warn_oc) &&					\
	    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED))	\
		shim_warn(__FILE__, __LINE__, fmt, ##__VA_ARGS__);	\
	unlikely(__warn_oc);						\
})
#define WARN_ON_ONCE(cond)	WARN_ONCE(cond, "WARN_ON_ONCE(%s)", #cond)
#define WARN_TAINT(cond, taint, fmt, ...) WARN(cond, fmt, ##__VA_ARGS__)

__noreturn __printf(1, 2) void panic(const char *fmt, ...);

/* ---- CPUs, interrupts, preemption ------------------------------------ */

extern __thread int shim_cpu;		/* this thread's CPU identity */
extern __thread bool shim_irqs_off;	/* "interrupts disabled" */
extern __thread int shim_preempt;	/* preempt_disable() depth */
extern __thread int shim_in_irq;	/* inside an upcall */

unsigned int shim_cpu_checked(long cpu, const char *file, int line);
#define shim_cpuid(cpu)		shim_cpu_checked((cpu), __FILE__, __LINE__)

void shim_set_cpu(unsigned int cpu);
#define smp_processor_id()	shim_cpuid(shim_cpu)
#define raw_smp_processor_id()	((unsigned int)shim_cpu)
#define get_cpu()		({ preempt_disable(); smp_processor_id(); })
#define put_cpu()		preempt_enable()

#define preempt_disable()	((void)shim_preempt++)
#define preempt_enable()	((void)shim_preempt--)
#define preempt_enable_no_resched() preempt_enable()
#define preempt_count()		(shim_preempt)
#define preemptible()		(!shim_preempt && !shim_irqs_off)
#define in_interrupt()		(shim_in_irq != 0)
#define in_irq()		(shim_in_irq != 0)
#define in_hardirq()		(shim_in_irq != 0)
#define in_nmi()		0
#define in_task()		(!shim_in_irq)

static inline unsigned long shim_irq_save(void)
{
	unsigned long was = shim_irqs_off;

	shim_irqs_off = true;
	return was;
}

#define local_irq_save(flags)	((void)((flags) = shim_irq_save()))
#define local_irq_restore(flags) ((void)(shim_irqs_off = !!(flags)))
#define local_irq_disable()	((void)(shim_irqs_off = true))
#define local_irq_enable()	((void)(shim_irqs_off = false))
#define local_save_flags(flags)	((void)((flags) = shim_irqs_off))
#define irqs_disabled()		(shim_irqs_off)
#define irqs_disabled_flags(f)	(!!(f))
#define raw_local_irq_save	local_irq_save
#define raw_local_irq_restore	local_irq_restore
#define raw_irqs_disabled()	irqs_disabled()

/*
 * Spinlocks: a pthread mutex each.  The irqsave forms also mark the
 * thread's "interrupts" off, as the kernel's do.
 */
#include <pthread.h>
struct spinlock {
	pthread_mutex_t m;
};

#define spinlock_t		struct spinlock	/* a typedef in the kernel */
#define DEFINE_SPINLOCK(x)	spinlock_t x = { PTHREAD_MUTEX_INITIALIZER }
#define spin_lock(l)		pthread_mutex_lock(&(l)->m)
#define spin_unlock(l)		pthread_mutex_unlock(&(l)->m)
#define spin_lock_irqsave(l, flags)					\
	do {								\
		local_irq_save(flags);					\
		pthread_mutex_lock(&(l)->m);				\
	} while (0)
#define spin_unlock_irqrestore(l, flags)				\
	do {								\
		pthread_mutex_unlock(&(l)->m);				\
		local_irq_restore(flags);				\
	} while (0)

/* Sleeping with interrupts off is a bug the kernel would flag. */
#define might_sleep()							\
	WARN(shim_irqs_off || shim_in_irq,				\
	     "sleeping function called from invalid context")
#define might_sleep_if(c)	do { if (c) might_sleep(); } while (0)
#define cond_resched()		((void)0)
#define lockdep_assert_irqs_disabled()	WARN_ON_ONCE(!irqs_disabled())
#define lockdep_assert_irqs_enabled()	WARN_ON_ONCE(irqs_disabled())
#define lockdep_assert_preemption_disabled() ((void)0)
#define lockdep_assert_held(l)	((void)(l))

void cpu_relax(void);

/* ---- CPU masks -------------------------------------------------------- */

struct cpumask {
	unsigned long bits[BITS_TO_LONGS(NR_CPUS)];
};

extern struct cpumask shim_cpu_online_mask, shim_cpu_possible_mask;
extern unsigned int nr_cpu_ids;

#define cpu_online_mask		(&shim_cpu_online_mask)
#define cpu_possible_mask	(&shim_cpu_possible_mask)
#define cpu_present_mask	(&shim_cpu_possible_mask)
#define cpumask_bits(m)		((m)->bits)
#define cpumask_test_cpu(c, m)	test_bit((c), (m)->bits)
#define cpumask_set_cpu(c, m)	set_bit((c), (m)->bits)
#define cpumask_clear_cpu(c, m)	clear_bit((c), (m)->bits)
#define cpumask_first(m)	((unsigned int)find_first_bit((m)->bits, nr_cpu_ids))
#define cpumask_next(n, m)	((unsigned int)find_next_bit((m)->bits, nr_cpu_ids, (n) + 1))
#define cpumask_weight(m)	bitmap_weight((m)->bits, nr_cpu_ids)
#define cpumask_empty(m)	bitmap_empty((m)->bits, nr_cpu_ids)
#define cpumask_clear(m)	bitmap_zero((m)->bits, NR_CPUS)
#define cpu_online(c)		cpumask_test_cpu((c), cpu_online_mask)
#define cpu_possible(c)		((unsigned int)(c) < nr_cpu_ids)
#define cpu_present(c)		cpu_possible(c)
#define num_online_cpus()	cpumask_weight(cpu_online_mask)
#define num_possible_cpus()	nr_cpu_ids
#define num_present_cpus()	nr_cpu_ids
#define for_each_cpu(cpu, mask)	for_each_set_bit(cpu, cpumask_bits(mask), nr_cpu_ids)
#define for_each_online_cpu(cpu)	for_each_cpu((cpu), cpu_online_mask)
#define for_each_possible_cpu(cpu)	for_each_cpu((cpu), cpu_possible_mask)
#define for_each_present_cpu(cpu)	for_each_possible_cpu(cpu)
#define cpus_read_lock()	((void)0)
#define cpus_read_unlock()	((void)0)

/* ---- Per-CPU variables ------------------------------------------------ */

/*
 * A per-CPU variable is an array of NR_CPUS copies; &var is then a pointer
 * to that array, which is what per_cpu_ptr() indexes.
 */
#define SHIM_PER_CPU_COPIES	NR_CPUS	/* the CPU numbers per_cpu_ptr() takes */
#define __DEFINE_PER_CPU_TYPE(t)	__typeof__(t)
#define __PER_CPU_COPIES(name)		name[SHIM_PER_CPU_COPIES]
#define DEFINE_PER_CPU(t, name)		__DEFINE_PER_CPU_TYPE(t) __PER_CPU_COPIES(name)
#define DECLARE_PER_CPU(type, name)	extern DEFINE_PER_CPU(type, name)
#define DECLARE_PER_CPU_ALIGNED		DECLARE_PER_CPU
#define DEFINE_PER_CPU_ALIGNED(type, name) \
	DEFINE_PER_CPU(type, name) ____cacheline_aligned
#define DEFINE_PER_CPU_SHARED_ALIGNED	DEFINE_PER_CPU_ALIGNED
#define DECLARE_PER_CPU_SHARED_ALIGNED	DECLARE_PER_CPU
#define DEFINE_PER_CPU_READ_MOSTLY	DEFINE_PER_CPU
#define DECLARE_PER_CPU_READ_MOSTLY	DECLARE_PER_CPU
#define DEFINE_PER_CPU_PAGE_ALIGNED(type, name) \
	DEFINE_PER_CPU(type, name) __aligned(PAGE_SIZE)
#define EXPORT_PER_CPU_SYMBOL(x)
#define EXPORT_PER_CPU_SYMBOL_GPL(x)

#define per_cpu_ptr(ptr, cpu)	(&(*(ptr))[shim_cpuid(cpu)])
#define raw_cpu_ptr(ptr)	per_cpu_ptr(ptr, raw_smp_processor_id())
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, smp_processor_id())
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), (cpu)))
#define __this_cpu_ptr(ptr)	this_cpu_ptr(ptr)
#define this_cpu(var)		(*this_cpu_ptr(&(var)))
#define get_cpu_var(var)	(*({ preempt_disable(); this_cpu_ptr(&(var)); }))
#define put_cpu_var(var)	preempt_enable()

#define __this_cpu_read(var)		(this_cpu(var))
#define __this_cpu_write(var, v)	((void)(this_cpu(var) = (v)))
#define __this_cpu_add(var, v)		((void)(this_cpu(var) += (v)))
#define __this_cpu_sub(var, v)		((void)(this_cpu(var) -= (v)))
#define __this_cpu_inc(var)		__this_cpu_add(var, 1)
#define __this_cpu_dec(var)		__this_cpu_sub(var, 1)
#define __this_cpu_inc_return(var)	(++this_cpu(var))
#define this_cpu_read(var)		__this_cpu_read(var)
#define this_cpu_write(var, v)		__this_cpu_write(var, v)
#define this_cpu_add(var, v)		__this_cpu_add(var, v)
#define this_cpu_sub(var, v)		__this_cpu_sub(var, v)
#define this_cpu_inc(var)		__this_cpu_inc(var)
#define this_cpu_dec(var)		__this_cpu_dec(var)
#define this_cpu_inc_return(var)	__this_cpu_inc_return(var)
#define this_cpu_xchg(var, v)		xchg(this_cpu_ptr(&(var)), (v))
#define this_cpu_cmpxchg(var, o, n)	cmpxchg(this_cpu_ptr(&(var)), (o), (n))
#define raw_cpu_read(var)		__this_cpu_read(var)
#define raw_cpu_write(var, v)		__this_cpu_write(var, v)

/* ---- Memory ----------------------------------------------------------- */

#define ___GFP_ZERO	0x100u
#define __GFP_ZERO	((gfp_t)___GFP_ZERO)
#define __GFP_NOWARN	((gfp_t)0x200u)
#define __GFP_NOFAIL	((gfp_t)0x400u)
#define __GFP_HIGH	((gfp_t)0x20u)
#define __GFP_RETRY_MAYFAIL ((gfp_t)0x800u)
#define __GFP_DIRECT_RECLAIM ((gfp_t)0x1000u)
#define GFP_KERNEL	((gfp_t)(0x1u | __GFP_DIRECT_RECLAIM))
#define GFP_ATOMIC	((gfp_t)(0x2u | __GFP_HIGH))
#define GFP_NOWAIT	((gfp_t)0x4u)
#define GFP_NOIO	((gfp_t)0x8u)
#define GFP_DMA		((gfp_t)0x10u)

struct page;

void *shim_alloc_pages(gfp_t gfp, unsigned int order);
extern void (*shim_alloc_pages_hook)(void);
void shim_free_pages(void *addr, unsigned int order);
void *shim_kmalloc(size_t size, gfp_t gfp);
void shim_kfree(const void *p);

#define __get_free_pages(gfp, order) \
	((unsigned long)shim_alloc_pages((gfp), (order)))
#define __get_free_page(gfp)	__get_free_pages((gfp), 0)
#define get_zeroed_page(gfp)	__get_free_pages((gfp) | __GFP_ZERO, 0)
#define free_pages(addr, order)	shim_free_pages((void *)(addr), (order))
#define free_page(addr)		free_pages((addr), 0)
#define alloc_pages(gfp, order)	((struct page *)shim_alloc_pages((gfp), (order)))
#define alloc_page(gfp)		alloc_pages((gfp), 0)
#define __free_pages(pg, order)	shim_free_pages((void *)(pg), (order))
#define __free_page(pg)		__free_pages((pg), 0)
#define page_address(pg)	((void *)(pg))
#define virt_to_page(addr)	((struct page *)((unsigned long)(addr) & PAGE_MASK))
#define clear_page(addr)	memset((addr), 0, PAGE_SIZE)
#define copy_page(to, from)	memcpy((to), (from), PAGE_SIZE)
#define __pa(addr)		((unsigned long)(addr))
#define __va(pa)		((void *)(unsigned long)(pa))
#define virt_to_phys(addr)	__pa(addr)
#define PFN_DOWN(x)		((x) >> PAGE_SHIFT)
#define PFN_UP(x)		(((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)

#define kmalloc(size, gfp)	shim_kmalloc((size), (gfp))
#define kzalloc(size, gfp)	shim_kmalloc((size), (gfp) | __GFP_ZERO)
static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	if (n && size > SIZE_MAX / n)
		return NULL;
	return kmalloc(n * size, gfp);
}

#define kcalloc(n, size, gfp)	kmalloc_array((n), (size), (gfp) | __GFP_ZERO)
#define kfree(p)		shim_kfree(p)
#define kvmalloc(size, gfp)	kmalloc((size), (gfp))
#define kvzalloc(size, gfp)	kzalloc((size), (gfp))
#define kvcalloc(n, size, gfp)	kcalloc((n), (size), (gfp))
#define kvmalloc_array(n, size, gfp) kmalloc_array((n), (size), (gfp))
#define kvfree(p)		kfree(p)
#define vmalloc(size)		kmalloc((size), GFP_KERNEL)
#define vzalloc(size)		kzalloc((size), GFP_KERNEL)
#define vfree(p)		kfree(p)

/* ---- Module and symbol plumbing (no-ops) ------------------------------ */

#define EXPORT_SYMBOL		__shim_no_export
#define EXPORT_SYMBOL_GPL	__shim_no_export
#define __shim_no_export(sym)
#define MODULE_LICENSE(x)
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define module_param(name, type, perm)
#define module_param_named(name, var, type, perm)
#define MODULE_PARM_DESC(name, desc)
#define early_param(str, fn)
#define core_param(name, var, type, perm)
#define __setup(str, fn)

#endif /* XEN_EVENTS_SHIM_CUSTOM_H */
