#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Real guests: /bin/xevt-density (tests/density/) creates N PV domains
# running the tiny guest /lib/xevt/xevt-guest, binds C channels from each
# to dom0 through /dev/xen/evtchn, runs echo rounds, destroys them all.
#   xevt.density=n=N,c=C,r=R[,e=E][,m=MIB][,t=S]
#                       guests, channels per guest, rounds, a probe round
#                       every E guests, guest memory, round timeout
#   xevt.density_expect=full|enospc
#                       full: every guest and channel bound (default);
#                       enospc: a bind past the ABI's capacity must be
#                       refused with ENOSPC, the guests bound before it
#                       keep echoing
#   xevt.density_ports=LO-HI
#                       with enospc: channels bound when it came (default
#                       3900-4095: 2-level's 4,096 less dom0's own)
#   xevt.density_debug=1
#                       libxenctrl's and libxenguest's debug log on stderr
#   xevt.density_view=1 compare /sys/kernel/debug/xen/events-by-domain
#                       with what the tool bound and counted, per guest
#   xevt.density_headroom=warn|quiet
#                       warn: dmesg must hold the 90% headroom warning
#                       once and, after the teardown, the "back under 80%"
#                       line once; quiet: neither line
# Verdicts: density_create, density_initial_events, density_round_<i>,
# density_guests_alive, density_view (if asked), density_teardown,
# density_headroom (if asked), density_tool_exit.
. /tests/lib.sh

opts=$(xevt_arg density)
expect=$(xevt_arg density_expect)
view=$(xevt_arg density_view)
headroom=$(xevt_arg density_headroom)
[ -n "$expect" ] || expect=full

n=100 c=4 r=3 e=0 m=4 t=120
for kv in $(echo "$opts" | tr , ' '); do
	case $kv in
	n=*) n=${kv#n=} ;; c=*) c=${kv#c=} ;; r=*) r=${kv#r=} ;;
	e=*) e=${kv#e=} ;; m=*) m=${kv#m=} ;; t=*) t=${kv#t=} ;;
	esac
done

# XEVT_LIST=1: the names of the verdicts below, nothing run.
if listing; then
	for v in create initial_events; do list_name "density_$v"; done
	i=1
	while [ "$i" -le "$r" ]; do list_name "density_round_$i"; i=$((i + 1)); done
	list_name density_guests_alive
	[ "$view" != 1 ] || list_name density_view
	list_name density_teardown
	[ -z "$headroom" ] || list_name density_headroom
	list_name density_tool_exit
	exit 0
fi

set -- -n "$n" -c "$c" -r "$r" -e "$e" -m "$m" -t "$t"
[ "$(xevt_arg density_debug)" = 1 ] && export XEVT_DENSITY_DEBUG=1
[ "$view" = 1 ] && set -- "$@" -V

out=/tmp/density.out
dmesg_before=$(dmesg | grep -c 'xen:events: headroom:')
report "density: xevt-density $*"
# Every line goes to the console as it comes (progress for the host).
{
	/bin/xevt-density "$@" 2>&1
	echo "density-exit $?"
} | while IFS= read -r l; do
	echo "$l" >>"$out"
	case $l in density-exit*) ;; *) report "$l" ;; esac
done
rc=$(sed -n 's/^density-exit //p' "$out")

summary=$(grep '^density: summary ' "$out" | tail -n 1)
field() { echo "$summary" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

if [ -z "$summary" ]; then
	verdict_fail density_tool_exit "no summary line; exit status $rc; last: $(tail -n 1 "$out")"
	for v in create initial_events guests_alive teardown; do
		verdict_fail "density_$v" "the tool did not finish"
	done
	exit 0
fi

guests=$(field guests)
case $expect in
full)
	if [ "$(field refused_guest)" = -1 ] && [ "$guests" = "$n" ] &&
		[ "$(field ports)" = $((n * c)) ]; then
		verdict_ok density_create
	else
		verdict_fail density_create "$(grep -m1 'refused:' "$out" || echo "guests=$guests of $n")"
	fi
	;;
enospc)
	range=$(xevt_arg density_ports)
	[ -n "$range" ] || range=3900-4095
	lo=${range%-*} hi=${range#*-}
	if [ "$(field refused_errno)" = 28 ] &&
		[ "$(field refused_op)" = bind_interdomain ] &&
		[ "$(field ports)" -ge "$lo" ] && [ "$(field ports)" -le "$hi" ]; then
		verdict_ok density_create
		report "$(grep -m1 'refused:' "$out")"
	else
		verdict_fail density_create "want ENOSPC from bind_interdomain with $range channels bound; $(grep -m1 'refused:' "$out" || echo none), $(field ports) bound"
	fi
	;;
esac

if grep -q '^density: initial: ' "$out" &&
	! grep -q '^density: FAIL .*never had an event' "$out" &&
	grep '^density: initial: ' "$out" | tail -n 1 | grep -q " $guests/$guests guests started"; then
	verdict_ok density_initial_events
else
	verdict_fail density_initial_events "$(grep '^density: initial: ' "$out" | tail -n 1)"
fi

i=1
while [ "$i" -le "$r" ]; do
	l=$(grep "^density: round $i/$r: " "$out")
	if [ -z "$l" ]; then
		verdict_fail "density_round_$i" "no such round in the output"
	elif echo "$l" | grep -q "lost 0, doubled 0, guests agreeing $guests/$guests,"; then
		verdict_ok "density_round_$i"
	else
		verdict_fail "density_round_$i" "${l#density: }"
	fi
	i=$((i + 1))
done

if [ "$(field alive)" = "$guests" ] && [ "$(field crashed)" = 0 ]; then
	verdict_ok density_guests_alive
else
	verdict_fail density_guests_alive "$(grep -m1 '^density: alive:' "$out")"
fi

if [ "$view" = 1 ]; then
	l=$(grep -m1 '^density: view: ' "$out")
	if echo "$l" | grep -q "^density: view: $guests/$guests guest domains match"; then
		verdict_ok density_view
	else
		verdict_fail density_view "${l:-no view line}; $(grep -m1 'FAIL view' "$out")"
	fi
fi

if [ "$(field ports_before)" = "$(field ports_after)" ] &&
	[ "$(field irqs_before)" = "$(field irqs_after)" ]; then
	verdict_ok density_teardown
else
	verdict_fail density_teardown "$(grep -m1 '^density: teardown:' "$out")"
fi

if [ -n "$headroom" ]; then
	sleep 1
	warn=$(dmesg | grep -c 'xen:events: headroom: .* ports in use (>= 90%), most held by:')
	back=$(dmesg | grep -c 'xen:events: headroom: back under 80%:')
	dmesg | grep 'xen:events: headroom:' | while IFS= read -r l; do report "$l"; done
	case $headroom in
	warn)
		if [ "$dmesg_before" = 0 ] && [ "$warn" = 1 ] && [ "$back" = 1 ]; then
			verdict_ok density_headroom
		else
			verdict_fail density_headroom "want one warning and one back-under line; got $warn and $back"
		fi
		;;
	quiet)
		if [ "$warn" = 0 ] && [ "$back" = 0 ]; then
			verdict_ok density_headroom
		else
			verdict_fail density_headroom "want no headroom line; got $warn and $back"
		fi
		;;
	esac
fi

if [ "$rc" = 0 ]; then
	verdict_ok density_tool_exit
else
	verdict_fail density_tool_exit "exit status $rc: $(grep -m1 '^density: FAIL' "$out")"
fi
