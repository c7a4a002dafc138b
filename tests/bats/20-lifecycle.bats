#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ADD, DEL, CHECK, GC, STATUS and VERSION against a real weftd.

load helpers

setup() { node_up; }
teardown() { wt_teardown; }

@test "DEL leaves no veth, pin, map entry or IP allocation" {
	pod_add a
	[ "$(host_veths_count)" -eq 1 ]
	[ "$(pins_count)" -gt 0 ]
	[ "$(endpoint_map_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	pod_del a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	assert_nothing_left
	# the pod side is gone with its veth
	run in_pod a ip link show eth0
	[ "$status" -ne 0 ]
}

@test "DEL is idempotent: twice, with an empty CNI_NETNS, after the netns is gone" {
	pod_add a
	pod_del a
	[ "$status" -eq 0 ]
	pod_del a
	[ "$status" -eq 0 ]
	# containerd's second DEL comes with an empty CNI_NETNS
	cni DEL "cid-$WT_ID-a" "" eth0
	[ "$status" -eq 0 ]
	pod_add b
	ip netns del "$WT_ID-b"
	cni DEL "cid-$WT_ID-b" "/run/netns/$WT_ID-b" eth0
	[ "$status" -eq 0 ]
	assert_nothing_left
	# a container weft never saw
	cni DEL "never-added" "" eth0
	[ "$status" -eq 0 ]
}

@test "ADD after DEL reuses nothing stale" {
	pod_add a
	local first_ip first_id
	first_ip=$(pod_ip a)
	first_id=$("$WEFTCTL" --socket "$SOCK" -o json endpoints | jq '.endpoints[0].id')
	pod_del a
	ip netns del "$WT_ID-a"
	pod_add a
	# a new address (round robin), a new endpoint, programs attached, traffic flows
	[ "$(pod_ip a)" != "$first_ip" ]
	run "$WEFTCTL" --socket "$SOCK" -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq 1 ]
	[ "$(jq '.endpoints[0].id' <<<"$output")" != "$first_id" ]
	[ "$(jq -r '.endpoints[0].attached' <<<"$output")" = true ]
	[ "$(endpoint_map_count)" -eq 1 ]
	in_node ping -c 1 -W 2 "$(pod_ip a)"
}

# check_conf POD: the config with the ADD result as prevResult
check_conf() {
	jq --argjson prev "$1" '. + {prevResult: $prev}' <<<"$(net_conf)"
}

@test "CHECK passes, then fails after the veth is tampered with" {
	pod_add a
	local prev=$output
	CONF=$(check_conf "$prev") cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -eq 0 ]
	# the pod's address removed
	in_pod a ip addr flush dev eth0
	CONF=$(check_conf "$prev") cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 102 ]
	[[ $output == *"$(pod_ip a)"* ]]
}

@test "CHECK fails when the host veth is down or its programs are not the pinned ones" {
	pod_add a
	local prev_a=$output
	in_node ip link set "$(host_veth)" down
	CONF=$(check_conf "$prev_a") cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 102 ]
	pod_del a

	pod_add b
	local prev_b=$output
	CONF=$(check_conf "$prev_b") cni CHECK "cid-$WT_ID-b" "/run/netns/$WT_ID-b" eth0
	[ "$status" -eq 0 ]
	# weftd puts a removed filter back at once (22-repair); a pin that
	# names another program than the filter runs is what it cannot mend
	local pins=("$BPFFS"/endpoints/*)
	rm "${pins[0]}/from_pod"
	bpftool prog pin id "$(bpftool -j prog show pinned "${pins[0]}/to_pod" | jq .id)" "${pins[0]}/from_pod"
	CONF=$(check_conf "$prev_b") cni CHECK "cid-$WT_ID-b" "/run/netns/$WT_ID-b" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 102 ]
	[[ $output == *attach* ]]
}

@test "CHECK needs a prevResult and CNI >= 0.4.0" {
	pod_add a
	cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 7 ]
	CONF=$(net_conf 0.3.1) cni CHECK "cid-$WT_ID-a" "/run/netns/$WT_ID-a" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 1 ]
}

@test "ADD answers in every supported CNI version" {
	local v n=0
	for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
		n=$((n + 1))
		local ns
		ns=$(pod_netns_add "v$n")
		CONF=$(net_conf "$v") cni ADD "cid-$WT_ID-v$n" "/run/netns/$ns" eth0
		[ "$status" -eq 0 ]
		[ "$(jq -r .cniVersion <<<"$output")" = "$v" ]
		if [[ $v == 0.* ]]; then
			[ "$(jq -r '.ips[0].version' <<<"$output")" = 4 ]
		else
			[ "$(jq -r '.ips[0].version' <<<"$output")" = null ]
		fi
		[ "$(jq -r '.ips[0].gateway' <<<"$output")" = 169.254.1.1 ]
		[ "$(jq -r '.interfaces[.ips[0].interface].sandbox' <<<"$output")" = "/run/netns/$ns" ]
	done
	for v in 1 2 3 4 5; do
		cni DEL "cid-$WT_ID-v$v" "/run/netns/$WT_ID-v$v" eth0
		[ "$status" -eq 0 ]
	done
	assert_nothing_left
}

@test "GC removes every attachment not in cni.dev/valid-attachments" {
	pod_add a
	pod_add b
	pod_add c
	local conf
	conf=$(jq --arg keep "cid-$WT_ID-b" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: $keep, ifname: "eth0"}]}' \
		<<<"$(net_conf)")
	CONF=$conf cni GC "" "" ""
	[ "$status" -eq 0 ]
	run "$WEFTCTL" --socket "$SOCK" -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.endpoints[0].containerID' <<<"$output")" = "cid-$WT_ID-b" ]
	[ "$(host_veths_count)" -eq 1 ]
	[ "$(endpoint_map_count)" -eq 1 ]
	[ "$(ipam_count)" -eq 1 ]
	in_node ping -c 1 -W 2 "$(pod_ip b)"
}

@test "GC of one weft network leaves another network's pods on the same weftd alone" {
	pod_add a
	# b joins a second weft network served by the same weftd.
	local net2 ns
	net2=$(net_conf | jq '.name = "weftnet2"')
	ns=$(pod_netns_add b)
	CONF=$net2 cni ADD "cid-$WT_ID-b" "/run/netns/$ns" eth0
	[ "$status" -eq 0 ]
	local ip_b
	ip_b=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
	# weftnet's GC lists only a: b is not weftnet's to remove.
	CONF=$(jq --arg a "cid-$WT_ID-a" \
		'. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: $a, ifname: "eth0"}]}' \
		<<<"$(net_conf)") cni GC "" "" ""
	[ "$status" -eq 0 ]
	[ "$(host_veths_count)" -eq 2 ]
	[ "$(endpoint_map_count)" -eq 2 ]
	[ "$(ipam_count)" -eq 2 ]
	in_node ping -c 1 -W 2 "$ip_b"
	# weftnet2's GC with nothing valid removes b, and only b.
	CONF=$(jq '. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": []}' <<<"$net2") cni GC "" "" ""
	[ "$status" -eq 0 ]
	run "$WEFTCTL" --socket "$SOCK" -o json endpoints
	[ "$(jq -r '[.endpoints[].containerID] | join(",")' <<<"$output")" = "cid-$WT_ID-a" ]
	[ "$(host_veths_count)" -eq 1 ]
	in_node ping -c 1 -W 2 "$(pod_ip a)"
}

@test "a network name libcni would refuse is refused, naming the field" {
	CONF=$(net_conf | jq '.name = "my net"') cni ADD "cid-$WT_ID-x" "/run/netns/none" eth0
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 7 ]
	[[ $(jq -r '.details' <<<"$output") == *name* ]]
}

@test "STATUS reports ready, and code 50 when weftd is gone" {
	CONF=$(net_conf 1.1.0) cni STATUS "" "" ""
	[ "$status" -eq 0 ]
	weftd_stop
	CONF=$(net_conf 1.1.0) cni STATUS "" "" ""
	[ "$status" -ne 0 ]
	[ "$(cni_code)" -eq 50 ]
	[[ $(jq -r '.msg + " " + .details' <<<"$output") == *"$SOCK"* ]]
}

@test "VERSION lists the supported versions" {
	CONF='{"cniVersion": "1.1.0"}' cni VERSION "" "" ""
	[ "$status" -eq 0 ]
	[ "$(jq -c .supportedVersions <<<"$output")" = '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' ]
}

@test "weftd restart keeps pods talking and serves their endpoints again" {
	pod_add a
	pod_add b
	weftd_stop
	# the datapath does not depend on weftd
	in_pod a ping -c 2 -i 0.2 -W 2 "$(pod_ip b)"
	weftd_start
	run "$WEFTCTL" --socket "$SOCK" -o json endpoints
	[ "$(jq '.endpoints | length' <<<"$output")" -eq 2 ]
	[ "$(jq -r '[.endpoints[].attached] | all' <<<"$output")" = true ]
	pod_del a
	pod_del b
	assert_nothing_left
}
