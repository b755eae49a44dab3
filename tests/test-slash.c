/*
 * test-slash.c -- the pure command layer (src/app/slash.c): splitting with
 * quotes, lookup by name/alias/prefix, argument-count errors, completion,
 * and the /set option table with its bounds and JSON round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "slash.h"

static int	ran;
static char	last[256];

static int
exec_rec(void *ctx, int argc, char **argv, char **cause)
{
	int	i;

	(void)ctx;
	(void)cause;
	ran++;
	last[0] = '\0';
	for (i = 0; i < argc; i++) {
		strcat(last, i > 0 ? "," : "");
		strcat(last, argv[i]);
	}
	return 0;
}

static const struct slash_entry table[] = {
	{ "new", NULL, "", "n", 0, 0, exec_rec },
	{ "export", NULL, "md|json|txt [FILE]", "e", 1, 2, exec_rec },
	{ "edit", NULL, "", "e", 0, 0, exec_rec },
	{ "quit", "exit", "", "q", 0, 0, exec_rec },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL }
};

int
main(void)
{
	struct settings	 st, st2;
	char		**argv, *cause = NULL, *s;
	int		 argc;

	test_cond(slash_split("a  b\tc", &argc, &argv, &cause) == 0 &&
	    argc == 3 && strcmp(argv[2], "c") == 0, "split at blanks");
	slash_free_argv(argc, argv);
	test_cond(slash_split("x \"a b\" 'c d' e\\ f \"\"", &argc, &argv,
	    &cause) == 0 && argc == 5 && strcmp(argv[1], "a b") == 0 &&
	    strcmp(argv[2], "c d") == 0 && strcmp(argv[3], "e f") == 0 &&
	    strcmp(argv[4], "") == 0, "quotes and escapes group");
	slash_free_argv(argc, argv);
	test_cond(slash_split("a \"open", &argc, &argv, &cause) == -1 &&
	    cause != NULL && strstr(cause, "unterminated") != NULL,
	    "unterminated quote is an error");
	free(cause);
	cause = NULL;
	test_cond(slash_split("", &argc, &argv, &cause) == 0 && argc == 0,
	    "empty line");
	slash_free_argv(argc, argv);

	test_cond(slash_find(table, "exit", &cause) == &table[3], "alias");
	test_cond(slash_find(table, "ne", &cause) == &table[0], "unique prefix");
	test_cond(slash_find(table, "e", &cause) == NULL && cause != NULL &&
	    strstr(cause, "ambiguous") != NULL, "ambiguous prefix");
	free(cause);
	cause = NULL;
	test_cond(slash_find(table, "zzz", &cause) == NULL && cause != NULL &&
	    strstr(cause, "unknown command") != NULL, "unknown command");
	free(cause);
	cause = NULL;

	test_cond(slash_run(table, NULL, "/export md out.md", &cause) == 0 &&
	    strcmp(last, "export,md,out.md") == 0, "run passes arguments");
	test_cond(slash_run(table, NULL, "/exp json", &cause) == 0 &&
	    strcmp(last, "export,json") == 0, "argv[0] is the full name");
	ran = 0;
	test_cond(slash_run(table, NULL, "/export", &cause) == -1 && ran == 0 &&
	    cause != NULL && strcmp(cause, "usage: /export md|json|txt "
	    "[FILE]") == 0, "too few arguments give the usage");
	free(cause);
	cause = NULL;
	test_cond(slash_run(table, NULL, "/new extra", &cause) == -1 &&
	    ran == 0, "too many arguments refused");
	free(cause);
	cause = NULL;
	test_cond(slash_run(table, NULL, "/%s%n%x", &cause) == -1 &&
	    cause != NULL && strstr(cause, "%s%n%x") != NULL,
	    "format characters in input are text");
	free(cause);
	cause = NULL;

	s = slash_complete(table, "/e", 0);
	test_cond(s != NULL && strcmp(s, "/export") == 0, "complete first");
	free(s);
	s = slash_complete(table, "/e", 1);
	test_cond(s != NULL && strcmp(s, "/edit") == 0, "complete second");
	free(s);
	test_cond(slash_complete(table, "/e", 2) == NULL, "complete ends");

	settings_default(&st);
	test_cond(settings_set(&st, "temp", "0.3", &cause) == 0 &&
	    st.s.temp > 0.29f && st.s.temp < 0.31f, "set temp");
	test_cond(settings_set(&st, "temp", "9", &cause) == -1 &&
	    cause != NULL && strstr(cause, "from 0 to 5") != NULL,
	    "temp out of range");
	free(cause);
	cause = NULL;
	test_cond(settings_set(&st, "top-k", "2.5", &cause) == -1,
	    "top-k must be whole");
	free(cause);
	cause = NULL;
	test_cond(settings_set(&st, "top-p", "nan", &cause) == -1,
	    "NaN refused");
	free(cause);
	cause = NULL;
	test_cond(settings_set(&st, "seed", "42", &cause) == 0 &&
	    st.seed_fixed && st.s.seed == 42, "fixed seed");
	test_cond(settings_set(&st, "seed", "-1", &cause) == -1,
	    "negative seed refused");
	free(cause);
	cause = NULL;
	test_cond(settings_set(&st, "max-tokens", "-1", &cause) == 0 &&
	    st.s.max_tokens == -1, "max-tokens -1");
	test_cond(settings_set(&st, "ctx", "10", &cause) == -1,
	    "tiny context refused");
	free(cause);
	cause = NULL;
	test_cond(settings_set(&st, "ctx", "512", &cause) == 0 &&
	    st.n_ctx == 512, "ctx");
	test_cond(settings_set(&st, "bogus", "1", &cause) == -1 &&
	    strstr(cause, "unknown setting") != NULL, "unknown setting");
	free(cause);
	cause = NULL;
	settings_set(&st, "top-k", "7", &cause);
	s = settings_json(&st);
	settings_default(&st2);
	settings_from_json(&st2, s);
	test_cond(st2.s.top_k == 7 && st2.seed_fixed && st2.s.seed == 42 &&
	    st2.n_ctx == 512 && st2.s.max_tokens == -1,
	    "settings round-trip through JSON");
	free(s);
	s = settings_get(&st, "seed");
	test_cond(s != NULL && strcmp(s, "42") == 0, "get seed");
	free(s);
	settings_from_json(&st2, "{\"temp\":99,\"top_k\":\"x\"}");
	test_cond(st2.s.temp < 5 && st2.s.top_k == 7,
	    "bad JSON values are ignored");

	/* History file escaping of multi-line inputs. */
	{
		static const char *const rt[] = { "", "plain", "a\nb",
		    "\n\n", "back\\slash", "\\n literal", "end\\",
		    "x\\\ny\\\\n", "caf\xc3\xa9\n\xff" };
		char	*e, *u;
		size_t	 i;
		int	 good = 1;

		for (i = 0; i < sizeof rt / sizeof rt[0]; i++) {
			e = slash_hist_escape(rt[i]);
			u = slash_hist_unescape(e);
			if (strchr(e, '\n') != NULL || strcmp(u, rt[i]) != 0) {
				good = 0;
				test_diag("round trip of entry %zu: %s", i, u);
			}
			free(e);
			free(u);
		}
		test_cond(good, "history escaping: no newline in the file, "
		    "entries round-trip");
		e = slash_hist_escape("one\ntwo\\");
		test_cond(strcmp(e, "one\\ntwo\\\\") == 0,
		    "history escaping: \\n and \\\\");
		free(e);
		u = slash_hist_unescape("old \\t entry\\");
		test_cond(strcmp(u, "old \\t entry\\") == 0,
		    "history unescaping leaves other backslashes alone");
		free(u);
	}
	return test_report();
}
