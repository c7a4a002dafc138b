/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pool of veth pairs prepared ahead of ADDs, so that no pod waits for a
 * tcx attach (each attach waits for an RCU grace period: 8-37 ms here).
 *
 * Each pool entry is a pair wfp<k>/wfq<k> in weftd's namespace, both down,
 * with the host side wfp<k> already carrying both tcx links (ingress
 * weft_from_pod, egress weft_to_pod) running one shared placeholder load
 * that drops everything. A background thread keeps the pool full; a claim
 * renames the host side to the plugin's wft<hash> name and hands the peer to
 * the plugin, and endpoint.add then swaps the pod's programs into the links
 * with bpf_link_update(), which needs no grace period.
 *
 * The pool's links are not pinned: weftd holds their fds, so a crash detaches
 * them, and the veths left behind are deleted at the next start.
 */
#ifndef WEFTD_VETHPOOL_H
#define WEFTD_VETHPOOL_H

#include <limits.h>
#include <net/if.h>

struct vethpool;
struct loader;
struct netdev;

#define VETHPOOL_DEFAULT_SIZE 8
/* --veth-pool auto: see vethpool_auto_size(). */
#define VETHPOOL_AUTO	  UINT_MAX
#define VETHPOOL_MAX_SIZE 256
/* A claim not followed by endpoint.add within this is undone. */
#define VETHPOOL_CLAIM_TIMEOUT_MS 60000

struct vethpool_claim_info {
	char host_ifname[IFNAMSIZ];
	int host_ifindex;
	char peer_ifname[IFNAMSIZ];
};

/* Delete leftover wfp<k>/wfq<k> links, load the placeholder programs and start
 * the refill thread. @nd (borrowed) is used by the main thread only. */
int vethpool_open(struct vethpool **out, unsigned int size, int mtu, struct loader *l,
		  struct netdev *nd);
/* Stop the thread, delete the pool's veths and undo open claims. */
void vethpool_close(struct vethpool *p);

/* Take a ready pair for @cid/@ifname and rename its host side @host_ifname
 * (a link of that name is deleted first: the caller knows it is stale).
 * 0 with @out filled, -EAGAIN when the pool is empty, else -errno. */
int vethpool_claim(struct vethpool *p, const char *cid, const char *ifname, const char *host_ifname,
		   struct vethpool_claim_info *out);
/* Hand over the claim of @cid/@ifname if it is for @host_ifindex: 0 and the
 * two link fds (from_pod, to_pod; now the caller's), else -ENOENT. A claim
 * for the pair on another device is undone. */
int vethpool_take(struct vethpool *p, const char *cid, const char *ifname, int host_ifindex,
		  int link_fds[2]);
/* Undo the claim of @cid/@ifname, if any: its veth is deleted. */
void vethpool_release(struct vethpool *p, const char *cid, const char *ifname);
/* Undo claims older than VETHPOOL_CLAIM_TIMEOUT_MS; called periodically. */
void vethpool_expire(struct vethpool *p);
/* After an upgrade: a placeholder load of @l's object replaces the old one in
 * every ready entry (bpf_link_update), so no pool link keeps the old object's
 * maps alive. Claimed entries get the pod's programs anyway. */
int vethpool_set_placeholder(struct vethpool *p, struct loader *l);
/* Ready entries right now (for status). */
unsigned int vethpool_ready(struct vethpool *p);

/*
 * The pool trades each ADD's two tcx attaches (a normal RCU grace period each,
 * under rtnl) for moving a pool veth's peer into the pod (rcu_barrier(), about
 * one normal grace period). With /sys/kernel/rcu_expedited set, the attaches
 * take well under a millisecond but the move does not get faster, so the pool
 * would only slow ADDs down: VETHPOOL_DEFAULT_SIZE normally, 0 then.
 */
unsigned int vethpool_auto_size(void);

#endif
