// SPDX-License-Identifier: Apache-2.0
/*
 * The network configuration the runtime writes to the plugin's stdin
 * (cni/config.c), and the results in it: prevResult, parsed from any spec
 * version and emitted again in the configuration's, as ADD and CHECK do. The
 * whole input is also read as a delegated IPAM plugin's output (cmd_add.c).
 * An emitted result must parse again.
 */
#include <jansson.h>
#include <string.h>

#include "cni/config.h"
#include "cni/result.h"
#include "cni/version.h"
#include "tests/fuzz/fuzz.h"

/* @j as a result of @version, emitted in @version again and parsed back. */
static void result_round_trip(json_t *j, const char *version)
{
	struct cni_result r, again;
	char what[256];
	json_t *out;

	cni_result_init(&r);
	if (cni_result_parse(j, version, &r, what, sizeof(what)))
		goto free_result;
	if (!cni_version_supported(version) || cni_version_cmp(version, "0.3.0") < 0)
		goto free_result;
	out = cni_result_to_json(&r, version);
	FUZZ_ASSERT(out, "a parsed result of %s cannot be emitted", version);
	cni_result_init(&again);
	FUZZ_ASSERT(!cni_result_parse(out, version, &again, what, sizeof(what)),
		    "an emitted %s result does not parse: %s", version, what);
	FUZZ_ASSERT(again.n_ifaces == r.n_ifaces && again.n_ips == r.n_ips &&
			    again.n_routes == r.n_routes,
		    "an emitted result parses into other counts");
	cni_result_free(&again);
	json_decref(out);
free_result:
	cni_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_error err = {0};
	struct cni_conf conf;
	json_t *j;

	if (!cni_conf_parse((const char *)data, size, &conf, &err)) {
		if (conf.prev_result)
			result_round_trip(conf.prev_result, conf.cni_version);
		cni_conf_free(&conf);
	}
	j = json_loadb((const char *)data, size, 0, NULL);
	if (j) {
		result_round_trip(j, "1.1.0");
		json_decref(j);
	}
	return 0;
}
