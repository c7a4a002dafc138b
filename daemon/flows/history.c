// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/flows/history.h"

struct flow_rec {
	uint64_t seq; /* 0: empty slot */
	json_t *json;
	bool dropped;
	int sport, dport;
	/* reason, src, dst, endpoint ns and pod: one allocation, "" for none */
	char *strs;
	const char *reason, *src_ns, *src_pod, *dst_ns, *dst_pod, *ep_ns, *ep_pod;
};

struct flow_history {
	struct flow_rec *recs;
	unsigned int capacity;
	uint64_t next_seq; /* of the next record; slot (seq - 1) % capacity */
};

int flow_history_new(struct flow_history **out, unsigned int capacity)
{
	struct flow_history *h = calloc(1, sizeof(*h));

	if (!h || !capacity)
		goto free_h;
	h->recs = calloc(capacity, sizeof(*h->recs));
	if (!h->recs)
		goto free_h;
	h->capacity = capacity;
	h->next_seq = 1;
	*out = h;
	return 0;
free_h:
	free(h);
	return capacity ? -ENOMEM : -EINVAL;
}

static void rec_clear(struct flow_rec *r)
{
	json_decref(r->json);
	free(r->strs);
	memset(r, 0, sizeof(*r));
}

void flow_history_free(struct flow_history *h)
{
	if (!h)
		return;
	for (unsigned int i = 0; i < h->capacity; i++)
		rec_clear(&h->recs[i]);
	free(h->recs);
	free(h);
}

/* Copies @m's strings into one allocation that @r owns. */
static int rec_strings(struct flow_rec *r, const struct flow_match *m)
{
	const char *in[] = {m->reason,	m->src_ns, m->src_pod, m->dst_ns,
			    m->dst_pod, m->ep_ns,  m->ep_pod};
	const char **outp[] = {&r->reason,  &r->src_ns, &r->src_pod, &r->dst_ns,
			       &r->dst_pod, &r->ep_ns,	&r->ep_pod};
	size_t len = 0, off = 0;

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		len += strlen(in[i] ? in[i] : "") + 1;
	r->strs = malloc(len);
	if (!r->strs)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		size_t n = strlen(in[i] ? in[i] : "") + 1;

		memcpy(r->strs + off, in[i] ? in[i] : "", n);
		*outp[i] = r->strs + off;
		off += n;
	}
	return 0;
}

uint64_t flow_history_add(struct flow_history *h, json_t *json, const struct flow_match *m)
{
	struct flow_rec *r = &h->recs[(h->next_seq - 1) % h->capacity];

	rec_clear(r);
	if (!json || rec_strings(r, m)) {
		json_decref(json);
		return 0;
	}
	r->seq = h->next_seq++;
	json_object_set_new(json, "seq", json_integer((json_int_t)r->seq));
	r->json = json;
	r->dropped = m->dropped;
	r->sport = m->sport;
	r->dport = m->dport;
	return r->seq;
}

uint64_t flow_history_last(const struct flow_history *h)
{
	return h->next_seq - 1;
}

static bool str_is(const char *want, const char *have)
{
	return !want || !strcmp(want, have);
}

static bool is_pod(const struct flow_filter *f, const char *ns, const char *pod)
{
	return !strcmp(f->pod_ns, ns) && !strcmp(f->pod_name, pod);
}

static bool flow_rec_match(const struct flow_filter *f, const struct flow_rec *r)
{
	if (f->dropped >= 0 && (bool)f->dropped != r->dropped)
		return false;
	if (!str_is(f->reason, r->reason))
		return false;
	if (f->port >= 0 && f->port != r->sport && f->port != r->dport)
		return false;
	if (f->ns && strcmp(f->ns, r->src_ns) && strcmp(f->ns, r->dst_ns) &&
	    strcmp(f->ns, r->ep_ns))
		return false;
	if (f->pod_name && !is_pod(f, r->src_ns, r->src_pod) && !is_pod(f, r->dst_ns, r->dst_pod) &&
	    !is_pod(f, r->ep_ns, r->ep_pod))
		return false;
	return true;
}

bool flow_filter_match(const struct flow_filter *f, const struct flow_match *m)
{
	struct flow_rec r = {.dropped = m->dropped,
			     .sport = m->sport,
			     .dport = m->dport,
			     .reason = m->reason ? m->reason : "",
			     .src_ns = m->src_ns ? m->src_ns : "",
			     .src_pod = m->src_pod ? m->src_pod : "",
			     .dst_ns = m->dst_ns ? m->dst_ns : "",
			     .dst_pod = m->dst_pod ? m->dst_pod : "",
			     .ep_ns = m->ep_ns ? m->ep_ns : "",
			     .ep_pod = m->ep_pod ? m->ep_pod : ""};

	return flow_rec_match(f, &r);
}

size_t flow_history_query(const struct flow_history *h, const struct flow_filter *f, uint64_t since,
			  size_t last, json_t *out)
{
	uint64_t first = h->next_seq > h->capacity ? h->next_seq - h->capacity : 1;
	size_t matched = 0, skip, i = 0;

	if (first <= since)
		first = since + 1;
	/* Two passes, so that @last keeps the newest without a buffer. */
	for (uint64_t s = first; s < h->next_seq; s++)
		matched += flow_rec_match(f, &h->recs[(s - 1) % h->capacity]);
	skip = last && matched > last ? matched - last : 0;
	for (uint64_t s = first; s < h->next_seq; s++) {
		const struct flow_rec *r = &h->recs[(s - 1) % h->capacity];

		if (!flow_rec_match(f, r) || i++ < skip)
			continue;
		json_array_append(out, r->json);
	}
	return skip;
}
