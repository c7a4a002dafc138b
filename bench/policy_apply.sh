#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# NetworkPolicy compile-and-apply time on one node (figures, not a test):
#
#   cold    1,000 policies over 1,000 pods arrive in one cluster-file write
#           (the pods are already known, the node runs LOCAL endpoints)
#   change  one of those policies changes one port
#
# Each is reported twice: the engine's own compile-and-write time for the
# batch (weftctl status: policy.lastFlush.us, which covers compiling every
# affected endpoint, writing the entries that differ, the ipBlock trie and
# the revision) and the wall time from the file's rename to the revision
# moving (adds reading, parsing and diffing the whole 2,000-object file, which
# a watch source would not, and the 5 ms poll).
#
#   bench/policy_apply.sh      LOCAL=20 PODS=1000 POLICIES=1000 NS=10
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export WEFT_SRC=$PWD
bats_require_minimum_version() { :; } # helpers.bash is written for bats
. tests/bats/helpers.bash
. tests/bats/cluster.bash
trap 'cluster_down; bench_cleanup' EXIT

LOCAL=${LOCAL:-20}
PODS=${PODS:-1000}
POLICIES=${POLICIES:-1000}
NS=${NS:-10}

status() { cl_weftctl 1 -o json status; }

# write_timed: render the cluster file (jq over every object takes longer
# than weftd's work), then start the clock at the rename weftd sees.
write_timed() {
	local tmp
	tmp=$(mktemp "$WT_DIR/.cluster.json.XXXXXX")
	jq -s '{apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: .}' \
		"$WT_DIR"/objects/*.json >"$tmp"
	t0=$(now_ms)
	mv -f "$tmp" "$CL_FILE"
}
revision() { status | jq -r '.policy.revision'; }

# wait_revision OLD: until the revision differs from OLD; prints the ms taken
# from $t0.
wait_revision() {
	local old=$1 deadline=$(($(now_ms) + 30000))
	while [[ $(revision) == "$old" ]]; do
		(($(now_ms) < deadline)) || {
			echo "the policy revision did not move in 30 s" >&2
			return 1
		}
		sleep 0.005
	done
	echo $(($(now_ms) - t0))
}

# The remote pods: one file of many objects (cluster_file_write reads every
# JSON value of every file), on a node that is not this one.
remote_pods() {
	jq -n -c --argjson n "$((PODS - LOCAL))" --argjson ns "$NS" '
		range(0; $n) as $i |
		{apiVersion: "v1", kind: "Pod",
		 metadata: {name: "r\($i)", namespace: "ns\($i % $ns)", uid: "uid-r\($i)",
			labels: {app: "app\($i % 25)", tier: (if $i % 3 == 0 then "web" else "db" end)}},
		 spec: {nodeName: "elsewhere", containers: [{name: "c", image: "none",
			ports: [{name: "http", containerPort: (8000 + $i % 7), protocol: "TCP"}]}]},
		 status: {phase: "Running", podIP: "10.250.\($i / 250 | floor).\($i % 250 + 1)",
			podIPs: [{ip: "10.250.\($i / 250 | floor).\($i % 250 + 1)"}]}}'
}

# Policies of several shapes: peers by pod and namespace labels, numeric,
# named and ranged ports, ipBlocks with excepts, both directions.
policies() {
	local change=${1:--1}
	jq -n -c --argjson n "$POLICIES" --argjson ns "$NS" --argjson change "$change" '
		range(0; $n) as $i |
		{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		 metadata: {name: "p\($i)", namespace: "ns\($i % $ns)"},
		 spec: {podSelector: {matchLabels: {app: "app\($i % 25)"}},
			policyTypes: ["Ingress", "Egress"],
			ingress: [
			  {from: [{podSelector: {matchLabels: {tier: "web"}}},
				  {namespaceSelector: {matchLabels: {team: "t\($i % 4)"}},
				   podSelector: {matchExpressions: [{key: "app", operator: "In",
					values: ["app\($i % 25)", "app\(($i + 1) % 25)"]}]}}],
			   ports: [{protocol: "TCP", port: (if $i == $change then 9999 else 80 + $i % 50 end)},
				   {protocol: "UDP", port: 5000, endPort: (5000 + $i % 100)},
				   {port: "http"}]},
			  {from: [{ipBlock: {cidr: "172.\(16 + $i % 16).0.0/16",
				except: ["172.\(16 + $i % 16).\($i % 256).0/24"]}}]}],
			egress: [
			  {to: [{namespaceSelector: {}, podSelector: {matchLabels: {tier: "db"}}}],
			   ports: [{protocol: "TCP", port: 5432}, {port: "http"}]},
			  {to: [{ipBlock: {cidr: "0.0.0.0/0", except: ["10.0.0.0/8"]}}]}]}}'
}

cluster_up 1
for ((k = 0; k < NS; k++)); do
	cluster_namespace_put "ns$k" "{\"team\": \"t$((k % 4))\"}"
done
for ((k = 0; k < LOCAL; k++)); do
	cluster_k8s_pod_put 1 "ns$((k % NS))" "l$k" \
		"{\"app\": \"app$((k % 25))\", \"tier\": \"$([[ $((k % 3)) == 0 ]] && echo web || echo db)\"}" \
		'[{"name": "c", "image": "none", "ports": [{"name": "http", "containerPort": 8080}]}]'
done
cluster_file_write
for ((k = 0; k < LOCAL; k++)); do
	ip=$(cluster_k8s_pod_cni_add 1 "ns$((k % NS))" "l$k")
	cluster_k8s_pod_running "ns$((k % NS))" "l$k" "$ip"
done
remote_pods >"$WT_DIR/objects/31-remote-pods.json"
cluster_file_write
sleep 1

rev=$(revision)
policies >"$WT_DIR/objects/40-policies.json"
write_timed
cold_wall=$(wait_revision "$rev")
sleep 0.5
st=$(status)
cold_us=$(jq -r '.policy.lastFlush.us' <<<"$st")
cold_eps=$(jq -r '.policy.lastFlush.endpoints' <<<"$st")
entries=$(jq '[.policy.endpoints[].entries] | add' <<<"$st")

rev=$(revision)
policies 7 >"$WT_DIR/objects/40-policies.json"
write_timed
change_wall=$(wait_revision "$rev")
sleep 0.5
st=$(status)
change_us=$(jq -r '.policy.lastFlush.us' <<<"$st")
change_eps=$(jq -r '.policy.lastFlush.endpoints' <<<"$st")

echo "NetworkPolicy compile and apply: $POLICIES policies, $PODS pods ($LOCAL on this node), $NS namespaces"
printf '%-8s %10s %16s %18s\n' "" "endpoints" "engine (ms)" "file to map (ms)"
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
printf '%-8s %10s %16s %18s\n' cold "$cold_eps" "$(ms "$cold_us")" "$cold_wall"
printf '%-8s %10s %16s %18s\n' change "$change_eps" "$(ms "$change_us")" "$change_wall"
echo "policy map entries on the node's endpoints: $entries"
echo "targets: cold < 1000 ms, one change < 100 ms"
# What one endpoint's map holds now, as weftctl prints it (first rows).
echo
cl_weftctl 1 policy ns0/l0 | head -8
