/* SPDX-License-Identifier: Apache-2.0 */
/* `weftctl flows`: the last flow records weftd keeps, or every new one as it
 * comes (--follow), filtered by weftd. */
#ifndef WEFTCTL_FLOWS_H
#define WEFTCTL_FLOWS_H

struct ctl;

/* 0, or 1 after saying why on stderr. --follow runs until interrupted. */
int flows_cmd(const struct ctl *ctl);

#endif
