#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# manifests/cluster-sync.sh, the DaemonSet's sidecar that writes weftd's
# cluster file from the API server, driven by a stand-in kubectl that prints
# what `kubectl get nodes,namespaces,pods,networkpolicies -A -o json` would.

load helpers
load cluster

SYNC=$BATS_TEST_DIRNAME/../../manifests/cluster-sync.sh

setup() {
	SYNC_PID=
}

# fake_kubectl: the stand-in, under $WT_DIR (made by wt_init or cluster_net_up).
fake_kubectl() {
	mkdir -p "$WT_DIR/bin"
	# The stand-in: the API's list from $WT_DIR/api.json, or a failure.
	cat >"$WT_DIR/bin/kubectl" <<-SH
	#!/bin/sh
	[ "\$*" = "get nodes,namespaces,pods,networkpolicies --all-namespaces -o json" ] || { echo "unexpected: \$*" >&2; exit 2; }
	[ -e "$WT_DIR/api-down" ] && { echo "connection refused" >&2; exit 1; }
	cat "$WT_DIR/api.json"
	SH
	chmod +x "$WT_DIR/bin/kubectl"
}

teardown() {
	[[ -n $SYNC_PID ]] && kill "$SYNC_PID" 2>/dev/null
	wt_teardown
}

sync_start() {
	PATH="$WT_DIR/bin:$PATH" "$SYNC" "$1" 0.05 2>"$WT_DIR/sync.log" &
	SYNC_PID=$!
}

node1_cidr_is() { [ "$(cl_weftctl 1 -o json status 2>/dev/null | jq -r '.podCIDR // empty')" = "$1" ]; }

# api_set ITEMS: what the stand-in API serves next (replaced whole, so the
# sync never reads half of it).
api_set() {
	jq -n --argjson items "$1" '{apiVersion: "v1", kind: "List", items: $items}' >"$WT_DIR/api.tmp"
	mv -f "$WT_DIR/api.tmp" "$WT_DIR/api.json"
}

@test "cluster-sync: the API's list lands atomically, is rewritten only on change, and survives an API outage" {
	wt_init
	fake_kubectl
	local out=$WT_DIR/cluster.json ino
	api_set '[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}]'
	sync_start "$out"
	wait_until 3000 cmp -s "$WT_DIR/api.json" "$out"
	ino=$(stat -c %i "$out")
	sleep 0.3
	# Same content: not rewritten (weftd would re-read it for nothing).
	[ "$(stat -c %i "$out")" = "$ino" ]
	api_set '[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}]'
	wait_until 3000 cmp -s "$WT_DIR/api.json" "$out"
	# A new file renamed over the old one: what weftd's inotify watch expects.
	[ "$(stat -c %i "$out")" != "$ino" ]
	touch "$WT_DIR/api-down"
	sleep 0.3
	grep -q '"b"' "$out"
	grep -q "connection refused" "$WT_DIR/sync.log"
}

@test "cluster-sync feeds weftd: its pod CIDR comes from its own Node object" {
	cluster_net_up 1
	fake_kubectl
	local dir out=$WT_DIR/synced.json
	dir=$(cl_node_dir 1)
	cp "$CL_FILE" "$WT_DIR/api.json"
	sync_start "$out"
	# weftd reads the file cluster-sync writes, not the one cluster_net_up wrote.
	CL_FILE=$out cluster_weftd_spawn 1
	wait_until 5000 node1_cidr_is "$(cl_node_cidr 1)" || { cat "$dir/weftd.log" "$WT_DIR/sync.log"; false; }
	[ "$(cl_weftctl 1 -o json status | jq -r '.overlay.nodes')" = 1 ]
	cluster_weftd_stop 1
}
