// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "api.h"
#include "config.h"
#include "names.h"
#include "version.h"

static int bad_field(struct cni_error *err, const char *field, const char *why)
{
	return cni_fail(err, CNI_ERR_INVALID_CONFIG, -EINVAL, "invalid network configuration",
			"%s: %s", field, why);
}

/* An optional string: absent leaves *out alone, present must be a string. */
static int get_string(json_t *obj, const char *key, const char **out, struct cni_error *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad_field(err, key, "must be a string");
	*out = json_string_value(v);
	return 0;
}

static int get_object(json_t *obj, const char *key, json_t **out, struct cni_error *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad_field(err, key, "must be an object");
	*out = v;
	return 0;
}

static int parse_version(struct cni_conf *conf, struct cni_error *err)
{
	json_t *v = json_object_get(conf->raw, "cniVersion");
	char list[128];

	if (!v)
		return bad_field(err, "cniVersion", "missing");
	if (!json_is_string(v))
		return bad_field(err, "cniVersion", "must be a string");
	snprintf(conf->cni_version, sizeof(conf->cni_version), "%s", json_string_value(v));
	if (!cni_version_supported(json_string_value(v))) {
		cni_versions_list(list, sizeof(list));
		return cni_fail(err, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
				"incompatible CNI version",
				"cniVersion %s is not supported (supported: %s)",
				json_string_value(v), list);
	}
	return 0;
}

static int parse_mtu(struct cni_conf *conf, struct cni_error *err)
{
	json_t *v = json_object_get(conf->raw, "mtu");
	json_int_t mtu;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return bad_field(err, "mtu", "must be an integer between 68 and 65535");
	mtu = json_integer_value(v);
	/* 0 asks weftd, which knows the underlay and the tunnel overhead. */
	if (mtu != 0 && (mtu < CNI_MTU_MIN || mtu > CNI_MTU_MAX))
		return bad_field(err, "mtu", "must be an integer between 68 and 65535");
	conf->mtu = (int)mtu;
	return 0;
}

static int parse_ipam(struct cni_conf *conf, struct cni_error *err)
{
	json_t *v = json_object_get(conf->raw, "ipam"), *t;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad_field(err, "ipam", "must be an object");
	t = json_object_get(v, "type");
	if (!json_is_string(t) || !json_string_length(t))
		return bad_field(err, "ipam.type", "must be a non-empty string");
	/* A plain name looked up in CNI_PATH; a path would escape it. */
	if (strchr(json_string_value(t), '/') || !strcmp(json_string_value(t), ".") ||
	    !strcmp(json_string_value(t), ".."))
		return bad_field(err, "ipam.type", "must be a plugin name, not a path");
	conf->ipam = v;
	conf->ipam_type = json_string_value(t);
	return 0;
}

static int parse_log(struct cni_conf *conf, struct cni_error *err)
{
	const char *level = NULL;
	int ret;

	ret = get_string(conf->raw, "logFile", &conf->log_file, err);
	if (ret)
		return ret;
	if (conf->log_file && !*conf->log_file)
		return bad_field(err, "logFile", "must not be empty");
	ret = get_string(conf->raw, "logLevel", &level, err);
	if (ret)
		return ret;
	if (level) {
		if (log_level_parse(level, &conf->log_level))
			return bad_field(err, "logLevel",
					 "must be \"warn\", \"info\" or \"debug\"");
		conf->log_level_set = 1;
	}
	return 0;
}

static int parse_attachments(struct cni_conf *conf, struct cni_error *err)
{
	json_t *v = json_object_get(conf->raw, "cni.dev/valid-attachments"), *a;
	char field[96];
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad_field(err, "cni.dev/valid-attachments", "must be an array");
	json_array_foreach (v, i, a) {
		const char *cid = json_string_value(json_object_get(a, "containerID"));
		const char *ifname = json_string_value(json_object_get(a, "ifname"));

		snprintf(field, sizeof(field), "cni.dev/valid-attachments[%zu]", i);
		if (!json_is_object(a))
			return bad_field(err, field, "must be an object");
		if (!cid || !ifname)
			return bad_field(err, field,
					 "must have string \"containerID\" and \"ifname\"");
	}
	conf->valid_attachments = v;
	return 0;
}

int cni_conf_parse(const char *buf, size_t len, struct cni_conf *conf, struct cni_error *err)
{
	json_error_t jerr;
	json_t *name;
	int ret;

	memset(conf, 0, sizeof(*conf));
	conf->socket = WEFT_DEFAULT_SOCKET;
	conf->raw = json_loadb(buf, len, 0, &jerr);
	if (!conf->raw)
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"invalid network configuration", "stdin: not JSON: %s (line %d)",
				jerr.text, jerr.line);
	if (!json_is_object(conf->raw)) {
		ret = bad_field(err, "stdin", "must be a JSON object");
		goto free_raw;
	}
	ret = parse_version(conf, err);
	if (ret)
		goto free_raw;
	name = json_object_get(conf->raw, "name");
	if (!json_is_string(name) ||
	    !weft_valid_name(json_string_value(name), WEFT_NETWORK_NAME_MAX)) {
		/* libcni's rule; weftd records it with each endpoint (GC scope). */
		ret = bad_field(err, "name",
				"must be 1-128 characters: letters, digits, '_', '.', '-', "
				"starting with a letter or digit");
		goto free_raw;
	}
	conf->name = json_string_value(name);
	ret = get_string(conf->raw, "type", &conf->type, err);
	if (ret)
		goto free_raw;
	ret = get_string(conf->raw, "socket", &conf->socket, err);
	if (ret)
		goto free_raw;
	if (!*conf->socket || strlen(conf->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		ret = bad_field(err, "socket", "must be a non-empty path shorter than 108 bytes");
		goto free_raw;
	}
	ret = parse_mtu(conf, err);
	if (!ret)
		ret = parse_ipam(conf, err);
	if (!ret)
		ret = parse_log(conf, err);
	if (!ret)
		ret = get_object(conf->raw, "prevResult", &conf->prev_result, err);
	if (!ret)
		ret = get_object(conf->raw, "runtimeConfig", &conf->runtime_config, err);
	if (!ret)
		ret = parse_attachments(conf, err);
	if (ret)
		goto free_raw;
	return 0;
free_raw:
	json_decref(conf->raw);
	conf->raw = NULL;
	return ret;
}

void cni_conf_free(struct cni_conf *conf)
{
	json_decref(conf->raw);
	memset(conf, 0, sizeof(*conf));
}
