# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# The fixture of the bats suites. A test builds its own world, named after
# $WT_ID and kept under $WT_DIR, and wt_teardown removes it, pass or fail:
#
#   one node   node_up: a network namespace with its own weftd, bpffs mount,
#              state dir and socket (this file); a suite's hooks are
#                setup() { node_up; }
#                teardown() { wt_teardown; }
#   a cluster  cluster_up N: N such nodes on an underlay bridge, one cluster
#              file (cluster.bash, loaded after this file)
#   pods       namespaces wired by the real plugin, run directly or through
#              cnitool (libcni)
#
# Nothing here touches the host's own network namespace. weftd and the
# plugin are started with `nsenter --net`, never `ip netns exec`, which would
# remount /sys and hide the bpffs pins (see docs/testing.md).

bats_require_minimum_version 1.5.0

: "${OUTPUT:=$WEFT_SRC/.output}"
WEFT=$OUTPUT/weft
WEFTD=$OUTPUT/weftd
WEFTCTL=$OUTPUT/weftctl
CNITOOL=$OUTPUT/cnitool
CNI_PLUGIN_PATH=$OUTPUT:/usr/lib/cni
POD_CIDR=${POD_CIDR:-10.244.1.0/24}

# A short id keeps netns and file names unique across tests and parallel runs.
wt_init() {
	WT_ID="wt$$${BATS_TEST_NUMBER:-0}$RANDOM"
	WT_ID=${WT_ID:0:12}
	WT_DIR=$(mktemp -d "/tmp/weft-$WT_ID.XXXX")
	NODE=$WT_ID-node
	NODE_NS=/run/netns/$NODE
	SOCK=$WT_DIR/weftd.sock
	BPFFS=$WT_DIR/bpffs
	STATE=$WT_DIR/state
	echo "$WT_ID" >"$WT_DIR/id"
}

# node_setup: the node namespace, a private bpffs, an underlay-ish address for
# the host side of host<->pod traffic (TEST-NET-1, never routed anywhere).
node_setup() {
	wt_init
	ip netns add "$NODE"
	ip -n "$NODE" link set lo up
	# the kernel may lack the dummy driver: a veth pair kept inside the node works
	ip -n "$NODE" link add wt-host type veth peer name wt-host-peer
	ip -n "$NODE" link set wt-host-peer up
	ip -n "$NODE" addr add 192.0.2.1/24 dev wt-host
	ip -n "$NODE" link set wt-host up
	mkdir -p "$BPFFS" "$STATE" "$WT_DIR/net.d"
	mount -t bpf bpf "$BPFFS"
	write_conflist
}

# in_node CMD...: run CMD in the node's network namespace only (mounts shared).
in_node() {
	nsenter --net="$NODE_NS" "$@"
}

# node_up [WEFTD_ARGS...]: the node and its weftd, serving.
node_up() {
	node_setup
	weftd_start "$@"
}

weftd_start() {
	# nsenter execs weftd, so $! is weftd itself (a function would fork a
	# subshell, and killing that would leave weftd running).
	nsenter --net="$NODE_NS" "$WEFTD" --node-name "$NODE" --pod-cidr "$POD_CIDR" \
		--state-dir "$STATE" --bpffs "$BPFFS" --socket "$SOCK" \
		--bpf-dir "$OUTPUT/bpf" --log-level debug "$@" \
		>>"$WT_DIR/weftd.log" 2>&1 &
	WEFTD_PID=$!
	echo "$WEFTD_PID" >"$WT_DIR/weftd.pid"
	weftd_wait "$WEFTD_PID" "$WT_DIR/weftd.log" "$WEFTCTL" --socket "$SOCK" status
}

# weftd_wait PID LOG CMD...: poll CMD (quietly) every 50 ms for up to 5 s
# while weftd PID lives; 0 once it succeeds, else weftd's LOG on stderr.
weftd_wait() {
	local pid=$1 log=$2 i
	shift 2
	for ((i = 0; i < 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "weftd ($pid) did not come up; log:" >&2
	cat "$log" >&2
	return 1
}

weftd_stop() { pidfile_stop "$WT_DIR/weftd.pid"; }

# weftd_kill9: SIGKILL this node's weftd and wait until it is gone.
weftd_kill9() { pidfile_kill9 "$WT_DIR/weftd.pid"; }

# pidfile_stop FILE: SIGTERM the process named in FILE, SIGKILL it if it
# still runs 2.5 s later; FILE goes. Nothing to do without FILE.
pidfile_stop() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

# pidfile_kill9 FILE: SIGKILL the process named in FILE and wait until it is
# gone. A process killed inside a syscall that waits for an RCU grace period
# (a tcx attach of the pool's refill thread) exits only after it, and holds
# the state dir's lock till then: a weftd started at once would be refused.
pidfile_kill9() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$pid" 2>/dev/null
}

# wt_teardown: everything the test made, pass or fail, for one node or a
# cluster alike: every weftd with a pid file under $WT_DIR (the node's, each
# cluster node's), every namespace named $WT_ID-*, then every mount under
# $WT_DIR deepest first (the bpffs roots, and any a test or a failed weftd
# left; after the namespaces, so no program stays attached), and $WT_DIR.
wt_teardown() {
	[[ -n ${WT_DIR:-} && -d $WT_DIR ]] || return 0
	local f
	for f in "$WT_DIR"/weftd.pid "$WT_DIR"/*/weftd.pid; do
		[[ -e $f ]] && pidfile_stop "$f"
	done
	for f in $(ip netns list | awk -v id="$WT_ID-" 'index($1, id) == 1 { print $1 }'); do
		ip netns del "$f" 2>/dev/null || true
	done
	for f in $(awk -v d="$WT_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null || true
	done
	rm -rf "$WT_DIR"
	san_reports
}

# san_reports: in the sanitizer build (make SANITIZE=1), any report a weftd,
# plugin or weftctl wrote under $OUTPUT/sanitizer fails the test, shown on
# stderr and moved aside to seen/ (docs/testing.md, "Sanitizers").
san_reports() {
	local dir=$OUTPUT/sanitizer f found=0
	[[ -d $dir ]] || return 0
	for f in "$dir"/report.*; do
		[[ -e $f ]] || continue
		found=1
		echo "sanitizer report: $f" >&2
		cat "$f" >&2
		mkdir -p "$dir/seen"
		mv "$f" "$dir/seen/${WT_ID:-bats}.${f##*/}"
	done
	((found == 0))
}

# The plugin configuration. cnitool's libcni (1.1.2) speaks up to CNI 1.0.0.
net_conf() {
	local version=${1:-1.0.0}
	cat <<-JSON
	{"cniVersion": "$version", "name": "weftnet", "type": "weft",
	 "socket": "$SOCK", "logFile": "$WT_DIR/plugin.log", "logLevel": "debug"}
	JSON
}

write_conflist() {
	cat >"$WT_DIR/net.d/10-weft.conflist" <<-JSON
	{"cniVersion": "1.0.0", "name": "weftnet", "plugins": [
	  {"type": "weft", "socket": "$SOCK", "logFile": "$WT_DIR/plugin.log", "logLevel": "debug"},
	  {"type": "tuning", "sysctl": {"net.ipv4.conf.IFNAME.accept_local": "1"}}
	]}
	JSON
	sed -i 's/IFNAME/eth0/' "$WT_DIR/net.d/10-weft.conflist"
}

pod_netns_add() {
	local name=$WT_ID-$1
	ip netns add "$name"
	ip -n "$name" link set lo up
	echo "$name"
}

# cni CMD CONTAINERID NETNS [IFNAME] [CNI_ARGS]: the plugin as the runtime runs
# it, with the config from $CONF (default net_conf). Sets $status, $output (the
# plugin's stdout: only ever its result or error) and $stderr (its log).
cni() {
	local cmd=$1 cid=$2 netns=$3 ifname=${4:-eth0} args=${5:-}
	local conf=${CONF:-$(net_conf)}
	run --separate-stderr in_node env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
		CNI_NETNS="$netns" CNI_IFNAME="$ifname" CNI_PATH="$CNI_PLUGIN_PATH" \
		CNI_ARGS="$args" "$WEFT" <<<"$conf"
}

# cni_add POD: ADD a pod namespace named $WT_ID-POD, with CNI_ARGS for k8s.
# Sets POD_IP_<POD>.
pod_add() {
	local pod=$1 ns
	ns=$(pod_netns_add "$pod")
	cni ADD "cid-$WT_ID-$pod" "/run/netns/$ns" eth0 \
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod;K8S_POD_UID=uid-$pod"
	if [[ $status -ne 0 ]]; then
		echo "ADD $pod failed: $output" >&2
		return 1
	fi
	local ip
	ip=$(jq -r '.ips[0].address' <<<"$output" | cut -d/ -f1)
	printf -v "POD_IP_$pod" '%s' "$ip"
}

pod_ip() {
	local v="POD_IP_$1"
	echo "${!v}"
}

pod_del() {
	cni DEL "cid-$WT_ID-$1" "/run/netns/$WT_ID-$1" eth0
}

in_pod() {
	local pod=$1
	shift
	nsenter --net="/run/netns/$WT_ID-$pod" "$@"
}

cnitool() {
	run in_node env NETCONFPATH="$WT_DIR/net.d" CNI_PATH="$CNI_PLUGIN_PATH" \
		"$CNITOOL" "$@"
}

# host_veth_mac: the host veth's MAC, through netlink;
# /sys/class/net under nsenter --net still shows the host's devices.
host_veth_mac() {
	in_node ip -j link show dev "$(host_veth)" | jq -r '.[0].address'
}

host_veth() {
	# the plugin's name for a container: wft + 11 hex of FNV-1a(containerID/ifname)
	in_node ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep '^wft' || true
}

# --- leak checks: what DEL and failed ADDs must leave behind (nothing) ----------
host_veths_count() { host_veth | grep -c . || true; }
pins_count() { find "$BPFFS/endpoints" -mindepth 1 2>/dev/null | grep -c . || true; }
endpoint_map_count() {
	[[ -e $BPFFS/weft_endpoints ]] || { echo 0; return; }
	bpftool -j map dump pinned "$BPFFS/weft_endpoints" | jq length
}
veth_entry_count() {
	[[ -e $BPFFS/weft_veths ]] || { echo 0; return; }
	bpftool -j map dump pinned "$BPFFS/weft_veths" | jq length
}
policy_slot_count() {
	[[ -e $BPFFS/weft_policy_progs ]] || { echo 0; return; }
	bpftool -j map dump pinned "$BPFFS/weft_policy_progs" | jq length
}
# policy maps in weft_policy_maps that hold entries: the endpoints'. The
# others are spares, empty (daemon/policy/spares.h).
policy_maps_in_use() {
	local inner n=0
	[[ -e $BPFFS/weft_policy_maps ]] || { echo 0; return; }
	for inner in $(bpftool -j map dump pinned "$BPFFS/weft_policy_maps" | jq '.[].inner_map_id'); do
		[[ $(bpftool -j map dump id "$inner" | jq length) -gt 0 ]] && n=$((n + 1))
	done
	echo "$n"
}
ipam_count() {
	find "$STATE/ipam" -maxdepth 1 -type f -name '[0-9]*' 2>/dev/null | grep -c . || true
}
assert_nothing_left() {
	local v p m i s e
	v=$(host_veths_count) p=$(pins_count) m=$(endpoint_map_count) i=$(ipam_count)
	s=$(policy_slot_count) e=$(veth_entry_count)
	if [[ $v != 0 || $p != 0 || $m != 0 || $i != 0 || $s != 0 || $e != 0 ]]; then
		echo "left behind: veths=$v pins=$p map-entries=$m ip-allocations=$i policy-slots=$s weft_veths=$e" >&2
		host_veth >&2
		find "$BPFFS" "$STATE" >&2
		return 1
	fi
}

# metric DIRECTION REASON -> packet count (0 when absent)
metric() {
	"$WEFTCTL" --socket "$SOCK" -o json metrics |
		jq --arg d "$1" --arg r "$2" \
			'[.metrics[] | select(.direction == $d and .reason == $r) | .packets] | add // 0'
}

# host_veth_tx POD: packets sent by the host side of POD's veth (into the pod)
host_veth_tx() {
	local idx
	idx=$(in_pod "$1" ip -j link show dev eth0 | jq '.[0].link_index')
	in_node ip -j -s link show | jq --argjson i "$idx" '.[] | select(.ifindex == $i) | .stats64.tx.packets'
}

cni_code() { jq -r '.code' <<<"$output"; }
