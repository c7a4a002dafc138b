#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Same-node pod-to-pod TCP throughput (iperf3) under a NetworkPolicy that
# allows the flow among 10,000 rules, against iptables rules of the same
# meaning on a plain routed veth path, in one run (issue 9, "Performance"):
#
#   weft, no policy      client pod -> server pod "open", which no policy
#                        selects
#   weft, policy         client pod -> server pod "guarded", selected by one
#                        NetworkPolicy of RULES+1 ingress rules: RULES that
#                        allow the client on TCP ports it does not use
#                        (20000...), and a last one that allows it on 5201
#                        (iperf3). One policy map entry per rule.
#   iptables             client ns -> router ns -> server ns over veths and
#                        routes, no weft; the router's FORWARD chain says the
#                        same: replies of tracked flows accepted, then
#                        RULES "-s client -d server -p tcp --dport N -j ACCEPT"
#                        for the same ports, then the one for 5201, then DROP
#   routed, no rules     the same routed path without any netfilter: context,
#                        what the rules cost on their own
#
# The weft pods come from the cluster fixture (tests/bats/cluster.bash): a
# policy reaches weftd only through the cluster file. Everything lives in the
# bench's own namespaces (the iptables rules too: a new network namespace has
# its own tables) and goes on exit.
#
# Targets: weft with the policy at least the iptables path, and at least
# 0.95x weft with no policy.
#
#   bench/policy_throughput.sh     SECS=5 ROUNDS=7 RULES=10000 by default;
#                                  AFFINITY=0,1 pins iperf3 (its -A)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export WEFT_SRC=$PWD
bats_require_minimum_version() { :; } # helpers.bash is written for bats
. tests/bats/helpers.bash
. tests/bats/cluster.bash

SECS=${SECS:-5}
# Interleaved rounds, medians reported, as bench/throughput.sh; more of them
# than there, as single runs on this shared 2-core machine vary by up to 2x.
ROUNDS=${ROUNDS:-7}
RULES=${RULES:-10000}
PORT=5201       # iperf3's
FIRST_PORT=20000 # the non-matching rules' ports: FIRST_PORT...FIRST_PORT+RULES-1
KNS=bench       # the Kubernetes namespace of the pods
SRV_PID=

cleanup() {
	set +e
	# An iperf3 server whose client never came would outlive its namespace.
	[[ -n $SRV_PID ]] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	cluster_down
	bench_cleanup
}
trap cleanup EXIT
# Bash runs the EXIT trap on a signal only when the signal is trapped.
trap 'exit 130' INT
trap 'exit 143' TERM

# iperf NS_SERVER NS_CLIENT IP -> Gbit/s received over $SECS seconds. As
# bench_iperf (bench/lib.sh), but the server's pid is kept for the cleanup
# and a client that cannot connect fails instead of hanging.
iperf() {
	local out
	# nsenter execs iperf3: $! is the server itself.
	nsenter --net="/run/netns/$1" iperf3 -s -1 -B "$3" -p "$PORT" >/dev/null 2>&1 &
	SRV_PID=$!
	for _ in $(seq 100); do
		nsenter --net="/run/netns/$1" ss -ltn | grep -q ":$PORT " && break
		sleep 0.02
	done
	out=$(nsenter --net="/run/netns/$2" iperf3 -c "$3" -p "$PORT" -t "$SECS" --connect-timeout 3000 \
		${AFFINITY:+-A "$AFFINITY"} -J) || {
		echo "bench: iperf3 $2 -> $3 failed: $(jq -r '.error // empty' <<<"$out")" >&2
		return 1
	}
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	jq '.end.sum_received.bits_per_second / 1e9' <<<"$out" | awk '{ printf "%.2f\n", $1 }'
}

# tcp_probe NS IP PORT -> "refused" (something answered: a RST), "timeout"
# (the SYN was dropped) or "open".
tcp_probe() {
	local rc=0
	nsenter --net="/run/netns/$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null || rc=$?
	case $rc in
	0) echo open ;;
	124) echo timeout ;;
	*) echo refused ;;
	esac
}

# --- weft: three pods on one node ------------------------------------------

CL_WEFTD_ARGS=()
cluster_net_up 1
cluster_weftd_start 1 --log-level warn
cluster_namespace_put "$KNS"
containers='[{"name": "iperf3", "image": "none", "ports": [{"containerPort": 5201, "protocol": "TCP"}]}]'
cluster_k8s_pod_put 1 "$KNS" client '{"role": "client"}' "$containers"
cluster_k8s_pod_put 1 "$KNS" open '{"role": "server"}' "$containers"
cluster_k8s_pod_put 1 "$KNS" guarded '{"role": "server", "bench": "guarded"}' "$containers"
cluster_file_write
declare -A IP
for p in client open guarded; do
	IP[$p]=$(cluster_k8s_pod_cni_add 1 "$KNS" "$p")
	cluster_k8s_pod_running "$KNS" "$p" "${IP[$p]}"
done
cluster_file_write
WC=$(cl_k8s_pod_netns "$KNS" client)
WO=$(cl_k8s_pod_netns "$KNS" open)
WG=$(cl_k8s_pod_netns "$KNS" guarded)
MTU=$(in_cl_pod "$KNS-client" ip -j link show dev eth0 | jq -r '.[0].mtu')

# The policy: one rule per port, the client's own last (the order means
# nothing to weft; it is the iptables chain's order).
jq -n -c --arg ns "$KNS" --argjson n "$RULES" --argjson first "$FIRST_PORT" --argjson port "$PORT" '
	def allow($p): {from: [{podSelector: {matchLabels: {role: "client"}}}],
			ports: [{protocol: "TCP", port: $p}]};
	{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
	 metadata: {name: "among-many", namespace: $ns, uid: "uid-netpol-\($ns)-among-many"},
	 spec: {podSelector: {matchLabels: {bench: "guarded"}}, policyTypes: ["Ingress"],
		ingress: ([range(0; $n) | allow($first + .)] + [allow($port)])}}' \
	>"$WT_DIR/objects/40-netpol-$KNS-among-many.json"
cluster_file_write

# Until weftd says the guarded pod's map is enforced with every rule.
# (`weftctl policy` cannot show a map this big: its reply is past the API's
# 256 KiB message limit; see the kernel read-back below.)
ep_status() {
	cl_weftctl 1 -o json status 2>/dev/null |
		jq -c --arg ns "$KNS" --arg pod "$1" '.policy.endpoints[] | select(.namespace == $ns and .pod == $pod)'
}
pol_ready() {
	ep_status guarded >"$BDIR/ep.json" &&
		jq -e --argjson n "$RULES" '.state == "enforced" and .entries > $n' "$BDIR/ep.json" >/dev/null
}
wait_until 30000 pol_ready || {
	echo "bench: the policy did not reach the guarded pod's map in 30 s: $(cat "$BDIR/ep.json")" >&2
	cl_weftd_log 1 | tail -20 >&2
	exit 1
}
# The map as the kernel has it (bpftool, from the array of policy maps at the
# endpoint's id): every entry, and the client's TCP /16 ingress entries, one
# per rule, one of them for the iperf3 port. Keys: struct weft_policy_key
# (bpf/datapath.h): peer u32 (host order), direction, protocol, port prefix
# length, pad, port (network order), pad.
EP_ID=$(jq .endpoint "$BDIR/ep.json")
CLIENT_ID=$(cl_weftctl 1 -o json policy "$KNS/client" | jq .identity)
BPFFS_1=$(cl_node_dir 1)/bpffs
# bpftool -j prints keys as arrays of "0x.." bytes.
JQ_LE32='def byte: ltrimstr("0x") | explode | map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1];
	def le32: map(byte) | .[0] + .[1] * 256 + .[2] * 65536 + .[3] * 16777216;'
inner=$(bpftool -j map dump pinned "$BPFFS_1/weft_policy_maps" |
	jq --argjson ep "$EP_ID" "$JQ_LE32"' .[] | select(.key | le32 == $ep) | .inner_map_id')
read -r ENTRIES client_entries allow_entry < <(bpftool -j map dump id "$inner" |
	jq -r --argjson id "$CLIENT_ID" --argjson port "$PORT" "$JQ_LE32"'
	map(.key | {peer: (.[0:4] | le32), dir: (.[4] | byte), proto: (.[5] | byte),
		plen: (.[6] | byte), port: ((.[8] | byte) * 256 + (.[9] | byte))}) as $k |
	[$k[] | select(.peer == $id and .dir == 0 and .proto == 6 and .plen == 16)] as $c |
	"\($k | length) \($c | length) \([$c[] | select(.port == $port)] | length)"')
if ((client_entries != RULES + 1 || allow_entry != 1)); then
	echo "bench: the guarded pod's map (kernel) has $client_entries TCP entries for the client" \
		"($allow_entry for port $PORT), not $((RULES + 1)) (1)" >&2
	exit 1
fi
OPEN_STATE=$(ep_status open | jq -r .state)
# Enforced, not just written: a port no rule names is dropped on the guarded
# pod, refused (RST from a closed port) on the open one.
g=$(tcp_probe "$WC" "${IP[guarded]}" 5202) o=$(tcp_probe "$WC" "${IP[open]}" 5202)
if [[ $g != timeout || $o != refused || $OPEN_STATE != open ]]; then
	echo "bench: port 5202: guarded pod $g (want timeout), open pod $o (want refused," \
		"state $OPEN_STATE)" >&2
	exit 1
fi

# --- the routed veth paths ---------------------------------------------------

# routed_path NAME NET: namespaces NAME-c (NET.1.2), NAME-r (the router:
# NET.1.1 on c0, NET.2.1 on s0, forwarding) and NAME-s (NET.2.2), the
# veths made straight in them (nothing appears in the host's namespace), at
# the weft pods' MTU.
routed_path() {
	local n=$1 net=$2
	bench_ns_add "$n-c"
	bench_ns_add "$n-r"
	bench_ns_add "$n-s"
	ip link add eth0 netns "$n-c" mtu "$MTU" type veth peer name c0 netns "$n-r" mtu "$MTU"
	ip link add eth0 netns "$n-s" mtu "$MTU" type veth peer name s0 netns "$n-r" mtu "$MTU"
	ip -n "$n-c" addr add "$net.1.2/24" dev eth0
	ip -n "$n-r" addr add "$net.1.1/24" dev c0
	ip -n "$n-r" addr add "$net.2.1/24" dev s0
	ip -n "$n-s" addr add "$net.2.2/24" dev eth0
	ip -n "$n-c" link set eth0 up
	ip -n "$n-r" link set c0 up
	ip -n "$n-r" link set s0 up
	ip -n "$n-s" link set eth0 up
	ip -n "$n-c" route add default via "$net.1.1"
	ip -n "$n-s" route add default via "$net.2.1"
	nsenter --net="/run/netns/$n-r" sysctl -qw net.ipv4.ip_forward=1
}

IPT=$BID-i RT=$BID-p
routed_path "$IPT" 10.99
routed_path "$RT" 10.98
IPT_C=10.99.1.2 IPT_S=10.99.2.2

# The rule set, loaded in one iptables-restore (10,000 iptables calls would
# each rewrite the whole table). Replies to a tracked flow are accepted first,
# as weft always passes them; --ctdir REPLY keeps the flow's own packets
# (client -> server) out of that rule, so each of them walks the RULES
# non-matching rules before its ACCEPT.
{
	echo '*filter'
	echo ':INPUT ACCEPT [0:0]'
	echo ':FORWARD DROP [0:0]'
	echo ':OUTPUT ACCEPT [0:0]'
	echo '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED --ctdir REPLY -j ACCEPT'
	for ((k = 0; k < RULES; k++)); do
		echo "-A FORWARD -s $IPT_C/32 -d $IPT_S/32 -p tcp -m tcp --dport $((FIRST_PORT + k)) -j ACCEPT"
	done
	echo "-A FORWARD -s $IPT_C/32 -d $IPT_S/32 -p tcp -m tcp --dport $PORT -j ACCEPT"
	echo '-A FORWARD -j DROP'
	echo 'COMMIT'
} >"$BDIR/rules"
in_ipt() { nsenter --net="/run/netns/$IPT-r" "$@"; }
in_ipt iptables-restore <"$BDIR/rules"
IPT_VERSION=$(in_ipt iptables -V)
nrules=$(in_ipt iptables -S FORWARD | grep -c '^-A')
if ((nrules != RULES + 3)); then
	echo "bench: the router's FORWARD chain has $nrules rules, not $((RULES + 3))" >&2
	exit 1
fi
# The chain is in force: a port no rule names is dropped there.
if [[ $(tcp_probe "$IPT-c" "$IPT_S" 5202) != timeout ]]; then
	echo "bench: port 5202 through the iptables router was not dropped" >&2
	exit 1
fi
in_ipt iptables -Z FORWARD # the counters below are the rounds' alone

# --- the rounds ----------------------------------------------------------------

# path NAME: one iperf3 run of that path, appended to $BDIR/NAME.
path() {
	case $1 in
	wo) iperf "$WO" "$WC" "${IP[open]}" ;;
	wg) iperf "$WG" "$WC" "${IP[guarded]}" ;;
	it) iperf "$IPT-s" "$IPT-c" "$IPT_S" ;;
	rt) iperf "$RT-s" "$RT-c" 10.98.2.2 ;;
	esac >>"$BDIR/$1"
}
for f in wo wg it rt; do : >"$BDIR/$f"; done
# The machine is shared: a round's figures move by 2x with the neighbours'
# load, more than the difference measured. So the two weft paths always run
# back to back (their order alternating), and each round's ratio of the two
# is kept besides the medians; and each round starts one unit later than the
# one before, so that no path always runs first.
for ((r = 0; r < ROUNDS; r++)); do
	if ((r % 2)); then units=("wg wo" it rt); else units=("wo wg" it rt); fi
	for ((k = 0; k < 3; k++)); do
		for p in ${units[(r + k) % 3]}; do path "$p"; done
	done
done
paired=$(paste "$BDIR/wg" "$BDIR/wo" | awk '{ printf "%.2f\n", $1 / $2 }')

# The iptables path's data really walked the chain: the ACCEPT of the last
# rule saw the flow's packets, none of the rules before it did, nor the DROP.
# Rules: 1 the replies, 2..RULES+1 the others, RULES+2 the flow's, RULES+3 DROP.
in_ipt iptables -L FORWARD -v -n -x --line-numbers >"$BDIR/counters"
read -r replies others accepted dropped < <(awk -v n="$RULES" '
	$1 ~ /^[0-9]+$/ { if ($1 == 1) r = $2; else if ($1 <= n + 1) o += $2;
		else if ($1 == n + 2) a = $2; else d = $2 }
	END { print r + 0, o + 0, a + 0, d + 0 }' "$BDIR/counters")
if ((accepted < 1000 || others != 0 || dropped != 0)); then
	echo "bench: the iptables path's counters do not show the flow through the chain:" \
		"accepted $accepted, other rules $others, dropped $dropped" >&2
	exit 1
fi

wo=$(median <"$BDIR/wo") wg=$(median <"$BDIR/wg") it=$(median <"$BDIR/it") rt=$(median <"$BDIR/rt")
ratio() { awk -v a="$1" -v b="$wo" 'BEGIN { printf "%.2fx", a / b }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
echo "Same-node pod-to-pod TCP under a NetworkPolicy (kernel $(uname -r), $(nproc) cores," \
	"pod MTU $MTU, iperf3 ${SECS}s, medians of $ROUNDS interleaved rounds; $IPT_VERSION)"
printf '%-60s %8s %12s\n' "path" "Gbit/s" "x no policy"
row() { printf '%-60s %8.2f %12s\n' "$1" "$2" "$(ratio "$2")"; }
row "weft, no policy" "$wo"
row "weft, policy: allowed among $((RULES + 1)) rules ($ENTRIES map entries)" "$wg"
row "routed veth, iptables: ACCEPT after $((RULES + 1)) rules" "$it"
row "routed veth, no rules (context)" "$rt"
rounds() { paste -sd' ' "$BDIR/$1"; }
echo "rounds: weft no policy [$(rounds wo)], weft policy [$(rounds wg)]," \
	"iptables [$(rounds it)], routed [$(rounds rt)]"
echo "iptables counters: $accepted packets to the flow's ACCEPT (rule $((RULES + 2))) after" \
	"$RULES rules that matched none ($others), $replies replies accepted, $dropped dropped"
echo "weft policy / weft no policy, round by round (back to back): [$(paste -sd' ' <<<"$paired")]," \
	"median $(median <<<"$paired")x"
echo "target weft policy >= iptables: $(met "$wg" "$it")" \
	"($(awk -v a="$wg" -v b="$it" 'BEGIN { printf "%.2fx", a / b }'))"
echo "target weft policy >= 0.95x weft no policy: $(met "$wg" "$(awk -v a="$wo" 'BEGIN { print a * 0.95 }')")" \
	"($(ratio "$wg"))"
