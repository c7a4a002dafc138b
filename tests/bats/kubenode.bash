# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Real kubelet nodes for the suites that run weft as the CNI of Kubernetes
# itself (93-k8s-nodes, 94-k8s-install). Load after helpers, cluster and
# kube. ../shared/kube's node.sh runs Debian's containerd (CRI plugin) and a
# v1.24 kubelet inside a node namespace of cluster.bash; every pod sandbox
# is a real CNI ADD through containerd, every deletion a real DEL.
#
#   underlay, nodes, ext   cluster_net_up (cluster.bash): node i is
#                          $WT_ID-n<i>, 198.51.100.<i>, pod CIDR 10.244.<i>.0/24
#   API server             on the external host, 198.51.100.254:6443 (kube.bash)
#   node i's kubelet       state under $(cl_node_dir i)/kn, CNI binaries in
#                          $(cl_node_dir i)/cni-bin (weft, loopback, portmap),
#                          configs in $(cl_node_dir i)/net.d
#   Kubernetes namespace   $KN_NS (named after the test id): the tests' pods
#
# No scheduler and no controller-manager run: pods carry spec.nodeName, the
# Nodes' spec.podCIDR is patched in here, and 94-k8s-install makes the
# DaemonSet's pod itself (kn_daemonset_pod). Everything goes away in
# kubenode_down, pass or fail: pods deleted through the API (kubelet's CNI
# DEL, so neither weft's state nor libcni's cache in /var/lib/cni keeps
# them), nodes stopped, their shims killed and mounts gone, the API server
# stopped, the pods' logs under /var/log/pods removed.

KN_IMAGE=localhost/busybox:weft
KN_LOOPBACK=/usr/lib/cni/loopback
KN_PORTMAP=/usr/lib/cni/portmap

# kubenode_missing: the first missing piece (nothing when all is there).
kubenode_missing() {
	local what
	what=$(kube_missing)
	[[ -z $what ]] || { echo "$what"; return; }
	for what in "$KUBE_SRC/kubelet" "$KUBE_SRC/node.sh"; do
		[[ -x $what ]] || { echo "no $what (../shared/kube: a real kubelet for these tests)"; return; }
	done
	for what in containerd containerd-shim-runc-v2 runc ctr busybox kubectl; do
		command -v "$what" >/dev/null || {
			echo "no $what (Debian: containerd, runc, busybox-static, kubernetes-client; make deps)"
			return
		}
	done
	for what in "$KN_LOOPBACK" "$KN_PORTMAP"; do
		[[ -x $what ]] || { echo "no $what (Debian: containernetworking-plugins)"; return; }
	done
}

# A file's fixture comes up in setup_file, where bats 1.8 cannot skip (it
# counts that as a failure): setup_file records why in KN_SKIP and returns,
# and every test skips in setup() with kubenode_skip.
kubenode_skip() { [[ -z ${KN_SKIP:-} ]] || skip "$KN_SKIP"; }

kn_dir() { echo "$(cl_node_dir "$1")/kn"; }

# kc ARGS...: kubectl as the admin, from the external host (the API server's
# namespace: nothing else reaches it).
kc() {
	nsenter --net="/run/netns/$CL_EXT" kubectl --kubeconfig "$KUBE_DIR/kubeconfig" "$@" 2> >(grep -v 'version difference' >&2)
}

# kubenode_up N: the netns cluster without any weftd, the API server on its
# external host with weftd's RBAC, the test's Kubernetes namespace. Exports
# what the tests of the file need.
kubenode_up() {
	cluster_net_up "$1"
	KUBE_NS=$CL_EXT KUBE_IP=$CL_EXT_IP
	KUBE_DIR=$WT_DIR/kube
	KN_NS=$WT_ID
	mkdir -p "$KUBE_DIR"
	# kubelet's streaming (kubectl exec) on the node's address: the default
	# would resolve the node's name through a DNS server outside.
	KUBE_APISERVER_ARGS=--kubelet-preferred-address-types=InternalIP kube_start
	kube_rbac
	kube_namespace "$KN_NS"
	export WT_ID WT_DIR NODE NODE_NS SOCK BPFFS STATE CL_MTU CL_UL CL_EXT CL_FILE
	export KUBE_NS KUBE_IP KUBE_DIR KUBE_SERVER KN_NS
}

# kubenode_start I [CNI_BIN_DIR CNI_CONF_DIR]: node I's containerd and
# kubelet, registered, its Node given its pod range as the controller
# manager's --allocate-node-cidrs would. The default dirs: cni-bin with the
# host's build of the plugin and Debian's loopback and portmap, and the
# conflist cluster.bash wrote (node I's weftd socket), under a network
# name of this test only (libcni's cache in /var/lib/cni is named after it).
kubenode_start() {
	local i=$1 dir bin conf
	dir=$(cl_node_dir "$i")
	bin=${2:-$dir/cni-bin} conf=${3:-$dir/net.d}
	if [[ -z ${2:-} ]]; then
		mkdir -p "$bin"
		cp "$OUTPUT/weft" "$KN_LOOPBACK" "$KN_PORTMAP" "$bin/"
		jq --arg n "$WT_ID" '.name = $n' "$conf/10-weft.conflist" >"$conf/.tmp" &&
			mv "$conf/.tmp" "$conf/10-weft.conflist"
	fi
	"$KUBE_SRC/node.sh" start "$(kn_dir "$i")" "$(cl_node_name "$i")" "$(cl_node_name "$i")" \
		"$(cl_node_ip "$i")" "$KUBE_DIR/kubeconfig" "$bin" "$conf" >/dev/null || return 1
	kapi PATCH "/api/v1/nodes/$(cl_node_name "$i")" "$(jq -n --arg c "$(cl_node_cidr "$i")" \
		'{spec: {podCIDR: $c, podCIDRs: [$c]}}')" application/merge-patch+json >/dev/null
}

# kn_weftd I: node I's weftd from the host's build, on the API server with
# weftd's token (the weft-node ClusterRole only), ready.
kn_weftd() {
	local i=$1 dir
	dir=$(cl_node_dir "$i")
	printf '%s\n' "$KUBE_WEFTD_TOKEN" >"$dir/token"
	kube_kubeconfig "$dir/kubeconfig" "$dir/token"
	nsenter --net="/run/netns/$(cl_node_name "$i")" "$WEFTD" --node-name "$(cl_node_name "$i")" \
		--kubeconfig "$dir/kubeconfig" --state-dir "$dir/state" --bpffs "$dir/bpffs" \
		--socket "$dir/weftd.sock" --bpf-dir "$OUTPUT/bpf" --log-level debug \
		>>"$dir/weftd.log" 2>&1 &
	echo $! >"$dir/weftd.pid"
	wait_until 20000 eval '[[ $(cl_weftctl '"$i"' -o json status 2>/dev/null | jq -r .ready) == true ]]' ||
		{ tail -30 "$dir/weftd.log" >&2; return 1; }
}

# kn_pod I NAME LABELS: a pod on node I in $KN_NS running busybox's httpd on
# 8080 (answers "weft-ok"), given to the API server (kubelet does the rest).
kn_pod() {
	local i=$1 name=$2 labels=$3
	jq -n --arg ns "$KN_NS" --arg n "$name" --arg node "$(cl_node_name "$i")" --arg img "$KN_IMAGE" \
		--argjson l "$labels" '{apiVersion: "v1", kind: "Pod",
		metadata: {name: $n, namespace: $ns, labels: $l},
		spec: {nodeName: $node, terminationGracePeriodSeconds: 1, enableServiceLinks: false,
			containers: [{name: "c", image: $img, imagePullPolicy: "Never",
				command: ["sh", "-c", "mkdir -p /tmp/w && echo weft-ok >/tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w"],
				ports: [{containerPort: 8080, protocol: "TCP"}]}]}}' | kc apply -f - >/dev/null
}

# kn_pods_ready NAMES...: wait until kubelet reports every pod Ready.
kn_pods_ready() {
	local p
	for p in "$@"; do
		kc -n "$KN_NS" wait --for=condition=Ready "pod/$p" --timeout=90s >/dev/null || {
			kc -n "$KN_NS" describe pod "$p" | tail -15 >&2
			return 1
		}
	done
}

# kn_pod_ip NAME: the pod's IP as kubelet reported it in its status.
kn_pod_ip() { kc -n "$KN_NS" get pod "$1" -o jsonpath='{.status.podIP}'; }

# kn_exec POD CMD...: CMD inside the pod's container (kubectl exec: the API
# server, kubelet's streaming proxy, containerd's CRI).
kn_exec() {
	local pod=$1
	shift
	kc -n "$KN_NS" exec "$pod" -- "$@"
}

# kn_get POD IP: an HTTP GET from POD to IP:8080 with busybox nc (3 s);
# prints the page. (Debian's static busybox wget crashes: SIGSEGV.)
kn_get() {
	kn_exec "$1" sh -c "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 $2 8080" 2>/dev/null | tail -n 1
}

# in_cidr IP CIDR: IPv4 containment.
in_cidr() {
	python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$2"
}

# kn_veths I: the host-side pod veths (wft*) in node I's namespace.
kn_veths() {
	in_cl_node "$1" ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep '^wft' || true
}

# --- tear-down ----------------------------------------------------------------

# kn_pod_uids: the uids of every pod the API server or a node's kubelet
# knows (theirs are the only /var/log/pods entries this test may remove).
kn_pod_uids() {
	local d
	kc get pods -A -o json 2>/dev/null | jq -r '.items[].metadata.uid' || true
	for d in "$WT_DIR"/n*/kn/kubelet/root/pods/*; do
		[[ -d $d ]] && basename "$d"
	done
}

# kn_delete_pods KUBECTL_SCOPE...: delete those pods and wait (30 s at most)
# until kubelet has stopped them and the API server has let them go.
kn_delete_pods() {
	kc delete pods "$@" --all --grace-period=1 --wait=false >/dev/null 2>&1 || true
	for _ in $(seq 60); do
		[[ -z $(kc get pods "$@" -o name 2>/dev/null) ]] && return 0
		sleep 0.5
	done
}

# kn_container_gone ID: what a container whose shim died may leave: its
# processes and cgroups (the kubelet's cgroupfs driver puts them under
# k8s.io in every hierarchy) and runc's state.
kn_container_gone() {
	local id=$1 cg pid
	for cg in /sys/fs/cgroup/*/k8s.io/"$id" /sys/fs/cgroup/k8s.io/"$id"; do
		[[ -d $cg ]] || continue
		while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$cg/cgroup.procs"
	done
	for cg in /sys/fs/cgroup/*/k8s.io/"$id" /sys/fs/cgroup/k8s.io/"$id"; do
		[[ -d $cg ]] || continue
		for _ in $(seq 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
	rm -rf "/run/containerd/runc/k8s.io/$id"
}

# kubenode_down: everything kubenode_up and the tests made, then wt_teardown.
kubenode_down() {
	[[ -n ${WT_DIR:-} && -d $WT_DIR ]] || return 0
	local uids=() kn ids id f
	if [[ -n ${KUBE_DIR:-} ]] && kube_alive; then
		mapfile -t uids < <(kn_pod_uids)
		# Deleted while the nodes run, so that kubelet stops them with a CNI
		# DEL; the test's pods first, while a weftd of the DaemonSet still
		# serves them. No controller-manager: a Namespace's or a
		# DaemonSet's deletion would leave its pods.
		kn_delete_pods -n "$KN_NS"
		kc -n kube-system delete daemonset --all --wait=false >/dev/null 2>&1 || true
		kn_delete_pods -A
	fi
	for kn in "$WT_DIR"/n*/kn; do
		[[ -S $kn/containerd.sock ]] || continue
		# Sandboxes the DEL above missed: libcni's cache files (named after
		# the container id) go with them.
		ids=$(ctr -a "$kn/containerd.sock" -n k8s.io containers ls -q 2>/dev/null) || true
		# node.sh stop kills the shims, not the containers' processes:
		# those are killed here, through containerd, while it runs.
		for id in $ids; do
			ctr -a "$kn/containerd.sock" -n k8s.io tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
			ctr -a "$kn/containerd.sock" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
			rm -f /var/lib/cni/results/*-"$id"-*
		done
		"$KUBE_SRC/node.sh" stop "$kn" >/dev/null 2>&1 || true
		for id in $ids; do kn_container_gone "$id"; done
		for f in "$kn"/kubelet/root/pods/*; do [[ -d $f ]] && uids+=("$(basename "$f")"); done
	done
	# kubelet's symlinks in /var/log/containers point into the pod's dir.
	for id in "${uids[@]}"; do
		[[ -n $id ]] || continue
		for f in /var/log/containers/*; do
			[[ -L $f && $(readlink "$f") == */*_"$id"/* ]] && rm -f "$f"
		done
		rm -rf /var/log/pods/*_"$id"
	done
	# and those of the test's namespace that kubelet had no time to remove
	[[ -n ${KN_NS:-} ]] && rm -rf /var/log/pods/"${KN_NS}"_*
	rm -f /var/log/containers/*_"${KN_NS:-none}"_*
	# The directories containerd and kubelet made, when no other node uses them
	rmdir /var/log/pods /var/log/containers /run/containerd/runc/k8s.io /run/containerd/runc \
		/run/containerd/s /run/containerd /sys/fs/cgroup/*/k8s.io 2>/dev/null || true
	[[ -n ${KUBE_DIR:-} ]] && "$KUBE_SRC/stop.sh" "$KUBE_DIR" >/dev/null 2>&1
	wt_teardown
}
