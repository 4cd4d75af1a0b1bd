/* SPDX-License-Identifier: GPL-2.0-only */
/* The core program's <xen/hvm.h>: see include/kcore.h. */
#include "../kcore.h"
