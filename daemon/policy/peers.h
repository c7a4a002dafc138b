/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod identities a policy can select as peers: every identity that at
 * least one running pod of the cluster holds, with what the compiler asks
 * about it (namespace and labels for the selectors, and the container ports
 * its pods name, for egress named ports). Host-network and terminated pods
 * have no pod identity on the wire (cluster.h), so they are not peers.
 *
 * The engine (engine.c) feeds it from the cluster model's pod events and
 * learns from the return values when an identity appears or goes, which is
 * when other endpoints' policies may need a recompile.
 */
#ifndef WEFTD_POLICY_PEERS_H
#define WEFTD_POLICY_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/cluster/cluster.h"

struct peers;
struct policy_peer;

int peers_new(struct peers **out);
void peers_free(struct peers *ps);

/* Pod @p holds identity @id. *@identity_new when it is the first pod of
 * @id; *@ports_changed when @p brings a named port @id had no pod naming
 * that way yet. 0 or -ENOMEM. */
int peers_pod_add(struct peers *ps, uint32_t id, const struct cl_pod *p, bool *identity_new,
		  bool *ports_changed);
/* Pod @p no longer holds @id (deleted, relabelled, terminated). Sets
 * *@identity_gone after its last pod, *@ports_changed when a named port
 * lost its last pod. Unknown ids are ignored. */
void peers_pod_del(struct peers *ps, uint32_t id, const struct cl_pod *p, bool *identity_gone,
		   bool *ports_changed);

/* Every peer, with its namespace's labels from @cl (NULL when the
 * namespace is unknown). A non-zero return from @fn stops the walk. */
int peers_for_each(const struct peers *ps, const struct cluster *cl,
		   int (*fn)(void *ctx, const struct policy_peer *p), void *ctx);
/* The peer @id as policy_peer, or false when no pod holds it. */
bool peers_get(const struct peers *ps, const struct cluster *cl, uint32_t id,
	       struct policy_peer *out);
/* Each distinct port number the pods of @id name @name with @protocol. */
int peers_for_each_named_port(const struct peers *ps, uint32_t id, const char *name,
			      uint8_t protocol, int (*fn)(void *ctx, uint16_t port), void *ctx);
unsigned int peers_count(const struct peers *ps);

#endif
