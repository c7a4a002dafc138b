#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The real install on a real kubelet node (kubenode.bash): the image `make
# image` builds, saved with the engine and imported into node 1's
# containerd, and manifests/weft.yaml applied with kubectl. Node 1 runs no
# weftd of the host's: the DaemonSet's pod is the one, with hostNetwork in
# node 1's namespace; node 2 runs the host's build (93-k8s-nodes' way).
#
# A copy of the manifest is edited in the test (node and the `yaml` npm
# package in $OUTPUT/npm turn it into JSON, tests/manifests/validate.cjs
# --json; jq edits that; kubectl applies it), changing only what a node of
# this machine needs:
#   - the DaemonSet's host paths (/opt/cni/bin, /etc/cni/net.d,
#     /var/lib/weft, /run/weft, /sys/fs/bpf) point under the test's dir,
#     and the node's containerd takes its CNI dirs from there: every node
#     on the machine shares the host's filesystem;
#   - the conflist's socket and log file (the plugin runs on the host, in
#     containerd's mount namespace) the same way;
#   - KUBERNETES_SERVICE_HOST and _PORT on weftd: the API server's own
#     address, as README says for a cluster without kube-proxy.
# The node's "/sys/fs/bpf" is a plain directory, bind-mounted on itself and
# made shared: mount-bpffs really mounts the bpffs (a Bidirectional mount
# needs a shared source, which / is not here), and it goes with the test.
#
# No controller-manager runs, so nothing creates the DaemonSet's pod or
# writes its status: kn_daemonset_pod creates the pod the DaemonSet
# controller would (its template, this node, the DaemonSet as controlling
# owner) with the service account volume the ServiceAccount admission
# plugin would add (off in this API server), and the root CA ConfigMap the
# controller-manager would publish. The DaemonSet's numberReady would
# count that pod's Ready condition, which kubelet sets from the readiness
# probe (GET /readyz on the node's address); the test checks that condition.
#
# Skipped, naming what is missing, where 93-k8s-nodes is, or without an
# image engine (podman, or a Docker engine) or node. Building the image the
# first time takes about 4 minutes, then 20 to 30 s after a source change.

load helpers
load cluster
load kube
load kubenode

BATS_TEST_TIMEOUT=${WEFT_KUBENODE_TIMEOUT:-300}

# install_missing: what 94 needs beyond 93 (nothing when all is there).
install_missing() {
	local engine
	engine=$("$WEFT_SRC/scripts/image.sh" --engine) || { echo "$engine"; return; }
	command -v node >/dev/null || { echo "node is not installed (make deps installs it)"; return; }
	node "$WEFT_SRC/tests/manifests/validate.cjs" --json "$WEFT_SRC/manifests/weft.yaml" >/dev/null 2>&1 ||
		echo "the manifest check's npm packages are missing in $OUTPUT/npm (make deps)"
}

setup_file() {
	KN_SKIP=$(kubenode_missing)
	[[ -n $KN_SKIP ]] || KN_SKIP=$(install_missing)
	export KN_SKIP
	[[ -z $KN_SKIP ]] || return 0
	local engine
	engine=$("$WEFT_SRC/scripts/image.sh" --engine)
	# The image of this tree (quick when nothing changed).
	if ! "$WEFT_SRC/scripts/image.sh" >"$BATS_FILE_TMPDIR/build.log" 2>&1; then
		tail -n 30 "$BATS_FILE_TMPDIR/build.log" >&3
		return 1
	fi
	grep '^image: built' "$BATS_FILE_TMPDIR/build.log" >&3 || true
	kubenode_up 2
	HOSTDIR=$(cl_node_dir 1)/host
	export HOSTDIR
	mkdir -p "$HOSTDIR"/{opt-cni-bin,etc-cni-net.d,var-lib-weft,run-weft,sys-fs-bpf}
	# What a kubeadm node carries in /opt/cni/bin before any CNI: the
	# reference plugins containerd (loopback) and the conflist (portmap) use.
	cp "$KN_LOOPBACK" "$KN_PORTMAP" "$HOSTDIR/opt-cni-bin/"
	mount --bind "$HOSTDIR/sys-fs-bpf" "$HOSTDIR/sys-fs-bpf"
	mount --make-shared "$HOSTDIR/sys-fs-bpf"
	kubenode_start 1 "$HOSTDIR/opt-cni-bin" "$HOSTDIR/etc-cni-net.d"
	"$engine" save localhost/weft:latest -o "$WT_DIR/weft.tar" >/dev/null
	ctr -a "$(kn_dir 1)/containerd.sock" -n k8s.io images import "$WT_DIR/weft.tar" >/dev/null
	rm -f "$WT_DIR/weft.tar"
	kubenode_start 2
	kn_weftd 2
	install_manifest
	kn_daemonset_pod 1
}

teardown_file() {
	kubenode_down
}

setup() {
	kubenode_skip
}

# install_manifest: manifests/weft.yaml, its host paths and the API
# server's address rewritten for node 1 (above), applied with kubectl.
install_manifest() {
	local paths
	paths=$(jq -n --arg h "$HOSTDIR" '{"/opt/cni/bin": "\($h)/opt-cni-bin",
		"/etc/cni/net.d": "\($h)/etc-cni-net.d", "/var/lib/weft": "\($h)/var-lib-weft",
		"/run/weft": "\($h)/run-weft", "/sys/fs/bpf": "\($h)/sys-fs-bpf"}')
	node "$WEFT_SRC/tests/manifests/validate.cjs" --json "$WEFT_SRC/manifests/weft.yaml" 2>/dev/null |
		jq --argjson paths "$paths" --arg h "$HOSTDIR" --arg api "$KUBE_IP" '
		def hostpath: if .hostPath then
			.hostPath.path = ($paths[.hostPath.path] // error("unmapped hostPath \(.hostPath.path)"))
			else . end;
		{apiVersion: "v1", kind: "List", items: map(
			if .kind == "DaemonSet" then
				.spec.template.spec.volumes |= map(hostpath)
				| .spec.template.spec.containers |= map(if .name == "weftd" then
					.env += [{name: "KUBERNETES_SERVICE_HOST", value: $api},
						{name: "KUBERNETES_SERVICE_PORT", value: "6443"}] else . end)
			elif .kind == "ConfigMap" then
				.data["10-weft.conflist"] |= (fromjson | .plugins |= map(if .type == "weft" then
					.socket = "\($h)/run-weft/weftd.sock" | .logFile = "\($h)/weft-cni.log"
					else . end) | tojson)
			else . end)}' >"$WT_DIR/weft.json"
	kc apply -f "$WT_DIR/weft.json" >/dev/null
	# What the controller-manager's root CA publisher writes in every
	# namespace: the CA of the API server's certificate.
	kc -n kube-system create configmap kube-root-ca.crt \
		--from-file=ca.crt="$KUBE_DIR/certs/apiserver.crt" >/dev/null
}

# kn_daemonset_pod I: the DaemonSet weft's pod on node I, as the DaemonSet
# controller makes it, with the ServiceAccount admission plugin's volume.
kn_daemonset_pod() {
	local node
	node=$(cl_node_name "$1")
	kc -n kube-system get daemonset weft -o json | jq --arg node "$node" '
		{name: "kube-api-access-weft", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
			readOnly: true} as $mount |
		{apiVersion: "v1", kind: "Pod",
		 metadata: (.spec.template.metadata + {generateName: "weft-", namespace: "kube-system",
			ownerReferences: [{apiVersion: "apps/v1", kind: "DaemonSet", name: .metadata.name,
				uid: .metadata.uid, controller: true, blockOwnerDeletion: true}]}),
		 spec: (.spec.template.spec + {nodeName: $node}
			| .volumes += [{name: $mount.name, projected: {defaultMode: 420, sources: [
				{serviceAccountToken: {expirationSeconds: 3607, path: "token"}},
				{configMap: {name: "kube-root-ca.crt", items: [{key: "ca.crt", path: "ca.crt"}]}},
				{downwardAPI: {items: [{path: "namespace",
					fieldRef: {apiVersion: "v1", fieldPath: "metadata.namespace"}}]}}]}}]
			| .containers |= map(.volumeMounts += [$mount])
			| .initContainers |= map(.volumeMounts += [$mount]))}' |
		kc create -f - -o name >"$WT_DIR/ds-pod"
	DS_POD=$(cut -d/ -f2 "$WT_DIR/ds-pod")
	export DS_POD
}

# weftctl1: weftctl on node 1's socket, the DaemonSet's weftd.
weftctl1() { "$WEFTCTL" --socket "$HOSTDIR/run-weft/weftd.sock" "$@"; }

@test "install: the DaemonSet's pod on a kubelet node: the init containers install the plugin and conflist, weftd becomes ready" {
	kc -n kube-system wait --for=condition=Ready "pod/$DS_POD" --timeout=120s >/dev/null || {
		kc -n kube-system describe pod "$DS_POD" | tail -25
		kc -n kube-system logs "$DS_POD" -c weftd --tail=20 || true
		false
	}
	local pod
	pod=$(kc -n kube-system get pod "$DS_POD" -o json)
	# Both init containers ran to completion, in order, with hostNetwork.
	[ "$(jq -r '[.status.initContainerStatuses[] | "\(.name)=\(.state.terminated.exitCode)"] | join(" ")' <<<"$pod")" = \
		"mount-bpffs=0 install-cni=0" ]
	[ "$(jq -r .spec.hostNetwork <<<"$pod")" = true ]
	[ "$(jq -r '.metadata.ownerReferences[0].kind' <<<"$pod")" = DaemonSet ]
	# mount-bpffs mounted a bpffs on the node's (the test's) directory, and
	# weftd pinned its programs and maps there, nowhere else.
	[ "$(stat -f -c %T "$HOSTDIR/sys-fs-bpf")" = bpf_fs ]
	[ -e "$HOSTDIR/sys-fs-bpf/weft/weft_endpoints" ]
	[ ! -e /sys/fs/bpf/weft ]
	# install-cni: the image's plugin, answering VERSION, and the
	# ConfigMap's conflist, whole, under their names.
	echo '{"cniVersion": "1.0.0"}' | CNI_COMMAND=VERSION "$HOSTDIR/opt-cni-bin/weft" | jq -e .supportedVersions
	[ "$(jq -r .plugins[0].socket "$HOSTDIR/etc-cni-net.d/10-weft.conflist")" = "$HOSTDIR/run-weft/weftd.sock" ]
	cmp <(kc -n kube-system get configmap weft-config -o jsonpath='{.data.10-weft\.conflist}') \
		"$HOSTDIR/etc-cni-net.d/10-weft.conflist"
	[ -z "$(find "$HOSTDIR" -name '*.tmp')" ]
	# weftd: kubelet marked the container ready from its /readyz probe,
	# and weftctl ready agrees inside the container; the API server reached with
	# the pod's service account token; node 1's pod range and both nodes.
	[ "$(jq -r '.status.containerStatuses[] | select(.name == "weftd") | .ready' <<<"$pod")" = true ]
	kc -n kube-system exec "$DS_POD" -c weftd -- weftctl ready
	run weftctl1 -o json status
	echo "$output" | jq -c '{ready, podCIDR, cluster: .cluster.credentials, nodes: .overlay.nodes}'
	[ "$(jq -r .ready <<<"$output")" = true ]
	[ "$(jq -r .podCIDR <<<"$output")" = "$(cl_node_cidr 1)" ]
	[[ $(jq -r .cluster.credentials <<<"$output") == *in-cluster* ]]
	[ "$(jq -r .overlay.nodes <<<"$output")" = 2 ]
	# The node turned Ready on the conflist the DaemonSet installed.
	kc wait --for=condition=Ready "node/$(cl_node_name 1)" --timeout=30s >/dev/null
}

@test "install: a pod on that node gets its network through the DaemonSet's weftd and reaches a pod on the other node; its deletion is a DEL through it" {
	kc -n kube-system wait --for=condition=Ready "pod/$DS_POD" --timeout=120s >/dev/null
	kn_pod 1 x '{"app": "x"}'
	kn_pod 2 y '{"app": "y"}'
	kn_pods_ready x y
	local x y
	x=$(kn_pod_ip x) y=$(kn_pod_ip y)
	in_cidr "$x" "$(cl_node_cidr 1)"
	in_cidr "$y" "$(cl_node_cidr 2)"
	[ "$(weftctl1 -o json endpoints | jq -r --arg ns "$KN_NS" \
		'.endpoints[] | select(.k8s.namespace == $ns and .k8s.name == "x") | .ips[0]')" = "$x" ]
	kn_exec x ping -c 1 -W 2 "$y"
	[ "$(kn_get x "$y")" = weft-ok ]
	[ "$(kn_get y "$x")" = weft-ok ]
	kc -n "$KN_NS" delete pod x --grace-period=1 --timeout=60s >/dev/null
	[ "$(weftctl1 -o json endpoints | jq '.endpoints | length')" = 0 ]
	[ -z "$(kn_veths 1)" ]
	[ -z "$(find "$HOSTDIR/sys-fs-bpf/weft/endpoints" -mindepth 1 2>/dev/null)" ]
}
