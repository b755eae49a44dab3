/*
 * store-sql.c -- the SQLite helpers every file of the store shares, so
 * each query is written once: error messages from result codes,
 * prepare-and-bind from a list of typed values, one-row and many-row
 * readers driven by a row type, one-statement write transactions; and
 * the store's time and name conversions.
 *
 * Strings read from the database are untrusted: they are copied, never
 * used as formats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

static int	 store_exec_plain(struct store *, const char *, const char *,
		     char **);
static int	 store_vexec(struct store *, const char *, char **,
		     const char *, const char *, va_list);
static int	 store_row_read(const struct store_rowtype *, struct store *,
		     sqlite3_stmt *, void *, char **);

static const struct store_col store_int64_cols[] = { { 0, STORE_COL_INT64 } };
static const struct store_col store_text_cols[] = {
	{ 0, STORE_COL_TEXT_NN } };
const struct store_rowtype store_int64_row =
    STORE_ROWCOLS(int64_t, store_int64_cols);
const struct store_rowtype store_text_row =
    STORE_ROWCOLS(char *, store_text_cols);

/* ---- errors ---------------------------------------------------------- */

int
store_fail(struct store *s, int rc, const char *what, char **cause)
{
	const char	*why;
	int		 syserr;

	/* Counted even unsaid: store_lock_failures tells a lock apart. */
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		s->lock_failures++;
	if (cause == NULL)
		return -1;
	syserr = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		why = "the database is locked by another process (gave up "
		    "waiting)";
		break;
	case SQLITE_FULL:
		why = "disk full";
		break;
	case SQLITE_READONLY:
		why = "the database is read-only";
		break;
	case SQLITE_CORRUPT:
		why = "the database is corrupt";
		break;
	case SQLITE_NOTADB:
		why = "not an SQLite database";
		break;
	case SQLITE_CANTOPEN:
		why = "cannot open the file";
		break;
	case SQLITE_IOERR:
		if (syserr == ENOSPC || syserr == EFBIG || syserr == EDQUOT) {
			xasprintf(cause, "%s: %s: %s (nothing was lost)",
			    s->name, what, strerror(syserr));
			return -1;
		}
		if (syserr != 0) {
			xasprintf(cause, "%s: %s: I/O error: %s", s->name,
			    what, strerror(syserr));
			return -1;
		}
		why = "I/O error";
		break;
	default:
		why = s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc);
		break;
	}
	if ((rc & 0xff) == SQLITE_FULL)
		xasprintf(cause, "%s: %s: disk full or file too large (nothing "
		    "was lost)", s->name, what);
	else
		xasprintf(cause, "%s: %s: %s", s->name, what, why);
	return -1;
}


int
store_fail_last(struct store *s, const char *what, char **cause)
{
	return store_fail(s, sqlite3_extended_errcode(s->db), what, cause);
}

/* ---- statements ------------------------------------------------------ */

int
store_prepare(struct store *s, sqlite3_stmt **st, const char *sql,
    char **cause)
{
	int	rc;

	*st = NULL;
	rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return store_fail(s, rc, "preparing a query", cause);
	}
	return 0;
}

int
store_vquery(struct store *s, sqlite3_stmt **st, char **cause,
    const char *sql, const char *types, va_list ap)
{
	const char	*t;
	int64_t		 id;
	size_t		 len;
	int		 i = 1;

	if (store_prepare(s, st, sql, cause) != 0)
		return -1;
	/* Parameters a statement does not use give SQLITE_RANGE: fine. */
	for (; *types != '\0'; types++, i++) {
		switch (*types) {
		case 'i':
			sqlite3_bind_int(*st, i, va_arg(ap, int));
			break;
		case 'I':
			sqlite3_bind_int64(*st, i, va_arg(ap, int64_t));
			break;
		case 'z':
			if ((id = va_arg(ap, int64_t)) != 0)
				sqlite3_bind_int64(*st, i, id);
			else
				sqlite3_bind_null(*st, i);
			break;
		case 'd':
			sqlite3_bind_double(*st, i, va_arg(ap, double));
			break;
		case 't':
			store_bind_text(*st, i, va_arg(ap, const char *));
			break;
		case 'b':
			t = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			sqlite3_bind_text(*st, i, t, (int)len,
			    SQLITE_TRANSIENT);
			break;
		case 'p':
			store_prov_bind(*st, i,
			    va_arg(ap, const struct store_prov *));
			i += STORE_PROV_NCOLS - 1;
			break;
		}
	}
	return 0;
}

int
store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
    char **cause)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = sqlite3_finalize(st) != SQLITE_OK ?
		    sqlite3_extended_errcode(s->db) : rc;
		return store_fail(s, rc, what, cause);
	}
	sqlite3_finalize(st);
	return 0;
}

static int
store_vexec(struct store *s, const char *what, char **cause,
    const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt	*st;

	if (store_vquery(s, &st, cause, sql, types, ap) != 0)
		return -1;
	return store_step_done(s, st, what, cause);
}

int
store_exec(struct store *s, const char *what, char **cause,
    const char *sql, const char *types, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, types);
	rc = store_vexec(s, what, cause, sql, types, ap);
	va_end(ap);
	return rc;
}

int
store_write(struct store *s, const char *what, char **cause,
    const char *sql, const char *types, ...)
{
	va_list	ap, aq;
	int	rc;

	va_start(ap, types);
	do {
		if (store_begin(s, cause) != 0) {
			rc = -1;
			break;
		}
		va_copy(aq, ap);
		rc = store_vexec(s, what, cause, sql, types, aq);
		va_end(aq);
		rc = store_end(s, rc, cause);
	} while (rc != 0 && store_retry(s, cause));
	va_end(ap);
	return rc;
}

/* ---- reading rows ---------------------------------------------------- */

int
store_get(struct store *s, const struct store_rowtype *rt, void *out,
    const char *what, char **cause, const char *sql, const char *types,
    ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	if (rt != NULL)
		memset(out, 0, rt->size);
	va_start(ap, types);
	rc = store_vquery(s, &st, cause, sql, types, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && rt != NULL && store_row_read(rt, s, st, out,
	    cause) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail_last(s, what, cause);
}

int
store_collect(struct store *s, sqlite3_stmt *st,
    const struct store_rowtype *rt, void *out, size_t *n, const char *what,
    char **cause)
{
	char	*v = NULL;
	size_t	 nv = 0, cap = 0;
	int	 rc;

	/* Through memcpy: out points to a T *, not to a void *. */
	memcpy(out, &v, sizeof v);
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, rt->size);
		}
		memset(v + nv * rt->size, 0, rt->size);
		if (store_row_read(rt, s, st, v + nv * rt->size, cause) != 0)
			break;
		nv++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_rows_free(rt, v, nv);
		if (rc == SQLITE_ROW)
			return -1;
		return store_fail_last(s, what, cause);
	}
	memcpy(out, &v, sizeof v);
	*n = nv;
	return 0;
}

int
store_get_all(struct store *s, const struct store_rowtype *rt, void *out,
    size_t *n, const char *what, char **cause, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt	*st;
	void		*none = NULL;
	va_list		 ap;
	int		 rc;

	memcpy(out, &none, sizeof none);
	*n = 0;
	va_start(ap, types);
	rc = store_vquery(s, &st, cause, sql, types, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	return store_collect(s, st, rt, out, n, what, cause);
}

/* The current row of st into the zeroed element at p, as rt says. */
static int
store_row_read(const struct store_rowtype *rt, struct store *s,
    sqlite3_stmt *st, void *p, char **cause)
{
	if (rt->read != NULL)
		return rt->read(s, st, p, cause);
	store_read_cols(rt->cols, rt->ncols, st, p);
	return 0;
}

void
store_read_cols(const struct store_col *cols, size_t n, sqlite3_stmt *st,
    void *p)
{
	const struct store_col	*c;
	char			*field, *text;
	int64_t			 i64;
	int			 i, in;

	for (i = 0; i < (int)n; i++) {
		c = &cols[i];
		field = (char *)p + c->off;
		switch (c->kind) {
		case STORE_COL_INT64:
			i64 = sqlite3_column_int64(st, i);
			memcpy(field, &i64, sizeof i64);
			break;
		case STORE_COL_INT:
		case STORE_COL_BOOL:
			in = sqlite3_column_int(st, i);
			if (c->kind == STORE_COL_BOOL)
				in = in != 0;
			memcpy(field, &in, sizeof in);
			break;
		case STORE_COL_TEXT:
		case STORE_COL_TEXT_NN:
			text = c->kind == STORE_COL_TEXT ?
			    store_col_text(st, i) : store_col_text_nn(st, i);
			memcpy(field, &text, sizeof text);
			break;
		}
	}
}

void
store_row_free(const struct store_rowtype *rt, void *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < rt->nstrs; i++)
		free(*(char **)((char *)p + rt->strs[i]));
	for (i = 0; i < rt->ncols; i++) {
		if (rt->cols[i].kind == STORE_COL_TEXT ||
		    rt->cols[i].kind == STORE_COL_TEXT_NN)
			free(*(char **)((char *)p + rt->cols[i].off));
	}
	memset(p, 0, rt->size);
}

void
store_rows_free(const struct store_rowtype *rt, void *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_row_free(rt, (char *)v + i * rt->size);
	free(v);
}

/* ---- transactions ---------------------------------------------------- */

static int
store_exec_plain(struct store *s, const char *sql, const char *what,
    char **cause)
{
	return store_exec(s, what, cause, sql, "");
}

int
store_writable(struct store *s, const char *what, char **cause)
{
	if (!s->readonly)
		return 0;
	xasprintf(cause, "%s: cannot %s: the database is read-only (opened "
	    "for reading only; nothing was changed)", s->name, what);
	return -1;
}

int
store_begin(struct store *s, char **cause)
{
	if (store_writable(s, "write", cause) != 0)
		return -1;
	return store_exec_plain(s, "BEGIN IMMEDIATE", "starting a write",
	    cause);
}

int
store_commit(struct store *s, char **cause)
{
	if (store_exec_plain(s, "COMMIT", "committing", cause) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_end(struct store *s, int rc, char **cause)
{
	int	corrupt;

	if (rc != 0) {
		/* A damaged search index fails writes as "corrupt". */
		corrupt = (sqlite3_extended_errcode(s->db) & 0xff) ==
		    SQLITE_CORRUPT;
		store_rollback(s);
		if (corrupt && store_fts_repair(s, 1) == 1)
			s->fts_repaired = 1;
		return -1;
	}
	return store_commit(s, cause);
}

int
store_retry(struct store *s, char **cause)
{
	if (!s->fts_repaired)
		return 0;
	s->fts_repaired = 0;
	free(*cause);
	*cause = NULL;
	return 1;
}

/* ---- binding and columns --------------------------------------------- */

int
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

char *
store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*t;
	int			 n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	if (t == NULL)
		return xstrdup("");
	/* Text with an embedded NUL is cut there, as C strings are. */
	return xstrndup((const char *)t, (size_t)n);
}

char *
store_col_text_nn(sqlite3_stmt *st, int i)
{
	char	*v;

	if ((v = store_col_text(st, i)) == NULL)
		v = xstrdup("");
	return v;
}

/* ---- time ------------------------------------------------------------ */

int64_t
store_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
store_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
store_time_iso(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t;

	t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

char *
store_time_iso_ms(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t;
	int64_t		frac;

	/* Floor division without ms - frac, which overflows at INT64_MIN. */
	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
	return buf;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z"; 0 and *ms, or -1. */
/* The n digits at s as a number, or -1 if one is not a digit. */
static int
store_digits(const char *s, int n)
{
	int	v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

int
store_time_parse(const char *s, int64_t *ms)
{
	static const int	 mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
				     30, 31, 30, 31 };
	struct tm		 tm;
	int			 y, mo, d, h, mi, sec, frac = 0;
	time_t			 t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = store_digits(s, 4);
	mo = store_digits(s + 5, 2);
	d = store_digits(s + 8, 2);
	h = store_digits(s + 11, 2);
	mi = store_digits(s + 14, 2);
	sec = store_digits(s + 17, 2);
	s += 19;
	if (*s == '.') {
		if ((frac = store_digits(s + 1, 3)) < 0)
			return -1;
		s += 4;
	}
	if (strcmp(s, "Z") != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0))) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}

int
store_text_visible(const char *text)
{
	const char	*p = text, *end = text + strlen(text);
	uint32_t	 cp;
	int		 n;

	while (p < end) {
		if ((n = utf8_decode(p, (size_t)(end - p), &cp)) <= 0)
			return 1;	/* not ours to judge here */
		p += n;
		if (cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0) ||
		    cp == 0xad || cp == 0x034f || cp == 0x061c ||
		    cp == 0x115f || cp == 0x1160 || cp == 0x1680 ||
		    cp == 0x180e || (cp >= 0x2000 && cp <= 0x200f) ||
		    (cp >= 0x2028 && cp <= 0x202f) ||
		    (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 ||
		    cp == 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) ||
		    cp == 0xfeff || cp == 0xffa0 ||
		    (cp >= 0xfff0 && cp <= 0xfff8))
			continue;
		return 1;
	}
	return 0;
}

/* ---- names ----------------------------------------------------------- */

static const char *const store_role_names[] = {
	"system", "user", "assistant"
};
static const char *const store_status_names[] = {
	"complete", "streaming", "interrupted", "cancelled", "error"
};

const char *
store_role_name(enum store_role r)
{
	if ((unsigned)r >= sizeof store_role_names / sizeof *store_role_names)
		return "?";
	return store_role_names[r];
}

const char *
store_status_name(enum store_status st)
{
	if ((unsigned)st >=
	    sizeof store_status_names / sizeof *store_status_names)
		return "?";
	return store_status_names[st];
}

int
store_role_parse(const char *s, enum store_role *r)
{
	size_t	i;

	for (i = 0; i < sizeof store_role_names / sizeof *store_role_names;
	    i++) {
		if (strcmp(s, store_role_names[i]) == 0) {
			*r = (enum store_role)i;
			return 0;
		}
	}
	return -1;
}

int
store_status_parse(const char *s, enum store_status *st)
{
	size_t	i;

	for (i = 0;
	    i < sizeof store_status_names / sizeof *store_status_names; i++) {
		if (strcmp(s, store_status_names[i]) == 0) {
			*st = (enum store_status)i;
			return 0;
		}
	}
	return -1;
}

