#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# verdicts.sh: sourced (never run) by mk/check-boot.sh and tested by
# mk/test-verdicts.sh: the results of one boot from its verdict lines.

# account ROW LOG UNEXPECTED: the result lines of one boot from the verdict
# lines of LOG: "ok [ROW] NAME" / "not ok [ROW] NAME # why" per verdict, in
# their order, then "not ok [ROW] NAME # no verdict" per expected NAME
# that got none.  A verdict's NAME is what follows "ok " up to " # ".
# Names given but not expected go to the file UNEXPECTED, one a line.
account() {
	tr -d '\r' <"$2" | awk -v row="$1" -v unexp="$3" '
	/^@@XEVT@@ expect / {
		n = substr($0, 17)
		if (!(n in want)) order[++nw] = n
		want[n] = 1
		next
	}
	/^@@XEVT@@ (not )?ok / {
		v = substr($0, 10)
		st = (v ~ /^not ok /) ? "not ok" : "ok"
		n = substr(v, length(st) + 2)
		why = ""
		if ((i = index(n, " # ")) > 0) { why = substr(n, i); n = substr(n, 1, i - 1) }
		print st " [" row "] " n why
		got[n] = 1
		given[++ng] = n
	}
	END {
		printf "" >unexp
		for (i = 1; i <= nw; i++)
			if (!(order[i] in got))
				print "not ok [" row "] " order[i] " # no verdict"
		for (i = 1; i <= ng; i++)
			if (nw && !(given[i] in want))
				print given[i] >unexp
	}'
}
