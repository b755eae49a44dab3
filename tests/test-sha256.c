/*
 * test-sha256.c -- SHA-256 against the FIPS 180-2 / NIST example vectors,
 * fed whole and in every split, plus streaming file hashing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "xmalloc.h"
#include "testhelp.h"

static int
progress_count(uint64_t done, uint64_t total, void *arg)
{
	(void)done;
	(void)total;
	(*(int *)arg)++;
	return 0;
}

static int
progress_cancel(uint64_t done, uint64_t total, void *arg)
{
	(void)done;
	(void)total;
	(void)arg;
	return 1;
}

int
main(void)
{
	static const struct {
		const char	*msg;
		const char	*hex;
	} v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		    "cf5b16a778af8380036ce59e7b049237"
		    "0b249b11e8f07a51afac45037afee9d1" },
	};
	struct sha256	 c;
	uint8_t		 md[SHA256_LEN];
	char		 hex[SHA256_HEXLEN + 1], hex2[SHA256_HEXLEN + 1];
	char		 path[] = "/tmp/medchat-sha256.XXXXXX", *cause, *big;
	size_t		 i, k, n, split, bad;
	int		 fd, calls;
	FILE		*p;
	int		 impl, have;

	/* The known vectors through both block functions. */
	have = sha256_accel(1);
	test_diag("SHA-NI %s", have ? "available: both paths tested" :
	    "not available: portable path only");
	for (impl = 0; impl <= have; impl++) {
		sha256_accel(impl);
		for (i = 0; i < sizeof v / sizeof *v; i++) {
			sha256_hex(v[i].msg, strlen(v[i].msg), hex);
			test_condf(strcmp(hex, v[i].hex) == 0, "vector %zu one-shot",
			    i);
			n = strlen(v[i].msg);
			bad = 0;
			for (split = 0; split <= n; split++) {
				sha256_init(&c);
				sha256_update(&c, v[i].msg, split);
				sha256_update(&c, v[i].msg + split, n - split);
				sha256_final(&c, md);
				sha256_tohex(md, hex2);
				bad += strcmp(hex2, v[i].hex) != 0;
			}
			test_condf(bad == 0, "vector %zu split at every byte%s", i,
			    impl ? " (SHA-NI)" : "");
		}
	}
	sha256_accel(have);

	/* SHA-NI and portable agree on random data of every length. */
	if (have) {
		char	*rnd, h1[SHA256_HEXLEN + 1];

		rnd = xmalloc(5000);
		for (k = 0; k < 5000; k++)
			rnd[k] = (char)(rand() >> 7);
		bad = 0;
		for (n = 0; n <= 5000; n += 1 + n / 50) {
			sha256_accel(0);
			sha256_hex(rnd, n, h1);
			sha256_accel(1);
			sha256_hex(rnd, n, hex);
			bad += strcmp(h1, hex) != 0;
		}
		test_condf(bad == 0, "SHA-NI equals portable on random data "
		    "(%zu mismatches)", bad);
		free(rnd);
	} else
		test_skip("SHA-NI equals portable on random data",
		    "CPU without SHA extensions");

	/* One million 'a' (FIPS 180-2 appendix B.3), fed byte by byte. */
	sha256_init(&c);
	for (k = 0; k < 1000000; k++)
		sha256_update(&c, "a", 1);
	sha256_final(&c, md);
	sha256_tohex(md, hex);
	test_cond(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0") == 0, "million a");

	/* Lengths around the padding boundary (55, 56, 63, 64 bytes). */
	big = xmalloc(200);
	memset(big, 'x', 200);
	for (n = 54; n <= 66; n++) {
		sha256_hex(big, n, hex);
		sha256_init(&c);
		for (k = 0; k < n; k++)
			sha256_update(&c, big + k, 1);
		sha256_final(&c, md);
		sha256_tohex(md, hex2);
		test_condf(strcmp(hex, hex2) == 0, "length %zu byte-wise", n);
	}
	free(big);

	/* A 3 MiB + 7 byte file, streaming vs one-shot vs sha256sum(1). */
	n = (3u << 20) + 7;
	big = xmalloc(n);
	for (k = 0; k < n; k++)
		big[k] = (char)(k * 2654435761u >> 13);
	fd = mkstemp(path);
	test_cond(fd != -1 && write(fd, big, n) == (ssize_t)n,
	    "write temp file");
	close(fd);
	sha256_hex(big, n, hex);
	calls = 0;
	test_cond(sha256_file(path, hex2, progress_count, &calls, &cause) == 0,
	    "sha256_file succeeds");
	test_cond(strcmp(hex, hex2) == 0, "sha256_file equals one-shot");
	test_cond(calls >= 1, "progress called");
	test_cond(sha256_file(path, hex2, progress_cancel, NULL, &cause) == -1 &&
	    strstr(cause, "cancelled") != NULL, "progress can cancel");
	free(cause);
	if (access("/usr/bin/sha256sum", X_OK) == 0) {
		char	cmd[128], out[128];

		snprintf(cmd, sizeof cmd, "/usr/bin/sha256sum %s", path);
		p = popen(cmd, "r");
		out[0] = '\0';
		if (p != NULL) {
			if (fgets(out, sizeof out, p) == NULL)
				out[0] = '\0';
			pclose(p);
		}
		test_cond(strncmp(out, hex, SHA256_HEXLEN) == 0,
		    "agrees with sha256sum(1)");
	} else
		test_skip("agrees with sha256sum(1)", "no sha256sum");
	unlink(path);
	free(big);

	test_cond(sha256_file("/nonexistent/x", hex, NULL, NULL, &cause) ==
	    -1 && strstr(cause, "/nonexistent/x") != NULL,
	    "missing file: error names it");
	free(cause);
	test_cond(sha256_file("/tmp", hex, NULL, NULL, &cause) == -1 &&
	    strstr(cause, "not a regular file") != NULL, "directory refused");
	free(cause);
	return test_report();
}
