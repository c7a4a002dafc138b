# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Sequenced streams for the no-loss suites (60-upgrade, 67-upgrade-multinode):
# tests/tools/seqstream between two network namespaces, a UDP stream
# (UDP_RATE packets/s) and a TCP connection (TCP_RATE 64-byte messages/s),
# each named, several at once. Load after helpers.bash; call stream_kill in
# teardown.

SEQ=$OUTPUT/tests/tools/seqstream
STREAMS=()

# stream_start NAME FROM_NS TO_NS TO_IP SECONDS: UDP (port 5001) and TCP
# (5002) from namespace FROM_NS to TO_IP in TO_NS for SECONDS. nsenter (not a
# shell function, which would fork a subshell) execs seqstream, so the pids
# are its own; the output goes to files so bats does not wait on them. The
# caller leaves the TCP connection time to be established (0.5 s).
stream_start() {
	local name=$1 from=$2 to=$3 ip=$4 secs=$5
	nsenter --net="/run/netns/$to" "$SEQ" udp-recv 5001 >"$WT_DIR/$name-udp-recv.json" 2>&1 3>&- &
	printf -v "PID_${name}_udp_recv" %s $!
	nsenter --net="/run/netns/$to" "$SEQ" tcp-recv 5002 >"$WT_DIR/$name-tcp-recv.json" 2>&1 3>&- &
	printf -v "PID_${name}_tcp_recv" %s $!
	sleep 0.3
	nsenter --net="/run/netns/$from" "$SEQ" udp-send "$ip" 5001 "$UDP_RATE" "$secs" \
		>"$WT_DIR/$name-udp-send.json" 2>&1 3>&- &
	printf -v "PID_${name}_udp_send" %s $!
	nsenter --net="/run/netns/$from" "$SEQ" tcp-send "$ip" 5002 "$TCP_RATE" "$secs" \
		>"$WT_DIR/$name-tcp-send.json" 2>&1 3>&- &
	printf -v "PID_${name}_tcp_send" %s $!
	STREAMS+=("$name")
}

# stream_pid NAME udp_send|tcp_send|udp_recv|tcp_recv: that process's pid
# (empty once stream_check has reaped it).
stream_pid() {
	local v="PID_$1_$2"
	echo "${!v:-}"
}

# stream_kill: stop whatever still runs of every stream (teardown).
stream_kill() {
	local s k p
	for s in "${STREAMS[@]}"; do
		for k in udp_send tcp_send udp_recv tcp_recv; do
			p=$(stream_pid "$s" "$k")
			[[ -n $p ]] && kill "$p" 2>/dev/null
		done
	done
	STREAMS=()
}

# stream_check NAME: wait for NAME's senders, stop its UDP receiver, and
# require every UDP datagram and every TCP message to have arrived exactly
# once, in a connection that never broke.
stream_check() {
	local n=$1 rc_udp=0 rc_tcp=0 sent got
	wait "$(stream_pid "$n" udp_send)" || rc_udp=$?
	wait "$(stream_pid "$n" tcp_send)" || rc_tcp=$?
	wait "$(stream_pid "$n" tcp_recv)" || rc_tcp=$?
	sleep 0.3
	kill -TERM "$(stream_pid "$n" udp_recv)"
	wait "$(stream_pid "$n" udp_recv)" || rc_udp=$?
	printf -v "PID_${n}_udp_send" %s ''
	printf -v "PID_${n}_tcp_send" %s ''
	printf -v "PID_${n}_udp_recv" %s ''
	printf -v "PID_${n}_tcp_recv" %s ''
	echo "$n udp sent: $(cat "$WT_DIR/$n-udp-send.json") received: $(cat "$WT_DIR/$n-udp-recv.json")" >&2
	echo "$n tcp sent: $(cat "$WT_DIR/$n-tcp-send.json") received: $(cat "$WT_DIR/$n-tcp-recv.json")" >&2
	[ "$rc_udp" -eq 0 ]
	[ "$rc_tcp" -eq 0 ]
	sent=$(jq .sent "$WT_DIR/$n-udp-send.json")
	got=$(jq .received "$WT_DIR/$n-udp-recv.json")
	[ "$sent" -ge "$UDP_RATE" ]
	[ "$got" -eq "$sent" ]
	[ "$(jq .missing "$WT_DIR/$n-udp-recv.json")" -eq 0 ]
	[ "$(jq .duplicates "$WT_DIR/$n-udp-recv.json")" -eq 0 ]
	sent=$(jq .sent "$WT_DIR/$n-tcp-send.json")
	[ "$sent" -gt 0 ]
	[ "$(jq .ok "$WT_DIR/$n-tcp-send.json")" = true ]
	[ "$(jq .ok "$WT_DIR/$n-tcp-recv.json")" = true ]
	[ "$(jq .received "$WT_DIR/$n-tcp-recv.json")" -eq "$sent" ]
}
