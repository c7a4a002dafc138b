// SPDX-License-Identifier: Apache-2.0
/*
 * daemon/policy/netpol.c: NetworkPolicy specs, table-driven. Good specs are
 * rendered back in a short form and compared (policyTypes explicit and
 * implied, peers, ipBlocks, ports); bad ones must fail with an error naming
 * the policy and the field. Then the queries the engine asks of a policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/policy/netpol.h"
#include "testing.h"

static int parse(const char *spec, uint32_t cookie, struct netpol **out, char *err, size_t len)
{
	json_t *j = json_loads(spec, JSON_DECODE_ANY, NULL);
	struct cl_policy *p;
	int ret;

	if (!j) {
		snprintf(err, len, "test bug: bad JSON %s", spec);
		return -EBADMSG;
	}
	p = cl_policy_new("x", "p", j);
	json_decref(j);
	ret = netpol_parse(p, cookie, out, err, len);
	cl_policy_free(p);
	return ret;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "sctp";
}

/*
 * The short form: per covered direction, "I" or "E" and its rules, each
 * "{peers|ports}". Peers: "*" (any), "pod", "ns", "ns+pod", or
 * "cidr-except-except". Ports: "*" (all), "tcp:80", "udp:1000-2000",
 * "tcp:http".
 */
static void describe(const struct netpol *pol, char *buf, size_t len)
{
	size_t at = 0;

#define OUT(...) (at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__))
	buf[0] = '\0';
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		if (!pol->covers[dir])
			continue;
		OUT("%s%c", at ? " " : "", dir == WEFT_POLICY_INGRESS ? 'I' : 'E');
		for (size_t i = 0; i < pol->n_rules[dir]; i++) {
			const struct netpol_rule *r = &pol->rules[dir][i];

			OUT("{%s", r->n_peers ? "" : "*");
			for (size_t j = 0; j < r->n_peers; j++) {
				const struct netpol_peer *np = &r->peers[j];
				char p[WEFT_PREFIX_STRLEN];

				OUT("%s", j ? "," : "");
				if (!np->is_ipblock) {
					OUT("%s%s%s", np->has_ns_sel ? "ns" : "",
					    np->has_ns_sel && np->has_pod_sel ? "+" : "",
					    np->has_pod_sel ? "pod" : "");
					continue;
				}
				OUT("%s", weft_prefix_format(&np->cidr, p, sizeof(p)));
				for (size_t k = 0; k < np->n_except; k++)
					OUT("-%s",
					    weft_prefix_format(&np->except[k], p, sizeof(p)));
			}
			OUT("|%s", r->n_ports ? "" : "*");
			for (size_t j = 0; j < r->n_ports; j++) {
				const struct netpol_port *pp = &r->ports[j];

				OUT("%s%s:", j ? "," : "", proto_name(pp->protocol));
				if (pp->name)
					OUT("%s", pp->name);
				else if (pp->port == pp->end_port)
					OUT("%u", pp->port);
				else
					OUT("%u-%u", pp->port, pp->end_port);
			}
			OUT("}");
		}
	}
#undef OUT
}

static void test_good(void)
{
	static const struct {
		const char *what, *spec, *want;
	} cases[] = {
		{"deny all ingress (implied type)", "{\"podSelector\":{}}", "I"},
		{"no podSelector at all is the empty one", "{}", "I"},
		{"deny all both ways",
		 "{\"podSelector\":{},\"policyTypes\":[\"Ingress\",\"Egress\"]}", "I E"},
		{"deny all egress only", "{\"podSelector\":{},\"policyTypes\":[\"Egress\"]}", "E"},
		{"allow all ingress", "{\"podSelector\":{},\"ingress\":[{}]}", "I{*|*}"},
		{"empty from and ports are every peer and port",
		 "{\"podSelector\":{},\"ingress\":[{\"from\":[],\"ports\":[]}]}", "I{*|*}"},
		{"egress rules imply Egress", "{\"podSelector\":{},\"egress\":[{}]}", "I E{*|*}"},
		{"an empty egress list implies no Egress", "{\"podSelector\":{},\"egress\":[]}",
		 "I"},
		{"null fields are absent",
		 "{\"podSelector\":null,\"ingress\":null,\"egress\":null,\"policyTypes\":null}",
		 "I"},
		{"an empty policyTypes is implied", "{\"policyTypes\":[],\"egress\":[{}]}",
		 "I E{*|*}"},
		{"explicit types drop the other direction's rules",
		 "{\"policyTypes\":[\"Egress\"],\"ingress\":[{}],\"egress\":[{\"to\":[{\"podSelector\":{}}]}]}",
		 "E{pod|*}"},
		{"peers of every kind",
		 "{\"ingress\":[{\"from\":[{\"podSelector\":{}},{\"namespaceSelector\":{}},"
		 "{\"namespaceSelector\":{},\"podSelector\":{\"matchLabels\":{\"a\":\"b\"}}},"
		 "{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.1.0.0/16\",\"10.2.3.0/24\"]}}]}]}",
		 "I{pod,ns,ns+pod,10.0.0.0/8-10.1.0.0/16-10.2.3.0/24|*}"},
		{"ipBlock host bits are cleared, as the API server's parser does",
		 "{\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.1/8\",\"except\":[\"10.1.2.3/16\"]}}]}]}",
		 "I{10.0.0.0/8-10.1.0.0/16|*}"},
		{"IPv6 ipBlock",
		 "{\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"fd00::/8\"}}]}]}",
		 "I{fd00::/8|*}"},
		{"ports of every kind",
		 "{\"ingress\":[{\"ports\":[{\"port\":80},{\"protocol\":\"UDP\"},{\"protocol\":"
		 "\"SCTP\",\"port\":1000,\"endPort\":2000},{\"port\":\"http-alt\"},{\"protocol\":"
		 "\"UDP\",\"port\":53,\"endPort\":53},{\"port\":1,\"endPort\":65535}]}]}",
		 "I{*|tcp:80,udp:0-65535,sctp:1000-2000,tcp:http-alt,udp:53,tcp:1-65535}"},
		{"several rules both ways",
		 "{\"ingress\":[{\"ports\":[{\"port\":80}]},{\"from\":[{\"podSelector\":{}}]}],"
		 "\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":\"0.0.0.0/0\"}}],\"ports\":[{\"port\":53,"
		 "\"protocol\":\"UDP\"}]}]}",
		 "I{*|tcp:80}{pod|*} E{0.0.0.0/0|udp:53}"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct netpol *pol = NULL;
		char err[512] = "", got[512];
		int ret = parse(cases[i].spec, 7, &pol, err, sizeof(err));

		CHECK_INT(ret, 0, "%s: parses%s%s", cases[i].what, ret ? ": " : "", err);
		if (ret)
			continue;
		describe(pol, got, sizeof(got));
		CHECK_STR(got, cases[i].want, "%s: means %s", cases[i].what, cases[i].want);
		CHECK_INT(pol->cookie, 7, "%s: keeps its cookie", cases[i].what);
		netpol_free(pol);
	}
}

static void test_errors(void)
{
	static const struct {
		const char *spec, *error;
	} cases[] = {
		{"[]", "spec: must be an object"},
		{"{\"podSelector\":[]}", "spec.podSelector: must be an object, got []"},
		{"{\"podSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}}",
		 "spec.podSelector.matchExpressions[0].values: must be non-empty for In"},
		{"{\"policyTypes\":\"Ingress\"}",
		 "spec.policyTypes: must be an array, got \"Ingress\""},
		{"{\"policyTypes\":[\"Ingress\",\"ingress\"]}",
		 "spec.policyTypes[1]: \"ingress\" is not one of Ingress, Egress"},
		{"{\"policyTypes\":[\"Ingress\",\"Egress\",\"Ingress\"]}",
		 "spec.policyTypes: at most 2 entries, got 3"},
		{"{\"ingress\":{}}", "spec.ingress: must be an array, got {}"},
		{"{\"ingress\":[[]]}", "spec.ingress[0]: must be an object, got []"},
		{"{\"ingress\":[{\"from\":{}}]}", "spec.ingress[0].from: must be an array, got {}"},
		{"{\"egress\":[{},{\"to\":[{}]}]}",
		 "spec.egress[1].to[0]: needs podSelector, namespaceSelector or ipBlock"},
		{"{\"ingress\":[{\"from\":[{\"podSelector\":{},\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"}}]}]}",
		 "spec.ingress[0].from[0]: ipBlock may not be combined with podSelector or "
		 "namespaceSelector"},
		{"{\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":{\"a\":1}}}]}]}",
		 "spec.ingress[0].from[0].namespaceSelector.matchLabels[\"a\"]: 1 is not a label value"},
		{"{\"ingress\":[{\"from\":[{\"ipBlock\":{}}]}]}",
		 "spec.ingress[0].from[0].ipBlock.cidr: nothing is not a CIDR (address/prefix length)"},
		{"{\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/33\"}}]}]}",
		 "spec.ingress[0].from[0].ipBlock.cidr: \"10.0.0.0/33\" is not a CIDR (address/prefix "
		 "length)"},
		{"{\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.0.0.0/8\"]}}]}]}",
		 "spec.ingress[0].from[0].ipBlock.except[0]: \"10.0.0.0/8\" is not strictly inside cidr "
		 "10.0.0.0/8"},
		{"{\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/16\",\"except\":[\"10.0.1.0/24\","
		 "\"10.1.0.0/24\"]}}]}]}",
		 "spec.egress[0].to[0].ipBlock.except[1]: \"10.1.0.0/24\" is not strictly inside cidr "
		 "10.0.0.0/16"},
		{"{\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"fd00::/64\"]}}]}]}",
		 "spec.egress[0].to[0].ipBlock.except[0]: \"fd00::/64\" is not strictly inside cidr "
		 "10.0.0.0/8"},
		{"{\"ingress\":[{\"ports\":[{\"protocol\":\"ICMP\"}]}]}",
		 "spec.ingress[0].ports[0].protocol: \"ICMP\" is not one of TCP, UDP, SCTP"},
		{"{\"ingress\":[{\"ports\":[{\"protocol\":\"tcp\"}]}]}",
		 "spec.ingress[0].ports[0].protocol: \"tcp\" is not one of TCP, UDP, SCTP"},
		{"{\"ingress\":[{\"ports\":[{\"port\":0}]}]}",
		 "spec.ingress[0].ports[0].port: 0 is not a port (1-65535)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":65536}]}]}",
		 "spec.ingress[0].ports[0].port: 65536 is not a port (1-65535)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":80.5}]}]}",
		 "spec.ingress[0].ports[0].port: must be a port number or name, got 80.5"},
		{"{\"ingress\":[{\"ports\":[{\"port\":\"80\"}]}]}",
		 "spec.ingress[0].ports[0].port: \"80\" is not a port name (at most 15 of a-z, 0-9 and "
		 "'-', with a letter, no '-' at either end or twice in a row)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":\"Http\"}]}]}",
		 "spec.ingress[0].ports[0].port: \"Http\" is not a port name (at most 15 of a-z, 0-9 "
		 "and '-', with a letter, no '-' at either end or twice in a row)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":\"a--b\"}]}]}",
		 "spec.ingress[0].ports[0].port: \"a--b\" is not a port name (at most 15 of a-z, 0-9 "
		 "and '-', with a letter, no '-' at either end or twice in a row)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":\"abcdefghijklmnop\"}]}]}",
		 "spec.ingress[0].ports[0].port: \"abcdefghijklmnop\" is not a port name (at most 15 of "
		 "a-z, 0-9 and '-', with a letter, no '-' at either end or twice in a row)"},
		{"{\"ingress\":[{\"ports\":[{\"port\":80},{\"port\":80,\"endPort\":79}]}]}",
		 "spec.ingress[0].ports[1].endPort: 79 is below port 80"},
		{"{\"ingress\":[{\"ports\":[{\"port\":80,\"endPort\":65536}]}]}",
		 "spec.ingress[0].ports[0].endPort: 65536 is above 65535"},
		{"{\"ingress\":[{\"ports\":[{\"endPort\":80}]}]}",
		 "spec.ingress[0].ports[0].endPort: needs a numeric port"},
		{"{\"ingress\":[{\"ports\":[{\"port\":\"http\",\"endPort\":80}]}]}",
		 "spec.ingress[0].ports[0].endPort: needs a numeric port"},
		{"{\"ingress\":[{\"ports\":[{\"port\":80,\"endPort\":\"90\"}]}]}",
		 "spec.ingress[0].ports[0].endPort: must be an integer, got \"90\""},
		{"{\"egress\":[{\"ports\":[3]}]}",
		 "spec.egress[0].ports[0]: must be an object, got 3"},
		/* A direction the policy does not cover is still validated. */
		{"{\"policyTypes\":[\"Ingress\"],\"egress\":[{\"ports\":[{\"port\":0}]}]}",
		 "spec.egress[0].ports[0].port: 0 is not a port (1-65535)"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char err[512] = "", want[600];
		struct netpol *pol = NULL;

		snprintf(want, sizeof(want), "networkpolicy x/p: %s", cases[i].error);
		CHECK_INT(parse(cases[i].spec, 1, &pol, err, sizeof(err)), -EINVAL,
			  "bad spec %zu refused", i);
		CHECK_STR(err, want, "bad spec %zu: the error names the field", i);
	}
	{
		char err[512] = "";
		struct netpol *pol = NULL;

		CHECK_INT(parse("{}", 0, &pol, err, sizeof(err)), -EINVAL, "cookie 0 refused");
		CHECK_STR(err, "networkpolicy x/p: rule cookie 0 is reserved", "and said so");
	}
}

/* ---- queries ---------------------------------------------------------------- */

static int count_cidr(void *ctx, const struct weft_prefix *p)
{
	char buf[WEFT_PREFIX_STRLEN], *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s%s", *out ? " " : "",
		 weft_prefix_format(p, buf, sizeof(buf)));
	return 0;
}

static int stop_at_first(void *ctx, const struct weft_prefix *p)
{
	(void)p;
	++*(int *)ctx;
	return 42;
}

static void test_queries(void)
{
	struct cl_labels web = {}, db = {}, prod = {}, dev = {};
	struct netpol *pol = NULL, *plain = NULL, *named = NULL;
	char err[512] = "", cidrs[256] = "";
	int calls = 0;

	cl_labels_add(&web, "app", "web");
	cl_labels_add(&db, "app", "db");
	cl_labels_add(&prod, "env", "prod");
	cl_labels_add(&dev, "env", "dev");
	CHECK_INT(
		parse("{\"podSelector\":{\"matchLabels\":{\"app\":\"web\"}},"
		      "\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"db\"}}},"
		      "{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.1.0.0/16\"]}}]}],"
		      "\"egress\":[{\"to\":[{\"namespaceSelector\":{\"matchLabels\":{\"env\":\"prod\"}}}],"
		      "\"ports\":[{\"port\":\"dns\",\"protocol\":\"UDP\"}]},"
		      "{\"to\":[{\"ipBlock\":{\"cidr\":\"192.168.0.0/16\"}}]}]}",
		      9, &pol, err, sizeof(err)),
		0, "the query policy parses %s", err);
	CHECK_INT(
		parse("{\"policyTypes\":[\"Ingress\"],\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":"
		      "\"1.0.0.0/8\"}}]}],\"ingress\":[{}]}",
		      9, &plain, err, sizeof(err)),
		0, "the plain policy parses %s", err);
	CHECK_INT(
		parse("{\"policyTypes\":[\"Egress\"],\"egress\":[{\"ports\":[{\"port\":\"web\"}]}]}",
		      9, &named, err, sizeof(err)),
		0, "the named-port policy parses %s", err);
	if (!pol || !plain || !named)
		goto free_policies;

	CHECK(netpol_selects(pol, "x", &web), "selects app=web in its namespace");
	CHECK(!netpol_selects(pol, "y", &web), "not in another namespace");
	CHECK(!netpol_selects(pol, "x", &db), "not app=db");
	CHECK(netpol_selects(plain, "x", &db), "an empty podSelector selects every pod of x");

	{
		static const struct {
			const char *what, *ns;
			uint32_t identity;
			bool db_labels, prod_ns, known_ns, want;
		} peers[] = {
			{"app=db of x (podSelector)", "x", 300, true, false, true, true},
			{"app=db of y (podSelector is the policy's namespace)", "y", 300, true,
			 false, true, false},
			{"app=web of x", "x", 300, false, false, true, false},
			{"any pod of a prod namespace (namespaceSelector)", "z", 301, false, true,
			 true, true},
			{"a pod of an unknown namespace", "z", 301, false, true, false, false},
			{"the host is never selected", "x", WEFT_IDENTITY_HOST, true, true, true,
			 false},
			{"the world is never selected", "x", WEFT_IDENTITY_WORLD, true, true, true,
			 false},
		};

		for (size_t i = 0; i < ARRAY_SIZE(peers); i++) {
			struct policy_peer p = {
				.identity = peers[i].identity,
				.ns = peers[i].ns,
				.labels = peers[i].db_labels ? &db : &web,
				.ns_labels = !peers[i].known_ns ? NULL
					     : peers[i].prod_ns ? &prod
								: &dev,
			};

			CHECK(netpol_peer_may_select(pol, &p) == peers[i].want, "%s: %s",
			      peers[i].what, peers[i].want ? "may be selected" : "is not");
		}
	}
	{
		struct policy_peer any = {.identity = 500, .ns = "q", .labels = &web};

		CHECK(!netpol_peer_may_select(plain, &any), "a rule with no peers selects no one");
		CHECK(netpol_peer_may_select(named, &any),
		      "but an egress rule to every peer on a named port depends on every peer");
	}

	CHECK_INT(netpol_for_each_cidr(pol, count_cidr, cidrs), 0, "cidr walk");
	CHECK_STR(cidrs, "10.0.0.0/8 10.1.0.0/16 192.168.0.0/16", "every cidr and except");
	cidrs[0] = '\0';
	CHECK_INT(netpol_for_each_cidr(plain, count_cidr, cidrs), 0, "cidr walk, plain");
	CHECK_STR(cidrs, "", "none of a direction the policy does not cover");
	CHECK_INT(netpol_for_each_cidr(pol, stop_at_first, &calls), 42, "a walk stops at non-zero");
	CHECK_INT(calls, 1, "after one call");

	CHECK(netpol_has_named_ports(pol), "the query policy names a port");
	CHECK(!netpol_has_named_ports(plain), "the plain one does not");

free_policies:
	netpol_free(pol);
	netpol_free(plain);
	netpol_free(named);
	cl_labels_clear(&web);
	cl_labels_clear(&db);
	cl_labels_clear(&prod);
	cl_labels_clear(&dev);
}

static void test_prefix_within(void)
{
	static const struct {
		const char *inner, *outer;
		bool want;
	} cases[] = {
		{"10.1.0.0/16", "10.0.0.0/8", true},	{"10.0.0.0/8", "10.0.0.0/8", true},
		{"10.0.0.0/8", "10.1.0.0/16", false},	{"11.0.0.0/16", "10.0.0.0/8", false},
		{"10.0.0.128/25", "10.0.0.0/24", true}, {"10.0.1.128/25", "10.0.0.0/24", false},
		{"10.0.0.0/9", "10.0.0.0/9", true},	{"10.128.0.0/9", "10.0.0.0/9", false},
		{"1.2.3.4/32", "0.0.0.0/0", true},	{"fd00::/64", "0.0.0.0/0", false},
		{"fd00:1::/64", "fd00::/16", true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct weft_prefix a, b;

		weft_prefix_parse(cases[i].inner, &a);
		weft_prefix_parse(cases[i].outer, &b);
		CHECK(weft_prefix_within(&a, &b) == cases[i].want, "%s %s within %s",
		      cases[i].inner, cases[i].want ? "is" : "is not", cases[i].outer);
	}
}

int main(void)
{
	test_good();
	test_errors();
	test_queries();
	test_prefix_within();
	return test_done();
}
