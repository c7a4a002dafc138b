// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/migrate.h"

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

struct mig {
	int from_fd, to_fd;
	struct bpf_map_info from, to;
	int ncpus; /* 1 for maps that are not per-CPU */
	void *key, *next, *oldv, *newv;
};

/* The common prefix of each CPU's value, the rest of the new one zero. */
static void convert(struct mig *m)
{
	size_t os = is_percpu(m->from.type) ? round8(m->from.value_size) : m->from.value_size;
	size_t ns = is_percpu(m->to.type) ? round8(m->to.value_size) : m->to.value_size;
	size_t common =
		m->from.value_size < m->to.value_size ? m->from.value_size : m->to.value_size;

	memset(m->newv, 0, ns * (size_t)m->ncpus);
	for (int c = 0; c < m->ncpus; c++)
		memcpy((char *)m->newv + ns * c, (char *)m->oldv + os * c, common);
}

/* A map of maps reads back as the inner map's id but is written with an fd:
 * the same inner map goes into the new outer map. */
static int inner_id_to_fd(struct mig *m)
{
	int fd = bpf_map_get_fd_by_id(*(__u32 *)m->newv);

	if (fd < 0)
		return -errno;
	*(int *)m->newv = fd;
	return 0;
}

static int copy_all(struct mig *m, unsigned int *copied, char *why, size_t whysz)
{
	void *prev = NULL;
	int err;

	for (;;) {
		if (bpf_map_get_next_key(m->from_fd, prev, m->next) < 0) {
			if (errno == ENOENT)
				return 0;
			err = -errno;
			snprintf(why, whysz, "walk the old map: %s", strerror(-err));
			return err;
		}
		memcpy(m->key, m->next, m->from.key_size);
		prev = m->key;
		if (bpf_map_lookup_elem(m->from_fd, m->key, m->oldv) < 0) {
			if (errno == ENOENT) /* deleted while we walk */
				continue;
			err = -errno;
			snprintf(why, whysz, "read an entry of the old map: %s", strerror(-err));
			return err;
		}
		convert(m);
		err = m->from.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ? inner_id_to_fd(m) : 0;
		if (err == -ENOENT) /* the inner map went meanwhile */
			continue;
		if (err) {
			snprintf(why, whysz, "open an inner map of the old map: %s", strerror(-err));
			return err;
		}
		err = bpf_map_update_elem(m->to_fd, m->key, m->newv, BPF_ANY) < 0 ? -errno : 0;
		if (m->from.type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
			close(*(int *)m->newv);
		if (err) {
			snprintf(why, whysz, "write an entry into the new map: %s", strerror(-err));
			return err;
		}
		(*copied)++;
	}
}

static int open_info(const char *path, int *fd, struct bpf_map_info *info, char *why, size_t whysz)
{
	__u32 len = sizeof(*info);
	int err;

	memset(info, 0, sizeof(*info));
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		err = -errno;
		snprintf(why, whysz, "open %s: %s", path, strerror(-err));
		return err;
	}
	if (bpf_map_get_info_by_fd(*fd, info, &len) < 0) {
		err = -errno;
		snprintf(why, whysz, "inspect %s: %s", path, strerror(-err));
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

int migrate_map(const char *from, const char *to, unsigned int *copied, char *why, size_t whysz)
{
	struct mig m = {.from_fd = -1, .to_fd = -1, .ncpus = 1};
	size_t vs;
	int err;

	*copied = 0;
	err = open_info(from, &m.from_fd, &m.from, why, whysz);
	if (err)
		return err;
	err = open_info(to, &m.to_fd, &m.to, why, whysz);
	if (err)
		goto close_fds;
	if (m.from.type == BPF_MAP_TYPE_PROG_ARRAY)
		goto close_fds;
	if (m.from.type != m.to.type || m.from.key_size != m.to.key_size) {
		snprintf(why, whysz,
			 "%s -> %s: map type %u -> %u, key %u -> %u bytes: no converter for a "
			 "changed key layout",
			 from, to, m.from.type, m.to.type, m.from.key_size, m.to.key_size);
		err = -EPROTO;
		goto close_fds;
	}
	if (is_percpu(m.from.type)) {
		m.ncpus = libbpf_num_possible_cpus();
		if (m.ncpus < 0) {
			err = m.ncpus;
			snprintf(why, whysz, "count the CPUs: %s", strerror(-err));
			goto close_fds;
		}
	}
	vs = round8(m.from.value_size > m.to.value_size ? m.from.value_size : m.to.value_size);
	m.key = calloc(1, m.from.key_size);
	m.next = calloc(1, m.from.key_size);
	m.oldv = calloc((size_t)m.ncpus, vs);
	m.newv = calloc((size_t)m.ncpus, vs);
	if (!m.key || !m.next || !m.oldv || !m.newv) {
		err = -ENOMEM;
		snprintf(why, whysz, "out of memory");
		goto free_bufs;
	}
	err = copy_all(&m, copied, why, whysz);
	if (!err)
		pr_info("migrate: %u entries %s -> %s (value %u -> %u bytes)", *copied, from, to,
			m.from.value_size, m.to.value_size);
free_bufs:
	free(m.key);
	free(m.next);
	free(m.oldv);
	free(m.newv);
close_fds:
	if (m.from_fd >= 0)
		close(m.from_fd);
	if (m.to_fd >= 0)
		close(m.to_fd);
	return err;
}
