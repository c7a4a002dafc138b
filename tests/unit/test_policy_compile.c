// SPDX-License-Identifier: Apache-2.0
/*
 * daemon/policy/compile.c against a fake cluster view, one table row per item
 * of issue 9's Semantics: selectors with all four operators, AND and OR,
 * unions, empty selectors, policyTypes, default deny, ipBlock with nested
 * excepts, numeric, named and endPort ports, rules without ports, and the
 * meta entries' shapes. Each row's policies are compiled for one endpoint and
 * the whole entry set is compared, rendered as sorted words.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/policy/compile.h"
#include "testing.h"
#include "testing_labels.h"

/* ---- the fake cluster -------------------------------------------------------- */

static const struct {
	const char *name, *labels;
} namespaces[] = {{"x", "env=prod,ns=x"}, {"y", "env=dev,ns=y"}, {"z", "ns=z"}};

/* Ports: "name=number/protocol", the identity's pods' named ports. "ghost" is
 * a namespace the view does not know. */
static const struct {
	uint32_t identity;
	const char *ns, *labels, *ports;
} pods[] = {
	{300, "x", "app=a", "http=80/tcp,dns=53/udp"},
	{301, "x", "app=b,tier=db", "http=8080/tcp"},
	{302, "y", "app=a", "http=81/tcp"},
	{303, "y", "app=b", ""},
	{304, "z", "app=c", "http=80/tcp,http=90/tcp"}, /* two pods, two numbers */
	{305, "ghost", "app=a", "http=7070/tcp"},
};

#define CIDR(n) (WEFT_IDENTITY_FIRST_CIDR + (n))

/* The registered ipBlock prefixes: 10.1.2.0/24 lies inside an except. */
static const struct {
	const char *prefix;
	uint32_t identity;
} cidrs[] = {
	{"10.0.0.0/8", CIDR(1)},  {"10.1.0.0/16", CIDR(2)},    {"10.1.2.0/24", CIDR(3)},
	{"10.2.0.0/16", CIDR(4)}, {"192.168.0.0/16", CIDR(5)}, {"0.0.0.0/0", CIDR(6)},
};

static struct cl_labels ns_labels[ARRAY_SIZE(namespaces)], pod_labels[ARRAY_SIZE(pods)];

static const struct cl_labels *fake_ns_labels(void *ctx, const char *ns)
{
	(void)ctx;
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
		if (!strcmp(namespaces[i].name, ns))
			return &ns_labels[i];
	}
	return NULL;
}

/* Set by a test to make the view fail. */
static int peer_walk_error;

static int fake_for_each_peer(void *ctx, int (*fn)(void *fctx, const struct policy_peer *p),
			      void *fctx)
{
	if (peer_walk_error)
		return peer_walk_error;
	for (size_t i = 0; i < ARRAY_SIZE(pods); i++) {
		struct policy_peer p = {pods[i].identity, pods[i].ns, &pod_labels[i],
					fake_ns_labels(ctx, pods[i].ns)};
		int ret = fn(fctx, &p);

		if (ret)
			return ret;
	}
	return 0;
}

static int fake_for_each_named_port(void *ctx, uint32_t identity, const char *name,
				    uint8_t protocol, int (*fn)(void *fctx, uint16_t port),
				    void *fctx)
{
	(void)ctx;
	for (size_t i = 0; i < ARRAY_SIZE(pods); i++) {
		char *copy, *save = NULL;
		int ret = 0;

		if (pods[i].identity != identity)
			continue;
		copy = strdup(pods[i].ports);
		for (char *t = strtok_r(copy, ",", &save); !ret && t;
		     t = strtok_r(NULL, ",", &save)) {
			char pname[32], proto[8];
			unsigned int port;

			if (sscanf(t, "%31[^=]=%u/%7s", pname, &port, proto) != 3)
				continue;
			if (!strcmp(pname, name) &&
			    protocol == (!strcmp(proto, "tcp") ? IPPROTO_TCP : IPPROTO_UDP))
				ret = fn(fctx, (uint16_t)port);
		}
		free(copy);
		return ret;
	}
	return 0;
}

static int fake_for_each_cidr_within(void *ctx, const struct weft_prefix *p,
				     int (*fn)(void *fctx, const struct weft_prefix *q,
					       uint32_t identity),
				     void *fctx)
{
	(void)ctx;
	for (size_t i = 0; i < ARRAY_SIZE(cidrs); i++) {
		struct weft_prefix q;
		int ret;

		weft_prefix_parse(cidrs[i].prefix, &q);
		if (!weft_prefix_within(&q, p))
			continue;
		ret = fn(fctx, &q, cidrs[i].identity);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct policy_view view = {
	.for_each_peer = fake_for_each_peer,
	.ns_labels = fake_ns_labels,
	.for_each_named_port = fake_for_each_named_port,
	.for_each_cidr_within = fake_for_each_cidr_within,
};

/* The endpoint: a pod of x labelled app=a. */
static struct cl_labels ep_labels;
static const struct cl_port ep_ports[] = {
	{"dns", 53, IPPROTO_UDP},
	{"http", 80, IPPROTO_TCP},
	{NULL, 9000, IPPROTO_TCP},
	{"metrics", 9090, IPPROTO_TCP},
};
static const struct policy_endpoint endpoint = {"x", &ep_labels, ep_ports, ARRAY_SIZE(ep_ports)};

/* ---- rendering ---------------------------------------------------------------- */

#define WORDS_MAX 64
#define WORD_LEN  48

struct words {
	char w[WORDS_MAX][WORD_LEN];
	size_t n;
};

static void render_shapes(uint32_t shapes, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int n = 0; n <= 16; n++) {
		if (shapes & WEFT_POLICY_SHAPE_PREFIX(n))
			at += (size_t)snprintf(buf + at, len - at, "%s/%u", at ? "+" : "", n);
	}
	if (shapes & WEFT_POLICY_SHAPE_ANY_PROTO)
		at += (size_t)snprintf(buf + at, len - at, "%sproto0", at ? "+" : "");
	if (shapes & WEFT_POLICY_SHAPE_ANY_PEER)
		at += (size_t)snprintf(buf + at, len - at, "%sanypeer", at ? "+" : "");
	if (shapes & WEFT_POLICY_SHAPE_CIDR_PEER)
		at += (size_t)snprintf(buf + at, len - at, "%scidr", at ? "+" : "");
	if (!at)
		snprintf(buf, len, "none");
}

/* "I:301:tcp:80/16#1", "E:*:any#0", "I:c4:any#2", "I.meta=/16+cidr", "E.meta=none". */
static int render(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	static const char *const protos[256] = {
		[0] = "any", [IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp", [IPPROTO_SCTP] = "sctp"};
	char dir = k->direction == WEFT_POLICY_INGRESS ? 'I' : 'E', peer[16], shapes[128];
	struct words *out = ctx;
	char *w;

	if (out->n == WORDS_MAX)
		return -E2BIG;
	w = out->w[out->n++];
	if (policy_key_is_meta(k)) {
		render_shapes(v->shapes, shapes, sizeof(shapes));
		snprintf(w, WORD_LEN, "%c.meta=%s%s", dir, shapes,
			 v->rule || k->protocol || k->port || k->port_prefixlen ? "!" : "");
		return 0;
	}
	if (k->peer == WEFT_POLICY_ANY_PEER)
		snprintf(peer, sizeof(peer), "*");
	else if (k->peer >= WEFT_IDENTITY_FIRST_CIDR)
		snprintf(peer, sizeof(peer), "c%u", k->peer - WEFT_IDENTITY_FIRST_CIDR);
	else
		snprintf(peer, sizeof(peer), "%u", k->peer);
	if (!k->protocol && !k->port && !k->port_prefixlen)
		snprintf(w, WORD_LEN, "%c:%s:any#%u", dir, peer, v->rule);
	else
		snprintf(w, WORD_LEN, "%c:%s:%s:%u/%u#%u%s", dir, peer,
			 protos[k->protocol] ? protos[k->protocol] : "?", ntohs(k->port),
			 k->port_prefixlen, v->rule, v->shapes || k->pad || k->pad2 ? "!" : "");
	return 0;
}

static int cmp_words(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void join_sorted(struct words *w, char *buf, size_t len)
{
	size_t at = 0;

	qsort(w->w, w->n, WORD_LEN, cmp_words);
	buf[0] = '\0';
	for (size_t i = 0; i < w->n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", w->w[i]);
}

/* @s's space-separated words, sorted and joined again. */
static void sort_words(const char *s, char *buf, size_t len)
{
	char *copy = strdup(s), *save = NULL;
	struct words w = {};

	for (char *t = strtok_r(copy, " ", &save); t && w.n < WORDS_MAX;
	     t = strtok_r(NULL, " ", &save))
		snprintf(w.w[w.n++], WORD_LEN, "%s", t);
	free(copy);
	join_sorted(&w, buf, len);
}

/* ---- the table ------------------------------------------------------------------ */

#define MAX_POLS 3

/* Open egress or ingress, as a direction no policy covers compiles. */
#define OPEN_I "I:*:any#0 I.meta=proto0+anypeer"
#define OPEN_E "E:*:any#0 E.meta=proto0+anypeer"

struct policy_src {
	const char *ns;	  /* NULL: "x" */
	const char *spec; /* JSON with ' for " */
};

static const struct {
	const char *what;
	struct policy_src pols[MAX_POLS]; /* cookies 1, 2, 3 in this order */
	const char *want;
} cases[] = {
	{"no policy: open both ways", {}, OPEN_I " " OPEN_E},
	{"a policy selecting other pods leaves it open",
	 {{NULL, "{'podSelector':{'matchLabels':{'app':'b'}}}"}},
	 OPEN_I " " OPEN_E},
	{"a policy of another namespace leaves it open",
	 {{"y", "{'podSelector':{}}"}},
	 OPEN_I " " OPEN_E},
	{"default deny ingress (implied type)",
	 {{NULL, "{'podSelector':{}}"}},
	 "I.meta=none " OPEN_E},
	{"default deny egress",
	 {{NULL, "{'podSelector':{},'policyTypes':['Egress']}"}},
	 OPEN_I " E.meta=none"},
	{"default deny both ways",
	 {{NULL, "{'podSelector':{},'policyTypes':['Ingress','Egress']}"}},
	 "I.meta=none E.meta=none"},
	{"egress rules imply Egress, and Ingress is implied too",
	 {{NULL, "{'egress':[{'ports':[{'port':53,'protocol':'UDP'}]}]}"}},
	 "I.meta=none E:*:udp:53/16#1 E.meta=/16+anypeer"},
	{"explicit Ingress ignores egress rules",
	 {{NULL, "{'policyTypes':['Ingress'],'ingress':[{}],'egress':[{'ports':[{'port':1}]}]}"}},
	 "I:*:any#1 I.meta=proto0+anypeer " OPEN_E},
	{"allow all ingress",
	 {{NULL, "{'podSelector':{'matchLabels':{'app':'a'}},'ingress':[{}]}"}},
	 "I:*:any#1 I.meta=proto0+anypeer " OPEN_E},
	{"podSelector peer: pods of the policy's namespace only (not y's app=b)",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'b'}}}]}]}"}},
	 "I:301:any#1 I.meta=proto0 " OPEN_E},
	{"empty podSelector peer: every pod of the namespace",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{}}]}]}"}},
	 "I:300:any#1 I:301:any#1 I.meta=proto0 " OPEN_E},
	{"a policy of y allows y's pods to its own pods",
	 {{"y", "{'ingress':[{'from':[{'podSelector':{}}]}]}"}},
	 OPEN_I " " OPEN_E},
	{"namespaceSelector: every pod of matching namespaces",
	 {{NULL, "{'ingress':[{'from':[{'namespaceSelector':{'matchLabels':{'env':'prod'}}}]}]}"}},
	 "I:300:any#1 I:301:any#1 I.meta=proto0 " OPEN_E},
	{"empty namespaceSelector: every pod of every known namespace",
	 {{NULL, "{'ingress':[{'from':[{'namespaceSelector':{}}]}]}"}},
	 "I:300:any#1 I:301:any#1 I:302:any#1 I:303:any#1 I:304:any#1 I.meta=proto0 " OPEN_E},
	{"namespaceSelector AND podSelector in one peer",
	 {{NULL, "{'ingress':[{'from':[{'namespaceSelector':{'matchLabels':{'env':'dev'}},"
		 "'podSelector':{'matchLabels':{'app':'a'}}}]}]}"}},
	 "I:302:any#1 I.meta=proto0 " OPEN_E},
	{"two peers OR",
	 {{NULL, "{'ingress':[{'from':[{'namespaceSelector':{'matchLabels':{'env':'dev'}}},"
		 "{'podSelector':{'matchLabels':{'app':'b'}}}]}]}"}},
	 "I:301:any#1 I:302:any#1 I:303:any#1 I.meta=proto0 " OPEN_E},
	{"In",
	 {{NULL, "{'egress':[{'to':[{'namespaceSelector':{},'podSelector':{'matchExpressions':"
		 "[{'key':'app','operator':'In','values':['b','c']}]}}]}]}"}},
	 "I.meta=none E:301:any#1 E:303:any#1 E:304:any#1 E.meta=proto0"},
	{"NotIn matches namespaces without the key, not unknown ones",
	 {{NULL, "{'egress':[{'to':[{'namespaceSelector':{'matchExpressions':"
		 "[{'key':'env','operator':'NotIn','values':['prod']}]}}]}]}"}},
	 "I.meta=none E:302:any#1 E:303:any#1 E:304:any#1 E.meta=proto0"},
	{"Exists",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchExpressions':"
		 "[{'key':'tier','operator':'Exists'}]}}]}]}"}},
	 "I:301:any#1 I.meta=proto0 " OPEN_E},
	{"DoesNotExist",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchExpressions':"
		 "[{'key':'tier','operator':'DoesNotExist'}]}}]}]}"}},
	 "I:300:any#1 I.meta=proto0 " OPEN_E},
	{"two policies: a union, the shared entry keeps the smaller cookie",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'b'}}}],"
		 "'ports':[{'port':80}]}]}"},
	  {NULL, "{'ingress':[{'from':[{'podSelector':{}}],'ports':[{'port':80}]}]}"}},
	 "I:300:tcp:80/16#2 I:301:tcp:80/16#1 I.meta=/16 " OPEN_E},
	{"an Ingress-only policy and an Egress-only one cover both",
	 {{NULL, "{'ingress':[{'ports':[{'port':80}]}]}"},
	  {NULL, "{'policyTypes':['Egress'],'egress':[{'to':[{'podSelector':{}}]}]}"}},
	 "I:*:tcp:80/16#1 I.meta=/16+anypeer E:300:any#2 E:301:any#2 E.meta=proto0"},
	{"a policy not selecting the endpoint adds nothing to a union",
	 {{NULL, "{'ingress':[{'ports':[{'port':80}]}]}"},
	  {NULL, "{'podSelector':{'matchLabels':{'app':'b'}},'ingress':[{}]}"}},
	 "I:*:tcp:80/16#1 I.meta=/16+anypeer " OPEN_E},
	{"ipBlock with except: nested registered prefixes inside the except are out",
	 {{NULL,
	   "{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.1.0.0/16']}}]}]}"}},
	 "I:c1:any#1 I:c4:any#1 I.meta=proto0+cidr " OPEN_E},
	{"ipBlock 0.0.0.0/0 except 10.0.0.0/8",
	 {{NULL, "{'egress':[{'to':[{'ipBlock':{'cidr':'0.0.0.0/0','except':['10.0.0.0/8']}}],"
		 "'ports':[{'port':443}]}]}"}},
	 "I.meta=none E:c5:tcp:443/16#1 E:c6:tcp:443/16#1 E.meta=/16+cidr"},
	{"ipBlock with two excepts",
	 {{NULL, "{'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.1.2.0/24',"
		 "'10.2.0.0/16']}}]}]}"}},
	 "I:c1:any#1 I:c2:any#1 I.meta=proto0+cidr " OPEN_E},
	{"ipBlock and pods in one rule",
	 {{NULL, "{'ingress':[{'from':[{'ipBlock':{'cidr':'192.168.0.0/16'}},"
		 "{'podSelector':{'matchLabels':{'app':'b'}}}]}]}"}},
	 "I:301:any#1 I:c5:any#1 I.meta=proto0+cidr " OPEN_E},
	{"numeric ports: TCP by default, UDP, SCTP",
	 {{NULL, "{'ingress':[{'ports':[{'port':80},{'port':53,'protocol':'UDP'},"
		 "{'port':9,'protocol':'SCTP'}]}]}"}},
	 "I:*:tcp:80/16#1 I:*:udp:53/16#1 I:*:sctp:9/16#1 I.meta=/16+anypeer " OPEN_E},
	{"endPort: masked prefixes, both edges",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'b'}}}],"
		 "'ports':[{'port':8080,'endPort':8090,'protocol':'SCTP'}]}]}"}},
	 "I:301:sctp:8080/13#1 I:301:sctp:8088/15#1 I:301:sctp:8090/16#1 I.meta=/13+/15+/16 " OPEN_E},
	{"a protocol without a port: all its ports",
	 {{NULL, "{'egress':[{'ports':[{'protocol':'UDP'}]}]}"}},
	 "I.meta=none E:*:udp:0/0#1 E.meta=/0+anypeer"},
	{"port 1-65535",
	 {{NULL, "{'egress':[{'to':[{'ipBlock':{'cidr':'192.168.0.0/16'}}],'ports':[{'port':32768,"
		 "'endPort':65535}]}]}"}},
	 "I.meta=none E:c5:tcp:32768/1#1 E.meta=/1+cidr"},
	{"a rule without ports allows every protocol",
	 {{NULL, "{'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'b'}}}]},"
		 "{'ports':[{'port':22}]}]}"}},
	 "I:301:any#1 I:*:tcp:22/16#1 I.meta=/16+proto0+anypeer " OPEN_E},
	{"ingress named ports: the endpoint's own numbers, protocol included",
	 {{NULL, "{'ingress':[{'ports':[{'port':'http'},{'port':'dns','protocol':'UDP'},"
		 "{'port':'dns'},{'port':'nope'}]}]}"}},
	 "I:*:tcp:80/16#1 I:*:udp:53/16#1 I.meta=/16+anypeer " OPEN_E},
	{"ingress named port it does not have: deny",
	 {{NULL, "{'ingress':[{'ports':[{'port':'nope'}]}]}"}},
	 "I.meta=none " OPEN_E},
	{"ingress named port with an ipBlock peer: the endpoint's own number",
	 {{NULL,
	   "{'ingress':[{'from':[{'ipBlock':{'cidr':'192.168.0.0/16'}}],'ports':[{'port':'http'}]}]}"}},
	 "I:c5:tcp:80/16#1 I.meta=/16+cidr " OPEN_E},
	{"egress named ports: each destination's own numbers",
	 {{NULL, "{'egress':[{'to':[{'namespaceSelector':{}}],'ports':[{'port':'http'}]}]}"}},
	 "I.meta=none E:300:tcp:80/16#1 E:301:tcp:8080/16#1 E:302:tcp:81/16#1 E:304:tcp:80/16#1 "
	 "E:304:tcp:90/16#1 E.meta=/16"},
	{"egress named port to every peer: every identity naming it",
	 {{NULL, "{'egress':[{'ports':[{'port':'http'},{'port':'dns','protocol':'UDP'}]}]}"}},
	 "I.meta=none E:300:tcp:80/16#1 E:301:tcp:8080/16#1 E:302:tcp:81/16#1 E:304:tcp:80/16#1 "
	 "E:304:tcp:90/16#1 E:305:tcp:7070/16#1 E:300:udp:53/16#1 E.meta=/16"},
	{"egress named port to an ipBlock: nothing (an ipBlock identity is addresses, not pods)",
	 {{NULL,
	   "{'egress':[{'to':[{'ipBlock':{'cidr':'10.0.0.0/8'}}],'ports':[{'port':'http'}]}]}"}},
	 "I.meta=none E.meta=none"},
	{"meta shapes gather every kind of entry of a direction",
	 {{NULL,
	   "{'ingress':[{'ports':[{'port':80},{'port':1000,'endPort':1001,'protocol':'UDP'}]},"
	   "{'from':[{'ipBlock':{'cidr':'192.168.0.0/16'}}]}]}"}},
	 "I:*:tcp:80/16#1 I:*:udp:1000/15#1 I:c5:any#1 I.meta=/15+/16+proto0+anypeer+cidr " OPEN_E},
};

static int make_policies(const struct policy_src *src, struct netpol **pols, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < MAX_POLS && src[i].spec; i++) {
		char *spec = strdup(src[i].spec), err[512];
		struct cl_policy *p;
		json_t *j;
		int ret;

		for (char *c = spec; *c; c++)
			*c = *c == '\'' ? '"' : *c;
		j = json_loads(spec, 0, NULL);
		free(spec);
		p = cl_policy_new(src[i].ns ? src[i].ns : "x", "p", j);
		json_decref(j);
		ret = netpol_parse(p, (uint32_t)i + 1, &pols[(*n)++], err, sizeof(err));
		cl_policy_free(p);
		if (ret) {
			(*n)--;
			printf("# %s\n", err);
			return ret;
		}
	}
	return 0;
}

static void compile_to_text_with(const struct policy_view *v, struct netpol **pols, size_t n,
				 struct policy_entries *out, char *buf, size_t len)
{
	struct words w = {};
	int ret = policy_compile(v, pols, n, &endpoint, out);

	if (ret) {
		snprintf(buf, len, "error %d", ret);
		return;
	}
	policy_entries_for_each(out, render, &w);
	join_sorted(&w, buf, len);
}

static void compile_to_text(struct netpol **pols, size_t n, struct policy_entries *out, char *buf,
			    size_t len)
{
	compile_to_text_with(&view, pols, n, out, buf, len);
}

static void test_table(struct policy_entries *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char got[4096], want[4096], reversed[4096];
		struct netpol *pols[MAX_POLS], *rev[MAX_POLS];
		size_t n;

		if (make_policies(cases[i].pols, pols, &n)) {
			CHECK(0, "%s: policies parse", cases[i].what);
			continue;
		}
		compile_to_text(pols, n, out, got, sizeof(got));
		sort_words(cases[i].want, want, sizeof(want));
		CHECK_STR(got, want, "%s", cases[i].what);
		/* The same set whatever the order of the policies. */
		for (size_t j = 0; j < n; j++)
			rev[j] = pols[n - 1 - j];
		compile_to_text(rev, n, out, reversed, sizeof(reversed));
		if (n > 1)
			CHECK_STR(reversed, got, "%s: in the other order too", cases[i].what);
		for (size_t j = 0; j < n; j++)
			netpol_free(pols[j]);
	}
}

static void test_view_error(struct policy_entries *out)
{
	static const struct policy_src src[MAX_POLS] = {
		{NULL, "{'ingress':[{'from':[{'podSelector':{}}]}]}"}};
	struct netpol *pols[MAX_POLS];
	size_t n;

	if (make_policies(src, pols, &n))
		return;
	peer_walk_error = -EIO;
	CHECK_INT(policy_compile(&view, pols, n, &endpoint, out), -EIO,
		  "a failing view walk fails the compile with its error");
	CHECK_INT(policy_entries_count(out), 0, "and leaves no entries");
	peer_walk_error = 0;
	CHECK_INT(policy_compile(&view, pols, n, &endpoint, out), 0, "compiles again");
	CHECK_INT(policy_entries_count(out), 5,
		  "two peers, open egress, two meta entries (cleared first)");
	netpol_free(pols[0]);
}

/* With a generation, a rule's peers are walked once and reused until the
 * generation moves. */
static void test_generation(struct policy_entries *out)
{
	static const struct policy_src src[MAX_POLS] = {
		{NULL, "{'ingress':[{'from':[{'podSelector':{}}]}]}"}};
	struct policy_view cached = view;
	struct netpol *pols[MAX_POLS];
	char first[1024], again[1024];
	size_t n;

	if (make_policies(src, pols, &n))
		return;
	cached.generation = 1;
	compile_to_text_with(&cached, pols, n, out, first, sizeof(first));
	peer_walk_error = -EIO;
	compile_to_text_with(&cached, pols, n, out, again, sizeof(again));
	CHECK_STR(again, first, "the same generation reuses the rule's peers (no walk)");
	cached.generation = 2;
	CHECK_INT(policy_compile(&cached, pols, n, &endpoint, out), -EIO,
		  "a new generation walks the peers again");
	peer_walk_error = 0;
	compile_to_text_with(&cached, pols, n, out, again, sizeof(again));
	CHECK_STR(again, first, "and compiles the same");
	netpol_free(pols[0]);
}

int main(void)
{
	struct policy_entries *out;

	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		labels_from(namespaces[i].labels, &ns_labels[i]);
	for (size_t i = 0; i < ARRAY_SIZE(pods); i++)
		labels_from(pods[i].labels, &pod_labels[i]);
	labels_from("app=a", &ep_labels);
	if (policy_entries_new(&out))
		return 1;
	test_table(out);
	test_view_error(out);
	test_generation(out);
	policy_entries_free(out);
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		cl_labels_clear(&ns_labels[i]);
	for (size_t i = 0; i < ARRAY_SIZE(pods); i++)
		cl_labels_clear(&pod_labels[i]);
	cl_labels_clear(&ep_labels);
	return test_done();
}
