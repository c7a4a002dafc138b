/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow events (bpf/datapath.h, "Flow events"): a verdict explained to weftd
 * through the weft_flow_events ring buffer, under a per-CPU rate limit, every
 * attempt counted in weft_flow_stats as sent, suppressed or ringbuf_full.
 *
 * Nothing here runs for a forwarded packet of an established flow: drops
 * come from weft_verdict()'s drop branch, new flows from pod_flow()'s full
 * policy check. That is what keeps the drops mode free for forwarded traffic.
 */
#ifndef WEFT_BPF_FLOW_H
#define WEFT_BPF_FLOW_H

#include "common.h"
#include "maps.h"

#define FLOW_NSEC_PER_SEC 1000000000ULL

static __always_inline struct weft_flow_config *flow_config(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&weft_flow_config, &key);
}

/*
 * The token bucket, counted in nanoseconds of credit: time adds credit (up
 * to @burst events' worth), an event takes 1e9 / rate of it. Integer only,
 * and nothing is lost to rounding between two events. Per CPU, and tc runs
 * with bottom halves off on its CPU: plain reads and writes are safe.
 */
static __always_inline bool flow_rate_ok(struct weft_flow_stats *s,
					 const struct weft_flow_config *cfg)
{
	__u64 rate = cfg->rate ? cfg->rate : WEFT_FLOW_DEFAULT_RATE;
	__u64 burst = cfg->burst ? cfg->burst : rate;
	__u64 cost = FLOW_NSEC_PER_SEC / rate;
	__u64 now = bpf_ktime_get_ns();
	__u64 credit = s->credit_ns + (now - s->last_ns);

	/* The first event on a CPU finds last_ns 0: a full bucket. */
	if (credit > burst * cost)
		credit = burst * cost;
	s->last_ns = now;
	if (credit < cost) {
		s->credit_ns = credit;
		return false;
	}
	s->credit_ns = credit - cost;
	return true;
}

/*
 * Send one event about @skb unless the rate limit or a full ring buffer
 * stops it; either way counted once. The frame's first bytes are copied
 * with bpf_skb_load_bytes(), which also reaches a non-linear part; its
 * length must be a non-zero constant-bounded value for the verifier, hence
 * the clamp before the call.
 */
static __always_inline void flow_emit(struct __sk_buff *skb, const struct weft_flow_config *cfg,
				      __u8 kind, enum weft_direction dir, int reason, __u32 ep_id,
				      __u32 peer, __u32 rule)
{
	struct weft_flow_event *ev;
	struct weft_flow_stats *s;
	__u32 key = 0, len;

	s = bpf_map_lookup_elem(&weft_flow_stats, &key);
	if (!s)
		return;
	if (!flow_rate_ok(s, cfg)) {
		s->suppressed++;
		return;
	}
	ev = bpf_ringbuf_reserve(&weft_flow_events, sizeof(*ev), 0);
	if (!ev) {
		s->ringbuf_full++;
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->endpoint_id = ep_id;
	ev->ifindex = skb->ifindex;
	ev->pkt_len = skb->len;
	ev->peer_identity = peer;
	ev->rule = rule;
	ev->reason = (__s16)reason;
	ev->kind = kind;
	ev->direction = dir;
	ev->flags = 0;
	ev->pad = 0;
	ev->pad2 = 0;
	len = skb->len;
	if (len > WEFT_FLOW_HDR_LEN) {
		len = WEFT_FLOW_HDR_LEN;
		ev->flags = WEFT_FLOW_F_TRUNCATED;
	}
	if (len == 0 || bpf_skb_load_bytes(skb, 0, ev->hdr, len))
		len = 0;
	ev->hdr_len = (__u16)len;
	bpf_ringbuf_submit(ev, 0);
	s->sent++;
}

/* A drop, unless the mode is off. @ep_id: the pod's endpoint, 0 for the
 * overlay's programs. */
static __always_inline void flow_drop(struct __sk_buff *skb, enum weft_direction dir, int reason,
				      __u32 ep_id)
{
	struct weft_flow_config *cfg = flow_config();

	if (cfg && cfg->mode != WEFT_FLOW_MODE_OFF)
		flow_emit(skb, cfg, WEFT_FLOW_DROP, dir, reason, ep_id, 0, 0);
}

/*
 * A new flow allowed (@kind: WEFT_FLOW_ALLOWED by the rule @rule,
 * WEFT_FLOW_OPEN, WEFT_FLOW_NODE), with @peer's identity as policy saw it:
 * sent in the all mode, and in the policy mode when a rule allowed it.
 */
static __always_inline void flow_allowed(struct __sk_buff *skb, __u8 kind, enum weft_direction dir,
					 __u32 ep_id, __u32 peer, __u32 rule)
{
	struct weft_flow_config *cfg = flow_config();

	if (!cfg)
		return;
	if (cfg->mode == WEFT_FLOW_MODE_ALL ||
	    (cfg->mode == WEFT_FLOW_MODE_POLICY && kind == WEFT_FLOW_ALLOWED))
		flow_emit(skb, cfg, kind, dir, 0, ep_id, peer, rule);
}

#endif
