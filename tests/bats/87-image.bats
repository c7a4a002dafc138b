#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The image (manifests/Containerfile, scripts/image.sh): built as `make image`
# builds it, then run: weftd, weftctl and the plugin answer their version
# inside, and weftd runs as manifests/weft.yaml runs it (its arguments, its
# capabilities and no other, unprivileged, a read-only root, its probes) as
# node 1 of a two-node cluster in the test's own namespaces (cluster.bash):
# overlay, SNAT, live upgrade, pods that outlive the container.
# Skipped, with the reason, where neither podman nor a Docker engine is
# there.
#
# The first build makes the Debian base with debootstrap and installs the
# build packages (about 4 minutes here); later ones reuse both and only
# compile (20 to 30 s), or nothing when nothing changed (5 s).

: "${WEFT_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
load helpers
load cluster

# Building can take minutes, not seconds.
BATS_TEST_TIMEOUT=${WEFT_IMAGE_TIMEOUT:-1200}

setup_file() {
	cd "$WEFT_SRC"
	local why
	# bats 1.8 counts a skip in setup_file as a failure: say why here, skip
	# in setup().
	if ! why=$(scripts/image.sh --engine); then
		export IMAGE_MISSING=$why
		return 0
	fi
	export IMAGE_MISSING= ENGINE=$why IMAGE=localhost/weft:latest
	export VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)
	if ! WEFT_VERSION=$VERSION scripts/image.sh >"$BATS_FILE_TMPDIR/build.log" 2>&1; then
		tail -n 40 "$BATS_FILE_TMPDIR/build.log" >&3
		return 1
	fi
	grep '^image: built' "$BATS_FILE_TMPDIR/build.log" >&3 || true
}

setup() {
	[[ -z ${IMAGE_MISSING:-} ]] || skip "$IMAGE_MISSING"
	CTR=
}

teardown() {
	[[ -n $CTR ]] && "$ENGINE" rm -f -t 2 "$CTR" >/dev/null 2>&1
	wt_teardown
}

# run_image ARGS...: "$ENGINE run" as it works on any host: with podman, runc
# where installed (crun refuses a host whose cgroup v1 and v2 hierarchies are
# both mounted, as some are) and ulimits no higher than this shell's hard
# ones (podman would raise them, which needs CAP_SYS_RESOURCE).
run_image() {
	local flags=()
	if [[ $ENGINE == podman ]]; then
		command -v runc >/dev/null && flags+=(--runtime runc)
		local n p
		n=$(ulimit -Hn) p=$(ulimit -Hu)
		[[ $n == unlimited || $n -gt 65536 ]] && n=65536
		[[ $p == unlimited || $p -gt 4096 ]] && p=4096
		"$ENGINE" "${flags[@]}" run --ulimit "nofile=$n:$n" --ulimit "nproc=$p:$p" "$@"
	else
		"$ENGINE" run "$@"
	fi
}

# manifest_weftd JQ: JQ on the weftd container of manifests/weft.yaml.
manifest_weftd() {
	node "$WEFT_SRC/tests/manifests/validate.cjs" --json "$WEFT_SRC/manifests/weft.yaml" 2>/dev/null |
		jq -r ".[] | select(.kind == \"DaemonSet\") | .spec.template.spec.containers[] |
			select(.name == \"weftd\") | $1"
}

@test "image: weftd, weftctl and the plugin answer their version inside" {
	run run_image --rm --network=none --entrypoint /usr/local/bin/weftd "$IMAGE" --version
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "weftd $VERSION" ]
	run run_image --rm --network=none --entrypoint /usr/local/bin/weftctl "$IMAGE" --version
	[ "$output" = "weftctl $VERSION" ]
	# The plugin as a runtime calls it: VERSION, the config on stdin.
	echo '{"cniVersion": "1.1.0"}' >"$BATS_TEST_TMPDIR/conf"
	run run_image --rm -i --network=none -e CNI_COMMAND=VERSION \
		--entrypoint /opt/weft/bin/weft "$IMAGE" <"$BATS_TEST_TMPDIR/conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -c .supportedVersions <<<"$output")" = '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' ]
	# What weftd needs beside itself: the objects in its default --bpf-dir, nft.
	run run_image --rm --network=none --entrypoint /bin/sh "$IMAGE" -c \
		'ls /usr/local/lib/weft && nft --version'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *weft_pod.bpf.o* && $output == *weft_overlay.bpf.o* && $output == *nftables* ]]
}

@test "image: weftd with only the manifest's capabilities runs a cluster node: probes, overlay, SNAT, upgrade, pods outliving it" {
	[[ $ENGINE == podman ]] || skip "needs podman, to run the container in the test's network namespace"
	command -v node >/dev/null || skip "node is not installed (make deps installs it)"
	# Two nodes and an external host (cluster.bash); node 1's weftd is the
	# image's, run as the DaemonSet runs it; node 2's is the host's build.
	cluster_net_up 2
	local dir caps args=() p
	dir=$(cl_node_dir 1)
	caps=$(manifest_weftd '.securityContext.capabilities.add | join(",")')
	[ "$(manifest_weftd '.securityContext.capabilities.drop | join(",")')" = ALL ]
	[ "$(manifest_weftd '.securityContext.readOnlyRootFilesystem')" = true ]
	mapfile -t args < <(manifest_weftd '.args[]' |
		sed "s/\$(NODE_NAME)/$(cl_node_name 1)/; s/\$(HOST_IP)/$(cl_node_ip 1)/")
	# The node's paths as the manifest mounts them: its bpffs on /sys/fs/bpf
	# (HostToContainer is rslave), its state dir, and its socket's directory
	# on /run/weft (the conflist's socket, $dir/weftd.sock). No API server
	# here: the cluster file stands in for it, read-only.
	CTR=weft-bats-$WT_ID
	run_image -d --name "$CTR" --network "ns:/run/netns/$(cl_node_name 1)" \
		--cap-drop=all --cap-add="$caps" --read-only \
		-v "$dir/bpffs:/sys/fs/bpf:rslave" -v "$dir/state:/var/lib/weft" -v "$dir:/run/weft" \
		-v "$WT_DIR:/cluster:ro" \
		"$IMAGE" "${args[@]}" --cluster-file=/cluster/cluster.json >/dev/null
	for _ in $(seq 100); do
		cl_serves 1 && break
		sleep 0.1
	done
	cl_serves 1 || { podman logs "$CTR"; false; }
	cluster_weftd_start 2
	# The probes, as kubelet runs them: HTTP GETs on the pod's IP, the node's
	# own (hostNetwork), at the port the manifest names; and the exec forms.
	local port
	port=$(manifest_weftd '.ports[] | select(.name == "metrics") | .containerPort')
	for p in readinessProbe livenessProbe; do
		[ "$(in_cl_node 1 curl -s -o /dev/null -w '%{http_code}' \
			"http://$(cl_node_ip 1):$port$(manifest_weftd ".$p.httpGet.path")")" = 200 ]
	done
	in_cl_node 1 curl -s "http://$(cl_node_ip 1):$port/metrics" | promtool check metrics
	podman exec "$CTR" /usr/local/bin/weftctl ready >/dev/null
	podman exec "$CTR" /usr/local/bin/weftctl live >/dev/null
	# The overlay device weftd made in the container, and its SNAT table.
	in_cl_node 1 ip -d link show weft_vxlan >/dev/null
	in_cl_node 1 nft list tables | grep -q weft
	# Pods on both nodes, wired by each node's plugin: across the overlay
	# both ways, and out through node 1's SNAT to a host with no route back.
	cluster_pod_add 1 a
	cluster_pod_add 2 b
	in_cl_pod a ping -c 1 -W 2 "$POD_IP_b"
	in_cl_pod b ping -c 1 -W 2 "$POD_IP_a"
	in_cl_pod a ping -c 1 -W 2 "$CL_EXT_IP"
	# A live upgrade swaps every program: BPF_PROG_GET_FD_BY_ID, SYS_ADMIN's.
	run podman exec "$CTR" weftctl upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	in_cl_pod a ping -c 1 -W 2 "$POD_IP_b"
	# The pins are on the node's bpffs, not the container's: node 1's pod
	# keeps talking once the container is gone.
	[ -d "$dir/bpffs/weft" ]
	podman rm -f -t 5 "$CTR" >/dev/null
	CTR=
	in_cl_pod a ping -c 1 -W 2 "$POD_IP_b"
}

# manifest_init NAME: the shell script of the DaemonSet's init container NAME.
manifest_init() {
	node "$WEFT_SRC/tests/manifests/validate.cjs" --json "$WEFT_SRC/manifests/weft.yaml" 2>/dev/null |
		jq -r ".[] | select(.kind == \"DaemonSet\") | .spec.template.spec.initContainers[] |
			select(.name == \"$1\") | .command[-1]"
}

@test "image: the init containers' scripts, run in the image: install-cni with no capability, mount-bpffs only where needed" {
	command -v node >/dev/null || skip "node is not installed (make deps installs it)"
	local d=$BATS_TEST_TMPDIR script
	mkdir -p "$d/bin" "$d/net.d" "$d/config" "$d/sysfs-dir" "$d/bpffs"
	echo '{"cniVersion": "1.1.0", "name": "t", "plugins": [{"type": "weft"}]}' >"$d/config/10-weft.conflist"
	# An old plugin in place: replaced, not appended to.
	echo old >"$d/bin/weft"
	script=$(manifest_init install-cni)
	run_image --rm --network=none --cap-drop=all --entrypoint /bin/sh \
		-v "$d/bin:/host/opt/cni/bin" -v "$d/net.d:/host/etc/cni/net.d" -v "$d/config:/etc/weft:ro" \
		"$IMAGE" -ec "$script"
	# The files, whole, under their names; no temporary one left.
	[ "$(stat -c %a "$d/bin/weft")" = 755 ]
	echo '{"cniVersion": "1.1.0"}' | CNI_COMMAND=VERSION "$d/bin/weft" | jq -e '.supportedVersions'
	cmp "$d/config/10-weft.conflist" "$d/net.d/10-weft.conflist"
	[ "$(stat -c %a "$d/net.d/10-weft.conflist")" = 644 ]
	[ -z "$(find "$d/bin" "$d/net.d" -name "*.tmp")" ]
	# mount-bpffs: a plain directory gets a bpffs; a bpffs is left as it is.
	script=$(manifest_init mount-bpffs)
	run run_image --rm --network=none --privileged -v "$d/sysfs-dir:/sys/fs/bpf" --entrypoint /bin/sh \
		"$IMAGE" -ec "$script; stat -f -c %T /sys/fs/bpf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = bpf_fs ]
	mount -t bpf bpf "$d/bpffs"
	run run_image --rm --network=none --privileged -v "$d/bpffs:/sys/fs/bpf" --entrypoint /bin/sh \
		"$IMAGE" -ec "$script; grep -c ' /sys/fs/bpf ' /proc/self/mountinfo"
	umount "$d/bpffs"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 1 ]
}
