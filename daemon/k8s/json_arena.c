// SPDX-License-Identifier: Apache-2.0
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon/k8s/json_arena.h"

/* A page's values fit in a few chunks; a larger value gets a chunk of its own. */
#define CHUNK_SIZE (1u << 20)
/* What json_arena_end() keeps for the next page. */
#define KEEP_CHUNKS 4
#define ALIGN	    _Alignof(max_align_t)

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(max_align_t) char data[];
};

struct arena {
	bool active;
	struct chunk *chunks; /* in use, the newest first: allocations come from it */
	struct chunk *spare;  /* empty, kept from earlier pages */
	unsigned int nr_spare;
};

static __thread struct arena arena;

static struct chunk *chunk_new(size_t want)
{
	size_t size = want > CHUNK_SIZE ? want : CHUNK_SIZE;
	struct chunk *c = malloc(sizeof(*c) + size);

	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	return c;
}

static void *arena_malloc(size_t n)
{
	struct chunk *c = arena.chunks;
	void *p;

	if (!arena.active)
		return malloc(n);
	n = (n + ALIGN - 1) & ~(ALIGN - 1);
	if (!c || c->size - c->used < n) {
		if (arena.spare && n <= CHUNK_SIZE) {
			c = arena.spare;
			arena.spare = c->next;
			arena.nr_spare--;
		} else {
			c = chunk_new(n);
			if (!c)
				return NULL;
		}
		c->next = arena.chunks;
		arena.chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static bool in_arena(const void *p)
{
	for (const struct chunk *c = arena.chunks; c; c = c->next) {
		if ((const char *)p >= c->data && (const char *)p < c->data + c->size)
			return true;
	}
	return false;
}

/* An arena value's free is nothing: json_arena_end() drops them all. */
static void arena_free(void *p)
{
	if (p && arena.active && in_arena(p))
		return;
	free(p);
}

static void install_hooks(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void json_arena_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install_hooks);
}

void json_arena_begin(void)
{
	/* Installed already in weftd; a unit test may parse without it. */
	json_arena_install();
	arena.active = true;
}

void json_arena_end(void)
{
	struct chunk *next;

	arena.active = false;
	for (struct chunk *c = arena.chunks; c; c = next) {
		next = c->next;
		if (arena.nr_spare < KEEP_CHUNKS && c->size == CHUNK_SIZE) {
			c->used = 0;
			c->next = arena.spare;
			arena.spare = c;
			arena.nr_spare++;
			continue;
		}
		free(c);
	}
	arena.chunks = NULL;
}

void json_arena_release(void)
{
	struct chunk *next;

	json_arena_end();
	for (struct chunk *c = arena.spare; c; c = next) {
		next = c->next;
		free(c);
	}
	arena.spare = NULL;
	arena.nr_spare = 0;
}
