/*
 * test-markdown.c -- Markdown-ish rendering (ui/markdown.c): emphasis,
 * code spans, headings and fences; markers that do not pair stay as
 * typed; intraword underscores; styles carried over wrapped lines with
 * widths measured on the shown text; double-width and combining
 * characters; streaming (every prefix renders, partial markers are held,
 * the end matches the whole); hostile inputs.
 *
 * Expected results follow the CommonMark spec (checked by hand against
 * cmark 0.30 for the emphasis cases).  A rendering is written as its
 * shown text with "[letters]" where the style changes: b bold, i italic,
 * c code, h heading, k code block, "[]" plain.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testhelp.h"
#include "buf.h"
#include "markdown.h"
#include "utf8.h"
#include "wrap.h"
#include "xmalloc.h"

/* The annotated form of a rendering (caller frees). */
static char *
annotate(const struct markdown *md)
{
	struct buf	 b = BUF_INIT;
	size_t		 i;
	int		 cur = 0, s;

	for (i = 0; i < md->text.len; i++) {
		s = md->style[i];
		if (s != cur) {
			buf_putc(&b, '[');
			if (s & MD_BOLD)
				buf_putc(&b, 'b');
			if (s & MD_ITALIC)
				buf_putc(&b, 'i');
			if (s & MD_CODE)
				buf_putc(&b, 'c');
			if (s & MD_HEADING)
				buf_putc(&b, 'h');
			if (s & MD_BLOCK)
				buf_putc(&b, 'k');
			buf_putc(&b, ']');
			cur = s;
		}
		buf_putc(&b, md->text.data[i]);
	}
	if (cur != 0)
		buf_puts(&b, "[]");
	if (b.data == NULL)
		return xstrdup("");
	return buf_detach(&b);
}

static char *
render(const char *s, int flags)
{
	struct markdown	 md = MARKDOWN_INIT;
	char		*out;

	markdown_render(&md, s, strlen(s), flags);
	out = annotate(&md);
	markdown_free(&md);
	return out;
}

static void
check(const char *in, const char *want)
{
	char	*got, *descr;

	got = render(in, MARKDOWN_INLINE);
	descr = utf8_printable(in);	/* '\n' and bad bytes as '?' */
	test_condf(strcmp(got, want) == 0, "render %s", descr);
	free(descr);
	if (strcmp(got, want) != 0)
		test_diag("  got  %s\n  want %s", got, want);
	free(got);
}

/* render(in, flags) gives want, reported as name. */
static void
check_render(const char *in, int flags, const char *want, const char *name)
{
	char	*got;

	got = render(in, flags);
	test_cond(strcmp(got, want) == 0, name);
	free(got);
}

/* Lines entries cover the text exactly, split at '\n'. */
static int
lines_ok(const struct markdown *md)
{
	size_t	i, pos = 0;

	for (i = 0; i < md->nlines; i++) {
		if (md->lines[i].off != pos)
			return 0;
		pos += md->lines[i].len;
		if (memchr(md->text.data + md->lines[i].off, '\n',
		    md->lines[i].len) != NULL)
			return 0;
		if (i + 1 < md->nlines) {
			if (pos >= md->text.len || md->text.data[pos] != '\n')
				return 0;
			pos++;
		}
	}
	return pos == md->text.len && md->nlines >= 1;
}

static void
test_emphasis(void)
{
	check("**bold**", "[b]bold[]");
	check("__bold__", "[b]bold[]");
	check("*italic*", "[i]italic[]");
	check("_italic_", "[i]italic[]");
	check("a **b** c", "a [b]b[] c");
	check("***both***", "[bi]both[]");
	check("**bold *it* more**", "[b]bold [bi]it[b] more[]");
	check("*a **b** c*", "[i]a [bi]b[i] c[]");
	check("**a** **b**", "[b]a[] [b]b[]");
	check("*a*_b_", "[i]ab[]");
	check("**a**b", "[b]a[]b");
	check("*a**b*", "[i]a**b[]");
	check("_a_b", "_a_b");
	check("**Warning:** see a doctor.", "[b]Warning:[] see a doctor.");
	check("(**x**)", "([b]x[])");
	check("**(x)**", "[b](x)[]");
}

static void
test_literal(void)
{
	check("2 * 3 = 6", "2 * 3 = 6");
	check("a * b * c", "a * b * c");
	check("x_1 + y_2 = z_3", "x_1 + y_2 = z_3");
	check("snake_case_name and __init__", "snake_case_name and [b]init[]");
	check("file_name_here.txt", "file_name_here.txt");
	check("**unclosed bold", "**unclosed bold");
	check("*unclosed", "*unclosed");
	check("**a*", "*[i]a[]");
	check("a*", "a*");
	check("* * *", "* * *");
	check("***", "***");
	check("5*3", "5*3");
	check("2*3*4", "2[i]3[]4");
	check("\\*not\\* \\_this\\_", "*not* _this_");
	check("** not bold **", "** not bold **");
	check("_ not _", "_ not _");
	check("email_me_at x", "email_me_at x");
	check("a\\b \\n", "a\\b \\n");
}

static void
test_code(void)
{
	check("`code`", "[c]code[]");
	check("use `a*b*c` here", "use [c]a*b*c[] here");
	check("`**not bold**`", "[c]**not bold**[]");
	check("``code with ` inside``", "[c]code with ` inside[]");
	check("`` `x` ``", "[c]`x`[]");
	check("`unclosed *x*", "`unclosed [i]x[]");
	check("*a `*` b*", "[i]a [ic]*[i] b[]");
	check("`a` and `b`", "[c]a[] and [c]b[]");
	check("``a`", "``a`");
	check("\\`not code`", "`not code`");
	check("` `", "[c] []");
}

static void
test_blocks(void)
{
	check("# Title", "[h]Title[]");
	check("## Title **x** ##", "[h]Title [bh]x[]");
	check("   ### Three", "[h]Three[]");
	check("    # four spaces", "    # four spaces");
	check("#hashtag", "#hashtag");
	check("####### seven", "####### seven");
	check("#", "");
	check("```\n**x** `y`\n```\nafter **z**",
	    "[k]```[]\n[k]**x** `y`[]\n[k]```[]\nafter [b]z[]");
	check("~~~\n*x*\n~~~", "[k]~~~[]\n[k]*x*[]\n[k]~~~[]");
	check("````\n```\n*x*\n````\n*y*",
	    "[k]````[]\n[k]```[]\n[k]*x*[]\n[k]````[]\n[i]y[]");
	check("```\nunclosed *x*", "[k]```[]\n[k]unclosed *x*[]");
	check("* item *it*", "* item [i]it[]");
	check("- **Dose**: 5 mg", "- [b]Dose[]: 5 mg");
	check("1. *one*\n2. two", "1. [i]one[]\n2. two");
	check("**a\nb**", "[b]a[]\n[b]b[]");
	check("**a\n\nb**", "**a\n\nb**");
	check("- *a\n- b*", "- *a\n- b*");
	check("*a\n# b*", "*a\n[h]b*[]");
	check("text\n", "text\n");
	check("", "");
}

static void
test_flags(void)
{
	/* Without MARKDOWN_INLINE only fences are found. */
	check_render("**x** # y\n```\nz\n```", 0,
	    "**x** # y\n[k]```[]\n[k]z[]\n[k]```[]",
	    "without INLINE: markers shown, fences found");
}

static void
test_unicode(void)
{
	check("**中文**字", "[b]中文[]字");
	check("*e\xcc\x81t\xc3\xa9*", "[i]e\xcc\x81t\xc3\xa9[]");
	check("x_中_y", "x_中_y");
	check("«**x**»", "«[b]x[]»");
	check("日本_語_です", "日本_語_です");
	check("— *x* —", "— [i]x[] —");
	/* Invalid bytes pass through, each an ordinary character. */
	check("\xff**a\xfe**", "\xff[b]a\xfe[]");
	check("**\xff**", "[b]\xff[]");
}

/*
 * Wrap the shown text as the transcript does and check that styles stay
 * with their bytes across the break and widths count shown text only.
 */
static void
test_wrap(void)
{
	struct markdown	 md = MARKDOWN_INIT;
	struct wrap	 wr = WRAP_INIT;
	const char	*in = "see **bold words that wrap** now";
	size_t		 k, i, bolds = 0;
	int		 ok = 1;

	markdown_render(&md, in, strlen(in), MARKDOWN_INLINE);
	test_cond(strcmp(md.text.data, "see bold words that wrap now") == 0,
	    "wrap: markers gone from the shown text");
	wrap_text(&wr, md.text.data, md.text.len, 12);
	test_condf(wr.n == 3, "wrap: three lines at width 12 (%zu)", wr.n);
	for (k = 0; k < wr.n; k++) {
		if (wr.lines[k].width > 12)
			ok = 0;
		for (i = wr.lines[k].off; i < wr.lines[k].off +
		    wr.lines[k].len; i++) {
			if (md.style[i] & MD_BOLD)
				bolds++;
		}
	}
	test_cond(ok, "wrap: every line fits");
	test_condf(bolds == strlen("bold words that wrap"),
	    "wrap: every bold byte kept its style (%zu)", bolds);
	test_cond(wr.n == 3 && (md.style[wr.lines[1].off] & MD_BOLD) &&
	    !(md.style[wr.lines[2].off + wr.lines[2].len - 1] & MD_BOLD),
	    "wrap: bold carried onto the second line, plain at the end");
	/* Only the shown width counts: 10 columns fit exactly. */
	markdown_render(&md, "**abcde**fghij", 14, MARKDOWN_INLINE);
	wrap_clear(&wr);
	wrap_text(&wr, md.text.data, md.text.len, 10);
	test_cond(wr.n == 1 && wr.lines[0].width == 10,
	    "wrap: width measured without the markers");
	/* Double-width characters, bold, at an odd width. */
	in = "**中文中文中文**";
	markdown_render(&md, in, strlen(in), MARKDOWN_INLINE);
	wrap_clear(&wr);
	wrap_text(&wr, md.text.data, md.text.len, 5);
	ok = wr.n == 3;
	for (k = 0; k < wr.n; k++) {
		if (wr.lines[k].width != 4 || wr.lines[k].len != 6)
			ok = 0;
		for (i = 0; i < wr.lines[k].len; i++)
			if (!(md.style[wr.lines[k].off + i] & MD_BOLD))
				ok = 0;
	}
	test_cond(ok, "wrap: wide characters whole, 4 of 5 columns, all bold");
	/* A combining mark stays with its base at the break. */
	in = "*abcde\xcc\x81" "fgh*";
	markdown_render(&md, in, strlen(in), MARKDOWN_INLINE);
	wrap_clear(&wr);
	wrap_text(&wr, md.text.data, md.text.len, 5);
	test_cond(wr.n == 2 && wr.lines[0].len == 7 &&
	    (md.style[6] & MD_ITALIC), "wrap: combining mark kept, italic");
	wrap_free(&wr);
	markdown_free(&md);
}

/* A streamed answer, prefix by prefix, byte by byte. */
static void
test_stream(void)
{
	struct markdown	 md = MARKDOWN_INIT, fin = MARKDOWN_INIT;
	const char	*ans = "# Fieber\n\n**Wichtig:** bei *über* 39 °C "
	    "`paracetamol` — __中文__ x_1.\n- *a* **b**\n```\n*c*\n```\n"
	    "done **end**";
	size_t		 n = strlen(ans), k, bad = 0, badutf = 0, badlines = 0;
	char		*a, *b;

	for (k = 0; k <= n; k++) {
		markdown_render(&md, ans, k, MARKDOWN_INLINE |
		    MARKDOWN_PARTIAL);
		if (!utf8_valid(md.text.data, md.text.len))
			badutf++;
		if (!lines_ok(&md))
			badlines++;
		/* Nothing shown that the whole text would style
		   differently is allowed to carry a style the final
		   rendering lacks at a token end ("**bold*" must not
		   flash italic). */
		if (md.text.len > 0 && (md.text.data[md.text.len - 1] == '*' ||
		    md.text.data[md.text.len - 1] == '`'))
			bad++;
	}
	test_condf(badutf == 0, "stream: every prefix shows valid UTF-8 "
	    "(%zu bad)", badutf);
	test_condf(badlines == 0, "stream: every prefix has consistent lines "
	    "(%zu bad)", badlines);
	test_condf(bad == 0, "stream: no prefix ends in a marker that may "
	    "still pair (%zu)", bad);
	markdown_render(&md, ans, n, MARKDOWN_INLINE);
	markdown_render(&fin, ans, n, MARKDOWN_INLINE | MARKDOWN_PARTIAL);
	a = annotate(&md);
	test_cond(strcmp(a, "[h]Fieber[]\n\n[b]Wichtig:[] bei [i]über[] 39 °C "
	    "[c]paracetamol[] — [b]中文[] x_1.\n- [i]a[] [b]b[]\n[k]```[]\n"
	    "[k]*c*[]\n[k]```[]\ndone [b]end[]") == 0,
	    "stream: the complete answer renders in full");
	if (strstr(a, "done [b]end[]") == NULL)
		test_diag("  got %s", a);
	b = annotate(&fin);
	test_cond(strstr(b, "done **end") != NULL,
	    "stream: a closing ** at the very end is held while streaming");
	free(a);
	free(b);

	check_render("**bold*", MARKDOWN_INLINE | MARKDOWN_PARTIAL,
	    "**bold", "stream: half a closer is held, no italic flash");
	check_render("**bo", MARKDOWN_INLINE | MARKDOWN_PARTIAL,
	    "**bo", "stream: an opener without closer shows as typed");
	check_render("**bold** and `co", MARKDOWN_INLINE | MARKDOWN_PARTIAL,
	    "[b]bold[] and `co", "stream: an open code span shows as typed");
	check_render("x \xe4\xb8", MARKDOWN_INLINE | MARKDOWN_PARTIAL,
	    "x ", "stream: half a UTF-8 sequence is held");
	check_render("x \xe4\xb8", MARKDOWN_INLINE, "x \xe4\xb8",
	    "complete text: broken UTF-8 passes through for the drawer");
	markdown_free(&md);
	markdown_free(&fin);
}

/*
 * Every prefix of a few answers, rendered while streaming, then the
 * whole: the end result equals rendering the whole text at once even
 * after the views of all the prefixes (no state leaks between renders
 * of one struct markdown).
 */
static void
test_prefixes(void)
{
	static const char *texts[] = {
		"**a** *b* `c` __d__ _e_ x_y 2 * 3\n# h **i**\n- *j*",
		"***x** y* `` ` `` \\*z\\*",
		"*a **b *c* d** e*\n\n```py\nx**2\n```\n**f**",
	};
	struct markdown	 md = MARKDOWN_INIT;
	size_t		 t, k, n;
	char		*whole, *again;
	int		 ok = 1;

	for (t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		n = strlen(texts[t]);
		whole = render(texts[t], MARKDOWN_INLINE);
		for (k = 0; k <= n; k++)
			markdown_render(&md, texts[t], k, MARKDOWN_INLINE |
			    MARKDOWN_PARTIAL);
		markdown_render(&md, texts[t], n, MARKDOWN_INLINE);
		again = annotate(&md);
		if (strcmp(whole, again) != 0) {
			ok = 0;
			test_diag("%s\n  whole %s\n  after %s", texts[t], whole,
			    again);
		}
		free(whole);
		free(again);
	}
	test_cond(ok, "prefixes: the final rendering equals the whole text's");
	markdown_free(&md);
}

/* A hostile line of n bytes: pattern repeated. */
static char *
hostile(const char *pat, size_t n)
{
	char	*s;
	size_t	 i, l = strlen(pat);

	s = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		s[i] = pat[i % l];
	s[n] = '\0';
	return s;
}

static void
test_hostile(void)
{
	static const char *pats[] = {
		"*", "_", "`", "*a", "a*", "**a", "*a_", "_a*", "***a ",
		"a ***", "*a **b ", "` `` ``` ", "\\*", "*`", "_x_y ", "x",
		"# ", "**\xe4\xb8\xad", "\xff*",
	};
	struct markdown	 md = MARKDOWN_INIT;
	size_t		 p, n = 100000, k;
	clock_t		 t0;
	double		 secs, worst = 0;
	char		*s;
	int		 ok = 1;

	for (p = 0; p < sizeof pats / sizeof pats[0]; p++) {
		s = hostile(pats[p], n);
		t0 = clock();
		markdown_render(&md, s, n, MARKDOWN_INLINE);
		markdown_render(&md, s, n, MARKDOWN_INLINE | MARKDOWN_PARTIAL);
		secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		if (secs > worst)
			worst = secs;
		if (!lines_ok(&md))
			ok = 0;
		free(s);
	}
	test_cond(ok, "hostile: 100k-byte lines render with consistent lines");
	/* Not a timed assertion: reported so a regression is visible. */
	test_diag("hostile: slowest 100k pattern took %.3f s", worst);

	s = hostile("*", n);
	markdown_render(&md, s, n, MARKDOWN_INLINE);
	test_cond(md.text.len == n, "hostile: 100k stars shown as typed");
	free(s);
	/* Many nested openers closed at the end. */
	s = xmalloc(3 * n + 1);
	for (k = 0; k < n; k++)
		s[k] = '*';
	memset(s + n, 'a', n);
	for (k = 0; k < n; k++)
		s[2 * n + k] = '*';
	s[3 * n] = '\0';
	markdown_render(&md, s, 3 * n, MARKDOWN_INLINE);
	test_cond(md.text.len == n && (md.style[0] & MD_BOLD),
	    "hostile: 100k-deep emphasis renders, markers hidden");
	free(s);
	/* Many lines. */
	s = hostile("**a**\n", 6 * 20000);
	markdown_render(&md, s, strlen(s), MARKDOWN_INLINE);
	test_cond(md.nlines == 20001 && lines_ok(&md),
	    "hostile: 20000 short lines");
	free(s);
	markdown_free(&md);
}

int
main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	test_emphasis();
	test_literal();
	test_code();
	test_blocks();
	test_flags();
	test_unicode();
	test_wrap();
	test_stream();
	test_prefixes();
	test_hostile();
	return test_report();
}
