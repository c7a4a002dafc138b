#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's Kubernetes API source against a real kube-apiserver (v1.24, from
# ../shared/kube; kube.bash): weftd runs as user "weftd" holding exactly the
# ClusterRole weft-node (get, list, watch on nodes, namespaces, pods and
# networkpolicies), in a node namespace linked to the API server's. Skipped,
# naming what is missing, where ../shared/kube or etcd is absent.

load helpers
load cluster
load kube

# One of these keeps the API server down for a minute.
BATS_TEST_TIMEOUT=$((${BATS_TEST_TIMEOUT:-120} > 240 ? BATS_TEST_TIMEOUT : 240))

REMOTE_CIDR=10.244.200.0/24
REMOTE_IP=203.0.113.200

# bats 1.8 counts a skip in setup_file as a failure: the reason is kept
# for setup() to skip with.
setup_file() {
	KUBE_MISSING=$(kube_missing)
	export KUBE_MISSING
	[[ -n $KUBE_MISSING ]] || kube_up
}

teardown_file() { kube_down; }

setup() {
	[[ -z $KUBE_MISSING ]] || skip "$KUBE_MISSING"
	TOKENS_CHANGED=
}

teardown() {
	[[ -z $KUBE_MISSING ]] || return 0
	# What a test left in the shared API server goes, so the next one starts
	# from the same cluster.
	kube_alive || KEEP_DATA=1 kube_start
	if [[ -n ${WT_ID:-} ]]; then
		kube_delete_pods default "wt%3D$WT_ID" 2>/dev/null || true
		kapi DELETE "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies?labelSelector=wt%3D$WT_ID" \
			>/dev/null 2>&1 || true
		kube_delete "/api/v1/nodes/$NODE" 2>/dev/null || true
		kube_delete "/api/v1/nodes/r$WT_ID" 2>/dev/null || true
		kube_delete /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/weft-partial-full 2>/dev/null || true
	fi
	if [[ -n $TOKENS_CHANGED ]]; then
		kube_stop
		KEEP_DATA=1 kube_start
	fi
	# A test that failed during an outage leaves the server down.
	kube_alive || KEEP_DATA=1 kube_start
	wt_teardown
}

# k8s_node_up [TOKEN]: the node namespace linked to the API server, its Node
# object (podCIDR 10.244.1.0/24, InternalIP 203.0.113.10), a token file and
# kubeconfig for weftd.
k8s_node_up() {
	node_setup
	kube_node_link 10
	printf '%s\n' "${1:-$KUBE_WEFTD_TOKEN}" >"$WT_DIR/token"
	kube_kubeconfig "$WT_DIR/kubeconfig" "$WT_DIR/token"
	kube_node "$NODE" 203.0.113.10 10.244.1.0/24
}

# k8s_weftd_spawn [ARGS...]: weftd on the API, not waiting for it.
k8s_weftd_spawn() {
	nsenter --net="$NODE_NS" "$WEFTD" --node-name "$NODE" --kubeconfig "$WT_DIR/kubeconfig" \
		--state-dir "$STATE" --bpffs "$BPFFS" --socket "$SOCK" --bpf-dir "$OUTPUT/bpf" \
		--log-level debug "$@" >>"$WT_DIR/weftd.log" 2>&1 &
	echo $! >"$WT_DIR/weftd.pid"
}

st() { "$WEFTCTL" --socket "$SOCK" -o json status 2>/dev/null | jq -r "$1"; }
k8s_ready() { [[ $(st .ready) == true ]]; }
k8s_connected() { [[ $(st .cluster.connected) == "$1" ]]; }

# k8s_weftd_up: spawn, and wait until ready (10 s).
k8s_weftd_up() {
	k8s_weftd_spawn "$@"
	wait_until 10000 k8s_ready || { cat "$WT_DIR/weftd.log" >&2; return 1; }
}

# ip_u32 A.B.C.D: the address as weft_ipcache's key holds it (little endian).
ip_u32() { jq -n --arg ip "$1" '$ip | split(".") | map(tonumber) | .[0] + .[1] * 256 + .[2] * 65536 + .[3] * 16777216'; }

# ipcache IP: the /32 entry's value (formatted), or nothing.
ipcache() {
	bpftool -j map dump pinned "$BPFFS/weft_ipcache" 2>/dev/null | jq -c --argjson a "$(ip_u32 "$1")" \
		'.[] | select(.formatted.key.prefixlen == 64 and .formatted.key.addr[0] == $a) | .formatted.value'
}
ipcache_has() { [[ -n $(ipcache "$1") ]]; }
ipcache_lacks() { [[ -z $(ipcache "$1") ]]; }
ipcache_identity() { ipcache "$1" | jq -r .identity; }
identity_is_not() { [[ $(ipcache_identity "$1") != "$2" && -n $(ipcache "$1") ]]; }
vxlan_route() { in_node ip route show "$1" dev weft_vxlan proto 87 | grep -q .; }
no_vxlan_route() { ! vxlan_route "$1"; }

# pod NAME NODE IP [LABELS]: a Pod of this test in namespace default.
pod() {
	kube_pod default "$1" "$2" "$(jq -n --arg wt "$WT_ID" --argjson l "${4:-{\}}" \
		'$l + {wt: $wt}')" "$3"
}

@test "k8s: weftd finds its Node through the API, is ready once every kind is listed, with exactly the weft-node ClusterRole" {
	k8s_node_up
	k8s_weftd_up
	[ "$(st .podCIDR)" = 10.244.1.0/24 ]
	[ "$(st .cluster.type)" = kubernetes ]
	[ "$(st .cluster.connected)" = true ]
	[[ $(st .cluster.credentials) == *"kubeconfig $WT_DIR/kubeconfig"* ]]
	for k in nodes namespaces pods networkpolicies; do
		[ "$(st ".cluster.kinds.$k.synced")" = true ]
	done
	[ "$(st .overlay.nodes)" -ge 1 ]
	# The same user can do nothing else: the API server enforces RBAC.
	[ "$(kapi_as "$KUBE_WEFTD_TOKEN" /api/v1/secrets)" = 403 ]
	[ "$(kapi_as "$KUBE_WEFTD_TOKEN" /api/v1/configmaps)" = 403 ]
	run "$WEFTCTL" --socket "$SOCK" status
	[[ $output == *"ready          yes"* && $output == *"connection     connected"* ]]
}

@test "k8s: Nodes and Pods added, changed and deleted through the API reach the ipcache and routes within a second" {
	k8s_node_up
	k8s_weftd_up
	local rn=r$WT_ID ip=10.244.200.7 id
	kube_node "$rn" "$REMOTE_IP" "$REMOTE_CIDR"
	wait_until 1000 vxlan_route "$REMOTE_CIDR"
	echo "# node added: route in $WAITED_MS ms" >&3
	pod web "$rn" "$ip" '{"app": "web", "v": "1"}'
	wait_until 1000 ipcache_has "$ip"
	echo "# pod added: ipcache in $WAITED_MS ms" >&3
	id=$(ipcache_identity "$ip")
	kube_pod default web "$rn" "$(jq -nc --arg wt "$WT_ID" '{app: "web", v: "2", wt: $wt}')"
	wait_until 1000 identity_is_not "$ip" "$id"
	echo "# pod labels changed: identity in $WAITED_MS ms" >&3
	kube_delete "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0"
	wait_until 1000 ipcache_lacks "$ip"
	echo "# pod deleted: ipcache in $WAITED_MS ms" >&3
	kube_delete "/api/v1/nodes/$rn"
	wait_until 1000 no_vxlan_route "$REMOTE_CIDR"
	echo "# node deleted: route in $WAITED_MS ms" >&3
	[ "$(st .cluster.kinds.pods.events)" -ge 3 ]
	! grep -q "left out of the model" "$WT_DIR/weftd.log"
}

# can_reach FROM IP: a reply to one of two pings (one may be late on a
# loaded machine).
can_reach() { in_pod "$1" ping -c2 -i0.2 -W1 "$2" >/dev/null 2>&1; }
cannot_reach() { ! in_pod "$1" ping -c1 -W0.3 "$2" >/dev/null 2>&1; }

@test "k8s: a NetworkPolicy applied through the API changes reachability within a second, and its deletion restores it" {
	k8s_node_up
	k8s_weftd_up
	pod_add a
	pod_add b
	pod a "$NODE" "$(pod_ip a)" '{"app": "a"}'
	pod b "$NODE" "$(pod_ip b)" '{"app": "b"}'
	wait_until 2000 can_reach a "$(pod_ip b)"
	kapi POST /apis/networking.k8s.io/v1/namespaces/default/networkpolicies "$(jq -n --arg wt "$WT_ID" \
		'{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {name: "deny-b", labels: {wt: $wt}},
		spec: {podSelector: {matchLabels: {app: "b"}}, policyTypes: ["Ingress"]}}')" >/dev/null
	wait_until 1000 cannot_reach a "$(pod_ip b)"
	echo "# policy applied: b unreachable in $WAITED_MS ms" >&3
	[ "$(st .cluster.objects.networkpolicies)" -ge 1 ]
	kube_delete /apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny-b
	wait_until 1000 can_reach a "$(pod_ip b)"
	echo "# policy deleted: b reachable in $WAITED_MS ms" >&3
	pod_del a
	pod_del b
}

@test "k8s: until every kind is listed ADD gets code 11 and STATUS code 50, saying what weftd waits for; it gets ready by itself" {
	# weftd-partial may list nodes only: weftd finds its Node, serves, and
	# waits for the rest.
	k8s_node_up "$KUBE_PARTIAL_TOKEN"
	k8s_weftd_spawn --metrics-addr 127.0.0.1:9962
	wait_until 10000 test -S "$SOCK"
	wait_until 5000 eval '[[ $(st .waitingFor) == *forbidden* ]]' || { st .; cat "$WT_DIR/weftd.log"; false; }
	[ "$(st .ready)" = false ]
	[[ $(st .waitingFor) == *"namespaces, pods, networkpolicies"* ]]
	run "$WEFTCTL" --socket "$SOCK" status
	[[ $output == *"ready          no: waiting for the first list of namespaces, pods, networkpolicies"* ]]
	run "$WEFTCTL" --socket "$SOCK" ready
	[ "$status" -eq 1 ]
	[[ $output == "not ready: waiting for the first list of namespaces, pods, networkpolicies"* ]]
	# Alive all the same: the liveness probe must not restart a waiting weftd.
	run "$WEFTCTL" --socket "$SOCK" live
	[ "$status" -eq 0 ]
	[ "$output" = "live (not ready)" ]
	# The same over HTTP: /readyz 503 saying why, /healthz 200.
	run in_node curl -s -w ' %{http_code}' http://127.0.0.1:9962/readyz
	[[ $output == "not ready: waiting for the first list of namespaces"*" 503" ]]
	[ "$(in_node curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9962/healthz)" = 200 ]
	[ "$(in_node curl -s http://127.0.0.1:9962/metrics | awk '$1 == "weft_ready" { print $2 }')" = 0 ]
	local ns
	ns=$(pod_netns_add a)
	cni ADD "cid-$WT_ID-a" "/run/netns/$ns" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 11 ]
	[[ $(jq -r .msg <<<"$output") == "weftd is not ready" ]]
	[[ $(jq -r .details <<<"$output") == *"the first list of"*pods*forbidden* ]]
	assert_nothing_left
	CONF=$(net_conf 1.1.0) cni STATUS "" "" ""
	[ "$(cni_code)" = 50 ]
	[[ $(jq -r .details <<<"$output") == *"first list of"* ]]
	# Granted the full ClusterRole, it gets ready without a restart.
	kube_bind weft-partial-full weft-node weft-partial
	wait_until 35000 k8s_ready
	echo "# ready ${WAITED_MS} ms after the grant" >&3
	"$WEFTCTL" --socket "$SOCK" ready
	[ "$(in_node curl -s -w ' %{http_code}' http://127.0.0.1:9962/readyz)" = $'ready\n 200' ]
	[ "$(in_node curl -s http://127.0.0.1:9962/metrics | awk '$1 == "weft_ready" { print $2 }')" = 1 ]
	cni ADD "cid-$WT_ID-a" "/run/netns/$ns" eth0
	[ "$status" -eq 0 ]
	cni DEL "cid-$WT_ID-a" "/run/netns/$ns" eth0
}

@test "k8s: weftd cut off mid-watch, changes made, the API server restarted and etcd compacted (410): the relist applies exactly the difference" {
	k8s_node_up
	local rn=r$WT_ID base=10.244.200
	kube_node "$rn" "$REMOTE_IP" "$REMOTE_CIDR"
	pod p1 "$rn" $base.1 '{"v": "1"}'
	pod p2 "$rn" $base.2 '{"v": "1"}'
	pod p3 "$rn" $base.3 '{"v": "1"}'
	k8s_weftd_up
	wait_until 1000 ipcache_has $base.3
	local id3 pols lists
	id3=$(ipcache_identity $base.3)
	pols=$(st .cluster.objects.networkpolicies)
	lists=$(st .cluster.kinds.pods.lists)
	# weftd cut off: its connections killed and the link down, so none of
	# this reaches it (a frozen weftd would still get the events into its
	# socket buffers, and catch up through the watch).
	ip -n "$NODE" link set k8s0 down
	in_node ss -K dst "$KUBE_IP" >/dev/null
	wait_until 5000 k8s_connected false
	kube_delete "/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0"
	pod p4 "$rn" $base.4 '{"v": "1"}'
	kube_pod default p3 "$rn" "$(jq -nc --arg wt "$WT_ID" '{v: "2", wt: $wt}')"
	kapi POST /apis/networking.k8s.io/v1/namespaces/default/networkpolicies "$(jq -n --arg wt "$WT_ID" \
		'{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {name: "p", labels: {wt: $wt}}, spec: {podSelector: {}}}')" >/dev/null
	kube_apiserver_stop
	kube_etcd_compact >/dev/null
	KEEP_DATA=1 kube_start
	ip -n "$NODE" link set k8s0 up
	wait_until 35000 ipcache_has $base.4 || { cat "$WT_DIR/weftd.log"; false; }
	echo "# caught up ${WAITED_MS} ms after the restart" >&3
	wait_until 2000 ipcache_lacks $base.1
	wait_until 2000 identity_is_not $base.3 "$id3"
	ipcache_has $base.2
	# Policies come back on their own reflector's backoff.
	wait_until 35000 eval '[ "$(st .cluster.objects.networkpolicies)" = $((pols + 1)) ]'
	# Through a relist (410), applied as a difference: p1 gone, p4 new, p3
	# changed, p2 untouched; nothing added twice.
	grep -E "resourceVersion expired \(410 Gone\)" "$WT_DIR/weftd.log"
	grep -E "relisted pods in [0-9]+ ms, applied in [0-9]+ ms: 1 added, 1 changed, 1 deleted" \
		"$WT_DIR/weftd.log" || { grep -E "listed|410|expired" "$WT_DIR/weftd.log"; false; }
	[ "$(st .cluster.kinds.pods.lists)" -gt "$lists" ]
	# Every kind back (each on its own backoff).
	wait_until 35000 k8s_connected true
}

@test "k8s: the API server down at start, then down for a minute: weftd waits, keeps the datapath and last state, shows it, and recovers by itself" {
	k8s_node_up
	kube_stop
	k8s_weftd_spawn
	wait_until 5000 grep -qE "waiting for Node $NODE.*last error: .*(onnect|refused)" "$WT_DIR/weftd.log"
	[ ! -S "$SOCK" ]
	KEEP_DATA=1 kube_start
	wait_until 35000 k8s_ready || { cat "$WT_DIR/weftd.log"; false; }
	echo "# ready ${WAITED_MS} ms after the API server came up" >&3
	pod_add a
	pod_add b
	pod a "$NODE" "$(pod_ip a)" '{"app": "a"}'
	pod b "$NODE" "$(pod_ip b)" '{"app": "b"}'
	wait_until 2000 can_reach a "$(pod_ip b)"
	local pods
	pods=$(st .cluster.objects.pods)
	kube_stop
	local down=$SECONDS
	wait_until 5000 k8s_connected false
	[ -n "$(st .cluster.lastError)" ]
	[ -n "$(st .cluster.since)" ]
	run "$WEFTCTL" --socket "$SOCK" status
	[[ $output == *"connection     disconnected since"* && $output == *"last error"* ]]
	# The last state stays in force: the model, the datapath, readiness.
	[ "$(st .cluster.objects.pods)" = "$pods" ]
	[ "$(st .ready)" = true ]
	while ((SECONDS - down < 60)); do
		can_reach a "$(pod_ip b)"
		sleep 5
	done
	KEEP_DATA=1 kube_start
	# The backoff is at its 30 s cap after a minute, and a restarted server
	# answers 403 until its RBAC cache is filled: up to two more steps.
	wait_until 65000 k8s_connected true || { cat "$WT_DIR/weftd.log"; false; }
	echo "# connected again ${WAITED_MS} ms after a 60 s outage" >&3
	kube_node "r$WT_ID" "$REMOTE_IP" "$REMOTE_CIDR"
	pod late "r$WT_ID" 10.244.200.9
	wait_until 2000 ipcache_has 10.244.200.9
	can_reach a "$(pod_ip b)"
	pod_del a
	pod_del b
}

@test "k8s: in a pod, the service account is used (KUBERNETES_SERVICE_HOST), and its rotated token is picked up" {
	k8s_node_up
	local sa=$WT_DIR/sa
	# The layout kubelet writes: files behind a ..data symlink it swaps.
	mkdir -p "$sa/..v1"
	printf '%s' "$KUBE_WEFTD_TOKEN" >"$sa/..v1/token"
	cp "$KUBE_DIR/certs/apiserver.crt" "$sa/..v1/ca.crt"
	ln -s ..v1 "$sa/..data"
	ln -s ..data/token "$sa/token"
	ln -s ..data/ca.crt "$sa/ca.crt"
	# A private mount namespace puts it at the in-cluster path for weftd only.
	nsenter --net="$NODE_NS" unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io &&
		ln -s "$0" /run/secrets/kubernetes.io/serviceaccount && exec "$@"' "$sa" \
		env KUBERNETES_SERVICE_HOST=$KUBE_IP KUBERNETES_SERVICE_PORT="${KUBE_SERVER##*:}" \
		"$WEFTD" --node-name "$NODE" --state-dir "$STATE" --bpffs "$BPFFS" --socket "$SOCK" \
		--bpf-dir "$OUTPUT/bpf" --log-level debug >>"$WT_DIR/weftd.log" 2>&1 &
	echo $! >"$WT_DIR/weftd.pid"
	wait_until 10000 k8s_ready || { cat "$WT_DIR/weftd.log"; false; }
	[[ $(st .cluster.credentials) == "in-cluster service account"* ]]
	# kubelet rotates the token; the server stops taking the old one.
	mkdir "$sa/..v2"
	printf '%s' "$KUBE_WEFTD_TOKEN2" >"$sa/..v2/token"
	cp "$sa/..v1/ca.crt" "$sa/..v2/ca.crt"
	ln -s ..v2 "$sa/..tmp" && mv -T "$sa/..tmp" "$sa/..data"
	TOKENS_CHANGED=1
	kube_stop
	KEEP_DATA=1 kube_start "$KUBE_WEFTD_TOKEN2"
	local code
	code=$(kapi_as "$KUBE_WEFTD_TOKEN" /api/v1/nodes)
	[ "$code" = 401 ] || { echo "the old token got HTTP $code"; false; }
	wait_until 35000 k8s_connected true || { cat "$WT_DIR/weftd.log"; false; }
	grep -q "token file .* changed; using the new token" "$WT_DIR/weftd.log"
	kube_node "r$WT_ID" "$REMOTE_IP" "$REMOTE_CIDR"
	pod rot "r$WT_ID" 10.244.200.11
	wait_until 2000 ipcache_has 10.244.200.11
}
