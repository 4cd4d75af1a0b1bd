/* SPDX-License-Identifier: GPL-2.0-only */
/* <linux/bitops.h> of the kernel headers the harness includes: include/base.h. */
#include "../../base.h"
