#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The multi-node connectivity checks of tests/bats/70-multinode.bats, on the
# kind cluster made by up.sh, through kubectl: two pods pinned to every node;
# every pod pings every other pod and a host outside the cluster (the kind
# network's gateway, i.e. the Docker host); TCP between pods on different
# nodes; the pod MTU is the node's minus the VXLAN overhead and full-size
# packets cross. Exits non-zero and lists what failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/kind/lib.sh
kind_need
trap 'kc delete namespace "$CHECK_NS" --wait=false >/dev/null 2>&1 || true' EXIT

VXLAN_OVERHEAD=50
failed=()
fail() {
	failed+=("$1")
	echo "FAIL: $1" >&2
}

# in_cidr IP CIDR: IPv4 containment, in shell arithmetic
ip4_int() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4))
}
in_cidr() {
	local len=${2#*/} mask
	mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
	(((($(ip4_int "$1") ^ $(ip4_int "${2%/*}")) & mask) == 0))
}

kc create namespace "$CHECK_NS" --dry-run=client -o yaml | kc apply -f -
mapfile -t nodes < <(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
for n in "${!nodes[@]}"; do
	for k in a b; do
		cat <<-YAML
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: n$n-$k, namespace: $CHECK_NS, labels: {app: weft-check}}
		spec:
		  nodeName: ${nodes[$n]}
		  tolerations: [{operator: Exists}]
		  terminationGracePeriodSeconds: 1
		  containers:
		    - name: c
		      image: $CHECK_IMAGE
		      imagePullPolicy: IfNotPresent
		      command: [sh, -c, "while true; do echo weft-ok | nc -l -p 8080; done"]
		      ports: [{containerPort: 8080}]
		YAML
	done
done | kc apply -f -
kc -n "$CHECK_NS" wait --for=condition=Ready pod --all --timeout=180s

pods_json=$(kc -n "$CHECK_NS" get pods -o json)
nodes_json=$(kc get nodes -o json)
mapfile -t pods < <(jq -r '.items[].metadata.name' <<<"$pods_json")
declare -A ip node
for p in "${pods[@]}"; do
	ip[$p]=$(jq -r --arg p "$p" '.items[] | select(.metadata.name == $p) | .status.podIP' <<<"$pods_json")
	node[$p]=$(jq -r --arg p "$p" '.items[] | select(.metadata.name == $p) | .spec.nodeName' <<<"$pods_json")
	cidr=$(jq -r --arg n "${node[$p]}" '.items[] | select(.metadata.name == $n) | .spec.podCIDR' <<<"$nodes_json")
	echo "$p on ${node[$p]}: ${ip[$p]} (node pod CIDR $cidr)"
	in_cidr "${ip[$p]}" "$cidr" || fail "$p: ${ip[$p]} is outside its node's pod CIDR $cidr"
done
[[ $(printf '%s\n' "${ip[@]}" | sort -u | wc -l) -eq ${#pods[@]} ]] || fail "pod IPs are not distinct"

gw=$(docker network inspect kind | jq -r '[.[0].IPAM.Config[].Gateway | select(. != null and test("^[0-9.]+$"))][0]')
for from in "${pods[@]}"; do
	for to in "${pods[@]}"; do
		[[ $from == "$to" ]] && continue
		kc -n "$CHECK_NS" exec "$from" -- ping -c 1 -W 2 "${ip[$to]}" >/dev/null || fail "ping $from -> $to"
		[[ ${node[$from]} == "${node[$to]}" ]] && continue
		out=$(kc -n "$CHECK_NS" exec "$from" -- sh -c "nc -w 3 ${ip[$to]} 8080 </dev/null" || true)
		[[ $out == weft-ok ]] || fail "TCP $from -> $to"
	done
	kc -n "$CHECK_NS" exec "$from" -- ping -c 1 -W 2 "$gw" >/dev/null || fail "ping $from -> outside ($gw)"
done

# MTU: the node's underlay MTU less the VXLAN overhead, and full-size packets
# cross nodes (busybox ping cannot set DF; the bats suite checks DF).
for p in "${pods[@]}"; do
	pmtu=$(kc -n "$CHECK_NS" exec "$p" -- cat /sys/class/net/eth0/mtu)
	nmtu=$(docker exec "${node[$p]}" cat /sys/class/net/eth0/mtu)
	((pmtu == nmtu - VXLAN_OVERHEAD)) || fail "$p: MTU $pmtu, expected $((nmtu - VXLAN_OVERHEAD)) (node $nmtu)"
done
a=${pods[0]}
for to in "${pods[@]}"; do
	[[ ${node[$to]} == "${node[$a]}" ]] && continue
	kc -n "$CHECK_NS" exec "$a" -- ping -c 1 -W 2 -s $((pmtu - 28)) "${ip[$to]}" >/dev/null ||
		fail "full-size ping $a -> $to"
done

if ((${#failed[@]})); then
	echo "kind checks: ${#failed[@]} failed: ${failed[*]}" >&2
	exit 1
fi
echo "kind checks: all passed (${#pods[@]} pods on ${#nodes[@]} nodes)"
