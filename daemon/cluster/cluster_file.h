/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cluster file source (weftd --cluster-file FILE): a Kubernetes List of
 * Node, Namespace, Pod and NetworkPolicy objects, as printed by
 *   kubectl get nodes,namespaces,pods,networkpolicies -A -o json
 * applied to the model as a snapshot whenever the file changes.
 *
 * The file's directory is watched, not the file: replacing it with `mv tmp FILE`
 * (the way to update it: readers never see half a file) gives the path a new
 * inode, and a watch on the old inode would go deaf. A Kubernetes ConfigMap
 * volume's `..data` symlink swap is noticed the same way.
 *
 * A file that does not parse or has a bad object is rejected whole with one
 * warning that says where (line and column, or items[i], kind, name and field);
 * the last good state stays in force. A missing file is an empty cluster at
 * start; a file removed later keeps the last state (a writer doing rm + create
 * would otherwise flap every pod out and back in): write an empty List instead.
 */
#ifndef WEFTD_CLUSTER_FILE_H
#define WEFTD_CLUSTER_FILE_H

#include <stdbool.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/source.h"

struct cluster_file;

/* For a start that must change nothing when it will fail: "" is fine, else
 * @path's directory must exist. 0 or -errno (logged, naming --cluster-file). */
int cluster_file_check(const char *path);

/* Watch @path's directory and load @path once into @model (borrowed; it must
 * outlive the source). A missing or bad file is reported and is not an error.
 * 0, or -errno when the directory cannot be watched (it must exist). */
int cluster_file_open(const char *path, struct cluster *model, struct cluster_file **out);
/* Non-blocking inotify fd for weftd's epoll (EPOLLIN). */
int cluster_file_fd(const struct cluster_file *cf);
/* Call when the fd is readable: drains every pending event, then re-reads the
 * file once if any concerned it. 0 (a bad file included: it was reported), or
 * -errno when the inotify fd itself fails or memory runs out. */
int cluster_file_handle(struct cluster_file *cf);
/* True once some version of the file has been applied. */
bool cluster_file_loaded(const struct cluster_file *cf);
void cluster_file_close(struct cluster_file *cf);
/* The file as weftd's cluster source (source.h); closing that closes @cf. */
struct cluster_source *cluster_file_source(struct cluster_file *cf);

#endif
