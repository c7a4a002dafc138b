/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes API as weftd's cluster source (daemon/cluster/source.h): the
 * watcher's thread (watcher.c) lists and watches, this side applies what it
 * sends to the model from weftd's loop, and keeps what `weftctl status` shows:
 * which kinds have been listed (ready once all four have), whether the server
 * is reachable (since when, and why not), and how many lists and events each
 * kind brought.
 *
 * Losing the server changes nothing in the model: the datapath runs on the
 * last state until the watcher is back, and a relist then applies only what
 * changed meanwhile.
 */
#ifndef WEFTD_K8S_SOURCE_H
#define WEFTD_K8S_SOURCE_H

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/source.h"

/* Check the credentials without connecting, before weftd changes anything:
 * @kubeconfig, or the in-cluster service account when it is NULL or "".
 * 0 or -errno (logged). */
int k8s_source_check(const char *kubeconfig);
/* Start listing and watching into @model (borrowed). Call with the signals
 * weftd handles blocked (the thread inherits the mask). 0 or -errno. */
int k8s_source_open(const char *kubeconfig, struct cluster *model, struct cluster_source **out);

#endif
