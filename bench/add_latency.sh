#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# CNI ADD latency: weft against the reference ptp + host-local plugins
# (Debian's containernetworking-plugins), same machine, same run.
#   100 sequential ADDs, then 10 in parallel (each ADD timed on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
# RCU_EXPEDITED=1: measure with /sys/kernel/rcu_expedited set (restored on exit).
# Kernel-wide; only when asked. weftd's --veth-pool auto turns the pool off then.
RCU_SYSFS=/sys/kernel/rcu_expedited
RCU_WAS=$(cat "$RCU_SYSFS" 2>/dev/null || echo 0)
restore_rcu() { [[ -n ${RCU_EXPEDITED:-} ]] && echo "$RCU_WAS" >"$RCU_SYSFS"; bench_cleanup; }
trap restore_rcu EXIT
[[ -n ${RCU_EXPEDITED:-} ]] && echo "$RCU_EXPEDITED" >"$RCU_SYSFS"

SEQ=${SEQ:-100}
PAR=${PAR:-10}
REF_PATH=/usr/lib/cni

weft_conf() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"weft\",\"socket\":\"$SOCK\"}"; }
ptp_conf() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"benchptp\",\"type\":\"ptp\",\"ipMasq\":false,
	\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.98.0.0/16\",\"dataDir\":\"$BDIR/hl\"}}"
}

# one_add PLUGIN-BIN CONF NETNS CID -> milliseconds on stdout
one_add() {
	local bin=$1 conf=$2 ns=$3 cid=$4 t0 t1
	t0=$EPOCHREALTIME
	in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ns" \
		CNI_IFNAME=eth0 CNI_PATH="$OUTPUT:$REF_PATH" "$bin" <<<"$conf" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

one_del() {
	local bin=$1 conf=$2 ns=$3 cid=$4
	in_node env -i CNI_COMMAND=DEL CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ns" \
		CNI_IFNAME=eth0 CNI_PATH="$OUTPUT:$REF_PATH" "$bin" <<<"$conf" >/dev/null
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
	for ((i = 0; i < SEQ; i++)); do one_del "$bin" "$conf" "$BID-$name-$i" "$name-$i"; done
	for ((i = 0; i < PAR; i++)); do one_del "$bin" "$conf" "$BID-$name-p$i" "$name-p$i"; done
}

bench_node_up
run_set weft "$OUTPUT/weft" "$(weft_conf)"
run_set ptp "$REF_PATH/ptp" "$(ptp_conf)"

read -r wm wp < <(stats "$BDIR/weft-seq")
read -r pm pp < <(stats "$BDIR/ptp-seq")
read -r wpm wpp < <(stats "$BDIR/weft-par")
read -r ppm ppp < <(stats "$BDIR/ptp-par")
echo "CNI ADD latency, ms (kernel $(uname -r), $(nproc) cores, rcu_expedited=$(cat "$RCU_SYSFS" 2>/dev/null), weftd ${WEFTD_ARGS:-defaults})"
printf '%-28s %10s %10s\n' "" median p99
printf '%-28s %10s %10s\n' "weft, $SEQ sequential" "$wm" "$wp"
printf '%-28s %10s %10s\n' "ptp+host-local, $SEQ seq." "$pm" "$pp"
printf '%-28s %10s %10s\n' "weft, $PAR parallel" "$wpm" "$wpp"
printf '%-28s %10s %10s\n' "ptp+host-local, $PAR par." "$ppm" "$ppp"
awk -v w="$wm" -v p="$pm" 'BEGIN { printf "weft/ptp median ratio (sequential): %.2fx (target <= 0.5x, and median <= 20 ms)\n", w / p }'
