# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# An N-node cluster made of network namespaces, for the multi-node suites.
# Load after helpers.bash (`load helpers; load cluster`).
#
#   underlay  $WT_ID-ul    bridge br0; one port per node (n<i>) and ext
#   node i    $WT_ID-n<i>  eth0 = 198.51.100.<i>/24 on the underlay, default
#                          route via the external host, ip_forward on (the
#                          kubeadm prerequisite); own weftd, bpffs, state dir,
#                          socket, node name $WT_ID-n<i>, pod CIDR 10.244.<i>.0/24
#   external  $WT_ID-ext   198.51.100.254/24, not in the cluster, no route to any
#                          pod CIDR: a pod reaches it only through SNAT
#   pod P     $WT_ID-p-P   wired by the real plugin through cnitool (libcni) on
#                          its node, with the K8S_* CNI_ARGS kubelet passes
#
# The cluster file ($CL_FILE) is written the way kubelet and the API server
# would fill it: a Node object when a node registers (before its weftd
# starts), a Pod with status.podIP after its ADD; every write is atomic (temp
# file in the same directory + rename), so weftd never reads half a file.
# Objects are kept one per file under $WT_DIR/objects, named so that sorting
# puts Nodes first, then Namespaces, then Pods.
#
# The underlay is TEST-NET-2 (198.51.100.0/24) and exists only inside these
# namespaces. wt_teardown removes everything, whatever state a test left.

CL_NET=198.51.100
CL_EXT_IP=$CL_NET.254
CL_VXLAN_OVERHEAD=50 # outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14

# cluster_up N [UNDERLAY_MTU]: the underlay, the external host, and N nodes
# registered in the cluster file with their weftd running.
cluster_up() {
	local i
	cluster_net_up "$@"
	for ((i = 1; i <= $1; i++)); do cluster_weftd_start "$i"; done
}

# cluster_net_up N [UNDERLAY_MTU]: the same without starting weftd (the
# benchmarks also build a kernel path on these nodes).
cluster_net_up() {
	local n=$1 i
	CL_MTU=${2:-1500}
	wt_init
	CL_UL=$WT_ID-ul
	CL_EXT=$WT_ID-ext
	CL_FILE=$WT_DIR/cluster.json
	[[ -v CL_WEFTD_ARGS ]] || CL_WEFTD_ARGS=()
	mkdir -p "$WT_DIR/objects"
	ip netns add "$CL_UL"
	ip -n "$CL_UL" link set lo up
	ip -n "$CL_UL" link add br0 mtu "$CL_MTU" type bridge
	ip -n "$CL_UL" link set br0 up
	cl_underlay_port "$CL_EXT" ext "$CL_EXT_IP"
	cl_object_put 20-namespace-default "$(cl_namespace_json default)"
	for ((i = 1; i <= n; i++)); do cluster_node_create "$i"; done
	# Every Node object is in the file before any weftd starts, as when the
	# nodes have registered before the CNI DaemonSet rolls out.
	cluster_file_write
}

# cl_underlay_port NS PORT IP: NS's eth0 joined to the bridge as PORT.
cl_underlay_port() {
	local ns=$1 port=$2 ip=$3
	[[ -e /run/netns/$ns ]] || ip netns add "$ns"
	ip -n "$ns" link set lo up
	# Made straight in the two namespaces: nothing ever appears in the host's.
	ip link add eth0 netns "$ns" mtu "$CL_MTU" type veth peer name "$port" netns "$CL_UL" mtu "$CL_MTU"
	ip -n "$CL_UL" link set "$port" master br0 up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
}

cl_node_name() { echo "$WT_ID-n$1"; }
cl_node_ip() { echo "$CL_NET.$1"; }
cl_node_cidr() { echo "10.244.$1.0/24"; }
cl_node_dir() { echo "$WT_DIR/n$1"; }
cl_sock() { echo "$WT_DIR/n$1/weftd.sock"; }

# in_cl_node I CMD...: CMD in node I's network namespace (mounts shared).
in_cl_node() {
	local i=$1
	shift
	nsenter --net="/run/netns/$(cl_node_name "$i")" "$@"
}

in_ext() { nsenter --net="/run/netns/$CL_EXT" "$@"; }

cl_weftctl() {
	local i=$1
	shift
	"$WEFTCTL" --socket "$(cl_sock "$i")" "$@"
}

# cluster_node_create I: node I's namespace on the underlay, its directories,
# its Node object (not yet written out: see cluster_node_add).
cluster_node_create() {
	local i=$1 node dir
	node=$(cl_node_name "$i")
	dir=$(cl_node_dir "$i")
	cl_underlay_port "$node" "n$i" "$(cl_node_ip "$i")"
	ip -n "$node" route add default via "$CL_EXT_IP"
	in_cl_node "$i" sysctl -qw net.ipv4.ip_forward=1
	mkdir -p "$dir/bpffs" "$dir/state" "$dir/net.d"
	mount -t bpf bpf "$dir/bpffs"
	cat >"$dir/net.d/10-weft.conflist" <<-JSON
	{"cniVersion": "1.0.0", "name": "weftnet", "plugins": [
	  {"type": "weft", "socket": "$dir/weftd.sock", "logFile": "$dir/plugin.log", "logLevel": "debug"}
	]}
	JSON
	cl_object_put "10-node-$node" "$(cl_node_json "$i")"
}

# cluster_node_add I: a node joining a running cluster: registered, then its
# weftd started.
cluster_node_add() {
	cluster_node_create "$1"
	cluster_file_write
	cluster_weftd_start "$1"
}

# cluster_weftd_start I [ARGS...]: node I's weftd, which takes its pod CIDR
# from its own Node object (no --pod-cidr), with the flags in CL_WEFTD_ARGS
# (every node) and ARGS. Waits until it serves with that CIDR.
cluster_weftd_start() {
	cluster_weftd_spawn "$@" && cluster_weftd_wait "$1"
}

# cluster_weftd_spawn I [ARGS...]: the same without waiting (a weftd whose
# Node is not in the cluster file yet waits for it before it serves).
cluster_weftd_spawn() {
	local i=$1 dir
	shift
	dir=$(cl_node_dir "$i")
	# nsenter execs weftd: $! is weftd itself.
	nsenter --net="/run/netns/$(cl_node_name "$i")" "$WEFTD" --node-name "$(cl_node_name "$i")" \
		--cluster-file "$CL_FILE" --state-dir "$dir/state" --bpffs "$dir/bpffs" \
		--socket "$dir/weftd.sock" --bpf-dir "$OUTPUT/bpf" --log-level debug \
		"${CL_WEFTD_ARGS[@]}" "$@" \
		>>"$dir/weftd.log" 2>&1 &
	echo $! >"$dir/weftd.pid"
}

# cluster_weftd_wait I: until node I's weftd serves with its pod CIDR (5 s).
cluster_weftd_wait() {
	local dir
	dir=$(cl_node_dir "$1")
	weftd_wait "$(cat "$dir/weftd.pid")" "$dir/weftd.log" cl_serves "$1"
}

# cl_serves I: node I's weftd answers, with node I's pod CIDR.
cl_serves() {
	[[ $(cl_weftctl "$1" -o json status 2>/dev/null | jq -r '.podCIDR // empty') == "$(cl_node_cidr "$1")" ]]
}

cluster_weftd_stop() { pidfile_stop "$(cl_node_dir "$1")/weftd.pid"; }

# cluster_weftd_kill9 I: SIGKILL node I's weftd and wait until it is gone.
cluster_weftd_kill9() { pidfile_kill9 "$(cl_node_dir "$1")/weftd.pid"; }

cl_weftd_log() { cat "$(cl_node_dir "$1")/weftd.log"; }

# cluster_node_remove I: the node deleted from the API (with its pods, as
# the node lifecycle controller does); its namespace and weftd stay, so a
# test sees what the other nodes do about it.
cluster_node_remove() {
	local node f
	node=$(cl_node_name "$1")
	rm -f "$WT_DIR/objects/10-node-$node.json"
	for f in "$WT_DIR"/objects/30-pod-*.json; do
		[[ -e $f ]] || continue
		[[ $(jq -r .spec.nodeName "$f") == "$node" ]] && rm -f "$f"
	done
	cluster_file_write
}

# cluster_node_readdress I IP: node I moves to a new underlay address: IP
# added to its eth0, its Node object's InternalIP changed, then the old
# address removed (the new one promoted, the default route kept).
cluster_node_readdress() {
	local i=$1 ip=$2 node
	node=$(cl_node_name "$i")
	in_cl_node "$i" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
	ip -n "$node" addr add "$ip/24" dev eth0
	cl_object_put "10-node-$node" "$(jq --arg ip "$ip" \
		'.status.addresses |= map(if .type == "InternalIP" then .address = $ip else . end)' \
		"$WT_DIR/objects/10-node-$node.json")"
	cluster_file_write
	ip -n "$node" addr del "$(cl_node_ip "$i")/24" dev eth0
	ip -n "$node" route replace default via "$CL_EXT_IP"
}

# cluster_pod_add I POD: a pod on node I through cnitool, then its Pod object
# with status.podIP. Pod names are unique across the cluster. Sets
# POD_IP_<POD> (see pod_ip).
cluster_pod_add() {
	local i=$1 pod=$2 ns dir out ip
	ns=$WT_ID-p-$pod
	dir=$(cl_node_dir "$i")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	out=$(in_cl_node "$i" env NETCONFPATH="$dir/net.d" CNI_PATH="$CNI_PLUGIN_PATH" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod;K8S_POD_UID=uid-$pod" \
		"$CNITOOL" add weftnet "/run/netns/$ns") || {
		echo "cnitool add $pod on node $i failed: $out" >&2
		return 1
	}
	ip=$(jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1)
	printf -v "POD_IP_$pod" '%s' "$ip"
	cl_object_put "30-pod-default-$pod" "$(cl_pod_json "$i" "$pod" "$ip")"
	cluster_file_write
}

cluster_pod_del() {
	local i=$1 pod=$2 dir
	dir=$(cl_node_dir "$i")
	rm -f "$WT_DIR/objects/30-pod-default-$pod.json"
	cluster_file_write
	in_cl_node "$i" env NETCONFPATH="$dir/net.d" CNI_PATH="$CNI_PLUGIN_PATH" \
		"$CNITOOL" del weftnet "/run/netns/$WT_ID-p-$pod"
}

in_cl_pod() {
	local pod=$1
	shift
	nsenter --net="/run/netns/$WT_ID-p-$pod" "$@"
}

cl_pod_mtu() { in_cl_pod "$1" ip -j link show dev eth0 | jq -r '.[0].mtu'; }

# --- the cluster file -------------------------------------------------------

cl_object_put() {
	printf '%s\n' "$2" >"$WT_DIR/objects/$1.json"
}

# cluster_file_write: the objects as one Kubernetes List, atomically.
cluster_file_write() {
	local tmp
	tmp=$(mktemp "$WT_DIR/.cluster.json.XXXXXX")
	jq -s '{apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: .}' \
		"$WT_DIR"/objects/*.json >"$tmp"
	mv -f "$tmp" "$CL_FILE"
}

# cluster_file_write_raw: any content, with the same atomic replace.
cluster_file_write_raw() {
	local tmp
	tmp=$(mktemp "$WT_DIR/.cluster.json.XXXXXX")
	cat >"$tmp"
	mv -f "$tmp" "$CL_FILE"
}

# cl_namespace_json NAME [LABELS]: LABELS (a JSON object) next to the
# kubernetes.io/metadata.name label the API server always sets.
cl_namespace_json() {
	jq -n --arg n "$1" --argjson l "${2:-{\}}" '{apiVersion: "v1", kind: "Namespace",
		metadata: {name: $n, uid: ("uid-ns-" + $n),
			labels: ($l + {"kubernetes.io/metadata.name": $n})},
		status: {phase: "Active"}}'
}

cl_node_json() {
	local i=$1
	jq -n --arg n "$(cl_node_name "$i")" --arg ip "$(cl_node_ip "$i")" --arg cidr "$(cl_node_cidr "$i")" \
		'{apiVersion: "v1", kind: "Node",
		metadata: {name: $n, uid: ("uid-" + $n), labels: {"kubernetes.io/hostname": $n}},
		spec: {podCIDR: $cidr, podCIDRs: [$cidr]},
		status: {addresses: [{type: "InternalIP", address: $ip}, {type: "Hostname", address: $n}],
			conditions: [{type: "Ready", status: "True"}]}}'
}

cl_pod_json() {
	local i=$1 pod=$2 ip=$3
	jq -n --arg node "$(cl_node_name "$i")" --arg hip "$(cl_node_ip "$i")" --arg p "$pod" --arg ip "$ip" \
		'{apiVersion: "v1", kind: "Pod",
		metadata: {name: $p, namespace: "default", uid: ("uid-" + $p), labels: {app: "weft-test", pod: $p}},
		spec: {nodeName: $node, containers: [{name: "c", image: "none",
			ports: [{containerPort: 8080, protocol: "TCP"}]}]},
		status: {phase: "Running", hostIP: $hip, podIP: $ip, podIPs: [{ip: $ip}]}}'
}

# --- pods in their Kubernetes namespaces, as the API server has them -----------
#
# cluster_pod_add above writes a pod of namespace "default" once its ADD is
# done. A NetworkPolicy engine needs what a real cluster gives it: the Pod
# object (namespace, labels, declared ports, node) exists before kubelet runs
# the CNI ADD, and status.podIP follows after it. These do that, in three
# steps a test can batch (one cluster file write per step for many pods):
#
#   cluster_namespace_put NS [LABELS]              the Namespace object
#   cluster_k8s_pod_put I NS NAME LABELS CONTAINERS   the Pod, Pending, on node I
#   cluster_k8s_pod_cni_add I NS NAME               its netns $WT_ID-p-NS-NAME and ADD
#   cluster_k8s_pod_running NS NAME IP              status Running with podIP
#
# then cluster_file_write. Object files: 20-namespace-NS, 30-pod-NS-NAME.

cluster_namespace_put() {
	cl_object_put "20-namespace-$1" "$(cl_namespace_json "$1" "${2:-{\}}")"
}

# The Pod object as the scheduler leaves it (spec.nodeName set, phase
# Pending, no IP) and what kubelet reports after the ADD, as jq functions so
# that a fixture can build many pods in one jq run.
CL_K8S_POD_JQ='
def k8s_pod($node; $hip; $ns; $p; $l; $c):
	{apiVersion: "v1", kind: "Pod",
	 metadata: {name: $p, namespace: $ns, uid: ("uid-" + $ns + "-" + $p), labels: $l},
	 spec: {nodeName: $node, containers: $c},
	 status: {phase: "Pending", hostIP: $hip}};
def k8s_pod_running($ip): .status += {phase: "Running", podIP: $ip, podIPs: [{ip: $ip}]};
'

# cluster_k8s_pod_put I NS NAME LABELS CONTAINERS: LABELS a JSON object,
# CONTAINERS the JSON array of spec.containers (their ports are what named
# ports resolve against).
cluster_k8s_pod_put() {
	local i=$1 ns=$2 name=$3 labels=$4 containers=$5
	cl_object_put "30-pod-$ns-$name" "$(jq -n --arg node "$(cl_node_name "$i")" \
		--arg hip "$(cl_node_ip "$i")" --arg ns "$ns" --arg p "$name" \
		--argjson l "$labels" --argjson c "$containers" \
		"$CL_K8S_POD_JQ"' k8s_pod($node; $hip; $ns; $p; $l; $c)')"
}

# cl_objects_put: objects from stdin, one per line as NAME<tab>JSON (what a
# jq run building many objects prints).
cl_objects_put() {
	local name obj
	while IFS=$'\t' read -r name obj; do
		cl_object_put "$name" "$obj"
	done
}

cl_k8s_pod_netns() { echo "$WT_ID-p-$1-$2"; }

# cluster_k8s_pod_cni_add I NS NAME: the pod's network namespace and its ADD
# through cnitool on node I, with the CNI_ARGS kubelet passes. Prints the
# pod's IPv4 address. Safe to run for several pods at once (one cnitool
# each); it does not write the cluster file.
cluster_k8s_pod_cni_add() {
	local i=$1 ns=$2 name=$3 netns dir out
	netns=$(cl_k8s_pod_netns "$ns" "$name")
	dir=$(cl_node_dir "$i")
	[[ -e /run/netns/$netns ]] || ip netns add "$netns"
	ip -n "$netns" link set lo up
	out=$(in_cl_node "$i" env NETCONFPATH="$dir/net.d" CNI_PATH="$CNI_PLUGIN_PATH" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=$name;K8S_POD_UID=uid-$ns-$name" \
		"$CNITOOL" add weftnet "/run/netns/$netns") || {
		echo "cnitool add $ns/$name on node $i failed: $out" >&2
		return 1
	}
	jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1
}

# cluster_k8s_pod_running NS NAME IP: what kubelet reports after the ADD.
cluster_k8s_pod_running() {
	cl_object_put "30-pod-$1-$2" "$(jq --arg ip "$3" "$CL_K8S_POD_JQ"' k8s_pod_running($ip)' \
		"$WT_DIR/objects/30-pod-$1-$2.json")"
}

# --- tear-down ----------------------------------------------------------------

# cluster_down: wt_teardown (helpers.bash), under the name bench/cross_node.sh
# calls it by.
cluster_down() { wt_teardown; }

# cluster_leftovers ID DIR: what a torn-down cluster left on the host, one
# line each (nothing when clean).
cluster_leftovers() {
	local id=$1 dir=$2
	ip netns list | awk -v id="$id-" 'index($1, id) == 1 { print "netns " $1 }'
	ip -o link show | awk -F': ' -v id="$id" 'index($2, id) { print "host link " $2 }'
	awk -v d="$dir" 'index($2, d) == 1 { print "mount " $2 }' /proc/mounts
	[[ -e $dir ]] && echo "dir $dir"
	pgrep -f -- "--state-dir $dir/" | sed 's/^/process /'
	true
}

# now_ms: wall clock in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# wait_until MS CMD...: poll CMD every 20 ms for up to MS milliseconds; 0 once
# it succeeds. WAITED_MS is how long that took.
wait_until() {
	local limit=$1 start
	shift
	start=$(now_ms)
	while :; do
		if "$@"; then
			WAITED_MS=$(($(now_ms) - start))
			return 0
		fi
		(($(now_ms) - start > limit)) && break
		sleep 0.02
	done
	WAITED_MS=$(($(now_ms) - start))
	return 1
}
