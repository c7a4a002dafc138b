// SPDX-License-Identifier: Apache-2.0
/* The kubeconfig parser: the current context picks the cluster and user,
 * paths are anchored at the file's directory, inline data is decoded, and
 * what weftd refuses (insecure TLS, exec plugins, http://, missing pieces)
 * is refused with a message naming the field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/kubeconfig.h"
#include "testing.h"

/* "-----BEGIN CERTIFICATE-----\n" in base64. */
#define PEM_B64	 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
#define PEM_TEXT "-----BEGIN CERTIFICATE-----\n"

static int parse(const char *text, struct k8s_kubeconfig *kc, char *err)
{
	memset(kc, 0, sizeof(*kc));
	err[0] = '\0';
	return k8s_kubeconfig_parse(text, strlen(text), "/etc/weft", kc, err, 256);
}

static void test_current_context(void)
{
	static const char doc[] = "apiVersion: v1\n"
				  "kind: Config\n"
				  "clusters:\n"
				  "- name: other\n"
				  "  cluster: {server: \"https://10.0.0.9:6443\"}\n"
				  "- name: prod\n"
				  "  cluster:\n"
				  "    server: https://api.example:6443/\n"
				  "    certificate-authority: certs/ca.crt\n"
				  "users:\n"
				  "- name: weftd\n"
				  "  user:\n"
				  "    tokenFile: /var/run/token\n"
				  "- name: admin\n"
				  "  user: {token: abc}\n"
				  "contexts:\n"
				  "- name: a\n"
				  "  context: {cluster: other, user: admin}\n"
				  "- name: b\n"
				  "  context: {cluster: prod, user: weftd}\n"
				  "current-context: b\n";
	struct k8s_kubeconfig kc;
	char err[256];

	CHECK_INT(parse(doc, &kc, err), 0, "a two-context kubeconfig parses (%s)", err);
	CHECK_STR(kc.context, "b", "the current context");
	CHECK_STR(kc.server, "https://api.example:6443", "its cluster's server, trailing / gone");
	CHECK_STR(kc.ca.file, "/etc/weft/certs/ca.crt", "a relative CA path is the file's dir's");
	CHECK(!kc.token, "no literal token for user weftd");
	CHECK_STR(kc.token_file, "/var/run/token", "its token file, as written (absolute)");
	CHECK(!kc.cert.file && !kc.cert.data, "no client certificate");
	k8s_kubeconfig_free(&kc);
}

static void test_inline_data(void)
{
	static const char doc[] = "clusters:\n"
				  "- name: c\n"
				  "  cluster:\n"
				  "    server: https://[fd00::1]:6443\n"
				  "    certificate-authority-data: " PEM_B64 "\n"
				  "    certificate-authority: /ignored\n"
				  "users:\n"
				  "- name: u\n"
				  "  user:\n"
				  "    client-certificate-data: " PEM_B64 "\n"
				  "    client-key-data: " PEM_B64 "\n"
				  "contexts:\n"
				  "- name: x\n"
				  "  context:\n"
				  "    cluster: c\n"
				  "    user: u\n"
				  "current-context: x\n";
	struct k8s_kubeconfig kc;
	char err[256];

	CHECK_INT(parse(doc, &kc, err), 0, "inline certificates parse (%s)", err);
	CHECK(kc.ca.data && kc.ca.len == strlen(PEM_TEXT) &&
		      !memcmp(kc.ca.data, PEM_TEXT, kc.ca.len),
	      "certificate-authority-data decoded, and it wins over the file");
	CHECK(!kc.ca.file, "the file is not used then");
	CHECK(kc.cert.data && kc.key.data && kc.key.len == strlen(PEM_TEXT),
	      "client certificate and key decoded");
	CHECK(!kc.token && !kc.token_file, "no token");
	k8s_kubeconfig_free(&kc);
}

static void test_refused(void)
{
	static const struct {
		const char *doc, *want, *what;
	} cases[] = {
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: \"https://h\", insecure-skip-tls-verify: "
		 "true}\nusers:\n- name: u\n  user: {token: t}\n",
		 "insecure-skip-tls-verify", "insecure TLS is refused"},
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: \"http://h:8080\"}\nusers:\n- name: u\n"
		 "  user: {token: t}\n",
		 "not an https:// URL", "plain http is refused"},
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: \"https://h\"}\nusers:\n- name: u\n"
		 "  user:\n    exec: {command: aws}\n",
		 ".exec: not supported", "exec plugins are refused"},
		{"current-context: y\ncontexts:\n- name: x\n  context: {cluster: c}\n",
		 "no entry named "
		 "\"y\"",
		 "a missing current context"},
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n",
		 "clusters: "
		 "missing",
		 "no clusters"},
		{"contexts: []\n", "current-context: missing", "no current-context"},
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: \"https://h\"}\nusers:\n- name: u\n"
		 "  user: {client-certificate: /c.pem}\n",
		 "needs its key", "a certificate without its key"},
		{"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n"
		 "- name: c\n  cluster:\n    server: https://h\n    certificate-authority-data: "
		 "\"!!!\"\n",
		 "not base64", "bad base64"},
		{"current-context: [x\n", "line ", "malformed YAML, with the position"},
		{"- a\n- b\n", "no mapping", "not a mapping"},
	};
	struct k8s_kubeconfig kc;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(parse(cases[i].doc, &kc, err), -EINVAL, "%s: refused", cases[i].what);
		CHECK(strstr(err, cases[i].want), "%s: the message says \"%s\" (%s)", cases[i].what,
		      cases[i].want, err);
	}
}

static void test_no_user(void)
{
	static const char doc[] = "current-context: x\ncontexts:\n- name: x\n  context: {cluster: "
				  "c}\nclusters:\n- name: c\n  cluster: {server: \"https://h\"}\n";
	struct k8s_kubeconfig kc;
	char err[256];

	CHECK_INT(parse(doc, &kc, err), 0, "a context without a user is anonymous (%s)", err);
	CHECK(!kc.token && !kc.token_file && !kc.cert.file, "no credentials at all");
	k8s_kubeconfig_free(&kc);
}

static void test_base64(void)
{
	char *out;
	size_t len;

	CHECK_INT(k8s_base64_decode("aGVsbG8=", &out, &len), 0, "padded base64");
	CHECK(len == 5 && !strcmp(out, "hello"), "decodes to hello");
	free(out);
	CHECK_INT(k8s_base64_decode("aGVs\nbG8", &out, &len), 0, "unpadded, with a newline");
	CHECK(len == 5 && !strcmp(out, "hello"), "decodes to hello too");
	free(out);
	CHECK_INT(k8s_base64_decode("aGVsb", &out, &len), -EINVAL, "a truncated quantum");
	CHECK_INT(k8s_base64_decode("aG=Vs", &out, &len), -EINVAL, "data after padding");
}

int main(void)
{
	test_current_context();
	test_inline_data();
	test_refused();
	test_no_user();
	test_base64();
	return test_done();
}
