/*
 * test-prefs.c -- the settings a user keeps (src/app/prefs.c): each
 * setting's checks and one-line errors (max-tokens 0, negative, not a
 * number; ctx below 64; an unknown preset), the settings file's values
 * and warnings naming file:line, the values /set saves in the database
 * read back (and a bad stored value skipped), the order default <
 * medchat.conf < saved < command line, "reset", the /set listing with
 * where each value comes from, the system message (preset or own text),
 * and the context check against the trained context and the memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testhelp.h"
#include "advisory.h"
#include "conffile.h"
#include "engine.h"
#include "prefs.h"
#include "prompts.h"
#include "store.h"

static char tmpl[] = "/tmp/medchat-test-prefs-XXXXXX";
#define STOREHELP_TMPDIR tmpl
#include "storehelp.h"

/* 1 if prefs_set(name, value) fails with a cause starting with prefix. */
static int
refused(const char *name, const char *value, const char *prefix)
{
	struct settings	 set;
	struct prefs	 p;
	char		*cause = NULL;
	int		 ok;

	prefs_init(&set, &p);
	ok = prefs_set(&set, &p, name, value, PREF_SAVED, &cause) == -1 &&
	    cause != NULL && strncmp(cause, prefix, strlen(prefix)) == 0 &&
	    strchr(cause, '\n') == NULL;
	if (!ok)
		test_diag("%s %s: %s", name, value, cause != NULL ? cause :
		    "(accepted)");
	free(cause);
	prefs_free(&p);
	return ok;
}

static void
test_checks(void)
{
	test_cond(refused("max-tokens", "0", "max-tokens must be -1 (until "
	    "the context is full) or a whole number from 1"),
	    "max-tokens 0 is refused, naming the setting and range");
	test_cond(refused("max-tokens", "-5", "max-tokens must be -1"),
	    "max-tokens -5 is refused");
	test_cond(refused("max-tokens", "many", "max-tokens must be -1"),
	    "max-tokens that is not a number is refused");
	test_cond(refused("ctx", "10", "ctx must be 0 (the model's) or a "
	    "whole number from 64"), "ctx 10 is refused");
	test_cond(refused("ctx", "-1", "ctx must be"), "ctx -1 is refused");
	test_cond(refused("temp", "9", "temp must be a number from 0 to 5"),
	    "temp 9 is refused");
	test_cond(refused("system", "bogus", "system must be a preset: "
	    "default, concise"), "an unknown preset is refused");
	test_cond(refused("colour", "1", "unknown setting: colour"),
	    "an unknown setting is refused");
}

static void
test_conf(void)
{
	static const char text[] =
	    "temp = 0.25\n"
	    "max-tokens = 0\n"
	    "top-k = 7\n"
	    "ctx = 10\n"
	    "system = concise\n"
	    "seed = 42\n";
	struct conffile	 c;
	struct settings	 set;
	struct prefs	 p;
	char		*show;

	conffile_init(&c);
	c.path = xstrdup("my.conf");
	test_cond(conffile_parse(&c, "my.conf", text, sizeof text - 1) == 1 &&
	    c.n_warnings == 1 && strcmp(c.warnings[0], "my.conf:4: ctx: 10 "
	    "is too small (0 = the model's, else 64..1048576)") == 0,
	    "ctx 10 in the file is warned by the parser, with file:line");
	prefs_init(&set, &p);
	prefs_conf(&set, &p, &c);
	test_cond(c.n_warnings == 2 && strncmp(c.warnings[1], "my.conf:2: "
	    "max-tokens must be -1", 26) == 0,
	    "max-tokens = 0 in the file: a warning naming file:line");
	test_cond(set.s.temp == 0.25f && set.s.top_k == 7 &&
	    set.s.max_tokens == -1 &&
	    set.seed_fixed && set.s.seed == 42, "the file's values apply");
	test_cond(p.src[0] == PREF_CONF && p.src[6] == PREF_DEFAULT &&
	    p.src[PREFS_SYSTEM] == PREF_CONF, "their sources are the file");
	test_cond(strcmp(prefs_system(&p), prompts_find("concise")->text) ==
	    0, "system = concise gives the preset's text");
	show = prefs_show(&set, &p);
	test_cond(strstr(show, "temp = 0.25  (medchat.conf)") != NULL &&
	    strstr(show, "max-tokens = -1  (default)") != NULL &&
	    strstr(show, "system = concise  (medchat.conf)") != NULL,
	    "the listing says where each value comes from");
	free(show);
	prefs_free(&p);
	conffile_free(&c);
}

static void
test_store(void)
{
	struct conffile	 c;
	struct settings	 set;
	struct prefs	 p;
	struct store	*s = NULL;
	char		*db, *cause = NULL, *show, *v = NULL;

	db = tpath("p.db");
	test_cond(store_open(db, advisory_ident(), &s, &cause) == 0,
	    "a database opens");
	conffile_init(&c);
	c.path = xstrdup("my.conf");
	conffile_parse(&c, "my.conf", "temp = 0.25\ntop-p = 0.5\n", 25);
	prefs_init(&set, &p);
	prefs_conf(&set, &p, &c);
	test_cond(prefs_set(&set, &p, "temp", "0.75", PREF_SAVED, &cause) ==
	    0 && prefs_save(s, "temp", "0.75", &cause) == 0 &&
	    prefs_save(s, "max-tokens", "12", &cause) == 0 &&
	    prefs_save(s, "system", "patient", &cause) == 0,
	    "values are saved");
	prefs_free(&p);

	/* The next start: default, file, saved, command line. */
	prefs_init(&set, &p);
	prefs_conf(&set, &p, &c);
	test_cond(prefs_load(&set, &p, s, &cause) == 0, "saved values load");
	test_cond(set.s.temp == 0.75f && p.src[0] == PREF_SAVED &&
	    set.s.top_p == 0.5f && p.src[2] == PREF_CONF &&
	    set.s.max_tokens == 12 && p.src[6] == PREF_SAVED &&
	    strcmp(p.preset, "patient") == 0, "saved values count over the "
	    "file's, the file's over the defaults");
	test_cond(prefs_set(&set, &p, "temp", "0", PREF_CMDLINE, &cause) ==
	    0 && set.s.temp == 0 && p.src[0] == PREF_CMDLINE,
	    "the command line counts over a saved value");
	show = prefs_show(&set, &p);
	test_cond(strstr(show, "temp = 0  (command line)") != NULL &&
	    strstr(show, "max-tokens = 12  (saved by /set)") != NULL &&
	    strstr(show, "top-p = 0.5  (medchat.conf)") != NULL,
	    "the listing names all four places");
	free(show);

	test_cond(prefs_save(s, "temp", NULL, &cause) == 0 &&
	    prefs_reset(&set, &p, &c, "temp", &cause) == 0 &&
	    set.s.temp == 0.25f && p.src[0] == PREF_CONF,
	    "reset goes back to the file's value");
	test_cond(prefs_save(s, "max-tokens", NULL, &cause) == 0 &&
	    prefs_reset(&set, &p, &c, "max-tokens", &cause) == 0 &&
	    set.s.max_tokens == -1 &&
	    p.src[6] == PREF_DEFAULT, "... or to the default");

	/* The editor's own text is kept as text. */
	prefs_set_system(&p, "Answer in French.", PREF_SAVED);
	test_cond(p.preset == NULL && prefs_save_system_text(s,
	    p.system_text, &cause) == 0, "an own system text is saved");
	prefs_free(&p);
	prefs_init(&set, &p);
	test_cond(prefs_load(&set, &p, s, &cause) == 0 &&
	    strcmp(prefs_system(&p), "Answer in French.") == 0 &&
	    p.src[PREFS_SYSTEM] == PREF_SAVED, "... and comes back");
	prefs_set_system(&p, prompts_find("exam")->text, PREF_SAVED);
	test_cond(p.preset != NULL && strcmp(p.preset, "exam") == 0,
	    "a preset's text is kept by its name");
	prefs_free(&p);

	/* The database is untrusted: a bad value is skipped and said. */
	test_cond(store_setting_set(s, "set.max-tokens", "0", &cause) == 0,
	    "a bad value is stored behind prefs' back");
	prefs_init(&set, &p);
	test_cond(prefs_load(&set, &p, s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "max-tokens") != NULL &&
	    set.s.max_tokens == -1,
	    "a bad saved value is skipped, naming it");
	free(cause);
	cause = NULL;
	prefs_free(&p);
	test_cond(store_setting_get(s, "set.temp", &v, &cause) == 0 &&
	    v == NULL, "reset removed the saved value from the database");
	conffile_free(&c);
	store_close(s);
	free(db);
}

static void
test_ctx(void)
{
	char	*path, *cause = NULL, *warn = NULL;

	path = tpath("demo.gguf");
	if (engine_write_demo_model(path, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		free(path);
		return;
	}
	test_cond(prefs_ctx_check_mem(path, 1024, "ctx", (uint64_t)1 << 34,
	    &warn, &cause) == 0 && warn == NULL,
	    "ctx 1024 on a model trained on 2048: no warning");
	test_cond(prefs_ctx_check_mem(path, 4096, "ctx", (uint64_t)1 << 34,
	    &warn, &cause) == 0 && warn != NULL && strcmp(warn, "ctx 4096 is "
	    "beyond the 2048 tokens the model was trained on: answers past "
	    "that are unreliable") == 0, "ctx 4096: a warning");
	free(warn);
	warn = NULL;
	test_cond(prefs_ctx_check_mem(path, 4096, "--ctx", 1 << 20, &warn,
	    &cause) == -1 && cause != NULL && strncmp(cause, "--ctx 4096: "
	    "the model needs ", 17) == 0 && strstr(cause, "available") !=
	    NULL, "more than the memory available: refused");
	free(cause);
	cause = NULL;
	test_cond(prefs_ctx_check_mem(path, 0, "ctx", 1, &warn, &cause) == 0 &&
	    warn == NULL, "ctx 0 (the model's) is never refused");
	unlink(path);
	free(path);
}

int
main(void)
{
	char	*p;

	if (tmpdir_make() != 0)
		return 1;
	test_checks();
	test_conf();
	test_store();
	test_ctx();
	p = tpath("p.db");
	unlink(p);
	free(p);
	p = tpath("p.db-wal");
	unlink(p);
	free(p);
	p = tpath("p.db-shm");
	unlink(p);
	free(p);
	rmdir(tmpl);
	return test_report();
}
