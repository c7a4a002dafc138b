// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon/datapath/loader.h"
#include "daemon/datapath/tcx.h"
#include "log.h"
#include "daemon/host/netdev.h"
#include "daemon/host/vethpool.h"

#define HOST_PREFIX "wfp"
#define PEER_PREFIX "wfq"
/* After a failed refill: retry later rather than spin on a broken kernel. */
#define REFILL_BACKOFF_MS 1000
/*
 * A tcx attach holds rtnl across synchronize_rcu(), so a refill running
 * during an ADD stalls every netlink call of that ADD for a grace period.
 * Refill only when no claim is open and the last ADD has had this long to
 * finish its own netlink work (links up, addresses, routes).
 */
#define REFILL_QUIET_MS 20

struct pool_veth {
	struct pool_veth *next;
	char host[IFNAMSIZ];
	char peer[IFNAMSIZ];
	int ifindex;
	int link_fds[2]; /* from_pod (tcx ingress), to_pod (tcx egress) */
};

struct pool_claim {
	struct pool_claim *next;
	struct pool_veth *veth;
	char cid[256];
	char ifname[IFNAMSIZ];
	long long deadline; /* ms, CLOCK_MONOTONIC */
};

struct vethpool {
	unsigned int size;
	int mtu;
	int prog_fds[2];
	struct netdev *nd;    /* main thread's */
	struct netdev *nd_bg; /* the refill thread's: libnl sockets are not shared */
	pthread_t thread;
	bool started;
	/* lock protects stop, ready, nr_ready, nr_claims and quiet_from */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct pool_veth *ready;
	unsigned int nr_ready;
	unsigned int nr_claims;
	long long quiet_from;	   /* ms, CLOCK_MONOTONIC: no refill before */
	unsigned long next_k;	   /* refill thread only */
	struct pool_claim *claims; /* main thread only */
};

/* pthread_cond_timedwait() wants CLOCK_REALTIME. */
static void ms_from_now(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Called by the main thread as a claim opens (+1) or ends (-1). */
static void claims_changed(struct vethpool *p, int delta)
{
	pthread_mutex_lock(&p->lock);
	p->nr_claims += delta;
	p->quiet_from = now_ms() + REFILL_QUIET_MS;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void close_links(struct pool_veth *v)
{
	for (int i = 0; i < 2; i++) {
		if (v->link_fds[i] >= 0)
			close(v->link_fds[i]);
		v->link_fds[i] = -1;
	}
}

/* Delete by ifindex: the host side may have been renamed, and a new veth
 * may carry the old name by now. */
static void veth_destroy(struct netdev *nd, struct pool_veth *v)
{
	int err;

	close_links(v);
	err = netdev_delete_index(nd, v->ifindex);
	if (err)
		pr_warn("veth pool: cannot delete %s (ifindex %d): %s", v->host, v->ifindex,
			strerror(-err));
	free(v);
}

/* One pool entry: the pair, then both links (each attach waits for a grace
 * period, which is why this runs here and not in a request). */
static int veth_make(struct vethpool *p, const int prog_fds[2], struct pool_veth **out)
{
	static const enum bpf_attach_type types[] = {BPF_TCX_INGRESS, BPF_TCX_EGRESS};
	struct pool_veth *v;
	int err, i;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->link_fds[0] = v->link_fds[1] = -1;
	do {
		snprintf(v->host, sizeof(v->host), HOST_PREFIX "%lu", p->next_k);
		snprintf(v->peer, sizeof(v->peer), PEER_PREFIX "%lu", p->next_k);
		p->next_k++;
		err = netdev_veth_create(p->nd_bg, v->host, v->peer, p->mtu, &v->ifindex);
		/* A claimed peer not yet moved to its pod still holds its name. */
	} while (err == -EEXIST);
	if (err) {
		pr_warn("veth pool: cannot create veth %s/%s: %s", v->host, v->peer,
			strerror(-err));
		goto free_veth;
	}
	for (i = 0; i < 2; i++) {
		v->link_fds[i] = tcx_attach(prog_fds[i], v->ifindex, types[i]);
		if (v->link_fds[i] < 0) {
			err = v->link_fds[i];
			pr_warn("veth pool: cannot attach the placeholder to %s (tcx %s): %s",
				v->host, i ? "egress" : "ingress", strerror(-err));
			v->link_fds[i] = -1;
			goto delete_veth;
		}
	}
	*out = v;
	return 0;
delete_veth:
	veth_destroy(p->nd_bg, v);
	return err;
free_veth:
	free(v);
	return err;
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	return bpf_prog_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A veth made with placeholder @made_with gets the current one (lock held). */
static void refresh_links(struct vethpool *p, struct pool_veth *v, const int made_with[2])
{
	int err;

	for (int i = 0; i < 2; i++) {
		if (made_with && prog_id(made_with[i]) == prog_id(p->prog_fds[i]))
			continue;
		err = tcx_update(v->link_fds[i], p->prog_fds[i]);
		if (err)
			pr_warn("veth pool: %s: cannot swap in the new placeholder: %s", v->host,
				strerror(-err));
	}
}

static void *refill_main(void *arg)
{
	struct vethpool *p = arg;
	struct pool_veth *v;
	struct timespec until;
	int err, fds[2];

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && (p->nr_ready >= p->size || p->nr_claims))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop)
			break;
		if (now_ms() < p->quiet_from) {
			ms_from_now(&until, p->quiet_from - now_ms());
			pthread_cond_timedwait(&p->cond, &p->lock, &until);
			continue;
		}
		/* The slow part runs unlocked: claims never wait for it. Our
		 * own copies of the placeholder: an upgrade may replace it
		 * meanwhile (vethpool_set_placeholder). */
		fds[0] = dup(p->prog_fds[0]);
		fds[1] = dup(p->prog_fds[1]);
		pthread_mutex_unlock(&p->lock);
		err = fds[0] < 0 || fds[1] < 0 ? -EMFILE : veth_make(p, fds, &v);
		pthread_mutex_lock(&p->lock);
		if (!err)
			refresh_links(p, v, fds);
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		if (!err) {
			v->next = p->ready;
			p->ready = v;
			p->nr_ready++;
			pr_debug("veth pool: %s ready (ifindex %d), %u/%u", v->host, v->ifindex,
				 p->nr_ready, p->size);
			continue;
		}
		ms_from_now(&until, REFILL_BACKOFF_MS);
		while (!p->stop && pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

unsigned int vethpool_auto_size(void)
{
	char c = '0';
	FILE *f = fopen("/sys/kernel/rcu_expedited", "re");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = '0';
		fclose(f);
	}
	if (c != '0') {
		pr_info("veth pool: off, /sys/kernel/rcu_expedited is set (tcx attaches are fast)");
		return 0;
	}
	return VETHPOOL_DEFAULT_SIZE;
}

int vethpool_open(struct vethpool **out, unsigned int size, int mtu, struct loader *l,
		  struct netdev *nd)
{
	struct vethpool *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->size = size;
	p->mtu = mtu;
	p->nd = nd;
	p->prog_fds[0] = p->prog_fds[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);

	/* A previous weftd's pool: its links died with it, the veths did not. */
	err = netdev_delete_numbered(nd, HOST_PREFIX, PEER_PREFIX);
	if (err < 0) {
		pr_warn("veth pool: cannot delete leftover " HOST_PREFIX "/" PEER_PREFIX
			" links: %s",
			strerror(-err));
		goto free_pool;
	}
	if (err)
		pr_info("veth pool: deleted %d leftover links", err);
	err = loader_placeholder(l, p->prog_fds);
	if (err)
		goto free_pool;
	err = netdev_open(&p->nd_bg);
	if (err)
		goto close_progs;
	err = -pthread_create(&p->thread, NULL, refill_main, p);
	if (err) {
		pr_warn("veth pool: cannot start the refill thread: %s", strerror(-err));
		goto close_netdev;
	}
	p->started = true;
	pr_info("veth pool: keeping %u veths ready", size);
	*out = p;
	return 0;
close_netdev:
	netdev_close(p->nd_bg);
close_progs:
	close(p->prog_fds[0]);
	close(p->prog_fds[1]);
free_pool:
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return err;
}

static void claim_free(struct vethpool *p, struct pool_claim *c, bool destroy)
{
	if (destroy)
		veth_destroy(p->nd, c->veth);
	free(c);
	claims_changed(p, -1);
}

static struct pool_claim *claim_unlink(struct vethpool *p, const char *cid, const char *ifname)
{
	for (struct pool_claim **pp = &p->claims; *pp; pp = &(*pp)->next) {
		struct pool_claim *c = *pp;

		if (!strcmp(c->cid, cid) && !strcmp(c->ifname, ifname)) {
			*pp = c->next;
			return c;
		}
	}
	return NULL;
}

void vethpool_close(struct vethpool *p)
{
	struct pool_veth *v;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	while ((v = p->ready)) {
		p->ready = v->next;
		veth_destroy(p->nd, v);
	}
	while (p->claims)
		claim_free(p, claim_unlink(p, p->claims->cid, p->claims->ifname), true);
	netdev_close(p->nd_bg);
	close(p->prog_fds[0]);
	close(p->prog_fds[1]);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int vethpool_claim(struct vethpool *p, const char *cid, const char *ifname, const char *host_ifname,
		   struct vethpool_claim_info *out)
{
	struct pool_claim *c;
	struct pool_veth *v;
	int err;

	/* A retried ADD: its earlier claim is of no use any more. */
	c = claim_unlink(p, cid, ifname);
	if (c)
		claim_free(p, c, true);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	v = p->ready;
	if (v) {
		p->ready = v->next;
		p->nr_ready--;
		/* Refilled once this claim is over (claims_changed). */
		p->nr_claims++;
	}
	pthread_mutex_unlock(&p->lock);
	if (!v) {
		pr_info("veth pool: empty, %s/%s takes the slow path", cid, ifname);
		err = -EAGAIN;
		goto free_claim;
	}
	err = netdev_delete(p->nd, host_ifname);
	if (err) {
		pr_warn("veth pool: cannot delete stale %s for %s/%s: %s", host_ifname, cid, ifname,
			strerror(-err));
		goto destroy_veth;
	}
	err = netdev_rename(p->nd, v->ifindex, host_ifname);
	if (err) {
		pr_warn("veth pool: cannot rename %s to %s for %s/%s: %s", v->host, host_ifname,
			cid, ifname, strerror(-err));
		goto destroy_veth;
	}
	pr_debug("veth pool: %s (ifindex %d) is now %s for %s/%s", v->host, v->ifindex, host_ifname,
		 cid, ifname);
	snprintf(v->host, sizeof(v->host), "%s", host_ifname);
	snprintf(c->cid, sizeof(c->cid), "%s", cid);
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	c->veth = v;
	c->deadline = now_ms() + VETHPOOL_CLAIM_TIMEOUT_MS;
	c->next = p->claims;
	p->claims = c;
	snprintf(out->host_ifname, sizeof(out->host_ifname), "%s", host_ifname);
	snprintf(out->peer_ifname, sizeof(out->peer_ifname), "%s", v->peer);
	out->host_ifindex = v->ifindex;
	return 0;
destroy_veth:
	veth_destroy(p->nd, v);
	claims_changed(p, -1);
free_claim:
	free(c);
	return err;
}

int vethpool_take(struct vethpool *p, const char *cid, const char *ifname, int host_ifindex,
		  int link_fds[2])
{
	struct pool_claim *c = claim_unlink(p, cid, ifname);

	if (!c)
		return -ENOENT;
	if (c->veth->ifindex != host_ifindex) {
		pr_info("veth pool: %s/%s claimed ifindex %d but uses %d: undoing the claim", cid,
			ifname, c->veth->ifindex, host_ifindex);
		claim_free(p, c, true);
		return -ENOENT;
	}
	link_fds[0] = c->veth->link_fds[0];
	link_fds[1] = c->veth->link_fds[1];
	free(c->veth);
	claim_free(p, c, false);
	return 0;
}

void vethpool_release(struct vethpool *p, const char *cid, const char *ifname)
{
	struct pool_claim *c = claim_unlink(p, cid, ifname);

	if (!c)
		return;
	pr_info("veth pool: %s/%s released its claim on %s", cid, ifname, c->veth->host);
	claim_free(p, c, true);
}

void vethpool_expire(struct vethpool *p)
{
	long long now = now_ms();
	struct pool_claim **pp = &p->claims, *c;

	while ((c = *pp)) {
		if (c->deadline > now) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		pr_warn("veth pool: %s/%s claimed %s but never added its endpoint: deleting it",
			c->cid, c->ifname, c->veth->host);
		claim_free(p, c, true);
	}
}

unsigned int vethpool_ready(struct vethpool *p)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = p->nr_ready;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int vethpool_set_placeholder(struct vethpool *p, struct loader *l)
{
	int fds[2], old[2], err;

	err = loader_placeholder(l, fds);
	if (err)
		return err;
	pthread_mutex_lock(&p->lock);
	old[0] = p->prog_fds[0];
	old[1] = p->prog_fds[1];
	p->prog_fds[0] = fds[0];
	p->prog_fds[1] = fds[1];
	for (struct pool_veth *v = p->ready; v; v = v->next)
		refresh_links(p, v, NULL);
	pthread_mutex_unlock(&p->lock);
	/* The refill thread works on its own dups: these are ours alone. */
	close(old[0]);
	close(old[1]);
	return 0;
}
