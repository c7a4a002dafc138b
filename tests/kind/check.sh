#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The checks of tests/bats/93-k8s-nodes.bats and 94-k8s-install.bats (and the
# multi-node ones of 70-multinode.bats), on the kind cluster made by up.sh,
# through kubectl: the DaemonSet ready on every node; two pods pinned to
# every node, each with an address in its node's pod range that the node's
# weftd lists; every pod pings every other pod and a host outside the
# cluster (the kind network's gateway, i.e. the Docker host); TCP between
# pods on different nodes; the pod MTU is the node's minus the VXLAN
# overhead and full-size packets cross; a NetworkPolicy cuts TCP across
# nodes, then allows it; a deleted pod leaves no endpoint. Exits non-zero
# and lists what failed.
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

# The DaemonSet: one weftd per node, every one ready (its readiness probe,
# GET /readyz).
ds=$(kc -n kube-system get daemonset weft -o json)
want=$(kc get nodes -o name | wc -l)
for f in desiredNumberScheduled numberReady; do
	n=$(jq -r ".status.$f // 0" <<<"$ds")
	((n == want)) || fail "DaemonSet weft: $f $n, expected $want (nodes)"
done

# weft_on NODE ARGS...: weftctl ARGS in the weftd pod of NODE.
weft_on() {
	local node=$1 pod
	shift
	pod=$(kc -n kube-system get pods -l app.kubernetes.io/name=weft --field-selector "spec.nodeName=$node" \
		-o jsonpath='{.items[0].metadata.name}')
	kc -n kube-system exec "$pod" -c weftd -- weftctl "$@"
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
	weft_on "${node[$p]}" -o json endpoints | jq -e --arg ns "$CHECK_NS" --arg p "$p" --arg ip "${ip[$p]}" \
		'any(.endpoints[]; .k8s.namespace == $ns and .k8s.name == $p and .ips[0] == $ip and .attached)' \
		>/dev/null || fail "$p: not an attached endpoint of ${node[$p]}'s weftd"
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

# NetworkPolicy: only app=nobody may reach the first pod's 8080, so a pod on
# another node is cut off; then the policy names that pod's label and it
# gets through again.
a=${pods[0]}
for b in "${pods[@]}"; do [[ ${node[$b]} != "${node[$a]}" ]] && break; done
tcp_ok() { [[ $(kc -n "$CHECK_NS" exec "$b" -- sh -c "nc -w 3 ${ip[$a]} 8080 </dev/null" 2>/dev/null) == weft-ok ]]; }
policy() {
	kc apply -f - >/dev/null <<-YAML
	apiVersion: networking.k8s.io/v1
	kind: NetworkPolicy
	metadata: {name: weft-check, namespace: $CHECK_NS}
	spec:
	  podSelector: {matchLabels: {check: $a}}
	  policyTypes: [Ingress]
	  ingress:
	    - from: [{podSelector: {matchLabels: {$1}}}]
	      ports: [{protocol: TCP, port: 8080}]
	YAML
}
# within 10 s: tries of 3 s each
until_ok() { for _ in 1 2 3; do "$@" && return 0; sleep 1; done; return 1; }
tcp_blocked() { ! tcp_ok; }
kc -n "$CHECK_NS" label pod "$a" "check=$a" --overwrite >/dev/null
policy 'app: nobody'
until_ok tcp_blocked || fail "NetworkPolicy: $b -> $a not blocked"
policy 'app: weft-check'
until_ok tcp_ok || fail "NetworkPolicy: $b -> $a not allowed again"
kc -n "$CHECK_NS" delete networkpolicy weft-check >/dev/null

# Deletion: the pod's DEL leaves no endpoint on its node.
kc -n "$CHECK_NS" delete pod "$a" --grace-period=1 --timeout=60s >/dev/null
weft_on "${node[$a]}" -o json endpoints | jq -e --arg ns "$CHECK_NS" --arg p "$a" \
	'any(.endpoints[]; .k8s.namespace == $ns and .k8s.name == $p) | not' >/dev/null ||
	fail "$a deleted: still an endpoint of ${node[$a]}'s weftd"

if ((${#failed[@]})); then
	echo "kind checks: ${#failed[@]} failed: ${failed[*]}" >&2
	exit 1
fi
echo "kind checks: all passed (${#pods[@]} pods on ${#nodes[@]} nodes)"
