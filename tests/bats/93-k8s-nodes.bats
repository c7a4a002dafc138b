#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weft as the CNI of real kubelet nodes (kubenode.bash): two nodes of the
# netns cluster each run containerd and a v1.24 kubelet registered with the
# real API server on the external host, and the host's build of weftd with
# --kubeconfig (the weft-node ClusterRole only), which learns its pod range,
# the other node and the pods from that server. Pods are created with
# kubectl; kubelet sets up their sandboxes through containerd's CRI, whose
# libcni runs weft's plugin (and Debian's loopback) from the node's CNI bin
# dir: every sandbox a real ADD, every deletion a real DEL. Traffic is sent
# from inside the pods' containers with kubectl exec. Skipped, naming what
# is missing, without ../shared/kube, etcd, containerd, runc, busybox or
# kubectl.
#
# The cluster comes up once for the file (about 15 s); the tests share its
# pods a, a2 (node 1) and b (node 2); the last one deletes them.

load helpers
load cluster
load kube
load kubenode

BATS_TEST_TIMEOUT=${WEFT_KUBENODE_TIMEOUT:-300}

setup_file() {
	KN_SKIP=$(kubenode_missing)
	export KN_SKIP
	[[ -z $KN_SKIP ]] || return 0
	kubenode_up 2
	local i
	for i in 1 2; do
		kubenode_start "$i"
		kn_weftd "$i"
	done
	kn_pod 1 a '{"app": "a"}'
	kn_pod 1 a2 '{"app": "a"}'
	kn_pod 2 b '{"app": "b"}'
	kn_pods_ready a a2 b
}

teardown_file() {
	kubenode_down
}

setup() {
	kubenode_skip
}

teardown() {
	[[ -z $KN_SKIP ]] || return 0
	kc -n "$KN_NS" delete networkpolicy --all >/dev/null 2>&1 || true
}

# kn_endpoint I POD: node I's weftd's endpoint of POD (JSON, empty if none).
kn_endpoint() {
	cl_weftctl "$1" -o json endpoints | jq -c --arg ns "$KN_NS" --arg p "$2" \
		'.endpoints[] | select(.k8s.namespace == $ns and .k8s.name == $p)'
}

@test "k8s nodes: kubelet's pods get their network from weft: an address in the node's pod range, an attached endpoint, the node Ready" {
	local p i ip ep
	for p in a:1 a2:1 b:2; do
		i=${p#*:} p=${p%:*}
		ip=$(kn_pod_ip "$p")
		echo "$p on node $i: $ip"
		# kubelet reports the address the CNI ADD gave, within the range
		# weftd learnt from the Node object (patched in, as the controller
		# manager allocates it).
		in_cidr "$ip" "$(cl_node_cidr "$i")"
		[ "$(kc get node "$(cl_node_name "$i")" -o jsonpath='{.spec.podCIDR}')" = "$(cl_node_cidr "$i")" ]
		[ "$(cl_weftctl "$i" -o json status | jq -r .podCIDR)" = "$(cl_node_cidr "$i")" ]
		ep=$(kn_endpoint "$i" "$p")
		echo "$ep"
		[ "$(jq -r '.ips[0]' <<<"$ep")" = "$ip" ]
		[ "$(jq -r .attached <<<"$ep")" = true ]
		# The container's own eth0 has it, with the overlay's MTU.
		run kn_exec "$p" ip -o -4 addr show dev eth0
		[[ $output == *" $ip/"* ]]
		[ "$(kn_exec "$p" cat /sys/class/net/eth0/mtu)" = $((CL_MTU - CL_VXLAN_OVERHEAD)) ]
	done
	# The nodes turned Ready on weft's conflist; each weftd knows both
	# nodes and all three pods from the API server.
	for i in 1 2; do
		[ "$(kc get node "$(cl_node_name "$i")" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
		[ "$(cl_weftctl "$i" -o json status | jq -r .overlay.nodes)" = 2 ]
		[ "$(cl_weftctl "$i" -o json status | jq -r .cluster.type)" = kubernetes ]
	done
	[ "$(cl_weftctl 1 -o json endpoints | jq '.endpoints | length')" = 2 ]
	[ "$(cl_weftctl 2 -o json endpoints | jq '.endpoints | length')" = 1 ]
}

@test "k8s nodes: pods reach each other on one node and across nodes, ping and TCP from inside their containers" {
	local a a2 b
	a=$(kn_pod_ip a) a2=$(kn_pod_ip a2) b=$(kn_pod_ip b)
	kn_exec a ping -c 1 -W 2 "$b"
	kn_exec b ping -c 1 -W 2 "$a"
	kn_exec a ping -c 1 -W 2 "$a2"
	[ "$(kn_get a "$b")" = weft-ok ]
	[ "$(kn_get b "$a")" = weft-ok ]
	[ "$(kn_get a2 "$a")" = weft-ok ]
	# Across nodes through the overlay: node 1's weftd counted it.
	[ "$(cl_weftctl 1 -o json metrics | jq '[.metrics[] | select(.reason == "forward-tunnel") | .packets] | add // 0')" -gt 0 ]
}

# kn_blocked FROM IP: FROM's TCP connection to IP:8080 gets no answer.
kn_blocked() { [ "$(kn_get "$1" "$2")" != weft-ok ]; }
kn_allowed() { [ "$(kn_get "$1" "$2")" = weft-ok ]; }

@test "k8s nodes: a NetworkPolicy applied with kubectl is enforced across nodes: blocked, then allowed" {
	local a b
	a=$(kn_pod_ip a) b=$(kn_pod_ip b)
	kn_allowed a "$b"
	# Only app=c may reach b's 8080: a (node 1) is cut off, on its own
	# node b's egress and a's ingress stay open.
	policy() {
		kc apply -f - >/dev/null <<-YAML
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: b-ingress, namespace: $KN_NS}
		spec:
		  podSelector: {matchLabels: {app: b}}
		  policyTypes: [Ingress]
		  ingress:
		    - from: [{podSelector: {matchLabels: {app: $1}}}]
		      ports: [{protocol: TCP, port: 8080}]
		YAML
	}
	policy c
	wait_until 10000 kn_blocked a "$b"
	echo "# blocked after $WAITED_MS ms" >&3
	kn_blocked a2 "$b"
	kn_allowed b "$a"
	[ "$(cl_weftctl 2 -o json policy "$KN_NS/b" | jq -r .state)" = enforced ]
	# dropped by b's programs on node 2, not lost on the way
	[ "$(cl_weftctl 2 -o json metrics | jq '[.metrics[] | select(.reason == "drop-policy-denied") | .packets] | add // 0')" -gt 0 ]
	# The same policy now names app=a: a and a2 get through, b's ping
	# (not TCP 8080) stays cut.
	policy a
	wait_until 10000 kn_allowed a "$b"
	echo "# allowed after $WAITED_MS ms" >&3
	kn_allowed a2 "$b"
	run kn_exec a ping -c 1 -W 1 "$b"
	[ "$status" -ne 0 ]
	kc -n "$KN_NS" delete networkpolicy b-ingress >/dev/null
	wait_until 10000 kn_exec a ping -c 1 -W 1 "$b"
}

@test "k8s nodes: deleting the pods is a real CNI DEL on each node: no endpoint, veth, address, pin or libcni cache left" {
	local i ids=() id
	mapfile -t ids < <(for i in 1 2; do cl_weftctl "$i" -o json endpoints | jq -r '.endpoints[].containerID'; done)
	[ "${#ids[@]}" = 3 ]
	for id in "${ids[@]}"; do
		[ -e "/var/lib/cni/results/$WT_ID-$id-eth0" ]
	done
	[ "$(kn_veths 1 | wc -l)" = 2 ]
	# kubectl waits until kubelet has stopped them (the sandbox's DEL
	# before the API server lets the pod go).
	kc -n "$KN_NS" delete pod a a2 b --grace-period=1 --timeout=60s >/dev/null
	[ -z "$(kc -n "$KN_NS" get pods -o name)" ]
	for i in 1 2; do
		[ "$(cl_weftctl "$i" -o json endpoints | jq '.endpoints | length')" = 0 ]
		[ -z "$(kn_veths "$i")" ]
		[ -z "$(find "$(cl_node_dir "$i")/bpffs/endpoints" -mindepth 1 2>/dev/null)" ]
		[ -z "$(find "$(cl_node_dir "$i")/state/ipam" -maxdepth 1 -type f -name '[0-9]*' 2>/dev/null)" ]
		# The pods' network namespaces (containerd's, under the node's dir)
		[ -z "$(awk -v d="$(kn_dir "$i")/" 'index($2, d) == 1 && $2 ~ /netns/' /proc/mounts)" ]
	done
	for id in "${ids[@]}"; do
		[ ! -e "/var/lib/cni/results/$WT_ID-$id-eth0" ]
		[ ! -e "/var/lib/cni/results/cni-loopback-$id-lo" ]
	done
}
