#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftctl explain (issue 10): the programs attached now, run on a built
# packet with BPF_PROG_TEST_RUN, give the verdict the real packet gets. On
# the NetworkPolicy fixture (tests/bats/netpol.bash), under an ingress and an
# egress policy: every cell of the reachability matrix (TCP and UDP, ports 80
# and 81, pod to pod and pod to the external host) explained, against the
# real probe of the same round. A same-node cell is one run on the node; a
# cross-node cell is explain on the source's node (to the overlay) and on
# the destination's (from the overlay into the pod), dropped when either
# half is. And the explain runs leave no trace: no conntrack entry, no
# counter.

load helpers
load cluster
load netpol

teardown() {
	if [[ -v NP_PODS ]]; then netpol_teardown; else wt_teardown; fi
}

# ex_verdict NODE FROM TO PROTO PORT: forwarded or dropped, and "complete"
# (true/false), from NODE's weftd.
ex_verdict() {
	cl_weftctl "$1" -o json explain --from "$2" --to "$3" --proto "$4" --port "$5" |
		jq -r '"\(.verdict) \(.complete)"'
}

# ex_cell FROM TO PROTO PORT: allow or deny, as explain on the nodes
# concerned says.
ex_cell() {
	local from=$1 to=$2 proto=$3 port=$4 src=${NP_NODE[$1]} dst v c
	read -r v c < <(ex_verdict "$src" "$from" "${NP_IP[$to]}" "$proto" "$port")
	[[ $v == dropped ]] && { echo deny; return; }
	dst=${NP_NODE[$to]:-}
	if [[ $c == false && -n $dst && $dst != "$src" ]]; then
		read -r v c < <(ex_verdict "$dst" "$from" "${NP_IP[$to]}" "$proto" "$port")
		[[ $v == dropped ]] && { echo deny; return; }
	fi
	echo allow
}

# ex_trace NODE: what a run could leave on NODE: conntrack flows with their
# packet counts and checked revisions (not their time left), and the
# counters.
ex_trace() {
	cl_weftctl "$1" -o json ct |
		jq -r '.entries[] | "\(.protocol) \(.src):\(.sport) \(.dst):\(.dport) \(.packets.forward) \(.packets.reverse) \(.revisionEgress) \(.revisionIngress)"' |
		sort >"$WT_DIR/np/ct$1.$2"
	cl_weftctl "$1" -o json metrics | jq -S .metrics >"$WT_DIR/np/metrics$1.$2"
}

# ex_x_policies: namespace x denies ingress but y/b -> x/a TCP 80 (as
# 77-flows), and the matrix expects it.
ex_x_policies() {
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	netpol_apply allow-yb x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
		"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80, "protocol": "TCP"}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow 'y/b' 'x/a' tcp 80
}

@test "explain: every cell of the policy matrix as the real probe, and no trace left" {
	netpol_up
	ex_x_policies
	netpol_apply egress-zc z '{"podSelector": {"matchLabels": {"pod": "c"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
		"ports": [{"port": 81}]}]}'
	expect deny 'z/c' '*'
	expect allow 'z/c' 'y/*' tcp 81
	netpol_expect

	# The real probe, then explain for each of its cells (self: the pod's
	# own loopback never reaches the datapath, see netpol.bash).
	np_probe_round
	local from to proto port real got n=0 bad=0
	while read -r from to proto port real _; do
		[[ $from == "$to" || $proto == sctp ]] && continue
		got=$(ex_cell "$from" "$to" "$proto" "$port")
		n=$((n + 1))
		if [[ $got != "$real" ]]; then
			echo "$from -> $to $proto/$port: probe $real, explain $got" >&2
			bad=$((bad + 1))
		fi
	done <"$WT_DIR/np/got"
	np_note "explain: $n cells, $bad differ from the probe"
	((n > 300 && bad == 0))

	# A round of explains on both nodes leaves conntrack and the counters
	# as they were: no new flow, no flow touched, nothing counted. Flows
	# may expire meanwhile, so the later table is a subset of the earlier.
	ex_trace 1 before
	ex_trace 2 before
	for from in x/a y/b z/c; do
		for to in x/a x/b y/a y/c z/b "$NP_EXT"; do
			[[ $from == "$to" ]] && continue
			for proto in tcp udp; do
				ex_verdict "${NP_NODE[$from]}" "$from" "${NP_IP[$to]}" "$proto" 80 >/dev/null
				[[ -z ${NP_NODE[$to]:-} ]] ||
					ex_verdict "${NP_NODE[$to]}" "$from" "${NP_IP[$to]}" "$proto" 80 >/dev/null
			done
		done
	done
	ex_trace 1 after
	ex_trace 2 after
	for i in 1 2; do
		run comm -13 "$WT_DIR/np/ct$i.before" "$WT_DIR/np/ct$i.after"
		[[ -z $output ]] || {
			echo "node $i: conntrack entries new or changed after explain: $output" >&2
			false
		}
		! grep -q ':47000 ' "$WT_DIR/np/ct$i.after"
		diff "$WT_DIR/np/metrics$i.before" "$WT_DIR/np/metrics$i.after"
	done
}

@test "explain: the hops, the program ids the links hold, the policy that decided" {
	netpol_up
	ex_x_policies
	netpol_expect

	# Same node (node 1: x/a, x/c, y/b, z/a, z/c): both hops in one run.
	run cl_weftctl 1 -o json explain --from y/b --to x/a --proto tcp --port 80
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "forwarded" and .complete and (.hops | length) == 2'
	echo "$output" | jq -e '.hops[0].program == "weft_from_pod" and .hops[0].reason == "forward-local"'
	echo "$output" | jq -e '.hops[1].program == "weft_to_pod_local" and .hops[1].reason == "deliver-to-pod"'
	echo "$output" | jq -e '.hops[1].policy.name == "x/allow-yb" and .hops[1].policy.rule == "ingress[0]"'
	# The program ids are the ones the endpoints run.
	local id
	id=$(echo "$output" | jq '.hops[0].programId')
	cl_weftctl 1 -o json endpoints | jq -e --argjson id "$id" '[.. | numbers | select(. == $id)] | length > 0'

	run cl_weftctl 1 -o json explain --from y/b --to x/a --proto tcp --port 81
	echo "$output" | jq -e '.verdict == "dropped" and .hops[1].reason == "drop-policy-denied"'
	echo "$output" | jq -e '.hops[1].policy.explanation | test("^selected by 2 policies for ingress, none allows TCP/81 from identity [0-9]+ \\(y/b\\)")'

	# Cross node: y/a (node 2) to x/a (node 1), each node its own half.
	run cl_weftctl 2 -o json explain --from y/a --to x/a --proto tcp --port 80
	echo "$output" | jq -e '.verdict == "forwarded" and (.complete | not) and .hops[0].reason == "forward-tunnel"'
	echo "$output" | jq -e '.hops[0].next | test("tunnel to node")'
	run cl_weftctl 1 -o json explain --from y/a --to x/a --proto tcp --port 80
	echo "$output" | jq -e '.hops[0].program == "weft_from_overlay" and .hops[1].reason == "drop-policy-denied"'

	# The table, and the errors.
	run cl_weftctl 1 explain --from y/b --to x/a --port 80
	[ "$status" -eq 0 ]
	[[ $output == *"weft_to_pod_local#"*"x/allow-yb ingress[0]"* ]]
	[[ $output == *"verdict: forwarded"* ]]
	local line
	while IFS= read -r line; do np_note "$line"; done <<<"$output"
	run cl_weftctl 1 explain --from y/b --port 80
	[ "$status" -eq 2 ]
	run cl_weftctl 1 explain --from y/b --to x/a --proto sctp --port 80
	[ "$status" -eq 1 ]
	run cl_weftctl 1 ct --from y/b
	[ "$status" -eq 2 ]
}
