#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Live upgrade and restart figures (not a test):
#   - `weftctl upgrade` with N endpoints (N = 10, 100, 500): weftd's own
#     figures (load+verify, swap, total) and the UDP datagrams lost by a
#     sequenced 20,000 packets/s stream between two of the pods meanwhile;
#   - weftd restart-to-ready (SIGKILL, start, first answer) with 500 endpoints,
#     with the same object and with a changed one (upgrade at start).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT

SIZES=${SIZES:-10 100 500}
RUNS=${RUNS:-3}
RATE=${RATE:-20000}
SEQ_BIN=$OUTPUT/tests/tools/seqstream
CONF="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"weft\",\"socket\":\"$SOCK\"}"
[[ -x $SEQ_BIN ]] || { echo "bench: $SEQ_BIN missing (make unit-tests)" >&2; exit 1; }

pods=0

# SIGKILL, and wait until it is gone (its lock and socket with it)
weftd_kill() {
	kill -9 "$WEFTD_PID"
	wait "$WEFTD_PID" 2>/dev/null || true
}
add_pods_to() {
	local want=$1
	while ((pods < want)); do
		bench_ns_add "$BID-p$pods"
		in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="up-$pods" \
			CNI_NETNS="/run/netns/$BID-p$pods" CNI_IFNAME=eth0 CNI_PATH="$OUTPUT" \
			"$OUTPUT/weft" <<<"$CONF" >/dev/null
		pods=$((pods + 1))
	done
}

pod_ip() {
	nsenter --net="/run/netns/$BID-p$1" ip -j addr show eth0 |
		jq -r '.[0].addr_info[] | select(.family == "inet") | .local'
}

# upgrade_under_traffic N: RUNS upgrades while pod 0 streams to pod 1
upgrade_under_traffic() {
	local n=$1 r secs=$((RUNS + 2)) recv send
	nsenter --net="/run/netns/$BID-p1" "$SEQ_BIN" udp-recv 5001 >"$BDIR/recv.json" &
	recv=$!
	sleep 0.2
	nsenter --net="/run/netns/$BID-p0" "$SEQ_BIN" udp-send "$(pod_ip 1)" 5001 "$RATE" "$secs" \
		>"$BDIR/send.json" &
	send=$!
	sleep 0.5
	: >"$BDIR/up-$n"
	for ((r = 0; r < RUNS; r++)); do
		"$OUTPUT/weftctl" --socket "$SOCK" -o json upgrade |
			jq -r '"\(.totalMs) \(.loadMs) \(.swapMs)"' >>"$BDIR/up-$n"
		sleep 0.3
	done
	wait "$send"
	sleep 0.3
	kill -TERM "$recv"
	wait "$recv" || true
	local sent got
	sent=$(jq .sent "$BDIR/send.json")
	got=$(jq .received "$BDIR/recv.json")
	awk -v n="$n" -v s="$sent" -v g="$got" '
		{ t += $1; l += $2; w += $3; if ($1 > m) m = $1 }
		END { printf "%6d %10.1f %10.1f %10.1f %10.1f %10d %8d\n", n, t / NR, m, l / NR, w / NR, s, s - g }' \
		"$BDIR/up-$n"
}

bench_node_up
echo "Live upgrade, $RUNS runs per size, UDP $RATE pkt/s pod to pod meanwhile (kernel $(uname -r), $(nproc) cores)"
printf '%6s %10s %10s %10s %10s %10s %8s\n' endpts total-ms max-ms load-ms swap-ms udp-sent lost
for n in $SIZES; do
	add_pods_to "$n"
	upgrade_under_traffic "$n"
done

echo
echo "weftd restart-to-ready with $pods endpoints (SIGKILL, start, first answer), ms"
for r in 1 2 3; do
	weftd_kill
	bench_weftd_start
	echo "same object, run $r: $BENCH_READY_MS"
done
# A changed object on disk: weftd upgrades every endpoint before it answers.
make -s OUTPUT="$BDIR/alt" BPF_EXTRA_CFLAGS=-DWEFT_TEST_LAYOUT=2 bpf >/dev/null
weftd_kill
bench_weftd_start --bpf-dir "$BDIR/alt/bpf"
echo "changed object (map layout 2, $pods endpoints upgraded and migrated at start): $BENCH_READY_MS"
