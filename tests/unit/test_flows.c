// SPDX-License-Identifier: Apache-2.0
/*
 * The user-space half of the flow events: the frame's headers as a record
 * shows them (truncated and non-IP frames too), the bounded history (the
 * oldest overwritten, sequence numbers, "since" and "last"), the filters,
 * and a record made from an event (names from the endpoints, the reason,
 * the interface) without a cluster or a policy engine.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/flows/history.h"
#include "daemon/flows/packet.h"
#include "daemon/flows/record.h"
#include "daemon/weftd.h"
#include "tests/unit/testing.h"

/* Ethernet + IPv4 (no options) + the first 14 bytes of TCP. */
static size_t tcp_frame(uint8_t *b, const char *src, uint16_t sport, const char *dst,
			uint16_t dport, uint8_t flags)
{
	uint32_t s = inet_addr(src), d = inet_addr(dst);

	memset(b, 0, 14 + 20 + 20);
	b[6] = 0x02;
	b[12] = 0x08;
	b[14] = 0x45;
	b[14 + 9] = IPPROTO_TCP;
	memcpy(b + 14 + 12, &s, 4);
	memcpy(b + 14 + 16, &d, 4);
	b[34] = (uint8_t)(sport >> 8), b[35] = (uint8_t)sport;
	b[36] = (uint8_t)(dport >> 8), b[37] = (uint8_t)dport;
	b[34 + 13] = flags;
	return 14 + 20 + 20;
}

static void test_packet(void)
{
	uint8_t b[64];
	struct flow_packet p;
	char buf[40];
	size_t len = tcp_frame(b, "10.0.0.1", 40000, "10.0.0.2", 80, 0x12);

	flow_packet_parse(b, len, &p);
	CHECK(p.ipv4 && p.protocol == IPPROTO_TCP && p.ports && p.tcp, "tcp: parsed");
	CHECK_INT(p.sport, 40000, "tcp: source port");
	CHECK_INT(p.dport, 80, "tcp: destination port");
	CHECK_STR(flow_tcp_flags(p.tcp_flags, buf, sizeof(buf)), "SYN,ACK", "tcp: flags");
	CHECK(p.saddr == inet_addr("10.0.0.1") && p.daddr == inet_addr("10.0.0.2"), "addresses");
	flow_packet_parse(b, 14 + 20 + 4, &p);
	CHECK(p.ports && !p.tcp, "cut after the ports: ports, no flags");
	flow_packet_parse(b, 20, &p);
	CHECK(!p.ipv4 && p.ethertype == 0x0800, "cut in the IP header: Ethernet only");
	flow_packet_parse(b, 10, &p);
	CHECK(!p.ethertype, "cut in the Ethernet header: nothing");
	b[14 + 6] = 0x00, b[14 + 7] = 0x10; /* fragment offset 16 */
	flow_packet_parse(b, len, &p);
	CHECK(p.fragment && !p.ports, "a non-first fragment: no ports");
	CHECK_STR(flow_proto_name(47, buf, sizeof(buf)), "47", "an unnamed protocol");
}

/* x/a -> y/b:80 denied at y/b's ingress. */
static const struct flow_match x_a_to_y_b = {.dropped = true,
					     .reason = "drop-policy-denied",
					     .src_ns = "x",
					     .src_pod = "a",
					     .dst_ns = "y",
					     .dst_pod = "b",
					     .ep_ns = "y",
					     .ep_pod = "b",
					     .sport = 1000,
					     .dport = 80};

static json_t *rec(int n)
{
	return json_pack("{s:i}", "n", n);
}

static void test_history(void)
{
	struct flow_history *h;
	struct flow_filter any = {.dropped = -1, .port = -1};
	const struct flow_match *m = &x_a_to_y_b;
	json_t *out;
	size_t left;

	CHECK_INT(flow_history_new(&h, 4), 0, "history of 4");
	CHECK_INT(flow_history_last(h), 0, "empty");
	for (int i = 1; i <= 6; i++)
		CHECK_INT(flow_history_add(h, rec(i), m), i, "record %d numbered %d", i, i);
	out = json_array();
	left = flow_history_query(h, &any, 0, 0, out);
	CHECK_INT(json_array_size(out), 4, "the last 4 kept");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(out, 0), "n")), 3,
		  "oldest first: 3");
	CHECK_INT(left, 0, "none left out");
	json_array_clear(out);
	left = flow_history_query(h, &any, 0, 2, out);
	CHECK(json_array_size(out) == 2 && left == 2, "last 2: 2 given, 2 left out");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(out, 0), "seq")), 5,
		  "last 2: from 5");
	json_array_clear(out);
	flow_history_query(h, &any, 5, 0, out);
	CHECK(json_array_size(out) == 1 &&
		      json_integer_value(json_object_get(json_array_get(out, 0), "seq")) == 6,
	      "since 5: just 6");
	json_array_clear(out);
	flow_history_query(h, &any, 1, 0, out);
	CHECK_INT(json_array_size(out), 4, "since a record overwritten: what is kept");
	json_decref(out);
	flow_history_free(h);
}

static void test_filter(void)
{
	const struct flow_match *m = &x_a_to_y_b;
	struct flow_filter f = {.dropped = -1, .port = -1};

	CHECK(flow_filter_match(&f, m), "no filter: matches");
	f.ns = "y";
	CHECK(flow_filter_match(&f, m), "namespace of the destination");
	f.ns = "z";
	CHECK(!flow_filter_match(&f, m), "another namespace");
	f.ns = NULL;
	f.pod_ns = "x", f.pod_name = "a";
	CHECK(flow_filter_match(&f, m), "the source pod");
	f.pod_name = "b";
	CHECK(!flow_filter_match(&f, m), "x/b is neither end");
	f.pod_name = NULL;
	f.dropped = 0;
	CHECK(!flow_filter_match(&f, m), "forwarded: no");
	f.dropped = 1;
	f.reason = "drop-policy-denied";
	f.port = 80;
	CHECK(flow_filter_match(&f, m), "dropped, its reason, its port");
	f.port = 1000;
	CHECK(flow_filter_match(&f, m), "the source port");
	f.port = 81;
	CHECK(!flow_filter_match(&f, m), "another port");
	f.port = -1;
	f.reason = "drop-spoofed-ip";
	CHECK(!flow_filter_match(&f, m), "another reason");
}

/* A record without cluster or engine: the endpoint's pod and interface,
 * the reason by name, the world for an address nothing knows. */
static void test_record(void)
{
	struct endpoint ep = {.id = 7, .host_ifname = "wft0123456789a", .nr_ips = 1};
	struct weftd d = {.endpoints = &ep};
	struct weft_flow_event ev = {.ts_ns = 1500000000ULL,
				     .endpoint_id = 7,
				     .pkt_len = 54,
				     .reason = WEFT_DROP_SPOOFED_IP,
				     .kind = WEFT_FLOW_DROP,
				     .direction = WEFT_DIR_FROM_POD};
	struct flow_match m;
	json_t *r;

	snprintf(d.cfg.node_name, sizeof(d.cfg.node_name), "n1");
	ep.ips[0].family = WEFT_FAMILY_IPV4;
	ep.ips[0].addr[0] = inet_addr("10.0.0.5");
	ep.k8s = json_pack("{s:s, s:s}", "namespace", "x", "name", "a");
	maps_init(&d.maps, "/nonexistent");
	ev.hdr_len = (uint16_t)tcp_frame(ev.hdr, "10.0.0.99", 1234, "10.0.0.5", 80, 0x02);
	r = flow_record(&d, &ev, 0, &m);
	CHECK(r != NULL, "a record");
	CHECK_STR(json_string_value(json_object_get(r, "reason")), "drop-spoofed-ip", "reason");
	CHECK_STR(json_string_value(json_object_get(r, "verdict")), "dropped", "verdict");
	CHECK_STR(json_string_value(json_object_get(r, "direction")), "from-pod", "direction");
	CHECK_STR(json_string_value(json_object_get(r, "interface")), "wft0123456789a",
		  "the endpoint's host veth");
	CHECK_STR(json_string_value(json_object_get(r, "time")), "1970-01-01T00:00:01.500000Z",
		  "time");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "source"), "kind")), "world",
		  "an unknown source: world");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "destination"), "pod")), "a",
		  "the destination: the local pod");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "ip"), "tcpFlags")), "SYN",
		  "flags");
	CHECK(!json_object_get(r, "policy"), "no policy part for a spoofed frame");
	CHECK(m.dropped && !strcmp(m.ep_ns, "x") && !strcmp(m.ep_pod, "a") && m.dport == 80,
	      "what the filters match on");
	json_decref(r);
	json_decref(ep.k8s);
}

int main(void)
{
	test_packet();
	test_history();
	test_filter();
	test_record();
	return test_done();
}
