// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <stddef.h>

#include "bpf/datapath.h"
#include "reasons.h"

const char *weft_reason_name(int reason)
{
	switch (reason) {
	case WEFT_FWD_HOST: return "forward-host";
	case WEFT_FWD_LOCAL: return "forward-local";
	case WEFT_FWD_ARP_REPLY: return "arp-reply";
	case WEFT_FWD_TO_POD: return "deliver-to-pod";
	case WEFT_FWD_TUNNEL: return "forward-tunnel";
	case WEFT_DROP_INVALID_PACKET: return "drop-invalid-packet";
	case WEFT_DROP_SPOOFED_MAC: return "drop-spoofed-mac";
	case WEFT_DROP_SPOOFED_IP: return "drop-spoofed-ip";
	case WEFT_DROP_UNSUPPORTED_L3: return "drop-unsupported-l3";
	case WEFT_DROP_ARP_NOT_GATEWAY: return "drop-arp-not-gateway";
	case WEFT_DROP_TTL_EXCEEDED: return "drop-ttl-exceeded";
	case WEFT_DROP_NOT_FOR_POD: return "drop-not-for-pod";
	case WEFT_DROP_REDIRECT_FAILED: return "drop-redirect-failed";
	case WEFT_DROP_CSUM_FAILED: return "drop-csum-failed";
	case WEFT_DROP_NO_TUNNEL: return "drop-no-tunnel";
	case WEFT_DROP_TUNNEL_KEY: return "drop-tunnel-key";
	case WEFT_DROP_TUNNEL_SOURCE: return "drop-tunnel-source";
	case WEFT_DROP_POLICY_DENIED: return "drop-policy-denied";
	case WEFT_DROP_POLICY_REVOKED: return "drop-policy-revoked";
	case WEFT_DROP_NO_POLICY_MAP: return "drop-no-policy-map";
	case WEFT_DROP_NO_ENDPOINT: return "drop-no-endpoint";
	}
	return NULL;
}

const char *weft_direction_name(int dir)
{
	switch (dir) {
	case WEFT_DIR_FROM_POD: return "from-pod";
	case WEFT_DIR_TO_POD: return "to-pod";
	case WEFT_DIR_OVERLAY: return "from-overlay";
	case WEFT_DIR_TO_OVERLAY: return "to-overlay";
	}
	return NULL;
}

const char *weft_reason_label(int reason, char *buf, size_t len)
{
	const char *name = weft_reason_name(reason);

	if (name)
		return name;
	snprintf(buf, len, "reason-%d", reason);
	return buf;
}

const char *weft_direction_label(int dir, char *buf, size_t len)
{
	const char *name = weft_direction_name(dir);

	if (name)
		return name;
	snprintf(buf, len, "direction-%d", dir);
	return buf;
}
