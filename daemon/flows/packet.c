// SPDX-License-Identifier: Apache-2.0
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "daemon/flows/packet.h"

#define ETH_HLEN_	14
#define ETH_P_IPV4	0x0800
#define IPV4_MIN_HLEN	20
#define IPV4_OFFSET	0x1fff
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQ	8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse_l4(const uint8_t *l4, size_t len, struct flow_packet *out)
{
	switch (out->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (len < 4)
			return;
		out->ports = true;
		out->sport = be16(l4);
		out->dport = be16(l4 + 2);
		/* The flags are byte 13 of the TCP header. */
		if (out->protocol == IPPROTO_TCP && len >= 14) {
			out->tcp = true;
			out->tcp_flags = l4[13];
		}
		break;
	case IPPROTO_ICMP:
		if (len < 2)
			return;
		out->icmp = true;
		out->icmp_type = l4[0];
		out->icmp_code = l4[1];
		if ((l4[0] == ICMP_ECHO_REQ || l4[0] == ICMP_ECHO_REPLY) && len >= 6) {
			out->ports = true;
			out->sport = out->dport = be16(l4 + 4);
		}
		break;
	}
}

void flow_packet_parse(const uint8_t *hdr, size_t len, struct flow_packet *out)
{
	const uint8_t *ip = hdr + ETH_HLEN_;
	size_t ihl;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN_)
		return;
	memcpy(out->src_mac, hdr + 6, sizeof(out->src_mac));
	out->ethertype = be16(hdr + 12);
	if (out->ethertype != ETH_P_IPV4 || len < ETH_HLEN_ + IPV4_MIN_HLEN || ip[0] >> 4 != 4)
		return;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < IPV4_MIN_HLEN)
		return;
	out->ipv4 = true;
	out->protocol = ip[9];
	memcpy(&out->saddr, ip + 12, 4);
	memcpy(&out->daddr, ip + 16, 4);
	if (be16(ip + 6) & IPV4_OFFSET) {
		out->fragment = true;
		return;
	}
	if (len > ETH_HLEN_ + ihl)
		parse_l4(ip + ihl, len - ETH_HLEN_ - ihl, out);
}

const char *flow_proto_name(uint8_t protocol, char *buf, size_t sz)
{
	switch (protocol) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_ICMP: return "icmp";
	}
	snprintf(buf, sz, "%u", protocol);
	return buf;
}

const char *flow_tcp_flags(uint8_t flags, char *buf, size_t sz)
{
	static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 8; i++) {
		if (!(flags & (1u << i)) || off >= sz)
			continue;
		off += (size_t)snprintf(buf + off, sz - off, "%s%s", off ? "," : "", names[i]);
	}
	return buf;
}
