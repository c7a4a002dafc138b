#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# CNI ADD and DEL latency: weft against the reference ptp + host-local plugins
# (Debian's containernetworking-plugins), same machine, same run.
#   100 sequential ADDs, then 10 in parallel (each ADD timed on its own), then
#   the sequential DELs, timed the same way; then a burst of BURST (100) ADDs
#   at once: the time until all have answered, and whether every pod works
#   (each pings the first pod of the burst). Every time includes starting the
#   plugin through nsenter and env -i; the same wrapper around /bin/true is
#   printed first ("harness alone"), to read absolute figures against.
# Where weft's time goes: the median of each step over the sequential ADDs and
# DELs, from the plugin's own timings line (logLevel info), which carries
# weftd's steps from its replies too (docs/architecture.md, "Pod ADD fast path").
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
# RCU_EXPEDITED=1: measure with /sys/kernel/rcu_expedited set (restored on exit).
# Kernel-wide; only when asked.
RCU_SYSFS=/sys/kernel/rcu_expedited
RCU_WAS=$(cat "$RCU_SYSFS" 2>/dev/null || echo 0)
restore_rcu() { [[ -n ${RCU_EXPEDITED:-} ]] && echo "$RCU_WAS" >"$RCU_SYSFS"; bench_cleanup; }
trap restore_rcu EXIT
[[ -n ${RCU_EXPEDITED:-} ]] && echo "$RCU_EXPEDITED" >"$RCU_SYSFS"

SEQ=${SEQ:-100}
PAR=${PAR:-10}
BURST=${BURST:-100}
REF_PATH=/usr/lib/cni

weft_conf() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"weft\",\"socket\":\"$SOCK\",
	\"logFile\":\"$BDIR/plugin.log\",\"logLevel\":\"info\"}"
}
ptp_conf() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"benchptp\",\"type\":\"ptp\",\"ipMasq\":false,
	\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.98.0.0/16\",\"dataDir\":\"$BDIR/hl\"}}"
}

# one_cni COMMAND PLUGIN-BIN CONF NETNS CID -> milliseconds on stdout
one_cni() {
	local cmd=$1 bin=$2 conf=$3 ns=$4 cid=$5 t0 t1
	t0=$EPOCHREALTIME
	in_node env -i CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ns" \
		CNI_IFNAME=eth0 CNI_PATH="$OUTPUT:$REF_PATH" "$bin" <<<"$conf" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
one_add() { one_cni ADD "$@"; }
one_del() { one_cni DEL "$@"; }

# step_medians OP: "step median, ..." over the plugin's "OP ... timings (ms):"
# lines of the sequential run (container IDs weft-N), plugin steps then weftd's.
step_medians() {
	grep -E "$1 weft-[0-9]+/eth0 timings" "$BDIR/plugin.log" | sed -E 's/.*timings \(ms\): //' |
		awk -F'; ' '{
			for (f = 1; f <= NF; f++) {
				side = ($f ~ /^weftd: /) ? "weftd " : ""
				sub(/^weftd: /, "", $f)
				n = split($f, parts, ", ")
				for (i = 1; i <= n; i++) {
					k = split(parts[i], kv, " ")
					if (k < 2) continue
					name = side kv[1]
					if (!(name in seen)) { seen[name] = 1; order[++no] = name }
					v[name, ++c[name]] = kv[2]
				}
			}
		} END {
			for (o = 1; o <= no; o++) {
				name = order[o]; m = c[name]
				for (i = 1; i <= m; i++) a[i] = v[name, i]
				# insertion sort: at most a few hundred values
				for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
				med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
				printf "%s%s %.2f", (o > 1 ? ", " : ""), name, med
			}
			printf "\n"
		}'
}

# run_set NAME BIN CONF: sequential then parallel, then DEL all
run_set() {
	local name=$1 bin=$2 conf=$3 i
	: >"$BDIR/$name-seq" && : >"$BDIR/$name-par"
	for ((i = 0; i < SEQ; i++)); do bench_ns_add "$BID-$name-$i"; done
	for ((i = 0; i < SEQ; i++)); do
		one_add "$bin" "$conf" "$BID-$name-$i" "$name-$i" >>"$BDIR/$name-seq"
	done
	for ((i = 0; i < PAR; i++)); do bench_ns_add "$BID-$name-p$i"; done
	local pids=()
	for ((i = 0; i < PAR; i++)); do
		one_add "$bin" "$conf" "$BID-$name-p$i" "$name-p$i" >>"$BDIR/$name-par" &
		pids+=($!)
	done
	# only these: a bare wait would also wait for weftd
	wait "${pids[@]}"
	: >"$BDIR/$name-del"
	for ((i = 0; i < SEQ; i++)); do
		one_del "$bin" "$conf" "$BID-$name-$i" "$name-$i" >>"$BDIR/$name-del"
	done
	for ((i = 0; i < PAR; i++)); do one_del "$bin" "$conf" "$BID-$name-p$i" "$name-p$i" >/dev/null; done
}

# burst NAME BIN CONF: BURST ADDs at once; "SECONDS FAILED UNREACHABLE" on
# stdout: wall time until the last answered, ADDs that failed, pods that
# could not ping the burst's first pod. Then the DELs.
burst() {
	local name=$1 bin=$2 conf=$3 i t0 failed=0 unreachable=0 first pids=()
	for ((i = 0; i < BURST; i++)); do bench_ns_add "$BID-$name-b$i"; done
	t0=$EPOCHREALTIME
	for ((i = 0; i < BURST; i++)); do
		in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="$name-b$i" \
			CNI_NETNS="/run/netns/$BID-$name-b$i" CNI_IFNAME=eth0 \
			CNI_PATH="$OUTPUT:$REF_PATH" "$bin" <<<"$conf" >"$BDIR/$name-b$i.json" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=$((failed + 1)); done
	local secs
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	first=$(jq -r '.ips[0].address' "$BDIR/$name-b0.json" | cut -d/ -f1)
	pids=()
	for ((i = 1; i < BURST; i++)); do
		nsenter --net="/run/netns/$BID-$name-b$i" ping -c 1 -W 2 "$first" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || unreachable=$((unreachable + 1)); done
	for ((i = 0; i < BURST; i++)); do
		one_del "$bin" "$conf" "$BID-$name-b$i" "$name-b$i" >/dev/null || true
	done
	echo "$secs $failed $unreachable"
}

bench_node_up
# What every figure above carries before any plugin runs: the same wrapper
# (nsenter into the node, env -i, exec) around /bin/true. On a slow VM it is
# milliseconds, the same for both plugins.
: >"$BDIR/harness"
for ((i = 0; i < 20; i++)); do one_cni VERSION /bin/true '{}' none none >>"$BDIR/harness"; done
# ptp's pods reach each other through the node, which must forward.
in_node sysctl -qw net.ipv4.ip_forward=1
run_set weft "$OUTPUT/weft" "$(weft_conf)"
run_set ptp "$REF_PATH/ptp" "$(ptp_conf)"
# Not through a pipe or <(...): burst must run in this shell, so the
# namespaces it adds are the ones bench_cleanup removes.
burst weft "$OUTPUT/weft" "$(weft_conf)" >"$BDIR/weft-burst"
burst ptp "$REF_PATH/ptp" "$(ptp_conf)" >"$BDIR/ptp-burst"
read -r wbs wbf wbu <"$BDIR/weft-burst"
read -r pbs pbf pbu <"$BDIR/ptp-burst"

read -r wm wp < <(stats "$BDIR/weft-seq")
read -r pm pp < <(stats "$BDIR/ptp-seq")
read -r wpm wpp < <(stats "$BDIR/weft-par")
read -r ppm ppp < <(stats "$BDIR/ptp-par")
read -r wdm wdp < <(stats "$BDIR/weft-del")
read -r pdm pdp < <(stats "$BDIR/ptp-del")
read -r hm hp < <(stats "$BDIR/harness")
echo "CNI ADD latency, ms (kernel $(uname -r), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), rcu_expedited=$(cat "$RCU_SYSFS" 2>/dev/null), weftd ${WEFTD_ARGS:-defaults})"
printf '%-28s %10s %10s\n' "" median p99
printf '%-28s %10s %10s\n' "harness alone (/bin/true)" "$hm" "$hp"
printf '%-28s %10s %10s\n' "weft, $SEQ sequential" "$wm" "$wp"
printf '%-28s %10s %10s\n' "ptp+host-local, $SEQ seq." "$pm" "$pp"
printf '%-28s %10s %10s\n' "weft, $PAR parallel" "$wpm" "$wpp"
printf '%-28s %10s %10s\n' "ptp+host-local, $PAR par." "$ppm" "$ppp"
awk -v w="$wm" -v p="$pm" 'BEGIN { printf "weft/ptp median ratio (sequential): %.2fx (target: median <= 20 ms and <= 1.0x; aim 0.5x)\n", w / p }'
printf '%-28s %10s %10s\n' "weft DEL, $SEQ sequential" "$wdm" "$wdp"
printf '%-28s %10s %10s\n' "ptp+host-local DEL, $SEQ seq." "$pdm" "$pdp"
awk -v w="$wdm" -v p="$pdm" 'BEGIN { printf "weft/ptp DEL median ratio: %.2fx\n", w / p }'
printf '%-28s %8s s, %s failed, %s pods unreachable\n' "weft, $BURST at once" "$wbs" "$wbf" "$wbu"
printf '%-28s %8s s, %s failed, %s pods unreachable\n' "ptp+host-local, $BURST at once" "$pbs" "$pbf" "$pbu"
echo "weft ADD steps, median ms: $(step_medians ADD)"
echo "weft DEL steps, median ms: $(step_medians DEL)"
