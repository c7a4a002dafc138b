/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jansson's allocations on the watcher thread, while it parses a list page or
 * a watch event, come from a bump arena that is dropped whole afterwards. A
 * page of 500 pods is some 20,000 JSON values, each a malloc (and a hashtable
 * for every object); with the arena they are a pointer bump, and their frees
 * nothing. Other threads, and this one outside json_arena_begin()/end(), use
 * malloc as before: the hooks look at a thread-local arena.
 *
 * Nothing parsed inside may outlive json_arena_end(): the objects built from
 * it copy what they keep. A kind whose objects keep JSON (a NetworkPolicy's
 * spec) parses outside the arena.
 */
#ifndef WEFTD_K8S_JSON_ARENA_H
#define WEFTD_K8S_JSON_ARENA_H

/* Route jansson's allocations through the arena hooks (once; weftd calls it
 * before the watcher thread starts; values made before stay freeable). */
void json_arena_install(void);
/* From here on this thread's jansson values come from its arena. */
void json_arena_begin(void);
/* Every value made since json_arena_begin() is gone; the arena keeps its
 * first few MiB for the next page. */
void json_arena_end(void);
/* Give the thread's arena back (the thread ends). */
void json_arena_release(void);

#endif
