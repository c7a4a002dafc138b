// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "daemon/api/validate.h"

bool valid_container_id(const char *s)
{
	return weft_valid_name(s, WEFT_CONTAINER_ID_MAX);
}

bool valid_network_name(const char *s)
{
	return weft_valid_name(s, WEFT_NETWORK_NAME_MAX);
}

bool valid_ifname(const char *s)
{
	return weft_valid_ifname(s);
}

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int n = 0;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) !=
		    6 ||
	    n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

void mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
