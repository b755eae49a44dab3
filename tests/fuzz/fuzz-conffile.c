/*
 * fuzz-conffile.c -- libFuzzer target for the settings file parser
 * (src/app/conffile.c).  Built only with --enable-fuzzing (clang); run with
 * `make fuzz-conffile`.  Any bytes must parse without a crash, and
 * afterwards (abort on failure):
 *  - the warnings kept are at most CONFFILE_WARN_MAX and no more than the
 *    bad lines counted, each one line of valid UTF-8 without control
 *    characters that starts with the file name;
 *  - the values set are in range: ctx 0..1048576, threads 0..1024,
 *    models-dir at most CONFFILE_DIRS_MAX non-empty strings, the template
 *    name 1..32 bytes of [A-Za-z0-9._-].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conffile	 c;
	size_t		 i, j, n, bad;
	const char	*w;

	conffile_init(&c);
	bad = conffile_parse(&c, "f.conf", (const char *)data, size);
	if (bad != c.n_bad || c.n_warnings > CONFFILE_WARN_MAX ||
	    c.n_warnings > c.n_bad)
		abort();
	for (i = 0; i < c.n_warnings; i++) {
		w = c.warnings[i];
		n = strlen(w);
		if (strncmp(w, "f.conf:", 7) != 0 || !utf8_valid(w, n))
			abort();
		for (j = 0; j < n; j++) {
			if ((unsigned char)w[j] < 0x20 || w[j] == 0x7f)
				abort();
		}
	}
	if (c.ctx < -1 || c.ctx > 1048576 || c.threads < -1 ||
	    c.threads > 1024 || c.n_models_dirs > CONFFILE_DIRS_MAX)
		abort();
	for (i = 0; i < c.n_models_dirs; i++) {
		if (c.models_dirs[i][0] == '\0')
			abort();
	}
	if (c.template_name != NULL) {
		n = strlen(c.template_name);
		if (n == 0 || n > 32 || strspn(c.template_name,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-") != n)
			abort();
	}
	conffile_free(&c);
	return 0;
}
