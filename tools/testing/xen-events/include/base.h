/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel basics for the host harness: types, compiler annotations, error
 * numbers, bit operations, atomics and barriers, re-done on top of the C
 * library and the compiler's __atomic builtins.
 *
 * STUBBED/CUSTOMISED, not duplicated: these follow the kernel's documented
 * semantics (include/linux/bitops.h, Documentation/atomic_t.txt,
 * Documentation/memory-barriers.txt), not its implementation.  Everything
 * that a backend reads or writes concurrently with the hypervisor model
 * goes through a sequentially consistent __atomic operation, which is at
 * least as strong as x86's locked instructions.
 */
#ifndef XEN_EVENTS_SHIM_BASE_H
#define XEN_EVENTS_SHIM_BASE_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/const.h>	/* the UAPI __KERNEL_DIV_ROUND_UP(), __ALIGN_KERNEL() */
#include <linux/types.h>	/* the UAPI __u8 .. __u64 */

/* ---- Configuration the backends may test ---------------------------- */

#define CONFIG_X86		1
#define CONFIG_X86_64		1
#define CONFIG_64BIT		1
#define CONFIG_SMP		1
#define CONFIG_XEN		1
#define CONFIG_XEN_PV		1
#define CONFIG_XEN_PVHVM	1

/* Enough vCPUs for every test; Xen's legacy shared_info holds 32. */
#define NR_CPUS			8

/* ---- Types ----------------------------------------------------------- */

/* The kernel's own sizes: u64 is unsigned long long, as on x86-64 Linux. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
#define __bitwise		/* sparse only */
typedef unsigned int __bitwise gfp_t;
typedef u64 phys_addr_t;

typedef struct { int counter; } atomic_t;

/* ---- Kernel-only error numbers (the usual ones come from <errno.h>) -- */

#ifndef ERESTARTSYS
#define ERESTARTSYS	512
#endif
#define MAX_ERRNO	4095

/* ---- Compiler annotations -------------------------------------------- */

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
/*
 * The kernel's own attribute macros (__packed, __printf(), __aligned(),
 * __always_inline, ...): include/linux/compiler_attributes.h, linked from
 * the kernel tree with the Xen ABI headers (Makefile).  The C library's
 * <sys/cdefs.h> has __always_inline, __attribute_const__ and
 * __counted_by of its own.
 */
#undef __always_inline
#undef __attribute_const__
#undef __counted_by
#include <linux/compiler_attributes.h>
#define __read_mostly
#define __ro_after_init
#define __init
#define __initdata
#define __exit
#define __ref
#define __cpuinit
#define __iomem
#define __percpu
#define __rcu
#define __user
#define __kernel
#define __force
#define __safe
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __cond_lock(x, c)	(c)
#define notrace
#define asmlinkage
#define SMP_CACHE_BYTES		64
#define L1_CACHE_BYTES		64
#define ____cacheline_aligned	__aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned_in_smp ____cacheline_aligned
#define __cacheline_aligned	____cacheline_aligned
#define __cacheline_aligned_in_smp ____cacheline_aligned

static __always_inline void barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))
#define __must_be_array(a)	0

#ifndef __has_feature
#define __has_feature(x)	0
#endif
#if __has_feature(thread_sanitizer) || defined(__SANITIZE_THREAD__)
/*
 * ThreadSanitizer (the core program's TSan build): READ_ONCE() and
 * WRITE_ONCE() are marked accesses in the kernel's memory model, which a
 * race detector must not report (KCSAN does not).  As atomics TSan does
 * not report them either, and still reports every plain access that
 * races.  Acquire and release, as every load and store is on x86 (TSO):
 * the kernel's address-dependency ordering (a pointer read with
 * READ_ONCE() or rcu_dereference(), then the object behind it) is then an
 * ordering TSan sees too.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELEASE)
#else
/*
 * Elsewhere relaxed atomics, which is what the kernel's volatile accesses
 * give: one access, neither torn, fused nor invented, and no ordering of
 * its own (the same mov on x86).
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#endif
/* An access the race detector may ignore: a plain one here. */
#define data_race(expr)		(expr)

/* A bit-field of negative width: only a constant @e may be false. */
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))
#define BUILD_BUG_ON(cond)	((void)BUILD_BUG_ON_ZERO(cond))
#define BUILD_BUG()		BUILD_BUG_ON(1)

/* ---- Arithmetic helpers ---------------------------------------------- */

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP		__KERNEL_DIV_ROUND_UP
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y)	((x) & ~((__typeof__(x))((y) - 1)))
#define ALIGN(x, a)		__ALIGN_KERNEL((x), (a))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PTR_ALIGN(p, a)		((typeof(p))ALIGN((unsigned long)(p), (a)))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define min(a, b) ({ __typeof__(a) __ma = (a); __typeof__(b) __mb = (b); \
		     __ma < __mb ? __ma : __mb; })
#define max(a, b) ({ __typeof__(a) __xa = (a); __typeof__(b) __xb = (b); \
		     __xa > __xb ? __xa : __xb; })
#define min_t(type, a, b)	min((type)(a), (type)(b))
#define max_t(type, a, b)	max((type)(a), (type)(b))
#define clamp(v, lo, hi)	min(max(v, lo), hi)

#define U8_MAX		((u8)~0U)
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define S32_MAX		((s32)(U32_MAX >> 1))

#define SZ_1K		0x400
#define SZ_4K		0x1000
#define SZ_64K		0x10000

#define BITS_PER_BYTE		8
#define BITS_PER_LONG		64
#define BITS_PER_LONG_LONG	64
#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BITS_TO_LONGS(nr)	DIV_ROUND_UP(nr, BITS_PER_LONG)
#define BITS_TO_U32(nr)		DIV_ROUND_UP(nr, 32)
#define GENMASK(h, l)		(((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l)	GENMASK(h, l)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

#define lower_32_bits(n)	((u32)((n) & 0xffffffff))
#define upper_32_bits(n)	((u32)(((n) >> 16) >> 16))

/* ---- Pages ----------------------------------------------------------- */

#define PAGE_SHIFT		12
#define PAGE_SIZE		BIT(PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)
#define PAGE_ALIGNED(addr)	IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

/* ---- The trace of barriers and bit operations --------------------------
 *
 * CUSTOMISED for testing.  A test that switches the trace on
 * (shim_trace_start(), shim.h) gets, in program order, every barrier
 * below, every bit operation that sets, clears or flips a bit (whatever
 * the bit was before) and every event channel hypercall (xen_shim.h),
 * from every thread, until it switches it off.
 * Nothing is recorded otherwise: the cost is one relaxed load and a
 * branch.  The benchmark (HX_BENCH) compiles the trace out.
 */
enum shim_trace_kind {
	SHIM_TR_FULL_MB,	/* mb(), smp_mb(), virt_mb(), smp_mb__*() */
	SHIM_TR_WMB,		/* wmb(), smp_wmb(), virt_wmb() */
	SHIM_TR_RMB,		/* rmb(), smp_rmb(), virt_rmb() */
	SHIM_TR_SET,		/* a bit operation set @mask in @addr's long */
	SHIM_TR_CLEAR,		/* ... cleared it */
	SHIM_TR_CHANGE,		/* ... flipped it */
	SHIM_TR_HYPERCALL,	/* event channel hypercall, @mask the command */
};

#ifdef HX_BENCH
#define __shim_trace(kind, what, addr, mask)	do { } while (0)
#else
extern int shim_trace_on;
void shim_trace_record(enum shim_trace_kind kind, const char *what,
		       const void *addr, unsigned long mask);
#define __shim_trace(kind, what, addr, mask)				\
	do {								\
		if (unlikely(__atomic_load_n(&shim_trace_on,		\
					     __ATOMIC_RELAXED)))	\
			shim_trace_record(kind, what,		\
					  (const void *)(addr), mask);	\
	} while (0)
#endif

/* ---- Barriers -------------------------------------------------------- */

#define __shim_fence(kind, what, order)					\
	do {								\
		__shim_trace(kind, what, NULL, 0);			\
		__atomic_thread_fence(order);				\
	} while (0)
#define __shim_fence_atomic(what)					\
	do {								\
		__shim_trace(SHIM_TR_FULL_MB, what, NULL, 0);		\
		barrier();						\
	} while (0)
/*
 * Each barrier is the C11 fence of its strength, and recorded in the
 * trace under its own name.
 */
#define mb()		__shim_fence(SHIM_TR_FULL_MB, "mb", __ATOMIC_SEQ_CST)	/* full */
#define rmb()		__shim_fence(SHIM_TR_RMB, "rmb", __ATOMIC_ACQUIRE)	/* reads */
#define wmb()		__shim_fence(SHIM_TR_WMB, "wmb", __ATOMIC_RELEASE)	/* writes */
#define smp_mb()	__shim_fence(SHIM_TR_FULL_MB, "smp_mb", __ATOMIC_SEQ_CST) /* full */
#define smp_rmb()	__shim_fence(SHIM_TR_RMB, "smp_rmb", __ATOMIC_ACQUIRE)	/* reads */
#define smp_wmb()	__shim_fence(SHIM_TR_WMB, "smp_wmb", __ATOMIC_RELEASE)	/* writes */
#define virt_mb()	__shim_fence(SHIM_TR_FULL_MB, "virt_mb", __ATOMIC_SEQ_CST) /* full */
#define virt_rmb()	__shim_fence(SHIM_TR_RMB, "virt_rmb", __ATOMIC_ACQUIRE)	/* reads */
#define virt_wmb()	__shim_fence(SHIM_TR_WMB, "virt_wmb", __ATOMIC_RELEASE)	/* writes */
/* With the atomic next to them, a full barrier; the shim's atomics are. */
#define smp_mb__before_atomic()	__shim_fence_atomic("smp_mb__before_atomic") /* full */
#define smp_mb__after_atomic()	__shim_fence_atomic("smp_mb__after_atomic") /* full */
#define smp_store_mb(var, v)	({ WRITE_ONCE(var, v); smp_mb(); })	/* store, full */
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE) /* release */
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)	/* acquire */
#define virt_store_release(p, v) smp_store_release(p, v)		/* release */
#define virt_load_acquire(p)	smp_load_acquire(p)			/* acquire */

/* ---- xchg / cmpxchg -------------------------------------------------- */

#define xchg(ptr, v)		__atomic_exchange_n(ptr, v, __ATOMIC_SEQ_CST)
#define xchg_acquire(ptr, v)	xchg(ptr, v)
#define xchg_release(ptr, v)	xchg(ptr, v)
#define xchg_relaxed(ptr, v)	xchg(ptr, v)
#define cmpxchg(ptr, o, n) ({						\
	__typeof__(ptr) __cx_p = (ptr);					\
	__typeof__(*__cx_p) __cx_old = (o);				\
	__atomic_compare_exchange_n(__cx_p, &__cx_old, n, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);\
	__cx_old;							\
})
#define cmpxchg_acquire(ptr, o, n)	cmpxchg(ptr, o, n)
#define cmpxchg_release(ptr, o, n)	cmpxchg(ptr, o, n)
#define cmpxchg_relaxed(ptr, o, n)	cmpxchg(ptr, o, n)
#define cmpxchg64(ptr, o, n)		cmpxchg(ptr, o, n)
#define sync_cmpxchg(ptr, o, n)		cmpxchg(ptr, o, n)
/* try_cmpxchg(): true on success, else *@po is updated to the value seen. */
#define try_cmpxchg(ptr, po, n)						\
	__atomic_compare_exchange_n(ptr, po, n, false,			\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define try_cmpxchg_acquire(ptr, po, n)	try_cmpxchg(ptr, po, n)
#define try_cmpxchg_release(ptr, po, n)	try_cmpxchg(ptr, po, n)
#define try_cmpxchg_relaxed(ptr, po, n)	try_cmpxchg(ptr, po, n)
#define sync_try_cmpxchg(ptr, po, n)	try_cmpxchg(ptr, po, n)

/* ---- atomic_t -------------------------------------------------------- */

#define ATOMIC_INIT(i)		{ (i) }

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_add_return(int i, atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_sub_return(int i, atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_fetch_add(int i, atomic_t *v)
{
	return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_fetch_sub(int i, atomic_t *v)
{
	return __atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline void atomic_add(int i, atomic_t *v)
{
	atomic_add_return(i, v);
}

static inline void atomic_sub(int i, atomic_t *v)
{
	atomic_sub_return(i, v);
}

static inline void atomic_inc(atomic_t *v)
{
	atomic_add(1, v);
}

static inline void atomic_dec(atomic_t *v)
{
	atomic_sub(1, v);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return atomic_add_return(1, v);
}

static inline int atomic_dec_return(atomic_t *v)
{
	return atomic_sub_return(1, v);
}

static inline bool atomic_dec_and_test(atomic_t *v)
{
	return atomic_sub_return(1, v) == 0;
}

static inline bool atomic_inc_and_test(atomic_t *v)
{
	return atomic_add_return(1, v) == 0;
}

static inline int atomic_xchg(atomic_t *v, int n)
{
	return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST);
}

static inline bool atomic_try_cmpxchg(atomic_t *v, int *o, int n)
{
	return __atomic_compare_exchange_n(&v->counter, o, n, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline int atomic_cmpxchg(atomic_t *v, int o, int n)
{
	atomic_try_cmpxchg(v, &o, n);
	return o;
}

static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			return false;
	} while (!atomic_try_cmpxchg(v, &c, c + a));
	return true;
}

static inline bool atomic_inc_not_zero(atomic_t *v)
{
	return atomic_add_unless(v, 1, 0);
}

#define atomic_read_acquire(v)	smp_load_acquire(&(v)->counter)		/* acquire */
#define atomic_set_release(v, i) smp_store_release(&(v)->counter, (i))	/* release */

/* ---- Bit operations -------------------------------------------------- */

static inline unsigned long *__shim_bitword(long nr, const unsigned long *a)
{
	return (unsigned long *)a + BIT_WORD(nr);
}

static inline void set_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_SET, "set_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	__atomic_fetch_or(__shim_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CLEAR, "clear_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	__atomic_fetch_and(__shim_bitword(nr, addr), ~BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline void change_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CHANGE, "change_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	__atomic_fetch_xor(__shim_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline bool test_and_set_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_SET, "test_and_set_bit",
		     __shim_bitword(nr, addr), BIT_MASK(nr));
	return __atomic_fetch_or(__shim_bitword(nr, addr), BIT_MASK(nr),
				 __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}

static inline bool test_and_clear_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CLEAR, "test_and_clear_bit",
		     __shim_bitword(nr, addr), BIT_MASK(nr));
	return __atomic_fetch_and(__shim_bitword(nr, addr), ~BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}

static inline bool test_and_change_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CHANGE, "test_and_change_bit",
		     __shim_bitword(nr, addr), BIT_MASK(nr));
	return __atomic_fetch_xor(__shim_bitword(nr, addr), BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}

static inline bool test_bit(long nr, const unsigned long *addr)
{
	return __atomic_load_n(__shim_bitword(nr, addr), __ATOMIC_SEQ_CST) &
	       BIT_MASK(nr);
}

#define test_bit_acquire(nr, addr)	test_bit(nr, addr)
#define clear_bit_unlock(nr, addr)	clear_bit(nr, addr)
#define test_and_set_bit_lock(nr, addr)	test_and_set_bit(nr, addr)

/* The non-atomic variants: plain read-modify-write. */
static inline void __set_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_SET, "__set_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	*__shim_bitword(nr, addr) |= BIT_MASK(nr);
}

static inline void __clear_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CLEAR, "__clear_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	*__shim_bitword(nr, addr) &= ~BIT_MASK(nr);
}

static inline void __change_bit(long nr, unsigned long *addr)
{
	__shim_trace(SHIM_TR_CHANGE, "__change_bit", __shim_bitword(nr, addr),
		     BIT_MASK(nr));
	*__shim_bitword(nr, addr) ^= BIT_MASK(nr);
}

static inline bool __test_and_set_bit(long nr, unsigned long *addr)
{
	bool old = *__shim_bitword(nr, addr) & BIT_MASK(nr);

	__set_bit(nr, addr);
	return old;
}

static inline bool __test_and_clear_bit(long nr, unsigned long *addr)
{
	bool old = *__shim_bitword(nr, addr) & BIT_MASK(nr);

	__clear_bit(nr, addr);
	return old;
}

/* The sync_ variants are the ones meant for memory shared with Xen. */
#define sync_set_bit(nr, addr)			set_bit(nr, addr)
#define sync_clear_bit(nr, addr)		clear_bit(nr, addr)
#define sync_change_bit(nr, addr)		change_bit(nr, addr)
#define sync_test_and_set_bit(nr, addr)		test_and_set_bit(nr, addr)
#define sync_test_and_clear_bit(nr, addr)	test_and_clear_bit(nr, addr)
#define sync_test_and_change_bit(nr, addr)	test_and_change_bit(nr, addr)
#define sync_test_bit(nr, addr)			test_bit(nr, addr)

/* Lowest set bit of a non-zero word (undefined for 0, as the kernel's). */
static inline unsigned long __ffs(unsigned long w)
{
	return (unsigned long)__builtin_ctzl(w);
}

static inline unsigned long __fls(unsigned long w)
{
	return BITS_PER_LONG - 1 - (unsigned long)__builtin_clzl(w);
}

/* The position of the @n-th (from 0) set bit of @word, BITS_PER_LONG if none. */
static inline unsigned long fns(unsigned long word, unsigned int n)
{
	while (word) {
		if (n-- == 0)
			return __ffs(word);
		word &= word - 1;
	}
	return BITS_PER_LONG;
}

static inline unsigned long ffz(unsigned long w)
{
	return __ffs(~w);
}

static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline int fls_long(unsigned long x)
{
	return fls64(x);
}

static inline unsigned int hweight32(u32 w)
{
	return (unsigned int)__builtin_popcount(w);
}

static inline unsigned int hweight64(u64 w)
{
	return (unsigned int)__builtin_popcountll(w);
}

static inline unsigned long hweight_long(unsigned long w)
{
	return hweight64(w);
}

#define hweight8(w)	hweight32((u8)(w))
#define hweight16(w)	hweight32((u16)(w))

/*
 * The bit searches and for_each_set_bit(), for_each_and_bit(), ... are the
 * kernel's own include/linux/find.h, linked from the kernel tree with the
 * Xen ABI headers (Makefile); its <linux/bitops.h> is wrap/linux/bitops.h,
 * which leads back here.  What the kernel's lib/find_bit.c defines out of
 * line, for sizes that are not small constants, is below: the same results
 * (@size when no bit is found), plain reads of the bitmap as the kernel's,
 * except that a search over two maps (for_each_cpu_and()) reads each word
 * with a relaxed atomic load, as the cpumask_test_cpu() it stands for does.
 */
static inline bool __shim_one_word(unsigned long nbits)
{
	return nbits - 1 < BITS_PER_LONG;	/* 1 .. BITS_PER_LONG */
}

/* As asm-generic/bitsperlong.h: a constant size of one word at most. */
#define small_const_nbits(nbits) \
	(__builtin_constant_p(nbits) && __shim_one_word(nbits))

static inline unsigned long __shim_find_bit(const unsigned long *addr,
					    const unsigned long *addr2,
					    unsigned long size,
					    unsigned long start, bool want)
{
	while (start < size) {
		const unsigned long *p = addr + BIT_WORD(start);
		unsigned long w;

		if (addr2)
			w = __atomic_load_n(p, __ATOMIC_RELAXED) &
			    __atomic_load_n(addr2 + BIT_WORD(start), __ATOMIC_RELAXED);
		else
			w = *p;
		if (!want)
			w = ~w;
		w &= ~0UL << (start % BITS_PER_LONG);
		if (w) {
			unsigned long bit = round_down(start, BITS_PER_LONG) + __ffs(w);

			return bit < size ? bit : size;
		}
		start = round_down(start, BITS_PER_LONG) + BITS_PER_LONG;
	}
	return size;
}

static inline unsigned long _find_next_bit(const unsigned long *addr,
					   unsigned long nbits,
					   unsigned long start)
{
	return __shim_find_bit(addr, NULL, nbits, start, true);
}

static inline unsigned long _find_next_and_bit(const unsigned long *addr1,
					       const unsigned long *addr2,
					       unsigned long nbits,
					       unsigned long start)
{
	return __shim_find_bit(addr1, addr2, nbits, start, true);
}

static inline unsigned long _find_next_zero_bit(const unsigned long *addr,
						unsigned long nbits,
						unsigned long start)
{
	return __shim_find_bit(addr, NULL, nbits, start, false);
}

static inline unsigned long _find_first_bit(const unsigned long *addr,
					    unsigned long size)
{
	return _find_next_bit(addr, size, 0);
}

static inline unsigned long _find_first_and_bit(const unsigned long *addr1,
						const unsigned long *addr2,
						unsigned long size)
{
	return _find_next_and_bit(addr1, addr2, size, 0);
}

static inline unsigned long _find_first_zero_bit(const unsigned long *addr,
						 unsigned long size)
{
	return _find_next_zero_bit(addr, size, 0);
}

static inline unsigned long _find_last_bit(const unsigned long *addr,
					   unsigned long size)
{
	unsigned long i = size;

	while (i--) {
		if (addr[BIT_WORD(i)] & BIT_MASK(i))
			return i;
	}
	return size;
}

/* find.h is the part of <linux/bitmap.h> that may be included alone. */
#include <endian.h>	/* __LITTLE_ENDIAN, which the kernel's find.h tests */
#define __LINUX_BITMAP_H
#include <linux/find.h>
#undef __LINUX_BITMAP_H

static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_first_bit(src, nbits) >= nbits;
}

static inline unsigned int bitmap_weight(const unsigned long *src,
					 unsigned int nbits)
{
	unsigned int i, n = 0;

	for (i = 0; i < nbits; i++)
		n += !!(src[BIT_WORD(i)] & BIT_MASK(i));
	return n;
}

#endif /* XEN_EVENTS_SHIM_BASE_H */
