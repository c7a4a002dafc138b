/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A source of the cluster model, as weftd's loop sees it: the cluster file
 * (cluster_file.c) or the Kubernetes API (daemon/k8s/). Both feed the same
 * model through cluster.h, so the overlay, IPAM and the policy engine, which
 * only observe the model, cannot tell which one runs; main.c and the start-up
 * wait only see this interface.
 */
#ifndef WEFTD_CLUSTER_SOURCE_H
#define WEFTD_CLUSTER_SOURCE_H

#include <jansson.h>
#include <stddef.h>

struct cluster_source;

struct cluster_source_ops {
	/* Readable (EPOLLIN) when the source has news for the model. */
	int (*fd)(struct cluster_source *src);
	/* Apply what is pending. 0 (bad input included: the source reported
	 * it), or -errno when the source itself broke. */
	int (*handle)(struct cluster_source *src);
	/* NULL once the source has given the model every kind at least once;
	 * else what it still waits for, written into @buf. */
	const char *(*waiting_for)(struct cluster_source *src, char *buf, size_t len);
	/* For `weftctl status`: a new object. */
	json_t *(*status)(struct cluster_source *src);
	void (*close)(struct cluster_source *src);
};

struct cluster_source {
	const struct cluster_source_ops *ops;
	/* "the cluster file F", "the Kubernetes API at URL": for log lines. */
	char what[512];
};

static inline int cluster_source_fd(struct cluster_source *src)
{
	return src->ops->fd(src);
}

static inline int cluster_source_handle(struct cluster_source *src)
{
	return src->ops->handle(src);
}

static inline const char *cluster_source_waiting_for(struct cluster_source *src, char *buf,
						     size_t len)
{
	return src->ops->waiting_for(src, buf, len);
}

static inline json_t *cluster_source_status(struct cluster_source *src)
{
	return src->ops->status(src);
}

static inline void cluster_source_close(struct cluster_source *src)
{
	if (src)
		src->ops->close(src);
}

#endif
