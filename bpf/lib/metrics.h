/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The single exit of every program: count the verdict, turn drop reasons into
 * TC_ACT_SHOT. Entry points return weft_verdict(...) and nothing else, so no
 * packet leaves uncounted.
 */
#ifndef WEFT_BPF_METRICS_H
#define WEFT_BPF_METRICS_H

#include "common.h"
#include "maps.h"
#include "flow.h"
#include "explain.h"

static __always_inline void metrics_count(const struct __sk_buff *skb, enum weft_direction dir,
					  enum weft_reason reason)
{
	__u32 idx = reason < 0 ? -reason : reason;
	struct weft_metrics_value *v;

	/* The array map bounds-checks the key itself; this keeps a reason that
	 * was added without raising WEFT_REASON_MAX from landing in the next
	 * direction's slots. */
	if (idx >= WEFT_REASON_MAX)
		return;
	idx += (__u32)dir * WEFT_REASON_MAX;

	v = bpf_map_lookup_elem(&weft_metrics, &idx);
	if (!v)
		return;
	/* Per-CPU value and tc runs with bottom halves off on this CPU: plain
	 * adds are safe, no atomics needed. */
	v->packets++;
	v->bytes += skb->len;
}

/*
 * @action is TC_ACT_OK or what bpf_redirect() or bpf_redirect_peer()
 * returned. A redirect the helper refused comes back as TC_ACT_SHOT; it is
 * counted as a drop, not as the forward the caller intended.
 *
 * Every drop is also a flow event (lib/flow.h) for endpoint @ep_id (0: the
 * overlay's programs): here, so that no drop goes unexplained, and only on
 * the drop branch, so a forwarded packet pays one compare for it.
 */
static __always_inline int weft_verdict(struct __sk_buff *skb, enum weft_direction dir,
					enum weft_reason reason, int action, __u32 ep_id,
					bool explain)
{
	if (reason > 0 && action == TC_ACT_SHOT)
		reason = WEFT_DROP_REDIRECT_FAILED;
	if (explain) {
		explain_verdict(skb, reason);
		return reason < 0 ? TC_ACT_SHOT : action;
	}
	metrics_count(skb, dir, reason);
	if (reason < 0) {
		flow_drop(skb, dir, reason, ep_id);
		return TC_ACT_SHOT;
	}
	return action;
}

#endif
