// SPDX-License-Identifier: Apache-2.0
/*
 * One internal model of a CNI result. It is parsed from any spec version
 * (prevResult, a delegated IPAM plugin's output) and emitted in the version
 * the configuration asked for.
 */
#ifndef WEFT_CNI_RESULT_H
#define WEFT_CNI_RESULT_H

#include <jansson.h>

#include "addr.h"

/* Fixed bounds keep the model a flat struct; a chain deeper than this is refused. */
#define CNI_RESULT_MAX_IFACES 16
#define CNI_RESULT_MAX_IPS    32
#define CNI_RESULT_MAX_ROUTES 64
#define CNI_CIDR_LEN	      64 /* "ffff:...:ffff/128" plus room */
#define CNI_IP_LEN	      48
#define CNI_SANDBOX_LEN	      512

struct cni_iface {
	char name[64];
	char mac[32];
	char sandbox[CNI_SANDBOX_LEN]; /* "" for host-side interfaces */
	int mtu;		       /* 0: not reported */
};

struct cni_ip {
	char address[CNI_CIDR_LEN]; /* CIDR, "10.244.0.5/32" */
	char gateway[CNI_IP_LEN];   /* "" when none */
	int interface;		    /* index into ifaces, -1 when not given */
};

struct cni_route {
	char dst[CNI_CIDR_LEN];
	char gw[CNI_IP_LEN]; /* "" when none */
};

struct cni_result {
	int n_ifaces, n_ips, n_routes;
	struct cni_iface ifaces[CNI_RESULT_MAX_IFACES];
	struct cni_ip ips[CNI_RESULT_MAX_IPS];
	struct cni_route routes[CNI_RESULT_MAX_ROUTES];
	json_t *dns; /* owned, NULL when none */
};

/* A CIDR as CNI results carry it: an interface address, so host bits are fine
 * ("10.244.0.5/24"). 0 or -EINVAL. */
static inline int cni_cidr_parse(const char *s, struct weft_prefix *p)
{
	return weft_prefix_parse_flags(s, WEFT_PREFIX_HOST_BITS, p);
}

/* An address where CNI expects one ("gw", "gateway"); a length is tolerated, as
 * it always was, and an address alone is /32 (/128). 0 or -EINVAL. */
static inline int cni_ip_parse(const char *s, struct weft_prefix *p)
{
	return weft_prefix_parse_flags(s, WEFT_PREFIX_LEN_OPTIONAL | WEFT_PREFIX_HOST_BITS, p);
}

void cni_result_init(struct cni_result *r);
void cni_result_free(struct cni_result *r);
/* Return the new index, or -E2BIG when full. Strings are copied (-ENAMETOOLONG). */
int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox);
int cni_result_add_ip(struct cni_result *r, const char *address, const char *gateway,
		      int interface);
int cni_result_add_route(struct cni_result *r, const char *dst, const char *gw);
/* Append @src to @dst, shifting @src's interface indices past @dst's interfaces. */
int cni_result_append(struct cni_result *dst, const struct cni_result *src);

/*
 * Parse a result of any version (0.1.0 through 1.1.0) into @r. A result
 * without "cniVersion" is read as @default_version. 0 or -EINVAL; @what gets
 * a short description of the offending field.
 */
int cni_result_parse(json_t *j, const char *default_version, struct cni_result *r, char *what,
		     size_t what_len);
/* Emit @r as @version (0.3.0 or later); a new reference, NULL on ENOMEM. */
json_t *cni_result_to_json(const struct cni_result *r, const char *version);

#endif
