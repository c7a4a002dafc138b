#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Kubernetes NetworkPolicy end to end (issue 9), on the shape of Kubernetes'
# e2e netpol suite: 2 nodes, namespaces x, y, z with pods a, b, c in each,
# spread over both nodes (tests/bats/netpol.bash). Every case writes
# networking.k8s.io/v1 NetworkPolicy objects (and labels) into the cluster
# file, then probes every pod and the external host from every pod, over TCP
# and UDP (SCTP where the kernel has it) on ports 80 and 81, and compares the
# whole matrix with the expected one. The change must have landed within a
# second of the write (no round starting later may still differ, see
# NP_LAND_MAX_MS in netpol.bash), and the match must hold.
#
# The expectations are written the way the e2e suite writes them: start
# from everything reachable (expect_all allow), then deny or allow by
# (from, to, protocol, port) patterns, later lines winning. A pod always
# reaches itself (see netpol.bash).

load helpers
load cluster
load stream
load netpol

UDP_RATE=${UDP_RATE:-5000} # the no-loss streams; the probes run beside them
TCP_RATE=${TCP_RATE:-1000}

setup() { netpol_up; }

teardown() {
	stream_kill
	netpol_teardown
}

@test "netpol baseline: with no policy every pod reaches every pod and the external host" {
	expect_all allow
	netpol_check "no policy"
	# every pod declares the e2e suite's named ports, and "web" (81 on b)
	local want='"serve-80-tcp:80","serve-80-udp:80","serve-81-tcp:81","serve-81-udp:81",'
	((NP_SCTP)) && want+='"serve-80-sctp:80","serve-81-sctp:81",'
	run jq -c '[.items[] | select(.kind == "Pod" and .metadata.namespace == "x" and .metadata.name == "b")
		| .spec.containers[].ports[] | "\(.name):\(.containerPort)"] | sort' "$CL_FILE"
	[ "$output" = "$(jq -c sort <<<"[$want\"web:81\"]")" ]
}

# --- default deny --------------------------------------------------------------

@test "netpol: default-deny ingress isolates every pod of the namespace; its egress and the replies flow" {
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	expect_all allow
	expect deny '*' 'x/*'
	netpol_expect
}

@test "netpol: default-deny egress stops every pod of the namespace reaching pods and the world" {
	netpol_apply deny-egress x '{"podSelector": {}, "policyTypes": ["Egress"]}'
	expect_all allow
	expect deny 'x/*' '*'
	netpol_expect
}

@test "netpol: default-deny ingress and egress in one policy" {
	netpol_apply deny-all x '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect deny 'x/*' '*'
	netpol_expect
}

@test "netpol: default deny both ways plus an allow-all-ingress policy: ingress open again, egress still denied" {
	netpol_apply deny-all x '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	# one empty rule: from everywhere, every port
	netpol_apply allow-all-ingress x '{"podSelector": {}, "ingress": [{}]}'
	expect_all allow
	expect deny 'x/*' '*'
	netpol_expect
}

@test "netpol: default-deny ingress plus allow-all to one pod (e2e: allow ingress traffic for a target)" {
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	netpol_apply allow-all-to-a x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {}, "namespaceSelector": {}}]}]}'
	expect_all allow
	expect deny '*' 'x/b,x/c'
	netpol_expect
}

# --- selectors -------------------------------------------------------------------

@test "netpol: empty podSelector as target and peer: every pod of the namespace, only of it" {
	netpol_apply allow-same-ns x '{"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow 'x/*' 'x/*'
	netpol_expect
}

@test "netpol: podSelector peer: x/a only from x/b, on every port and protocol (a rule without ports)" {
	# y/b and z/b carry pod=b too: a podSelector alone means the policy's
	# own namespace
	netpol_apply x-a-allows-x-b x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'x/b' 'x/a'
	netpol_expect
}

@test "netpol: namespaceSelector peer: x/a only from namespace y" {
	netpol_apply allow-ns-y x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'y/*' 'x/a'
	netpol_expect
}

@test "netpol: namespaceSelector and podSelector in one peer mean AND" {
	netpol_apply allow-y-b x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
		                       "podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'y/b' 'x/a'
	netpol_expect
}

@test "netpol: namespaceSelector and podSelector in two peers mean OR" {
	netpol_apply allow-y-or-b x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}},
		                      {"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'y/*,x/b' 'x/a'
	netpol_expect
}

@test "netpol: empty namespaceSelector with a podSelector: that pod in every namespace" {
	netpol_apply allow-all-b x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow '*/b' 'x/a'
	netpol_expect
}

@test "netpol: matchExpressions In on both selectors" {
	netpol_apply allow-in x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{
			"namespaceSelector": {"matchExpressions": [{"key": "ns", "operator": "In", "values": ["y", "z"]}]},
			"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow '[yz]/[bc]' 'x/a'
	netpol_expect
}

@test "netpol: matchExpressions NotIn on both selectors (e2e: PodSelector or NamespaceSelector)" {
	netpol_apply allow-notin x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [
			{"namespaceSelector": {"matchExpressions": [
				{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["x"]}]}},
			{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["b"]}]}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow '[yz]/*,x/c' 'x/a'
	netpol_expect
}

@test "netpol: matchExpressions Exists on a namespace label and on a pod label" {
	ns_label_set y team blue
	pod_label_set z/c team red
	netpol_apply allow-exists x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [
			{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}},
			{"namespaceSelector": {},
			 "podSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'y/*,z/c' 'x/a'
	netpol_expect
}

@test "netpol: matchExpressions DoesNotExist on a namespace label and on a pod label" {
	ns_label_set z team blue
	pod_label_set x/b team red
	pod_label_set y/c team red
	netpol_apply allow-unlabelled x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{
			"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]},
			"podSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'x/c,y/a,y/b' 'x/a'
	netpol_expect
}

# --- policyTypes, union, both ends --------------------------------------------------

@test "netpol: policyTypes implied: a policy with only egress rules isolates ingress too" {
	# no policyTypes: Ingress is always implied, Egress because of the rules
	netpol_apply egress-to-y x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect deny 'x/a' '*'
	expect allow 'x/a' 'y/*'
	netpol_expect
}

@test "netpol: policyTypes explicit: Egress leaves ingress open; Ingress ignores the egress rules" {
	netpol_apply typed x '{"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny 'x/a' '*'
	expect allow 'x/a' 'y/*'
	netpol_expect "Egress only"
	# the same rules under policyTypes Ingress: ingress isolated with no
	# rule, the egress rules have no effect
	netpol_apply typed x '{"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Ingress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	netpol_expect "Ingress only"
}

@test "netpol: two policies selecting one pod are a union" {
	netpol_apply from-x-b-80 x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": 80}]}]}'
	netpol_apply from-y-81 x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}], "ports": [{"port": 81}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'x/b' 'x/a' tcp 80
	expect allow 'y/*' 'x/a' tcp 81
	netpol_expect
}

@test "netpol: a connection needs the client's egress and the server's ingress" {
	netpol_apply egress-to-y x '{"podSelector": {}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	netpol_apply ingress-from-x-a y '{"podSelector": {},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
		                       "podSelector": {"matchLabels": {"pod": "a"}}}]}]}'
	expect_all allow
	expect deny 'x/*' '*'
	expect deny '*' 'y/*'
	expect allow 'x/a' 'y/*'
	netpol_expect
}

@test "netpol: egress rule without ports: every port and protocol to the peers" {
	netpol_apply egress-to-y x '{"podSelector": {}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny 'x/*' '*'
	expect allow 'x/*' 'y/*'
	netpol_expect
}

# --- ports -------------------------------------------------------------------------

@test "netpol: numeric port without a protocol means TCP; empty namespaceSelector means every pod" {
	netpol_apply tcp-81 x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 81}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow '*' 'x/a' tcp 81
	netpol_expect
}

@test "netpol: numeric ports per protocol, from anywhere (a rule without from)" {
	netpol_apply ports x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"ports": [{"protocol": "TCP", "port": 80}, {"protocol": "UDP", "port": 81}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow '*' 'x/a' tcp 80
	expect allow '*' 'x/a' udp 81
	netpol_expect
}

@test "netpol: protocol UDP without a port: every UDP port, no TCP" {
	netpol_apply udp-only x '{"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow '*' 'x/*' udp
	netpol_expect
}

@test "netpol: protocol SCTP on one port" {
	((NP_SCTP)) || skip "$NP_SCTP_WHY (the matrix probes TCP and UDP only)"
	netpol_apply sctp-80 x '{"podSelector": {}, "ingress": [{"ports": [{"protocol": "SCTP", "port": 80}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow '*' 'x/*' sctp 80
	netpol_expect
}

@test "netpol: endPort ranges, both edges: 80-81 takes both, 81-90 not 80, UDP 1-80 not 81" {
	netpol_apply range-a x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"ports": [{"protocol": "TCP", "port": 80, "endPort": 81}]}]}'
	netpol_apply range-b x '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"ports": [{"port": 81, "endPort": 90}]}]}'
	netpol_apply range-c x '{"podSelector": {"matchLabels": {"pod": "c"}},
		"ingress": [{"ports": [{"protocol": "UDP", "port": 1, "endPort": 80}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow '*' 'x/a' tcp
	expect allow '*' 'x/b' tcp 81
	expect allow '*' 'x/c' udp 80
	netpol_expect
}

@test "netpol: named ports on ingress (e2e: allow ingress access on one named port), matched with their protocol" {
	# serve-81-udp with the default protocol (TCP) names no TCP port of
	# any pod: that entry allows nothing
	netpol_apply named x '{"podSelector": {}, "ingress": [{"ports": [
		{"port": "serve-81-tcp"}, {"port": "serve-80-udp", "protocol": "UDP"}, {"port": "serve-81-udp"}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect allow '*' 'x/*' tcp 81
	expect allow '*' 'x/*' udp 80
	netpol_expect
}

@test "netpol: a named egress port resolves per destination pod (web: 80 on a and c, 81 on b)" {
	netpol_apply egress-web x '{"podSelector": {}, "policyTypes": ["Egress"],
		"egress": [{"ports": [{"port": "web"}]}]}'
	expect_all allow
	expect deny 'x/*' '*'
	expect allow 'x/*' '*/a,*/c' tcp 80
	expect allow 'x/*' '*/b' tcp 81
	netpol_expect
}

# --- ipBlock -----------------------------------------------------------------------

@test "netpol: ipBlock ingress: node 2's pod CIDR except one pod; pod IPs match ipBlocks; another peer's /32 wins back" {
	local ya=${NP_IP[y/a]}
	netpol_apply cidr x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"ipBlock": {"cidr": "10.244.2.0/24", "except": ["'"$ya"'/32"]}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow "$(np_pods_on 2)" 'x/a'
	expect deny 'y/a' 'x/a'
	netpol_expect "10.244.2.0/24 except y/a"
	# e2e: an IP in one peer's except and in another peer's cidr is allowed
	netpol_apply cidr x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"ipBlock": {"cidr": "10.244.2.0/24", "except": ["'"$ya"'/32"]}},
		                      {"ipBlock": {"cidr": "'"$ya"'/32"}}]}]}'
	expect allow 'y/a' 'x/a'
	netpol_expect "and y/a's /32"
}

@test "netpol: ipBlock egress with except: the pod range but node 2's pods; not the world" {
	netpol_apply egress-cidr x '{"podSelector": {}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.2.0/24"]}}]}]}'
	expect_all allow
	expect deny 'x/*' '*'
	expect allow 'x/*' "$(np_pods_on 1)"
	netpol_expect
}

@test "netpol: ipBlock egress to a host outside the cluster (through SNAT), on given ports" {
	netpol_apply egress-ext x '{"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"ipBlock": {"cidr": "'"$CL_EXT_IP"'/32"}}],
		            "ports": [{"port": 80}, {"protocol": "UDP", "port": 81}]}]}'
	expect_all allow
	expect deny 'x/a' '*'
	expect allow 'x/a' "$NP_EXT" tcp 80
	expect allow 'x/a' "$NP_EXT" udp 81
	netpol_expect
}

# --- the node ---------------------------------------------------------------------

@test "netpol: the local node reaches its pods under default-deny ingress everywhere (kubelet probes)" {
	local ns i p args=() out
	for ns in x y z; do
		netpol_apply deny-ingress "$ns" '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	done
	expect_all allow
	expect deny '*' '[xyz]/*'
	netpol_expect
	for i in 1 2; do
		args+=(--from "n$i=/run/netns/$(cl_node_name "$i")")
		for p in $(np_pods_on "$i" | tr , ' '); do
			args+=("${NP_IP[$p]}/tcp/80" "${NP_IP[$p]}/udp/81")
		done
	done
	out=$("$NETPROBE" probe --timeout-ms "$NP_TIMEOUT_MS" "${args[@]}")
	echo "$out" >&2
	[ "$(grep -c ' fail ' <<<"$out")" -eq 0 ]
	# a node reaching another node's pods is not the local node: whatever
	# the datapath does with it, the figure is here
	args=(--from "n1=/run/netns/$(cl_node_name 1)")
	for p in $(np_pods_on 2 | tr , ' '); do args+=("${NP_IP[$p]}/tcp/80"); done
	np_note "node 1 -> node 2's pods under default-deny: $("$NETPROBE" probe --timeout-ms "$NP_TIMEOUT_MS" "${args[@]}" | awk '{ print $3 }' | sort | uniq -c | xargs)"
}

# --- capacity ------------------------------------------------------------------------

# np_ports_apply FIRST N: policy x/many-ports selecting pod=a, whose one
# ingress rule allows every pod of the cluster on N separate TCP ports from
# FIRST, plus 80 and 81: (identities x (N + 2)) entries, one per port and
# peer. Written straight to its object file: 30,000 ports are more than an
# argument list holds (netpol_apply passes the spec as one).
np_ports_apply() {
	jq -n -c --argjson first "$1" --argjson n "$2" '{apiVersion: "networking.k8s.io/v1",
		kind: "NetworkPolicy", metadata: {name: "many-ports", namespace: "x"},
		spec: {podSelector: {matchLabels: {pod: "a"}},
		ingress: [{from: [{namespaceSelector: {}}],
			ports: ([range($first; $first + $n) | {port: .}] + [{port: 80}, {port: 81}])}]}}' \
		>"$WT_DIR/objects/40-netpol-x-many-ports.json"
	np_file_write
}

@test "netpol: a policy map grows with its policy and, past the limit, the endpoint fails closed and says why" {
	local node=${NP_NODE[x/a]} st
	# 9 identities x 1,002 ports: the first map (1,024 entries) is too small
	np_ports_apply 2000 1000
	expect_all allow
	expect deny '*' 'x/a' udp
	netpol_expect "9,018 entries: the map grew"
	st=$(cl_weftctl "$node" -o json policy x/a)
	echo "$st" | jq -c '{state, entries, maxEntries}' >&2
	[ "$(jq -r .state <<<"$st")" = enforced ]
	(($(jq -r .entries <<<"$st") > 9000))
	[ "$(jq -r .maxEntries <<<"$st")" -eq 16384 ]
	# 9 x 30,002 = 270,018 entries: more than the 262,144 an endpoint may have
	np_ports_apply 2000 30000
	expect deny '*' 'x/a'
	expect deny 'x/a' '*'
	netpol_expect "over the limit: x/a denies both ways"
	st=$(cl_weftctl "$node" -o json status)
	[ "$(jq -r '.policy.endpoints[] | select(.pod == "a" and .namespace == "x") | .state' <<<"$st")" = \
		"deny-all: policy map limit reached" ]
	cl_weftd_log "$node" | grep -E "endpoint [0-9]+ \(x/a\): its policies need 2700[0-9]+ policy map entries, more than the limit of 262144.*x/many-ports"
	# back under the limit: enforced again
	np_ports_apply 2000 10
	expect_all allow
	expect deny '*' 'x/a' udp
	netpol_expect "under the limit again"
}

# --- live changes ------------------------------------------------------------------

@test "netpol live: a policy updated from allow-all to deny-all, then deleted" {
	netpol_apply mutate x '{"podSelector": {}, "ingress": [{}]}'
	expect_all allow
	netpol_expect "allow-all"
	netpol_apply mutate x '{"podSelector": {}, "ingress": []}'
	expect deny '*' 'x/*'
	netpol_expect "updated to deny-all"
	netpol_delete mutate x
	expect_all allow
	netpol_expect "deleted: reachable again"
}

@test "netpol live: a pod label flips the pod in and out of a peer selector" {
	netpol_apply allow-clients x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "client"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	netpol_expect "no client"
	pod_label_set y/b role client
	expect allow 'y/b' 'x/a'
	netpol_expect "y/b labelled role=client"
	pod_label_del y/b role
	expect deny 'y/b' 'x/a'
	netpol_expect "label removed"
}

@test "netpol live: a pod label flips the pod in and out of the policy's podSelector" {
	netpol_apply isolate x '{"podSelector": {"matchLabels": {"isolated": "true"}}, "policyTypes": ["Ingress"]}'
	pod_label_set x/b isolated true
	expect_all allow
	expect deny '*' 'x/b'
	netpol_expect "x/b labelled isolated=true"
	pod_label_set x/b isolated false
	expect_all allow
	netpol_expect "x/b isolated=false"
	pod_label_set x/c isolated true
	expect deny '*' 'x/c'
	netpol_expect "x/c labelled isolated=true"
}

@test "netpol live: a namespace label flips its pods in and out of a namespaceSelector" {
	netpol_apply allow-updated x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns2": "updated"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	netpol_expect "no namespace labelled"
	ns_label_set y ns2 updated
	expect allow 'y/*' 'x/a'
	netpol_expect "namespace y labelled ns2=updated"
	ns_label_del y ns2
	expect deny 'y/*' 'x/a'
	netpol_expect "label removed"
}

@test "netpol live: established connections survive a change that still allows them, and are cut within a second by one that does not" {
	local t1 t2
	netpol_apply x-a x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}], "ports": [{"port": 80}]}]}'
	expect_all allow
	expect deny '*' 'x/a'
	expect allow 'y/*' 'x/a' tcp 80
	netpol_expect "y may connect to x/a:80"
	np_hold_start same y/b x/a 80 # same node
	np_hold_start cross y/a x/a 80 # through the overlay
	# still allowed: y, and now z, on 80-81
	netpol_apply x-a x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}},
		                      {"namespaceSelector": {"matchLabels": {"ns": "z"}}}],
		             "ports": [{"port": 80, "endPort": 81}]}]}'
	t1=$NP_T_WRITE
	expect allow '[yz]/*' 'x/a' tcp
	netpol_expect "y and z on 80-81"
	np_hold_start z z/a x/a 81
	sleep 0.5
	np_hold_unbroken same "$t1"
	np_hold_unbroken cross "$t1"
	# no longer allowed for y; z's connection is still allowed
	netpol_apply x-a x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}],
		             "ports": [{"port": 80, "endPort": 81}]}]}'
	t2=$NP_T_WRITE
	expect deny 'y/*' 'x/a'
	netpol_expect "z only"
	np_hold_cut same "$t2"
	np_hold_cut cross "$t2"
	np_hold_unbroken z "$t2"
}

@test "netpol live: a new egress policy cuts its pod's established connection within a second, and keeps the one it allows" {
	local t
	np_hold_start to-y x/c y/a 80 # through the overlay
	np_hold_start to-z x/c z/c 81 # same node
	netpol_apply egress-to-z x '{"podSelector": {}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}]}]}'
	t=$NP_T_WRITE
	expect_all allow
	expect deny 'x/*' '*'
	expect allow 'x/*' 'z/*'
	netpol_expect
	np_hold_cut to-y "$t"
	np_hold_unbroken to-z "$t"
}

@test "netpol live: a pod added under a default-deny policy is isolated from its first packet" {
	local ip out
	netpol_apply deny-ingress x '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	expect_all allow
	expect deny '*' 'x/*'
	netpol_expect
	# x/d on node 1: its Pod object, then its network (the ADD); its
	# status.podIP is not written yet when it is probed
	NP_NODE["x/d"]=1
	np_pods_wire x/d
	ip=${NP_IP[x/d]}
	out=$("$NETPROBE" probe --timeout-ms "$NP_TIMEOUT_MS" \
		--from "node=/run/netns/$(cl_node_name 1)" "$ip/tcp/80" "$ip/udp/80" \
		--from "y/b=/run/netns/$(np_netns y/b)" "$ip/tcp/80" "$ip/udp/80" \
		--from "y/a=/run/netns/$(np_netns y/a)" "$ip/tcp/80" "$ip/udp/80")
	echo "right after the ADD of x/d ($ip):" >&2
	echo "$out" >&2
	# the node reaches it (it is up and serving), the pods of y do not
	[ "$(grep -c '^node .* ok x/d$' <<<"$out")" -eq 2 ]
	[ "$(grep -c '^y/.* fail ' <<<"$out")" -eq 4 ]
	np_pods_finish x/d
	expect_all allow
	expect deny '*' 'x/*'
	netpol_expect "x/d Running"
}

# np_policy_for_streams: namespace x denied both ways, but x/a and x/b take
# anything from namespace y; their replies flow (conntrack) though x's
# egress is denied. Streams y/b -> x/a (same node) and y/b -> x/b (across
# nodes) for SECONDS.
np_policy_for_streams() {
	netpol_apply deny-all x '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	netpol_apply allow-y x '{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "b"]}]},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	expect_all allow
	expect deny '*' 'x/*'
	expect deny 'x/*' '*'
	expect allow 'y/*' 'x/a,x/b'
	netpol_expect
	stream_start same "$(np_netns y/b)" "$(np_netns x/a)" "${NP_IP[x/a]}" "$1"
	stream_start cross "$(np_netns y/b)" "$(np_netns x/b)" "${NP_IP[x/b]}" "$1"
	sleep 0.5
}

# np_policy_still_followed: after a restart or upgrade, a change still
# reaches the datapath in time.
np_policy_still_followed() {
	netpol_delete allow-y x
	expect deny 'y/*' 'x/a,x/b'
	netpol_expect "$1"
}

@test "netpol live: weftd SIGKILLed and restarted on each node: the policy stays in force, allowed streams lose nothing" {
	np_policy_for_streams 8
	np_watch_start
	cluster_weftd_kill9 1
	sleep 0.5
	cluster_weftd_start 1
	sleep 0.5
	cluster_weftd_kill9 2
	sleep 0.5
	cluster_weftd_start 2
	sleep 0.5
	np_watch_stop 4
	stream_check same
	stream_check cross
	np_policy_still_followed "after the restarts: allow-y deleted"
}

# np_upgrade NODE [DIR]: weftctl upgrade on NODE (to the objects in DIR).
np_upgrade() {
	run cl_weftctl "$1" upgrade ${2:+--bpf-dir "$2"}
	echo "node $1: $output" >&2
	[ "$status" -eq 0 ]
}

@test "netpol live: weftctl upgrade on both nodes, to a changed map layout and back: the policy stays in force, allowed streams lose nothing" {
	local l2=$WT_DIR/layout2
	# the same sources with another weft_endpoints layout (as 67-upgrade-multinode)
	make -s -C "$WEFT_SRC" OUTPUT="$l2" BPF_EXTRA_CFLAGS=-DWEFT_TEST_LAYOUT=2 bpf \
		>"$WT_DIR/make.log" 2>&1 || { cat "$WT_DIR/make.log" >&2; return 1; }
	np_policy_for_streams 8
	np_watch_start
	np_upgrade 1
	np_upgrade 2
	sleep 0.5
	np_upgrade 1 "$l2/bpf"
	np_upgrade 2 "$l2/bpf"
	sleep 0.5
	np_upgrade 2
	np_upgrade 1
	sleep 0.5
	np_watch_stop 4
	stream_check same
	stream_check cross
	np_policy_still_followed "after the upgrades: allow-y deleted"
}
