#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's Kubernetes API source against a stand-in server
# (tests/tools/kube_standin.py), for what a real API server cannot be made to
# do on demand: a watch connection cut in the middle of an event, and a
# bookmark at a chosen resourceVersion. The stand-in serves HTTPS on the node
# namespace's loopback; everything else is in 90-k8s-api.bats.

load helpers
load cluster

STANDIN=$BATS_TEST_DIRNAME/../tools/kube_standin.py

setup() {
	for what in python3 openssl; do
		command -v "$what" >/dev/null || skip "no $what"
	done
	node_setup
	# The stand-in's node-00000 has InternalIP 172.16.0.1.
	in_node ip addr add 172.16.0.1/32 dev lo
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=standin \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$WT_DIR/key.pem" -out "$WT_DIR/cert.pem" 2>/dev/null
	cat >"$WT_DIR/kubeconfig" <<-YAML
	current-context: s
	contexts: [{name: s, context: {cluster: s, user: u}}]
	clusters: [{name: s, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$WT_DIR/cert.pem"}}]
	users: [{name: u, user: {token: t}}]
	YAML
}

teardown() {
	[[ -n ${SRV_PID:-} ]] && kill "$SRV_PID" 2>/dev/null
	wt_teardown
}

# standin ARGS...: the stand-in in the node, serving once it says ready.
standin() {
	# nsenter execs python: $! is the server itself, which teardown ends.
	nsenter --net="$NODE_NS" python3 "$STANDIN" --cert "$WT_DIR/cert.pem" --key "$WT_DIR/key.pem" --port 6443 \
		--nodes 2 --pods 10 "$@" >"$WT_DIR/standin.log" 2>&1 &
	SRV_PID=$!
	wait_until 10000 grep -q ready "$WT_DIR/standin.log"
}

weftd_up_k8s() {
	nsenter --net="$NODE_NS" "$WEFTD" --node-name node-00000 --kubeconfig "$WT_DIR/kubeconfig" \
		--state-dir "$STATE" --bpffs "$BPFFS" --socket "$SOCK" --bpf-dir "$OUTPUT/bpf" \
		--log-level debug >>"$WT_DIR/weftd.log" 2>&1 &
	echo $! >"$WT_DIR/weftd.pid"
	wait_until 10000 eval '[[ $("$WEFTCTL" --socket "$SOCK" -o json status 2>/dev/null | jq -r .ready) == true ]]' ||
		{ cat "$WT_DIR/weftd.log"; false; }
}

pod_events() { "$WEFTCTL" --socket "$SOCK" -o json status | jq -r .cluster.kinds.pods.events; }

@test "k8s stand-in: a watch cut in the middle of an event: the half event is dropped, the watch resumes from the last whole one" {
	standin --event-every 0.2 --cut-after 3
	weftd_up_k8s
	wait_until 5000 grep -q "the watch ended in the middle of an event; resuming from resourceVersion 1003" \
		"$WT_DIR/weftd.log" || { cat "$WT_DIR/weftd.log"; false; }
	# The list said 1000; events 1001-1003 came whole, the fourth half.
	grep -q "watch pods resourceVersion=1000" "$WT_DIR/standin.log"
	wait_until 3000 grep -q "watch pods resourceVersion=1003" "$WT_DIR/standin.log"
	[ "$(pod_events)" -ge 3 ]
	! grep -qE "watch event|left out of the model" "$WT_DIR/weftd.log"
	[ "$("$WEFTCTL" --socket "$SOCK" -o json status | jq -r .cluster.objects.pods)" = 10 ]
}

@test "k8s stand-in: a bookmark moves the resume point: the next watch starts from its resourceVersion" {
	standin --bookmark-rv 5555 --event-every 0.2 --cut-after 0
	weftd_up_k8s
	wait_until 5000 grep -q "watch pods resourceVersion=5555" "$WT_DIR/standin.log" ||
		{ cat "$WT_DIR/standin.log" "$WT_DIR/weftd.log"; false; }
	[ "$(pod_events)" = 0 ]
}

@test "k8s stand-in: a server that refuses the streaming list (as v1.24 does) gets paginated lists; one that offers it streams them" {
	standin
	weftd_up_k8s
	grep -q "pods: the server offers no streaming list (HTTP 422: resourceVersionMatch is forbidden for watch); using paginated lists" \
		"$WT_DIR/weftd.log"
	grep -q "watch pods resourceVersion=1000$" "$WT_DIR/standin.log"
	weftd_stop
	kill "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null || true
	mv "$WT_DIR/weftd.log" "$WT_DIR/weftd-paginated.log"
	standin --watch-list
	weftd_up_k8s
	grep -q "watch pods resourceVersion= sendInitialEvents" "$WT_DIR/standin.log"
	! grep -q "offers no streaming list" "$WT_DIR/weftd.log"
	[ "$("$WEFTCTL" --socket "$SOCK" -o json status | jq -r .cluster.objects.pods)" = 10 ]
	[ "$("$WEFTCTL" --socket "$SOCK" -o json status | jq -r .cluster.objects.nodes)" = 2 ]
}

@test "k8s stand-in: a continue token that expired between two pages: the list starts again, nothing lost or doubled" {
	nsenter --net="$NODE_NS" python3 "$STANDIN" --cert "$WT_DIR/cert.pem" --key "$WT_DIR/key.pem" \
		--port 6443 --nodes 2 --pods 1200 --expire-continue 500 >"$WT_DIR/standin.log" 2>&1 &
	SRV_PID=$!
	wait_until 10000 grep -q ready "$WT_DIR/standin.log"
	weftd_up_k8s
	grep -q "pods: the list's continue token expired; listing again from the start" "$WT_DIR/weftd.log"
	# Pages: 0, 500 (expired), then 0, 500, 1000 again.
	[ "$(grep -c "list pods continue=500" "$WT_DIR/standin.log")" = 2 ]
	[ "$("$WEFTCTL" --socket "$SOCK" -o json status | jq -r .cluster.objects.pods)" = 1200 ]
}

@test "k8s: a kubeconfig weftd refuses (insecure TLS) stops it at start, naming the field, before it changes anything" {
	cat >"$WT_DIR/kubeconfig" <<-YAML
	current-context: s
	contexts: [{name: s, context: {cluster: s, user: u}}]
	clusters: [{name: s, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
	users: [{name: u, user: {token: t}}]
	YAML
	run nsenter --net="$NODE_NS" "$WEFTD" --node-name n --kubeconfig "$WT_DIR/kubeconfig" \
		--state-dir "$STATE" --bpffs "$BPFFS" --socket "$SOCK" --bpf-dir "$OUTPUT/bpf"
	[ "$status" -eq 1 ]
	[[ $output == *"insecure-skip-tls-verify: weftd always verifies"* ]]
	[ -z "$(ls -A "$STATE")" ] && [ ! -S "$SOCK" ]
	run nsenter --net="$NODE_NS" "$WEFTD" --cluster-file "$WT_DIR/c.json" --kubeconfig "$WT_DIR/kubeconfig"
	[ "$status" -eq 2 ]
	[[ $output == *"one cluster source only"* ]]
}
