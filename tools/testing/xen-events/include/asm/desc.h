/* SPDX-License-Identifier: GPL-2.0-only */
/* The core program's <asm/desc.h>: see include/kcore.h. */
#include "../kcore.h"
