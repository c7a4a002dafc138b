#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Same-node pod-to-pod TCP throughput (iperf3) and ping-flood rate: two weft
# pods against two namespaces joined by one bare veth pair, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap bench_cleanup EXIT

SECS=${SECS:-5}
FLOOD=${FLOOD:-20000}
# Interleaved rounds, medians reported: one run each is within the noise of a
# 2-core machine (single runs of the same build ranged 0.79x-0.92x).
ROUNDS=${ROUNDS:-5}

bench_node_up
bench_ns_add "$BID-a"
bench_ns_add "$BID-b"
for p in a b; do
	in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="bench-$p" CNI_NETNS="/run/netns/$BID-$p" \
		CNI_IFNAME=eth0 CNI_PATH="$OUTPUT" "$OUTPUT/weft" \
		<<<"{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"weft\",\"socket\":\"$SOCK\"}" >"$BDIR/$p.json"
done
IP_B=$(jq -r '.ips[0].address' "$BDIR/b.json" | cut -d/ -f1)

bench_ns_add "$BID-va"
bench_ns_add "$BID-vb"
ip link add "$BID-v1" netns "$BID-va" type veth peer name "$BID-v2" netns "$BID-vb"
ip -n "$BID-va" addr add 10.97.0.1/24 dev "$BID-v1"
ip -n "$BID-vb" addr add 10.97.0.2/24 dev "$BID-v2"
ip -n "$BID-va" link set "$BID-v1" up
ip -n "$BID-vb" link set "$BID-v2" up
nsenter --net="/run/netns/$BID-va" ping -c 1 -W 2 10.97.0.2 >/dev/null
nsenter --net="/run/netns/$BID-a" ping -c 1 -W 2 "$IP_B" >/dev/null

for ((r = 0; r < ROUNDS; r++)); do
	bench_iperf "$BID-b" "$BID-a" "$IP_B" >>"$BDIR/wt"
	bench_iperf "$BID-vb" "$BID-va" 10.97.0.2 >>"$BDIR/vt"
	bench_flood "$BID-a" "$IP_B" >>"$BDIR/wf"
	bench_flood "$BID-va" 10.97.0.2 >>"$BDIR/vf"
done
wt=$(median <"$BDIR/wt") vt=$(median <"$BDIR/vt") wf=$(median <"$BDIR/wf") vf=$(median <"$BDIR/vf")
echo "Same-node pod-to-pod (kernel $(uname -r), $(nproc) cores, medians of $ROUNDS interleaved rounds: iperf3 ${SECS}s, ping -f x$FLOOD)"
printf '%-22s %14s %16s\n' "" "TCP Gbit/s" "ping-flood pps"
printf '%-22s %14.2f %16.0f\n' "weft pods" "$wt" "$wf"
printf '%-22s %14.2f %16.0f\n' "bare veth pair" "$vt" "$vf"
awk -v a="$wt" -v b="$vt" -v c="$wf" -v d="$vf" \
	'BEGIN { printf "weft/bare: throughput %.2fx, ping-flood %.2fx (target >= 0.95x)\n", a / b, c / d }'
