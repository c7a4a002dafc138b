// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "daemon/datapath/maps.h"
#include "daemon/policy/entries.h"
#include "daemon/policy/policy_map.h"
#include "log.h"

int policy_map_init(struct policy_map *pm)
{
	pm->fd = -1;
	pm->max_entries = 0;
	pm->map_id = 0;
	return policy_entries_new(&pm->cur);
}

static int map_info(struct policy_map *pm)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	int err = bpf_map_get_info_by_fd(pm->fd, &info, &len);

	if (err)
		return err;
	pm->max_entries = info.max_entries;
	pm->map_id = info.id;
	return 0;
}

int policy_map_read(int fd, struct policy_entries *out)
{
	struct weft_policy_key key, next, *prev = NULL;
	struct weft_policy_value val;
	int err;

	policy_entries_clear(out);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* Removed since get_next_key: nothing to read. */
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		err = policy_entries_add(out, &key, &val);
		if (err)
			return err;
	}
	return 0;
}

int policy_map_adopt(struct policy_map *pm, int outer_fd, uint32_t ep_id)
{
	__u32 inner_id;
	int fd, err;

	/* A map of maps reads back as the inner map's id, not an fd. */
	if (bpf_map_lookup_elem(outer_fd, &ep_id, &inner_id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	pm->fd = fd;
	err = map_info(pm);
	if (!err)
		err = policy_map_read(fd, pm->cur);
	if (err) {
		close(fd);
		pm->fd = -1;
	}
	return err;
}

/* The size a map for @n entries gets: the minimum, times 4 until it fits. */
static uint32_t size_for(size_t n)
{
	uint32_t size = WEFT_POLICY_MAP_MIN_ENTRIES;

	while (size < n && size < WEFT_POLICY_MAP_MAX_ENTRIES)
		size *= 4;
	return size < WEFT_POLICY_MAP_MAX_ENTRIES ? size : WEFT_POLICY_MAP_MAX_ENTRIES;
}

static int write_entry(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	return bpf_map_update_elem(*(int *)ctx, k, v, BPF_ANY);
}

/* A new map holding all of @want, swapped into the slot. */
static int rebuild(struct policy_map *pm, int outer_fd, uint32_t ep_id,
		   const struct policy_entries *want)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = WEFT_POLICY_MAP_FLAGS);
	uint32_t size = size_for(policy_entries_count(want));
	char name[BPF_OBJ_NAME_LEN];
	int fd, err;

	snprintf(name, sizeof(name), "weft_pol_%u", ep_id);
	fd = bpf_map_create(WEFT_POLICY_MAP_TYPE, name, sizeof(struct weft_policy_key),
			    sizeof(struct weft_policy_value), size, &opts);
	if (fd < 0) {
		char why[200];

		err = -errno;
		pr_warn("endpoint %u: cannot create its policy map (%u entries): %s", ep_id, size,
			maps_update_strerror(-1, name, err, why, sizeof(why)));
		return err;
	}
	err = policy_entries_for_each(want, write_entry, &fd);
	if (err) {
		char why[200];

		pr_warn("endpoint %u: cannot fill its new policy map: %s", ep_id,
			maps_update_strerror(fd, name, err, why, sizeof(why)));
		goto close_fd;
	}
	/* The one step the datapath sees: the old map or the new one. */
	err = bpf_map_update_elem(outer_fd, &ep_id, &fd, BPF_ANY);
	if (err) {
		char why[200];

		err = -errno;
		pr_warn("endpoint %u: cannot put its policy map in weft_policy_maps: %s", ep_id,
			maps_update_strerror(outer_fd, "weft_policy_maps", err, why, sizeof(why)));
		goto close_fd;
	}
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = fd;
	return map_info(pm);
close_fd:
	close(fd);
	return err;
}

struct diff {
	int fd;
	const struct policy_entries *other;
	size_t adds;
	size_t writes;
};

static int count_add(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	struct diff *d = ctx;

	(void)v;
	d->adds += !policy_entries_get(d->other, k);
	return 0;
}

static int put_entry(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	struct diff *d = ctx;

	d->writes++;
	return bpf_map_update_elem(d->fd, k, v, BPF_ANY);
}

static int delete_entry(void *ctx, const struct weft_policy_key *k)
{
	struct diff *d = ctx;
	int err;

	d->writes++;
	err = bpf_map_delete_elem(d->fd, k);
	return err == -ENOENT ? 0 : err;
}

int policy_map_apply(struct policy_map *pm, int outer_fd, uint32_t ep_id,
		     struct policy_entries **want, bool *changed)
{
	size_t n = policy_entries_count(*want);
	struct diff d = {.fd = pm->fd, .other = pm->cur};
	struct policy_entries *old;
	int err;

	*changed = false;
	if (n > WEFT_POLICY_MAP_MAX_ENTRIES)
		return -E2BIG;
	if (pm->fd >= 0)
		policy_entries_for_each(*want, count_add, &d);
	/* Additions go in before removals, so the map holds old and new
	 * together for a moment: it must have room for both. */
	if (pm->fd < 0 || policy_entries_count(pm->cur) + d.adds > pm->max_entries) {
		err = rebuild(pm, outer_fd, ep_id, *want);
		if (err)
			return err;
		*changed = true;
		goto swap;
	}
	/* New and changed entries (meta entries last), then removals. */
	err = policy_entries_diff(pm->cur, *want, put_entry, delete_entry, &d);
	*changed = d.writes > 0;
	if (err) {
		/* weftd's copy no longer says what the map holds: read it back,
		 * so the next apply diffs against the truth. */
		pr_warn("endpoint %u: policy map write failed: %s", ep_id, strerror(-err));
		policy_map_read(pm->fd, pm->cur);
		return err;
	}
swap:
	old = pm->cur;
	pm->cur = *want;
	*want = old;
	return 0;
}

static int skip_put(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	(void)ctx;
	(void)k;
	(void)v;
	return 0;
}

int policy_map_empty(struct policy_map *pm, uint32_t ep_id)
{
	struct diff d = {.fd = pm->fd};
	struct policy_entries *none;
	int err;

	err = policy_entries_new(&none);
	if (err)
		return err;
	/* Every entry weftd's copy has, against none: only removals. */
	err = policy_entries_diff(pm->cur, none, skip_put, delete_entry, &d);
	if (err) {
		pr_warn("endpoint %u: cannot empty its policy map: %s", ep_id, strerror(-err));
		policy_entries_free(none);
		return err;
	}
	policy_entries_free(pm->cur);
	pm->cur = none;
	return 0;
}

void policy_map_release(struct policy_map *pm, int outer_fd, uint32_t ep_id, bool clear_slot)
{
	if (clear_slot && outer_fd >= 0)
		bpf_map_delete_elem(outer_fd, &ep_id);
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
	policy_entries_free(pm->cur);
	pm->cur = NULL;
}
