#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kconfig-check.sh FRAGMENT... CONFIG: fail if a value requested by a
# fragment is not what Kconfig resolved in CONFIG.
set -euo pipefail
config=${*: -1}
bad=0
for frag in "${@:1:$#-1}"; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			want=$line
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			want=$line
			;;
		*) continue ;;
		esac
		got=$(grep -E "^($sym=|# $sym is not set)" "$config" || true)
		if [ -z "$got" ] && [ "${want#\#}" != "$want" ]; then
			continue	# "not set" and absent: same thing
		fi
		if [ "$got" != "$want" ]; then
			echo "kconfig-check: $frag: want '$want', got '${got:-<absent>}'" >&2
			bad=1
		fi
	done <"$frag"
done
exit $bad
