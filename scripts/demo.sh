#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# weft on one machine: a "node" network namespace runs weftd; two "pods"
# (namespaces) are wired by the real CNI plugin; they ping each other and the
# node pings them; weftctl shows the endpoints and the datapath counters; then
# everything is removed. The host's own network is never touched.
set -euo pipefail

OUTPUT=$(realpath -m "${OUTPUT:-.output}")
ID=weft-demo-$$
NODE=$ID-node
DIR=$(mktemp -d "/tmp/$ID.XXXX")
SOCK=$DIR/weftd.sock
BPFFS=$DIR/bpffs
WEFTD_PID=

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
in_node() { nsenter --net="/run/netns/$NODE" "$@"; }

cleanup() {
	set +e
	step "Cleaning up"
	for pod in a b; do
		[[ -e /run/netns/$ID-$pod ]] || continue
		in_node env -i CNI_COMMAND=DEL CNI_CONTAINERID="demo-$pod" \
			CNI_NETNS="/run/netns/$ID-$pod" CNI_IFNAME=eth0 CNI_PATH="$OUTPUT" \
			"$OUTPUT/weft" <"$DIR/net.conf" >/dev/null
		ip netns del "$ID-$pod"
	done
	[[ -n $WEFTD_PID ]] && kill "$WEFTD_PID" 2>/dev/null && wait "$WEFTD_PID" 2>/dev/null
	umount "$BPFFS" 2>/dev/null
	ip netns del "$NODE" 2>/dev/null
	rm -rf "$DIR"
	echo "removed namespaces, pins and state"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || { echo "demo: needs root (namespaces, BPF)" >&2; exit 1; }

step "A node: network namespace $NODE with its own bpffs, state dir and weftd"
ip netns add "$NODE"
ip -n "$NODE" link set lo up
ip -n "$NODE" link add demo-host type veth peer name demo-host-peer
ip -n "$NODE" link set demo-host-peer up
ip -n "$NODE" addr add 192.0.2.1/24 dev demo-host
ip -n "$NODE" link set demo-host up
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS"
# nsenter execs weftd, so $! is weftd itself (not a subshell).
nsenter --net="/run/netns/$NODE" "$OUTPUT/weftd" --node-name demo-node --pod-cidr 10.244.0.0/24 \
	--state-dir "$DIR/state" --bpffs "$BPFFS" --socket "$SOCK" \
	--bpf-dir "$OUTPUT/bpf" --log-level warn 2>"$DIR/weftd.log" &
WEFTD_PID=$!
for _ in $(seq 100); do "$OUTPUT/weftctl" --socket "$SOCK" status >/dev/null 2>&1 && break; sleep 0.05; done
show "$OUTPUT/weftctl" --socket "$SOCK" status

cat >"$DIR/net.conf" <<JSON
{"cniVersion": "1.1.0", "name": "demo", "type": "weft", "socket": "$SOCK"}
JSON

step "Two pods, wired by the weft CNI plugin (CNI_COMMAND=ADD)"
for pod in a b; do
	ip netns add "$ID-$pod"
	ip -n "$ID-$pod" link set lo up
	in_node env -i CNI_COMMAND=ADD CNI_CONTAINERID="demo-$pod" \
		CNI_NETNS="/run/netns/$ID-$pod" CNI_IFNAME=eth0 CNI_PATH="$OUTPUT" \
		CNI_ARGS="K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$pod" \
		"$OUTPUT/weft" <"$DIR/net.conf" >"$DIR/$pod.json"
	printf 'pod %s: ' "$pod"
	jq -c '{ip: .ips[0].address, gateway: .ips[0].gateway}' "$DIR/$pod.json"
done
IP_A=$(jq -r '.ips[0].address' "$DIR/a.json" | cut -d/ -f1)
IP_B=$(jq -r '.ips[0].address' "$DIR/b.json" | cut -d/ -f1)

step "Inside pod a"
show nsenter --net="/run/netns/$ID-a" ip -br addr show dev eth0
show nsenter --net="/run/netns/$ID-a" ip route

step "Pod a pings pod b (redirected by eBPF from veth to veth)"
show nsenter --net="/run/netns/$ID-a" ping -c 3 -i 0.2 "$IP_B"

step "The node pings pod a (as kubelet's probes reach pods)"
show in_node ping -c 2 -i 0.2 "$IP_A"

step "A spoofing pod: a sends from an address that is not its own"
nsenter --net="/run/netns/$ID-a" ip addr add 10.244.0.200/32 dev eth0
nsenter --net="/run/netns/$ID-a" ping -c 2 -i 0.2 -W 1 -I 10.244.0.200 "$IP_B" >/dev/null 2>&1 &&
	{ echo "demo: spoofed traffic got through" >&2; exit 1; }
echo "dropped, as it should be"

step "What weftd knows"
show "$OUTPUT/weftctl" --socket "$SOCK" endpoints
show "$OUTPUT/weftctl" --socket "$SOCK" metrics
echo
echo "demo: pods talked through weft's eBPF datapath"
