// SPDX-License-Identifier: Apache-2.0
/*
 * weftd's own state files as a crash, a full disk or a hand edit can leave
 * them: an IPAM record (<state-dir>/ipam/<address>), an endpoint record
 * (<state-dir>/endpoints/<cid>_<ifname>.json), a pending delete the plugin
 * left (lib/pending.c) and datapath.json. The first byte picks the file; the
 * rest is its content, NUL-terminated as state_read() hands it over. What a
 * parser takes must be what weftd's own writers could have written.
 */
#include <string.h>

#include "daemon/datapath/upgrade.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/endpoint/state.h"
#include "names.h"
#include "pending.h"
#include "tests/fuzz/fuzz.h"

static void ipam_record(const char *text)
{
	char key[IPAM_OWNER_MAX], why[STATE_WHY_MAX] = "";

	if (ipam_record_parse(text, key, sizeof(key), why, sizeof(why)))
		FUZZ_ASSERT(why[0], "a refused IPAM record has a reason");
	else
		FUZZ_ASSERT(strchr(key, ' ') && strlen(key) < sizeof(key) - 1, "owner key \"%s\"",
			    key);
}

static void endpoint_record(const char *text)
{
	char why[STATE_WHY_MAX] = "";
	struct endpoint *ep;

	if (endpoint_state_parse(text, &ep, why, sizeof(why))) {
		FUZZ_ASSERT(why[0], "a refused endpoint record has a reason");
		return;
	}
	FUZZ_ASSERT(ep->id > 0 && ep->id < WEFT_MAX_ENDPOINTS, "endpoint id %u", ep->id);
	FUZZ_ASSERT(weft_valid_ifname(ep->ifname) && weft_valid_ifname(ep->host_ifname),
		    "interface names");
	FUZZ_ASSERT(ep->nr_ips >= 0 && ep->nr_ips <= EP_MAX_IPS && ep->netns, "addresses");
	endpoint_free(ep);
}

static void pending_record(const char *text)
{
	char why[STATE_WHY_MAX] = "";
	struct pending_del p;

	if (pending_parse(text, &p, why, sizeof(why)))
		FUZZ_ASSERT(why[0], "a refused pending record has a reason");
	else
		FUZZ_ASSERT(p.host_ifindex >= 0 && strlen(p.cid) < sizeof(p.cid) &&
				    strlen(p.host_ifname) < sizeof(p.host_ifname),
			    "pending record");
}

static void datapath_record(const char *text)
{
	struct maps_layout layout;
	char hash[17], why[STATE_WHY_MAX] = "";

	for (int i = 0; i < WEFT_MAP_NR; i++)
		layout.v[i] = 1;
	if (upgrade_record_parse(text, hash, sizeof(hash), &layout, why, sizeof(why)))
		FUZZ_ASSERT(why[0], "a refused datapath record has a reason");
	else
		for (int i = 0; i < WEFT_MAP_NR; i++)
			FUZZ_ASSERT(layout.v[i] > 0, "layout %d of %s is 0", i, maps_defs[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *) = {ipam_record, endpoint_record,
							pending_record, datapath_record};
	char *text;

	if (!size)
		return 0;
	text = fuzz_cstr(data + 1, size - 1);
	parsers[data[0] % 4](text);
	free(text);
	return 0;
}
