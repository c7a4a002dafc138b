#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The netns cluster (cluster.bash) driven by the Kubernetes API instead of the
# cluster file: a real kube-apiserver (kube.bash) on the external host of the
# underlay, every node's weftd listing and watching it as user weftd (the
# weft-node ClusterRole only). Cross-node traffic and a NetworkPolicy pass the
# same way as with the file (70-multinode, 75-netpol).

load helpers
load cluster
load kube

setup() {
	kube_skip_unless_available
	cluster_net_up 2
	# The API server on the external host: every node reaches it on the
	# underlay, and its certificate covers that address.
	KUBE_NS=$CL_EXT KUBE_IP=$CL_EXT_IP
	KUBE_DIR=$(mktemp -d "$WT_DIR/kube.XXXX")
	kube_start
	kube_rbac
	local i
	for i in 1 2; do
		kube_node "$(cl_node_name "$i")" "$(cl_node_ip "$i")" "$(cl_node_cidr "$i")"
		printf '%s\n' "$KUBE_WEFTD_TOKEN" >"$(cl_node_dir "$i")/token"
		kube_kubeconfig "$(cl_node_dir "$i")/kubeconfig" "$(cl_node_dir "$i")/token"
	done
}

teardown() {
	[[ -n ${KUBE_DIR:-} ]] && "$KUBE_SRC/stop.sh" "$KUBE_DIR" >/dev/null 2>&1
	wt_teardown
}

# k8s_cluster_weftd I: node I's weftd on the API (no cluster file), serving
# with its Node's pod range and ready.
k8s_cluster_weftd() {
	local i=$1 dir
	dir=$(cl_node_dir "$i")
	nsenter --net="/run/netns/$(cl_node_name "$i")" "$WEFTD" --node-name "$(cl_node_name "$i")" \
		--kubeconfig "$dir/kubeconfig" --state-dir "$dir/state" --bpffs "$dir/bpffs" \
		--socket "$dir/weftd.sock" --bpf-dir "$OUTPUT/bpf" --log-level debug \
		>>"$dir/weftd.log" 2>&1 &
	echo $! >"$dir/weftd.pid"
	wait_until 15000 eval '[[ $(cl_weftctl '"$i"' -o json status 2>/dev/null | jq -r .ready) == true ]]' ||
		{ cat "$dir/weftd.log"; return 1; }
	cl_serves "$i"
}

# k8s_cluster_pod I NAME LABELS: the pod's ADD on node I, then its Pod
# object (Running, with the address the ADD gave) through the API.
k8s_cluster_pod() {
	local i=$1 name=$2 ip
	ip=$(cluster_k8s_pod_cni_add "$i" default "$name") || return 1
	printf -v "IP_$name" '%s' "$ip"
	kube_pod default "$name" "$(cl_node_name "$i")" "$3" "$ip"
}

reach() { nsenter --net="/run/netns/$(cl_k8s_pod_netns default "$1")" ping -c1 -W1 "$2" >/dev/null 2>&1; }
no_reach() { ! nsenter --net="/run/netns/$(cl_k8s_pod_netns default "$1")" ping -c1 -W0.3 "$2" >/dev/null 2>&1; }

@test "k8s cluster: two nodes on the API: pods reach each other across nodes, and a NetworkPolicy through the API cuts and restores it" {
	k8s_cluster_weftd 1
	k8s_cluster_weftd 2
	[ "$(cl_weftctl 1 -o json status | jq -r .overlay.nodes)" = 2 ]
	k8s_cluster_pod 1 a '{"app": "a"}'
	k8s_cluster_pod 2 b '{"app": "b"}'
	wait_until 3000 reach a "$IP_b" || { cl_weftd_log 1; false; }
	wait_until 3000 reach b "$IP_a"
	kapi POST /apis/networking.k8s.io/v1/namespaces/default/networkpolicies '{"apiVersion":
		"networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "only-a-to-b"},
		"spec": {"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress"],
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]}]}}' >/dev/null
	wait_until 1000 no_reach a "$IP_b"
	echo "# cross-node policy applied in $WAITED_MS ms" >&3
	# b's egress is open, a's ingress too: b still reaches a.
	reach b "$IP_a"
	kube_delete /apis/networking.k8s.io/v1/namespaces/default/networkpolicies/only-a-to-b
	wait_until 1000 reach a "$IP_b"
	echo "# policy deleted: reachable again in $WAITED_MS ms" >&3
}
