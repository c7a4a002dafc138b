// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "daemon/k8s/kubeconfig.h"
#include "fdio.h"

/* A kubeconfig is a few kilobytes; inline certificates make it tens. */
#define KUBECONFIG_MAX (1 << 20)

struct kc_parse {
	yaml_document_t doc;
	const char *dir;
	char *err;
	size_t errlen;
};

static int bad(struct kc_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct kc_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The value of @key in mapping @map, or NULL (also when @map is no mapping). */
static yaml_node_t *map_get(struct kc_parse *p, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(&p->doc, pair->value);
	}
	return NULL;
}

/* A scalar's text; NULL when absent. -EINVAL when present but not a scalar. */
static int scalar(struct kc_parse *p, yaml_node_t *map, const char *key, const char *where,
		  const char **out)
{
	yaml_node_t *n = map_get(p, map, key);

	*out = NULL;
	if (!n)
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return bad(p, "%s.%s: must be a string", where, key);
	*out = (const char *)n->data.scalar.value;
	/* `key:` with nothing after it is YAML's null: absent, as kubectl has it. */
	if (!**out || !strcmp(*out, "null") || !strcmp(*out, "~"))
		*out = NULL;
	return 0;
}

/* The entry of list @section (clusters, users, contexts) named @name: its
 * inner mapping under @inner (cluster, user, context). */
static int named(struct kc_parse *p, const char *section, const char *inner, const char *name,
		 yaml_node_t **out)
{
	yaml_node_t *root = yaml_document_get_root_node(&p->doc);
	yaml_node_t *list = map_get(p, root, section);
	yaml_node_item_t *it;

	if (!list || list->type != YAML_SEQUENCE_NODE)
		return bad(p, "%s: missing, or not a list", section);
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&p->doc, *it);
		const char *n;

		if (scalar(p, e, "name", section, &n))
			return -EINVAL;
		if (!n || strcmp(n, name))
			continue;
		*out = map_get(p, e, inner);
		if (!*out || (*out)->type != YAML_MAPPING_NODE)
			return bad(p, "%s %s: no %s mapping", section, name, inner);
		return 0;
	}
	return bad(p, "%s: no entry named \"%s\"", section, name);
}

static int dup_str(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* A path as written, or anchored at the kubeconfig's directory. */
static int path_of(struct kc_parse *p, const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	if (s[0] == '/' || !p->dir)
		return dup_str(s, out);
	if (asprintf(out, "%s/%s", p->dir, s) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* @key (a path) or @key-data (base64): one of them, or neither. */
static int pem(struct kc_parse *p, yaml_node_t *map, const char *key, const char *where,
	       struct k8s_pem *out)
{
	char data_key[64];
	const char *file, *data;
	int ret;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	if (scalar(p, map, key, where, &file) || scalar(p, map, data_key, where, &data))
		return -EINVAL;
	if (data) {
		/* The inline data wins, as in client-go. */
		ret = k8s_base64_decode(data, &out->data, &out->len);
		if (ret == -EINVAL)
			return bad(p, "%s.%s: not base64", where, data_key);
		return ret;
	}
	return path_of(p, file, &out->file);
}

static int parse_cluster(struct kc_parse *p, yaml_node_t *c, struct k8s_kubeconfig *kc)
{
	char where[300];
	const char *server, *insecure;
	size_t n;
	int ret;

	snprintf(where, sizeof(where), "clusters[%s].cluster", kc->cluster);
	if (scalar(p, c, "server", where, &server) ||
	    scalar(p, c, "insecure-skip-tls-verify", where, &insecure))
		return -EINVAL;
	if (insecure && strcmp(insecure, "false"))
		return bad(p,
			   "%s.insecure-skip-tls-verify: weftd always verifies the API server's "
			   "certificate; give certificate-authority(-data) instead",
			   where);
	if (!server)
		return bad(p, "%s.server: missing", where);
	if (strncmp(server, "https://", 8))
		return bad(p, "%s.server: \"%s\" is not an https:// URL (weftd speaks TLS only)",
			   where, server);
	ret = dup_str(server, &kc->server);
	if (ret)
		return ret;
	n = strlen(kc->server);
	while (n > 8 && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	return pem(p, c, "certificate-authority", where, &kc->ca);
}

static int parse_user(struct kc_parse *p, yaml_node_t *u, struct k8s_kubeconfig *kc)
{
	static const char *const refused[] = {"exec", "auth-provider", "username", "password"};
	char where[300];
	const char *token, *token_file;
	int ret;

	snprintf(where, sizeof(where), "users[%s].user", kc->user);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (map_get(p, u, refused[i]))
			return bad(p,
				   "%s.%s: not supported by weftd (use a token, a token file or "
				   "a client certificate)",
				   where, refused[i]);
	}
	if (scalar(p, u, "token", where, &token) || scalar(p, u, "tokenFile", where, &token_file))
		return -EINVAL;
	ret = dup_str(token, &kc->token);
	if (!ret && !token)
		ret = path_of(p, token_file, &kc->token_file);
	if (!ret)
		ret = pem(p, u, "client-certificate", where, &kc->cert);
	if (!ret)
		ret = pem(p, u, "client-key", where, &kc->key);
	if (ret)
		return ret;
	if (!kc->cert.file != !kc->key.file || !kc->cert.data != !kc->key.data)
		return bad(p, "%s: a client certificate needs its key, and a key its certificate",
			   where);
	return 0;
}

static int parse_doc(struct kc_parse *p, struct k8s_kubeconfig *kc)
{
	yaml_node_t *root = yaml_document_get_root_node(&p->doc), *ctx, *c, *u;
	const char *cur, *cluster, *user;
	int ret;

	if (!root || root->type != YAML_MAPPING_NODE)
		return bad(p, "not a kubeconfig: the document is no mapping");
	if (scalar(p, root, "current-context", "kubeconfig", &cur))
		return -EINVAL;
	if (!cur)
		return bad(p, "current-context: missing");
	ret = dup_str(cur, &kc->context);
	if (!ret)
		ret = named(p, "contexts", "context", cur, &ctx);
	if (ret)
		return ret;
	if (scalar(p, ctx, "cluster", "context", &cluster) ||
	    scalar(p, ctx, "user", "context", &user))
		return -EINVAL;
	if (!cluster)
		return bad(p, "contexts[%s].context.cluster: missing", cur);
	ret = dup_str(cluster, &kc->cluster);
	if (!ret)
		ret = dup_str(user ? user : "", &kc->user);
	if (!ret)
		ret = named(p, "clusters", "cluster", cluster, &c);
	if (!ret)
		ret = parse_cluster(p, c, kc);
	if (ret || !user)
		return ret;
	ret = named(p, "users", "user", user, &u);
	if (!ret)
		ret = parse_user(p, u, kc);
	return ret;
}

int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, struct k8s_kubeconfig *kc,
			 char *err, size_t errlen)
{
	struct kc_parse p = {.dir = dir, .err = err, .errlen = errlen};
	struct k8s_kubeconfig out = {0};
	yaml_parser_t parser;
	int ret;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		ret = bad(&p, "line %zu, column %zu: %s", parser.problem_mark.line + 1,
			  parser.problem_mark.column + 1,
			  parser.problem ? parser.problem : "malformed YAML");
		goto delete_parser;
	}
	ret = parse_doc(&p, &out);
	yaml_document_delete(&p.doc);
	if (ret)
		k8s_kubeconfig_free(&out);
	else
		*kc = out;
delete_parser:
	yaml_parser_delete(&parser);
	return ret;
}

int k8s_kubeconfig_load(const char *path, struct k8s_kubeconfig *kc, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash, *text;
	size_t len;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open: %s", strerror(-ret));
		return ret;
	}
	ret = read_fd_all(fd, KUBECONFIG_MAX, &text, &len);
	close(fd);
	if (ret) {
		snprintf(err, errlen, "cannot read: %s", strerror(-ret));
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	ret = k8s_kubeconfig_parse(text, len, slash ? (dir[0] ? dir : "/") : ".", kc, err, errlen);
	free(text);
	return ret;
}

static void pem_free(struct k8s_pem *pem)
{
	free(pem->file);
	free(pem->data);
}

void k8s_kubeconfig_free(struct k8s_kubeconfig *kc)
{
	free(kc->context);
	free(kc->cluster);
	free(kc->user);
	free(kc->server);
	pem_free(&kc->ca);
	if (kc->token)
		explicit_bzero(kc->token, strlen(kc->token));
	free(kc->token);
	free(kc->token_file);
	pem_free(&kc->cert);
	if (kc->key.data)
		explicit_bzero(kc->key.data, kc->key.len);
	pem_free(&kc->key);
	memset(kc, 0, sizeof(*kc));
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int k8s_base64_decode(const char *in, char **out, size_t *len)
{
	size_t n = 0, bits = 0;
	uint32_t acc = 0;
	bool pad = false;
	char *buf;

	buf = malloc(strlen(in) / 4 * 3 + 4);
	if (!buf)
		return -ENOMEM;
	for (const char *s = in; *s; s++) {
		int v;

		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		v = b64_value((unsigned char)*s);
		if (v < 0 || pad) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Six leftover bits cannot be: a truncated string. */
	if (bits >= 6) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
