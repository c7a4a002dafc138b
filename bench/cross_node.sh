#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Cross-node pod-to-pod TCP throughput (iperf3) and ping-flood rate: two weft
# pods on two nodes (weft's VXLAN overlay) against two pods on the same two
# nodes joined by a plain kernel VXLAN path set up as flannel's vxlan backend
# does it (a VXLAN device with nolearning, a cni0 bridge per node, static
# routes, neighbour and FDB entries). One run, same nodes, same underlay;
# rounds alternate between the paths and each figure is the median.
#
# The nodes come from the test fixture (tests/bats/cluster.bash): namespaces on
# an underlay bridge, each with its own weftd reading a cluster file.
#
#   bench/cross_node.sh     SECS=5 FLOOD=20000 ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export WEFT_SRC=$PWD
bats_require_minimum_version() { :; } # helpers.bash is written for bats
. tests/bats/helpers.bash
. tests/bats/cluster.bash
trap 'cluster_down; bench_cleanup' EXIT

SECS=${SECS:-5}
FLOOD=${FLOOD:-20000}
ROUNDS=${ROUNDS:-3}
KPORT=8472 # flannel's port; weft's own device has 4789 in the same namespaces
KNET=10.98 # the kernel path's pod range: 10.98.<node>.0/24

# kernel_node I: flannel.1 and cni0 on node I, and one pod namespace k<I>
# (10.98.I.2) on the bridge.
kernel_node() {
	local i=$1 mtu=$((CL_MTU - CL_VXLAN_OVERHEAD)) pod=$WT_ID-k$1
	in_cl_node "$i" ip link add kvx mtu "$mtu" type vxlan id 1 local "$(cl_node_ip "$i")" \
		dev eth0 dstport "$KPORT" nolearning
	in_cl_node "$i" ip addr add "$KNET.$i.0/32" dev kvx
	in_cl_node "$i" ip link set kvx up
	in_cl_node "$i" ip link add cni0 mtu "$mtu" type bridge
	in_cl_node "$i" ip addr add "$KNET.$i.1/24" dev cni0
	in_cl_node "$i" ip link set cni0 up
	ip netns add "$pod"
	ip -n "$pod" link set lo up
	ip link add eth0 netns "$pod" mtu "$mtu" type veth peer name kveth netns "$(cl_node_name "$i")" mtu "$mtu"
	in_cl_node "$i" ip link set kveth master cni0 up
	ip -n "$pod" addr add "$KNET.$i.2/24" dev eth0
	ip -n "$pod" link set eth0 up
	ip -n "$pod" route add default via "$KNET.$i.1"
}

# kernel_peer I J: node I's route, neighbour and FDB entries for node J, as
# flanneld writes them from J's node annotations.
kernel_peer() {
	local i=$1 j=$2 mac
	mac=$(in_cl_node "$j" ip -j link show dev kvx | jq -r '.[0].address')
	in_cl_node "$i" ip route add "$KNET.$j.0/24" via "$KNET.$j.0" dev kvx onlink
	in_cl_node "$i" ip neigh add "$KNET.$j.0" lladdr "$mac" dev kvx nud permanent
	in_cl_node "$i" bridge fdb append "$mac" dev kvx dst "$(cl_node_ip "$j")"
}

cluster_net_up 2
kernel_node 1
kernel_node 2
kernel_peer 1 2
kernel_peer 2 1
KA=$WT_ID-k1 KB=$WT_ID-k2 KB_IP=$KNET.2.2
nsenter --net="/run/netns/$KA" ping -c 1 -W 2 -q "$KB_IP" >/dev/null

weft=true
if ! "$WEFTD" --help | grep -q -- --cluster-file; then
	weft=false
	echo "bench: this weftd has no --cluster-file (no overlay yet): kernel path only" >&2
else
	cluster_weftd_start 1 --log-level warn
	cluster_weftd_start 2 --log-level warn
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	WA=$WT_ID-p-a WB=$WT_ID-p-b WB_IP=$(pod_ip b)
	# the overlay may take a moment to learn the new pod's node
	wait_until 2000 nsenter --net="/run/netns/$WA" ping -c 1 -W 0.3 -q "$WB_IP" >/dev/null
fi

for f in wt kt wf kf; do : >"$BDIR/$f"; done
for ((r = 0; r < ROUNDS; r++)); do
	if $weft; then bench_iperf "$WB" "$WA" "$WB_IP" >>"$BDIR/wt"; fi
	bench_iperf "$KB" "$KA" "$KB_IP" >>"$BDIR/kt"
	if $weft; then bench_flood "$WA" "$WB_IP" >>"$BDIR/wf"; fi
	bench_flood "$KA" "$KB_IP" >>"$BDIR/kf"
done

# Both paths really went through their tunnel device on node 1.
tx_packets() { in_cl_node 1 ip -j -s link show dev "$1" | jq '.[0].stats64.tx.packets'; }
if (($(tx_packets kvx) < FLOOD)) || { $weft && (($(tx_packets weft_vxlan) < FLOOD)); }; then
	echo "bench: the traffic did not cross the VXLAN devices (kvx $(tx_packets kvx) packets)" >&2
	exit 1
fi

kt=$(median <"$BDIR/kt") kf=$(median <"$BDIR/kf")
kmtu=$(nsenter --net="/run/netns/$KA" ip -j link show dev eth0 | jq '.[0].mtu')
echo "Cross-node pod-to-pod (kernel $(uname -r), $(nproc) cores, underlay MTU $CL_MTU," \
	"iperf3 ${SECS}s, ping -f x$FLOOD, median of $ROUNDS rounds)"
printf '%-26s %8s %12s %16s\n' "" "pod MTU" "TCP Gbit/s" "ping-flood pps"
if $weft; then
	wt=$(median <"$BDIR/wt") wf=$(median <"$BDIR/wf")
	printf '%-26s %8s %12.2f %16.0f\n' "weft overlay" "$(cl_pod_mtu a)" "$wt" "$wf"
fi
printf '%-26s %8s %12.2f %16.0f\n' "kernel VXLAN (flannel-like)" "$kmtu" "$kt" "$kf"
rounds() { paste -sd' ' "$BDIR/$1"; }
if $weft; then echo "rounds: weft TCP [$(rounds wt)] pps [$(rounds wf)]"; fi
echo "rounds: kernel TCP [$(rounds kt)] pps [$(rounds kf)]"
if $weft; then
	awk -v a="$wt" -v b="$kt" -v c="$wf" -v d="$kf" \
		'BEGIN { printf "weft/kernel: throughput %.2fx, ping-flood %.2fx (target >= 1.0x)\n", a / b, c / d }'
fi
