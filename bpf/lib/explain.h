/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Explain runs (bpf/datapath.h, "Explain runs"): told apart once per program
 * entry, then carried as a bool, so a forwarded packet pays two context
 * loads and a compare, and every explain-only store sits on a branch that
 * real packets never take.
 */
#ifndef WEFT_BPF_EXPLAIN_H
#define WEFT_BPF_EXPLAIN_H

#include "common.h"

/*
 * Stores into the context go through this: the verifier only accepts a
 * context access at the context pointer plus a constant, and clang, given
 * several stores near each other (cb[4] and priority), computes one base
 * pointer inside the context for them ("dereference of modified ctx ptr").
 * The empty asm makes skb opaque before each store, so each is addressed
 * from skb itself. A hop is the second of its run when byte 0 of
 * WEFT_EXPLAIN_CB_REASONS is set: the first hop's weft_verdict() has run
 * before the tail call.
 */
#define EXPLAIN_STORE(skb, field, val)                                                             \
	do {                                                                                       \
		asm volatile("" : "+r"(skb));                                                      \
		(skb)->field = (val);                                                              \
	} while (0)

static __always_inline bool explain_run(const struct __sk_buff *skb)
{
	return skb->mark == WEFT_EXPLAIN_MARK && skb->hwtstamp == WEFT_EXPLAIN_STAMP;
}

/*
 * How conntrack and policy decided this hop, and for a policy check the
 * peer identity and the allowing rule. Written before the hop's verdict.
 * Every slot is stored on both paths, the other hop's slots with what they
 * held: stores at different context offsets on two branches are otherwise
 * merged by clang into one store through a moved context pointer, which the
 * verifier refuses.
 */
static __always_inline void explain_policy(struct __sk_buff *skb, __u8 kind, __u32 peer, __u32 rule)
{
	__u32 w = skb->cb[WEFT_EXPLAIN_CB_REASONS];
	bool second = w & 0xff;

	w = second ? (w & 0x00ffffff) | ((__u32)kind << 24) : (w & 0xffff00ff) | ((__u32)kind << 8);
	EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_REASONS], w);
	EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_RULE1],
		      second ? skb->cb[WEFT_EXPLAIN_CB_RULE1] : rule);
	EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_PEER1],
		      second ? skb->cb[WEFT_EXPLAIN_CB_PEER1] : peer);
	EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_RULE2],
		      second ? rule : skb->cb[WEFT_EXPLAIN_CB_RULE2]);
	EXPLAIN_STORE(skb, priority, second ? peer : skb->priority);
}

/* The hop's verdict, after the policy step. */
static __always_inline void explain_verdict(struct __sk_buff *skb, enum weft_reason reason)
{
	__u32 w = skb->cb[WEFT_EXPLAIN_CB_REASONS], r = (__u32)reason & 0xff;

	EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_REASONS],
		      w & 0xff ? (w & 0xff00ffff) | (r << 16) : (w & 0xffffff00) | r);
}

#endif
