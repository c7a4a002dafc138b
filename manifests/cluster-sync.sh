#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# weft-cluster-sync: the bridge until weftd has its own Kubernetes API source.
# Lists what weftd's cluster model needs from the API server, every INTERVAL
# seconds, and replaces FILE atomically (write + rename, which weftd's inotify
# watch expects) only when the content changed, so weftd applies a difference
# only when there is one.
#   weft-cluster-sync FILE [INTERVAL]
# Runs as the DaemonSet's sidecar with the weft ServiceAccount (in-cluster
# kubectl config); RBAC: get/list nodes, namespaces, pods, networkpolicies.
set -eu
file=${1:?usage: weft-cluster-sync FILE [INTERVAL]}
interval=${2:-1}
tmp="$file.sync.tmp"
while :; do
	if kubectl get nodes,namespaces,pods,networkpolicies --all-namespaces -o json >"$tmp" 2>"$tmp.err"; then
		if cmp -s "$tmp" "$file"; then
			rm -f "$tmp"
		else
			mv -f "$tmp" "$file"
		fi
	else
		# Keep the last good file: weftd keeps its state, and says so here.
		echo "weft-cluster-sync: kubectl failed: $(cat "$tmp.err")" >&2
		rm -f "$tmp"
	fi
	rm -f "$tmp.err"
	sleep "$interval"
done
