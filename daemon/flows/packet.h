/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The headers of a flow event's frame (struct weft_flow_event's hdr[]), as a
 * flow record shows them: the datapath copies the frame's first bytes and
 * leaves the parsing to weftd, so a truncated, spoofed or malformed frame
 * is reported as far as it goes, never refused.
 */
#ifndef WEFTD_FLOWS_PACKET_H
#define WEFTD_FLOWS_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow_packet {
	uint8_t src_mac[6];
	uint16_t ethertype; /* 0 when even the Ethernet header is cut */
	bool ipv4;	    /* an IPv4 header is there: the fields below */
	uint8_t protocol;
	uint32_t saddr, daddr; /* network order */
	bool ports;	       /* TCP, UDP or SCTP ports, or an ICMP echo id, were read */
	uint16_t sport, dport; /* host order; an ICMP echo: the id both ways */
	bool tcp;	       /* TCP flags were read */
	uint8_t tcp_flags;
	bool icmp;
	uint8_t icmp_type, icmp_code;
	bool fragment; /* a non-first fragment: no transport header */
};

/* Parse @len bytes of a frame from its Ethernet header. Never fails: what
 * is cut short is left out (*out zeroed first). */
void flow_packet_parse(const uint8_t *hdr, size_t len, struct flow_packet *out);
/* "tcp", "udp", "sctp", "icmp", or the number. @buf of 8 bytes at least. */
const char *flow_proto_name(uint8_t protocol, char *buf, size_t sz);
/* TCP flags as "SYN,ACK" ("" for none) into @buf (32 bytes is enough). */
const char *flow_tcp_flags(uint8_t flags, char *buf, size_t sz);

#endif
