/* SPDX-License-Identifier: GPL-2.0-only */
/* The core program's <asm/i8259.h>: the legacy IRQs (see include/kcore.h). */
#ifndef XEN_EVENTS_SHIM_ASM_I8259_H
#define XEN_EVENTS_SHIM_ASM_I8259_H

#include "../kcore.h"

static inline int nr_legacy_irqs(void)
{
	return NR_IRQS_LEGACY;
}

#endif /* XEN_EVENTS_SHIM_ASM_I8259_H */
