/* SPDX-License-Identifier: Apache-2.0 */
/* `weftctl explain`: what the attached programs do with a packet from
 * --from to --to, hop by hop (weftd's explain op, docs/api.md). */
#ifndef WEFTCTL_EXPLAIN_H
#define WEFTCTL_EXPLAIN_H

struct ctl;

/* 0 (whatever the verdict), 1 after saying why on stderr, 2 for missing
 * flags. */
int explain_cmd(const struct ctl *ctl);

#endif
