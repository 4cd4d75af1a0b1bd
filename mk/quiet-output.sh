#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# quiet-output.sh FILE: the terminal output of "make run" or "make check",
# captured in FILE, holds no apt or compiler line: those belong in the logs
# of mk/step.sh.  Prints one "ok ..." / "not ok ... # why" line (the
# *.results format of mk/summary.sh) and the offending lines, at most 5,
# as "# " comments; exits non-zero when there are any.
#
# Only lines that start like apt's or a compiler's count; a failed step's
# log tail is printed indented behind "  | " and never matches, nor does
# any "ok"/"not ok" verdict line.
set -uo pipefail
file=${1:?usage: quiet-output.sh FILE}
name="no apt or compiler line on the terminal"
if [ ! -f "$file" ]; then
	echo "not ok $name # no captured output in $file"
	exit 1
fi

apt='(Get|Hit|Ign|Err):[0-9]+ |Reading package lists|Building dependency tree|Reading state information|Selecting previously unselected|Preparing to unpack|Unpacking |Setting up |Processing triggers for |The following (NEW |additional )?packages|[0-9]+ upgraded, [0-9]+ newly installed|Need to get |Fetched [0-9]|debconf: '
cc='(ccache )?(gcc|cc|clang|g\+\+|ld|as|ar) |  (CC|CC \[M\]|LD|AR|AS|HOSTCC|HOSTLD|CPP|OBJCOPY|GEN|SYNC|UPD|CALL|WRAP|VDSO|VDSO2C|MKPIGGY|ZOFFSET|RELOCS|BUILD|KSYMS|MODPOST|SYSHDR|SYSTBL|LDS|CHK|INSTALL|DESCEND|HYPERCALLS|SORTTAB|RELOCS|AWK|TEST) |make(\[[0-9]+\])?: (Entering|Leaving) directory|[^ :]+\.(c|h|S|lds):[0-9]+(:[0-9]+)?: (warning|error|note): |In file included from '

# A terminal line rewritten in place (\r) is several lines.
bad=$(tr '\r' '\n' <"$file" | grep -E "^($apt|$cc)" || true)
if [ -z "$bad" ]; then
	echo "ok $name"
	exit 0
fi
n=$(echo "$bad" | wc -l)
first=$(echo "$bad" | head -n 1 | cut -c1-80)
echo "not ok $name # $n such lines in $file, the first: '$first'"
echo "$bad" | head -n 5 | sed 's/^/# /'
exit 1
