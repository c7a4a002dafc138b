/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line flags declared once, in a table (as xdp-tools does): each row
 * gives the long name, the argument's name, the default, the help text and
 * where and how the value is stored in the program's config struct. The same
 * table drives getopt_long, sets the defaults and prints --help, so a flag
 * cannot be parsed without being documented, nor documented with another
 * default than the one it gets.
 */
#ifndef WEFT_FLAGS_H
#define WEFT_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "array.h"

/* A macro's value as a string, e.g. for a default: FLAGS_STR(4789) "4789". */
#define FLAGS_STR_(x) #x
#define FLAGS_STR(x)  FLAGS_STR_(x)

/* .offset and .size of @member in the config struct @type. */
#define FLAG_FIELD(type, member)                                                                   \
	.offset = offsetof(type, member), .size = sizeof(((type *)0)->member)

/* One row: the flag @name, of @type, stored in @member of the config struct
 * @cfg_type; then the rest (.arg, .def, .help, ...) as designated
 * initializers. */
#define FLAG_DEFINE(name_, type_, cfg_type, member, ...)                                           \
	{                                                                                          \
		.name = (name_), .type = (type_), FLAG_FIELD(cfg_type, member), __VA_ARGS__        \
	}

/* The two rows that end every table. */
#define FLAGS_HELP_AND_VERSION                                                                     \
	{.name = "help",                                                                           \
	 .short_name = 'h',                                                                        \
	 .type = FLAG_HELP,                                                                        \
	 .help = "print this text and exit"},                                                      \
	{                                                                                          \
		.name = "version", .short_name = 'V', .type = FLAG_VERSION,                        \
		.help = "print the version and exit"                                               \
	}

/* The struct flags_prog of the program @name_ for the array @table. */
#define FLAGS_PROG(name_, usage_, table)                                                           \
	{                                                                                          \
		.name = (name_), .version = WEFT_VERSION, .usage = (usage_), .flags = (table),     \
		.nr_flags = ARRAY_SIZE(table)                                                      \
	}

enum flag_type {
	FLAG_STR,     /* char[.size]: 1 to .size-1 characters, and .valid() if set */
	FLAG_INT,     /* int: .min to .max, or .keyword standing for .keyword_value */
	FLAG_CHOICE,  /* int: the index of the argument in .choices */
	FLAG_BOOL,    /* bool: set to true by the flag, which takes no argument */
	FLAG_HELP,    /* print the program's usage on stdout and stop */
	FLAG_VERSION, /* print "<name> <version>" and stop */
};

struct flag {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: long only */
	const char *arg;  /* the argument's name in --help; NULL: takes none */
	enum flag_type type;
	size_t offset; /* where the value goes in the config struct (FLAG_FIELD) */
	size_t size;
	/* Set before the command line is read, through the same checks as an
	 * argument; NULL leaves the field as the caller zeroed it. */
	const char *def;
	/* The default as --help tells it, when it is not .def verbatim (one
	 * computed at start, say); NULL: .def, if any. */
	const char *def_help;
	const char *help;
	long min, max;
	const char *keyword;
	int keyword_value;
	const char *const *choices; /* NULL-terminated */
	bool (*valid)(const char *arg);
	/* What a bad value is told ("must be ..."); NULL: said from the type. */
	const char *rule;
};

struct flags_prog {
	const char *name; /* prefixes every message, e.g. "weftd" */
	const char *version;
	/* The whole --help text; calls flags_print() for the options. */
	void (*usage)(const struct flags_prog *p, FILE *fp);
	const struct flag *flags;
	size_t nr_flags;
};

/*
 * Apply every default to @cfg (zeroed by the caller), then read @argv into
 * it. 0 with optind at the first operand; 1 when --help or --version was
 * served; -EINVAL when a flag is unknown or its value is bad, after saying
 * on stderr which flag and why.
 */
int flags_parse(const struct flags_prog *p, int argc, char **argv, void *cfg);
/* One entry per flag, its help wrapped to 80 columns, the default last. */
void flags_print(const struct flags_prog *p, FILE *fp);
/* @text from column @col to column 80, lines broken between words; the
 * cursor is at column @at (less than two columns before @col: @text starts
 * on the next line). */
void flags_print_wrapped(FILE *fp, const char *text, int col, int at);

#endif
