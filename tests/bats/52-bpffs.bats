#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weftd's pin root on a node where nothing mounted /sys/fs/bpf (no systemd, a
# minimal image, a fresh Debian): weftd mounts the bpffs itself, checking
# first, and a start it refuses leaves no mount behind. Each test runs in a
# private mount namespace, so the host's own /sys/fs/bpf is never touched and
# whatever is mounted there goes with the namespace.

load helpers

setup() { node_setup; }
teardown() { wt_teardown; }

# in_private_mounts [bpffs|none] BPF_DIR EXPECT: run weftd with its default-like
# --bpffs /sys/fs/bpf/weft in a private mount namespace where /sys/fs/bpf is
# either a bpffs ("bpffs") or plain sysfs ("none"). EXPECT is "serve" or
# "refuse". Prints what /sys/fs/bpf is at each step.
in_private_mounts() {
	cat >"$WT_DIR/inner.sh" <<-'SH'
	set -eu
	sysfs_bpf=$1 node_ns=$2 weftd=$3 weftctl=$4 dir=$5 bpf_dir=$6 expect=$7
	fstype() { stat -f -c %T /sys/fs/bpf; }
	while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf; done
	[ "$sysfs_bpf" = bpffs ] && mount -t bpf bpf /sys/fs/bpf
	echo "before: $(fstype)"
	nsenter --net="$node_ns" "$weftd" --node-name bpffs-test --pod-cidr 10.244.1.0/24 \
		--state-dir "$dir/state" --socket "$dir/weftd.sock" --bpf-dir "$bpf_dir" \
		--bpffs /sys/fs/bpf/weft >>"$dir/weftd.log" 2>&1 &
	pid=$!
	if [ "$expect" = refuse ]; then
		wait "$pid" && { echo "weftd started"; exit 1; }
		echo "after: $(fstype)"
		echo "mounts: $(awk '$2 == "/sys/fs/bpf"' /proc/self/mounts | wc -l)"
		exit 0
	fi
	for _ in $(seq 100); do "$weftctl" --socket "$dir/weftd.sock" status >/dev/null 2>&1 && break; sleep 0.05; done
	"$weftctl" --socket "$dir/weftd.sock" status >/dev/null
	echo "serving: $(fstype)"
	echo "pins: $(ls /sys/fs/bpf/weft | tr '\n' ' ')"
	kill "$pid"
	wait "$pid" || true
	SH
	run unshare --mount --propagation private bash "$WT_DIR/inner.sh" "$1" "$NODE_NS" \
		"$WEFTD" "$WEFTCTL" "$WT_DIR" "$2" "$3"
	echo "$output"
	[ "$status" -eq 0 ] || { cat "$WT_DIR/weftd.log"; return 1; }
}

@test "weftd mounts the node's bpffs on an unmounted /sys/fs/bpf and pins under it" {
	in_private_mounts none "$OUTPUT/bpf" serve
	[[ $output == *"before: sysfs"* ]]
	[[ $output == *"serving: bpf_fs"* ]]
	[[ $output == *"pins: "*endpoints* ]]
	grep -q 'mounted a bpf filesystem on /sys/fs/bpf' "$WT_DIR/weftd.log"
}

@test "a start weftd refuses after mounting /sys/fs/bpf leaves no mount behind" {
	in_private_mounts none "$WT_DIR/no-such-bpf-dir" refuse
	[[ $output == *"before: sysfs"* ]]
	[[ $output == *"after: sysfs"* ]]
	[[ $output == *"mounts: 0"* ]]
	grep -q 'mounted a bpf filesystem on /sys/fs/bpf' "$WT_DIR/weftd.log"
}

@test "an already mounted /sys/fs/bpf is used as it is and never unmounted" {
	in_private_mounts bpffs "$OUTPUT/bpf" serve
	[[ $output == *"serving: bpf_fs"* ]]
	! grep -q 'mounted a bpf filesystem' "$WT_DIR/weftd.log"
	in_private_mounts bpffs "$WT_DIR/no-such-bpf-dir" refuse
	[[ $output == *"after: bpf_fs"* ]]
	[[ $output == *"mounts: 1"* ]]
}
