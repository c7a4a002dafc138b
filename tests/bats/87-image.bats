#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The image (manifests/Containerfile, scripts/image.sh): built as `make image`
# builds it, then run: weftd, weftctl and the plugin answer their version
# inside, and weftd runs as manifests/weft.yaml runs it, unprivileged with
# only the DaemonSet's capabilities and a read-only root, in a node
# namespace of the test's own, where the node's plugin wires pods through
# it. Skipped, with the reason, where neither podman nor a Docker engine is
# there.
#
# The first build makes the Debian base with debootstrap and installs the
# build packages (about 4 minutes here); later ones reuse both and only
# compile (about a minute), or nothing when nothing changed (seconds).

: "${WEFT_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
load helpers

# Building can take minutes, not seconds.
BATS_TEST_TIMEOUT=${WEFT_IMAGE_TIMEOUT:-1200}

setup_file() {
	cd "$WEFT_SRC"
	local why
	why=$(scripts/image.sh --engine) || skip "$why"
	export ENGINE=$why IMAGE=localhost/weft:latest
	export VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)
	if ! WEFT_VERSION=$VERSION scripts/image.sh >"$BATS_FILE_TMPDIR/build.log" 2>&1; then
		tail -n 40 "$BATS_FILE_TMPDIR/build.log" >&3
		return 1
	fi
	grep '^image: built' "$BATS_FILE_TMPDIR/build.log" >&3 || true
}

setup() {
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

@test "image: weftd with only the manifest's capabilities wires pods, answers its probes, upgrades, and its pods outlive it" {
	[[ $ENGINE == podman ]] || skip "needs podman, to run the container in the test's network namespace"
	command -v node >/dev/null || skip "node is not installed (make deps installs it)"
	node_setup
	# The socket directory is the container's /run/weft, as on a node.
	mkdir -p "$WT_DIR/run"
	SOCK=$WT_DIR/run/weftd.sock
	local caps args=()
	caps=$(manifest_weftd '.securityContext.capabilities.add | join(",")')
	[ "$(manifest_weftd '.securityContext.capabilities.drop | join(",")')" = ALL ]
	[ "$(manifest_weftd '.securityContext.readOnlyRootFilesystem')" = true ]
	mapfile -t args < <(manifest_weftd '.args[]' | sed "s/\$(NODE_NAME)/$NODE/")
	# No API server here: the pod range is given (the cluster file's and the
	# API's multi-node cases are tested without containers).
	CTR=weft-bats-$WT_ID
	run_image -d --name "$CTR" --network "ns:$NODE_NS" \
		--cap-drop=all --cap-add="$caps" --read-only \
		-v "$BPFFS:/sys/fs/bpf:rslave" -v "$STATE:/var/lib/weft" -v "$WT_DIR/run:/run/weft" \
		"$IMAGE" "${args[@]}" --pod-cidr "$POD_CIDR" >/dev/null
	for _ in $(seq 100); do
		"$WEFTCTL" --socket "$SOCK" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$WEFTCTL" --socket "$SOCK" status || { podman logs "$CTR"; false; }
	# The probes, as kubelet runs them: inside the container.
	local p
	for p in readinessProbe livenessProbe; do
		mapfile -t args < <(manifest_weftd ".$p.exec.command[]")
		podman exec "$CTR" "${args[@]}" >/dev/null
	done
	# The node's runtime runs the plugin, which reaches weftd's socket.
	pod_add a
	pod_add b
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
	# A live upgrade swaps every program: BPF_PROG_GET_FD_BY_ID, SYS_ADMIN's.
	run podman exec "$CTR" weftctl upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	in_pod b ping -c 1 -W 2 "$(pod_ip a)"
	# The pins are on the node's bpffs, not the container's: the pods keep
	# talking once it is gone.
	[ -d "$BPFFS/weft" ]
	podman rm -f -t 5 "$CTR" >/dev/null
	CTR=
	in_pod a ping -c 1 -W 2 "$(pod_ip b)"
}
