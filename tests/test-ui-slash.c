/*
 * test-ui-slash.c -- the TUI's command and key tables against /help and the
 * man page: every slash command and every key must be documented in
 * man/medchat.1, every command must dispatch, and the table must be
 * well formed (names unique, argument counts sane).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "ui.h"

/* mdoc escapes: "\-" is "-", "\e" is "\". */
static void
unescape(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '-') {
			*o++ = '-';
			s++;
		} else if (s[0] == '\\' && s[1] == 'e') {
			*o++ = '\\';
			s++;
		} else if (s[0] == '\\' && s[1] == '&')
			s++;
		else
			*o++ = *s;
	}
	*o = '\0';
}

int
main(void)
{
	const struct slash_entry	*c, *d;
	const struct ui_key	*k;
	const char		*src;
	char			 path[4096], pat[128];
	char			*man, *cause = NULL;

	for (c = ui_slash_table(); c->name != NULL; c++) {
		test_condf(c->exec != NULL && c->help != NULL &&
		    c->args != NULL && c->min_args >= 0 &&
		    (c->max_args < 0 || c->max_args >= c->min_args),
		    "/%s is well formed", c->name);
		for (d = c + 1; d->name != NULL; d++) {
			if (strcmp(c->name, d->name) == 0)
				test_condf(0, "/%s appears twice", c->name);
		}
	}
	for (k = ui_key_table(); k->key != NULL; k++) {
		if (k->command != NULL)
			test_condf(slash_find(ui_slash_table(), k->command + 1,
			    &cause) != NULL, "key %s runs a known command %s",
			    k->key, k->command);
	}

	if ((src = getenv("top_srcdir")) == NULL)
		src = ".";
	snprintf(path, sizeof path, "%s/man/medchat.1", src);
	if ((man = test_slurp(path, NULL)) == NULL) {
		test_skip("man page checks", "man/medchat.1 not found");
		return test_report();
	}
	unescape(man);
	for (c = ui_slash_table(); c->name != NULL; c++) {
		/* mdoc: ".It Ic /name" or "/name" anywhere. */
		snprintf(pat, sizeof pat, "/%s", c->name);
		test_condf(strstr(man, pat) != NULL,
		    "man page documents /%s", c->name);
	}
	for (k = ui_key_table(); k->key != NULL; k++)
		test_condf(strstr(man, k->key) != NULL,
		    "man page documents the key %s (%s)", k->key, k->context);
	free(man);
	free(cause);
	return test_report();
}
