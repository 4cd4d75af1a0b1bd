/* SPDX-License-Identifier: GPL-2.0-only */
/* The core program's <linux/irqdesc.h>: see include/kcore.h. */
#include "../kcore.h"
