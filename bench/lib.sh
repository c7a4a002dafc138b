# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared by the benchmarks: a node namespace with weftd, torn down on exit.

OUTPUT=$(realpath -m "${OUTPUT:-.output}")
BID=wbench$$
NODE=$BID-node
BDIR=$(mktemp -d "/tmp/$BID.XXXX")
SOCK=$BDIR/weftd.sock
BPFFS=$BDIR/bpffs
WEFTD_PID=
BENCH_NS=()

in_node() { nsenter --net="/run/netns/$NODE" "$@"; }

bench_node_up() {
	ip netns add "$NODE"
	ip -n "$NODE" link set lo up
	mkdir -p "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	bench_weftd_start
}

# bench_weftd_start: weftd in the node; returns once it answers. Sets
# WEFTD_PID and BENCH_READY_MS (start to first answer).
bench_weftd_start() {
	local t0 i
	t0=$EPOCHREALTIME
	# nsenter execs weftd, so $! is weftd itself (not a subshell).
	nsenter --net="/run/netns/$NODE" "$OUTPUT/weftd" --node-name bench --pod-cidr 10.244.0.0/16 \
		--state-dir "$BDIR/state" --bpffs "$BPFFS" --socket "$SOCK" \
		--bpf-dir "$OUTPUT/bpf" --log-level warn ${WEFTD_ARGS:-} "$@" 2>>"$BDIR/weftd.log" &
	WEFTD_PID=$!
	for ((i = 0; i < 2000; i++)); do
		if "$OUTPUT/weftctl" --socket "$SOCK" status >/dev/null 2>&1; then
			BENCH_READY_MS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
			return
		fi
		sleep 0.005
	done
	echo "bench: weftd did not start" >&2
	cat "$BDIR/weftd.log" >&2
	return 1
}

bench_ns_add() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	BENCH_NS+=("$1")
}

bench_cleanup() {
	set +e
	for ns in "${BENCH_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[[ -n $WEFTD_PID ]] && kill "$WEFTD_PID" 2>/dev/null && wait "$WEFTD_PID" 2>/dev/null
	umount "$BPFFS" 2>/dev/null
	ip netns del "$NODE" 2>/dev/null
	rm -rf "$BDIR"
}

# stats FILE: median and p99 of the numbers in FILE (one per line)
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
		printf "%.2f %.2f\n", m, v[p] }'
}

# bench_iperf NS_SERVER NS_CLIENT IP -> Gbit/s received, over $SECS seconds
bench_iperf() {
	nsenter --net="/run/netns/$1" iperf3 -s -1 -B "$3" >/dev/null 2>&1 &
	local spid=$!
	for _ in $(seq 100); do
		nsenter --net="/run/netns/$1" ss -ltn | grep -q ":5201 " && break
		sleep 0.02
	done
	nsenter --net="/run/netns/$2" iperf3 -c "$3" -t "${SECS:-5}" -J |
		jq '.end.sum_received.bits_per_second / 1e9' | awk '{ printf "%.2f\n", $1 }'
	wait "$spid" 2>/dev/null || true
}

# bench_flood NS IP -> round trips per second of a ping flood of $FLOOD echoes
bench_flood() {
	local n=${FLOOD:-20000} out
	out=$(nsenter --net="/run/netns/$1" ping -f -q -c "$n" "$2")
	awk -v n="$n" '/packets transmitted/ { for (i = 1; i <= NF; i++) if ($i ~ /ms$/) t = $i + 0 }
		END { printf "%.0f\n", n / (t / 1000) }' <<<"$out"
}

# median: the median of the numbers on stdin (one per line)
median() {
	sort -g | awk '{ v[NR] = $1 } END { printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
