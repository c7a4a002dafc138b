// SPDX-License-Identifier: Apache-2.0
/*
 * daemon/policy/selector.c: LabelSelector matching with all four operators
 * and matchLabels, table-driven, and the API's validation, each error naming
 * its field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/policy/selector.h"
#include "testing.h"
#include "testing_labels.h"

#define KEY_RULE "([prefix/]name, name at most 63 of [A-Za-z0-9_.-] alphanumeric at both ends)"

static void test_matching(void)
{
	static const struct {
		const char *selector, *labels;
		bool match;
	} cases[] = {
		{"{}", "", true},
		{"{}", "app=web", true},
		{"{\"matchLabels\":{}}", "app=web", true},
		{"{\"matchExpressions\":[]}", "", true},
		{"{\"matchLabels\":{\"app\":\"web\"}}", "app=web,tier=fe", true},
		{"{\"matchLabels\":{\"app\":\"web\"}}", "app=db", false},
		{"{\"matchLabels\":{\"app\":\"web\"}}", "", false},
		{"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}", "app=web", false},
		{"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}", "app=web,tier=fe", true},
		{"{\"matchLabels\":{\"app\":\"\"}}", "app=", true},
		{"{\"matchLabels\":{\"app\":\"\"}}", "", false},
		/* In */
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}",
		 "app=b", true},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}",
		 "app=c", false},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}",
		 "", false},
		/* NotIn: a pod without the key matches, as in Kubernetes */
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
		 "app=b", true},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
		 "app=a", false},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
		 "tier=x", true},
		/* Exists, DoesNotExist */
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}",
		 "app=", true},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\",\"values\":[]}]}",
		 "tier=x", false},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"DoesNotExist\"}]}",
		 "tier=x", true},
		{"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"DoesNotExist\"}]}",
		 "app=a", false},
		/* matchLabels AND matchExpressions, and expressions among themselves */
		{"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\","
		 "\"operator\":\"In\",\"values\":[\"prod\"]}]}",
		 "app=web,env=prod", true},
		{"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\","
		 "\"operator\":\"In\",\"values\":[\"prod\"]}]}",
		 "app=web,env=dev", false},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"b\","
		 "\"operator\":\"DoesNotExist\"}]}",
		 "a=1", true},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"b\","
		 "\"operator\":\"DoesNotExist\"}]}",
		 "a=1,b=2", false},
		/* prefixed keys */
		{"{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"x\"}}",
		 "kubernetes.io/metadata.name=x", true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cluster_k8s_err err = {};
		json_t *j = json_loads(cases[i].selector, 0, NULL);
		struct selector sel;
		struct cl_labels l = {};
		int ret;

		labels_from(cases[i].labels, &l);
		ret = selector_parse(j, "sel", &sel, &err);
		CHECK_INT(ret, 0, "case %zu parses: %s", i, ret ? err.msg : cases[i].selector);
		if (!ret) {
			CHECK(selector_matches(&sel, &l) == cases[i].match, "case %zu: {%s} %s", i,
			      cases[i].labels, cases[i].match ? "matches" : "does not match");
			selector_free(&sel);
		}
		cl_labels_clear(&l);
		json_decref(j);
	}
}

static void test_empty(void)
{
	struct cluster_k8s_err err = {};
	json_t *j = json_loads("{\"matchLabels\":{},\"matchExpressions\":null}", 0, NULL);
	struct selector sel;

	CHECK_INT(selector_parse(j, "sel", &sel, &err), 0, "empty parts parse");
	CHECK(selector_is_empty(&sel), "empty matchLabels and null expressions: empty selector");
	selector_free(&sel);
	json_decref(j);
}

static void test_errors(void)
{
	static const struct {
		const char *selector, *error;
	} cases[] = {
		{"[]", "sel: must be an object, got []"},
		{"{\"matchLabels\":[]}", "sel.matchLabels: must be an object, got []"},
		{"{\"matchLabels\":{\"app\":3}}",
		 "sel.matchLabels[\"app\"]: 3 is not a label value"},
		{"{\"matchLabels\":{\"app\":\"-web\"}}",
		 "sel.matchLabels[\"app\"]: \"-web\" is not a label value"},
		{"{\"matchLabels\":{\"a b\":\"web\"}}",
		 "sel.matchLabels: \"a b\" is not a label key " KEY_RULE},
		{"{\"matchLabels\":{\"Example.com/app\":\"web\"}}",
		 "sel.matchLabels: \"Example.com/app\" is not a label key " KEY_RULE},
		{"{\"matchLabels\":{\"app\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
		 "sel.matchLabels[\"app\"]: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... "
		 "is not a label value"},
		{"{\"matchExpressions\":{}}", "sel.matchExpressions: must be an array, got {}"},
		{"{\"matchExpressions\":[3]}", "sel.matchExpressions[0]: must be an object, got 3"},
		{"{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
		 "sel.matchExpressions[0].key: \"\" is not a label key " KEY_RULE},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"a\","
		 "\"operator\":\"Is\"}]}",
		 "sel.matchExpressions[1].operator: \"Is\" is not one of In, NotIn, Exists, "
		 "DoesNotExist"},
		{"{\"matchExpressions\":[{\"key\":\"a\"}]}",
		 "sel.matchExpressions[0].operator: nothing is not one of In, NotIn, Exists, "
		 "DoesNotExist"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
		 "sel.matchExpressions[0].values: must be non-empty for In"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
		 "sel.matchExpressions[0].values: must be non-empty for NotIn"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
		 "sel.matchExpressions[0].values: must be empty for Exists"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"x\"]}]}",
		 "sel.matchExpressions[0].values: must be empty for DoesNotExist"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",7]}]}",
		 "sel.matchExpressions[0].values[1]: 7 is not a label value"},
		{"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}",
		 "sel.matchExpressions[0].values: must be an array, got \"x\""},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cluster_k8s_err err = {};
		json_t *j = json_loads(cases[i].selector, JSON_DECODE_ANY, NULL);
		struct selector sel;

		CHECK_INT(selector_parse(j, "sel", &sel, &err), -EINVAL, "error case %zu refused",
			  i);
		CHECK_STR(err.msg, cases[i].error, "error case %zu names the field", i);
		json_decref(j);
	}
}

int main(void)
{
	test_matching();
	test_empty();
	test_errors();
	return test_done();
}
