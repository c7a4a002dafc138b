#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftctl ct, ipcache and identities on the netpol cluster (netpol.bash: two
# nodes, namespaces x, y, z with pods a, b, c): what the kernel's maps hold,
# with pods, identities and nodes named.

load helpers
load cluster
load netpol

setup() { netpol_up; }
teardown() { netpol_teardown; }

# ctl NODE ARGS...: weftctl on node NODE.
ctl() { cl_weftctl "$1" "${@:2}"; }

@test "weftctl ct: a held TCP connection is an established flow with both pods named and counters each way" {
	# x/a on node 1 holds a connection to x/b on node 2, port 80.
	np_hold_start h x/a x/b 80
	sleep 1
	local flow
	# The fixture's probes left closed flows on the same pair and port
	# behind: the held one is the only one still established.
	flow=$(ctl 1 -o json ct | jq -c --arg s "${NP_IP[x/a]}" --arg d "${NP_IP[x/b]}" \
		'[.entries[] | select(.protocol == "tcp" and .src == $s and .dst == $d and .dport == 80
			and .state == "established")]')
	[ "$(jq length <<<"$flow")" = 1 ]
	flow=$(jq -c '.[0]' <<<"$flow")
	[ "$(jq -r .srcPod <<<"$flow")" = x/a ]
	# x/b is on the other node: not a local endpoint of node 1.
	[ "$(jq -r '.dstPod // "none"' <<<"$flow")" = none ]
	(($(jq '.packets.forward' <<<"$flow") >= 2 && $(jq '.packets.reverse' <<<"$flow") >= 1))
	(($(jq '.bytes.forward' <<<"$flow") > 0))
	[ "$(jq -r '.flags | index("replied") != null' <<<"$flow")" = true ]
	# A live TCP flow lives for hours, less what passed since its last packet.
	(($(jq '.expiresIn | floor' <<<"$flow") > 21000))
	# Node 2 saw the same flow arrive: dstPod named there.
	[ "$(ctl 2 -o json ct | jq -r --arg s "${NP_IP[x/a]}" --arg d "${NP_IP[x/b]}" \
		'[.entries[] | select(.src == $s and .dst == $d and .dport == 80) | .dstPod] | unique | .[]')" = x/b ]
	run ctl 1 ct
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "PROTO"*"SOURCE"*"DESTINATION"*"STATE"*"EXPIRES"* ]]
	[[ $output == *"tcp"*"${NP_IP[x/a]}:"*"(x/a)"*"${NP_IP[x/b]}:80"*"established"* ]]
	np_hold_stop h
}

@test "weftctl ipcache: remote pods with their node as tunnel and their identity named, the other node's range and address" {
	local ipc row n2
	ipc=$(ctl 1 -o json ipcache)
	n2=$(cl_node_ip 2)
	row=$(jq -c --arg p "${NP_IP[x/b]}/32" '.entries[] | select(.prefix == $p)' <<<"$ipc")
	[ "$(jq -r .tunnel <<<"$row")" = "$n2" ]
	[ "$(jq -r '.peer.kind + " " + .peer.namespace + " " + .peer.labels.pod' <<<"$row")" = "pods x b" ]
	# A local pod: no tunnel, flagged local.
	row=$(jq -c --arg p "${NP_IP[x/a]}/32" '.entries[] | select(.prefix == $p)' <<<"$ipc")
	[ "$(jq -r '.tunnel // "none"' <<<"$row")" = none ]
	[ "$(jq -r '.flags | index("local") != null' <<<"$row")" = true ]
	# Node 2's pod range goes through its tunnel; its own address is a remote node.
	row=$(jq -c --arg p "$(cl_node_cidr 2)" '.entries[] | select(.prefix == $p)' <<<"$ipc")
	[ "$(jq -r '.tunnel + " " + (.flags | join(","))' <<<"$row")" = "$n2 pod-cidr" ]
	row=$(jq -c --arg p "$n2/32" '.entries[] | select(.prefix == $p)' <<<"$ipc")
	[ "$(jq -r .peer.kind <<<"$row")" = remote-node ]
	run ctl 1 ipcache
	[[ ${lines[0]} == "PREFIX"*"IDENTITY"*"PEER"*"TUNNEL"*"FLAGS"* ]]
	[[ $output == *"${NP_IP[x/b]}/32"*"x:"*"pod=b"*"$n2"* ]]
}

@test "weftctl identities: the reserved ones and one per namespace and label set, as the ipcache uses them" {
	local ids id
	ids=$(ctl 1 -o json identities)
	[ "$(jq -c '[.identities[] | select(.identity < 256) | .kind]' <<<"$ids")" = '["host","world","remote-node"]' ]
	# Nine pods of distinct (namespace, labels): nine pod identities.
	[ "$(jq '[.identities[] | select(.kind == "pods")] | length' <<<"$ids")" -ge 9 ]
	id=$(ctl 1 -o json ipcache | jq -r --arg p "${NP_IP[y/c]}/32" '.entries[] | select(.prefix == $p) | .identity')
	[ "$(jq -r --argjson id "$id" '.identities[] | select(.identity == $id) | .namespace + "/" + .labels.pod' <<<"$ids")" = y/c ]
	run ctl 1 identities
	[[ ${lines[0]} == "IDENTITY"*"KIND"*"WHAT"* ]]
	[[ $output == *"$id"*"pods"*"y:"*"pod=c"* ]]
	# weftctl policy's table, on the same table code: no policy, open.
	run ctl 1 policy x/a
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "endpoint "*" (x/a): open, identity "* ]]
	[[ ${lines[1]} == "DIRECTION"*"PEER"*"PROTOCOL"*"PORTS"*"POLICY" ]]
	[[ $output == *"(no policy selects it: open)"* ]]
}
