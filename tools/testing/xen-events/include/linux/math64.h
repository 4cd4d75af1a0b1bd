/* SPDX-License-Identifier: GPL-2.0-only */
/* The core program's <linux/math64.h>: see include/kcore.h. */
#include "../kcore.h"
