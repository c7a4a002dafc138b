/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spare policy maps: empty endpoint policy maps kept in weft_policy_maps, at
 * ids no endpoint has yet, so that an ADD finds its map in place.
 *
 * Why: putting a map into a map of maps, or taking one out, makes the
 * kernel wait for an RCU grace period before the syscall returns
 * (maybe_wait_bpf_programs(): 12-25 ms each, measured with HZ=250). On
 * weftd's one loop that was in every ADD and every DEL, and every request
 * behind them waited too. So:
 *   - a thread of the pool's own installs empty maps at the ids endpoint.c
 *     will hand out next (the wait is the thread's), up to a target count;
 *   - an ADD takes such an id first (spares_take) and only writes entries
 *     into the map already in its slot;
 *   - a DEL empties its endpoint's map and gives the slot back
 *     (spares_give): no wait either. A pool that is full has the thread
 *     remove it.
 * An empty map has no meta entry, so it allows nothing: a spare fails
 * closed, as an empty slot does. The pool only ever touches slots of ids it
 * holds, and endpoint.c gives no held id to an endpoint but through
 * spares_take, so the loop and the thread never write the same slot.
 */
#ifndef WEFTD_POLICY_SPARES_H
#define WEFTD_POLICY_SPARES_H

#include <stdbool.h>
#include <stdint.h>

/* Empty maps kept ready by default, and at most (given back by DELs). */
#define SPARES_WANT 16
#define SPARES_MAX  64

struct spares;

struct spares_stats {
	unsigned int ready;  /* empty maps in place, waiting for an ADD */
	unsigned int queued; /* installs and removals waiting for the thread */
	uint64_t installed;  /* by the thread */
	uint64_t taken;	     /* by ADDs */
	uint64_t missed;     /* ADDs that found none ready (and waited themselves) */
	uint64_t given;	     /* slots DELs gave back */
	uint64_t removed;    /* by the thread, the pool being full */
	uint64_t failed;     /* installs or removals the kernel refused */
};

/* Start the pool's thread, keeping @want maps ready (0: SPARES_WANT). */
int spares_open(struct spares **out, unsigned int want);
/* Stop the thread. Ready spares stay in their slots: the next start adopts
 * them (spares_give) or removes them. */
void spares_close(struct spares *s);

/* Whether the pool holds @id (ready, or queued for the thread): such an id
 * goes to an endpoint only through spares_take. */
bool spares_holds(struct spares *s, uint32_t id);
/* The oldest ready id, now the caller's: its empty map is in the slot.
 * false when none is ready (counted as a miss). */
bool spares_take(struct spares *s, uint32_t *id);
/* Slot @id of @outer_fd (dup'd) holds an empty map no endpoint uses: ready,
 * or queued for removal when the pool is full. */
void spares_give(struct spares *s, int outer_fd, uint32_t id);
/* Slot @id holds a map no endpoint uses that is not worth emptying: the
 * thread removes it, and the pool holds @id until then. */
void spares_remove(struct spares *s, int outer_fd, uint32_t id);
/* Queue installs until ready + queued reach the target: @next_free gives
 * the next id after @after that no endpoint, no pin and the pool have, or 0
 * when there is none. @outer_fd is dup'd per install. */
void spares_fill(struct spares *s, int outer_fd, uint32_t (*next_free)(void *ctx, uint32_t after),
		 void *ctx);
void spares_get_stats(struct spares *s, struct spares_stats *st);

#endif
