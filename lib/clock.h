/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC: for deadlines and intervals, which must not
 * jump when the wall clock is set. */
long long now_ms(void);

/* Nanoseconds on CLOCK_MONOTONIC: the clock of the BPF programs'
 * bpf_ktime_get_ns() and bpf_ktime_get_coarse_ns(), so their timestamps
 * (conntrack expiry) compare with it. */
unsigned long long now_ns(void);

#endif
