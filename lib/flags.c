// SPDX-License-Identifier: Apache-2.0
/* The flag table's three uses: defaults, getopt_long parsing, --help. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"

/* getopt_long's table is built on the stack; no program has more. */
#define FLAGS_MAX 32
/* Flags without a short name are told apart by a value above any char. */
#define FLAG_LONG_ONLY 256
#define HELP_WIDTH     80
/* Where the help column starts at most: a longer flag column puts its help
 * on the next line instead of pushing every help text to the right. */
#define HELP_COL_MAX 28

static void *field(void *cfg, const struct flag *f)
{
	return (char *)cfg + f->offset;
}

/* "must be a number 1-65535", "must be warn, info or debug", ... */
static void flag_rule(const struct flag *f, char *buf, size_t sz)
{
	size_t n;

	if (f->rule) {
		snprintf(buf, sz, "%s", f->rule);
		return;
	}
	switch (f->type) {
	case FLAG_STR: snprintf(buf, sz, "must be 1-%zu characters", f->size - 1); break;
	case FLAG_INT:
		snprintf(buf, sz, "must be %s%sa number %ld-%ld", f->keyword ? f->keyword : "",
			 f->keyword ? " or " : "", f->min, f->max);
		break;
	case FLAG_CHOICE:
		n = (size_t)snprintf(buf, sz, "must be");
		for (size_t i = 0; f->choices[i] && n < sz; i++)
			n += (size_t)snprintf(buf + n, sz - n, "%s %s",
					      !i		  ? ""
					      : f->choices[i + 1] ? ","
								  : " or",
					      f->choices[i]);
		break;
	default: buf[0] = '\0';
	}
}

/* 0, or -EINVAL when @arg is not a value @f takes. */
static int flag_set(const struct flag *f, const char *arg, void *cfg)
{
	char *end;
	long v;

	switch (f->type) {
	case FLAG_STR:
		if (!*arg || strlen(arg) >= f->size || (f->valid && !f->valid(arg)))
			return -EINVAL;
		memcpy(field(cfg, f), arg, strlen(arg) + 1);
		return 0;
	case FLAG_INT:
		if (f->keyword && !strcmp(arg, f->keyword)) {
			*(int *)field(cfg, f) = f->keyword_value;
			return 0;
		}
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < f->min || v > f->max)
			return -EINVAL;
		*(int *)field(cfg, f) = (int)v;
		return 0;
	case FLAG_CHOICE:
		for (int i = 0; f->choices[i]; i++) {
			if (!strcmp(arg, f->choices[i])) {
				*(int *)field(cfg, f) = i;
				return 0;
			}
		}
		return -EINVAL;
	default: return 0;
	}
}

/* Set @f from @arg, or say on stderr which flag refused what, and why. */
static int flag_apply(const struct flags_prog *p, const struct flag *f, const char *arg, void *cfg)
{
	char rule[256];

	if (!flag_set(f, arg, cfg))
		return 0;
	flag_rule(f, rule, sizeof(rule));
	fprintf(stderr, "%s: --%s '%.200s': %s\n", p->name, f->name, arg, rule);
	return -EINVAL;
}

static const struct flag *flag_by_val(const struct flags_prog *p, int val)
{
	if (val >= FLAG_LONG_ONLY && (size_t)(val - FLAG_LONG_ONLY) < p->nr_flags)
		return &p->flags[val - FLAG_LONG_ONLY];
	for (size_t i = 0; i < p->nr_flags; i++) {
		if (p->flags[i].short_name && p->flags[i].short_name == val)
			return &p->flags[i];
	}
	return NULL;
}

int flags_parse(const struct flags_prog *p, int argc, char **argv, void *cfg)
{
	struct option opts[FLAGS_MAX + 1] = {0};
	char shorts[2 * FLAGS_MAX + 1] = "";
	const struct flag *f;
	size_t n = 0;
	int opt, err;

	if (p->nr_flags > FLAGS_MAX) {
		fprintf(stderr, "%s: %zu flags, at most %d fit\n", p->name, p->nr_flags, FLAGS_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < p->nr_flags; i++) {
		f = &p->flags[i];
		opts[i] = (struct option){f->name, f->arg ? required_argument : no_argument, NULL,
					  f->short_name ? f->short_name : FLAG_LONG_ONLY + (int)i};
		if (f->short_name) {
			shorts[n++] = f->short_name;
			if (f->arg)
				shorts[n++] = ':';
		}
		/* The table's own bugs show here, at every start: a number
		 * stored into a field that is not an int, a default that its
		 * own flag refuses. */
		if (((f->type == FLAG_INT || f->type == FLAG_CHOICE) && f->size != sizeof(int)) ||
		    (f->type == FLAG_BOOL && (f->size != sizeof(bool) || f->arg))) {
			fprintf(stderr,
				"%s: --%s: stored in a field of %zu bytes, not of its type\n",
				p->name, f->name, f->size);
			return -EINVAL;
		}
		if (f->def && flag_apply(p, f, f->def, cfg))
			return -EINVAL;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		f = flag_by_val(p, opt);
		if (!f) {
			/* getopt_long said what it did not know. */
			p->usage(p, stderr);
			return -EINVAL;
		}
		switch (f->type) {
		case FLAG_HELP: p->usage(p, stdout); return 1;
		case FLAG_VERSION: printf("%s %s\n", p->name, p->version); return 1;
		case FLAG_BOOL: *(bool *)field(cfg, f) = true; break;
		default:
			err = flag_apply(p, f, optarg, cfg);
			if (err)
				return err;
		}
	}
	return 0;
}

void flags_print_wrapped(FILE *fp, const char *text, int col, int at)
{
	int pos = col;

	if (at + 2 > col) {
		fputc('\n', fp);
		at = 0;
	}
	fprintf(fp, "%*s", col - at, "");
	while (*text) {
		int len = (int)strcspn(text, " ");

		if (pos > col && pos + 1 + len > HELP_WIDTH) {
			fprintf(fp, "\n%*s", col, "");
			pos = col;
		} else if (pos > col) {
			fputc(' ', fp);
			pos++;
		}
		fprintf(fp, "%.*s", len, text);
		pos += len;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', fp);
}

/* "  -s, --socket PATH" or "      --node-name NAME" */
static int flag_column(const struct flag *f, char *buf, size_t sz)
{
	char shortf[8] = "    ";

	if (f->short_name)
		snprintf(shortf, sizeof(shortf), "-%c, ", f->short_name);
	return snprintf(buf, sz, "  %s--%s%s%s", shortf, f->name, f->arg ? " " : "",
			f->arg ? f->arg : "");
}

void flags_print(const struct flags_prog *p, FILE *fp)
{
	char left[128], text[1024];
	const char *def;
	int col = 0, n;

	for (size_t i = 0; i < p->nr_flags; i++) {
		n = flag_column(&p->flags[i], left, sizeof(left));
		if (n + 2 <= HELP_COL_MAX && n + 2 > col)
			col = n + 2;
	}
	for (size_t i = 0; i < p->nr_flags; i++) {
		const struct flag *f = &p->flags[i];

		n = flag_column(f, left, sizeof(left));
		def = f->def_help ? f->def_help : f->def;
		snprintf(text, sizeof(text), "%s%s%s%s", f->help, def ? " (default: " : "",
			 def ? def : "", def ? ")" : "");
		fputs(left, fp);
		flags_print_wrapped(fp, text, col, n);
	}
}
