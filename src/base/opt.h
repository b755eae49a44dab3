/*
 * opt.h -- strict parsing of numeric command-line option values.
 *
 * The whole argument must be a number (strtol/strtod syntax, leading
 * white space and a sign allowed) in lo..hi.  Otherwise one line goes to
 * stderr and -1 is returned (*out untouched):
 *
 *	opt_int:	WHO: invalid value for OPT: 'ARG' (want LO..HI)
 *			WHO: invalid value for OPT: 'ARG' (want at least LO)
 *			    (the second when hi >= INT_MAX)
 *	opt_double:	WHO: invalid value for OPT: 'ARG'
 *
 * WHO is the program and command ("medchat bench").  ARG is shown through
 * utf8_safe() ('?' for what a terminal must not get), so a hostile
 * argument cannot drive the terminal.  opt may be any noun ("token id").
 */
#ifndef OPT_H
#define OPT_H

int	 opt_int(const char *who, const char *opt, const char *arg, long lo,
	    long hi, long *out);
int	 opt_double(const char *who, const char *opt, const char *arg,
	    double lo, double hi, double *out);

/*
 * The numeric options of a command as a table, so that getopt's switch
 * needs one case for all of them:
 *
 *	struct opt_num nums[] = { { 'r', "--rows", 1, 1000, &rows }, ...,
 *	    { 0, NULL, 0, 0, NULL } };
 *	default:
 *		if ((rc = opt_int_table("medchat x", nums, ch, optarg)) > 0)
 *			break;
 *		(rc < 0: bad value, message printed; 0: not a numeric option)
 */
struct opt_num {
	int		 ch;	/* getopt_long's value; 0 ends the table */
	const char	*name;	/* as in messages: "--rows", "-t" */
	long		 lo, hi;
	long		*val;	/* OUT */
};

/* opt_int() for the entry of t whose ch matches: 1, -1, or 0 if none. */
int	 opt_int_table(const char *who, const struct opt_num *t, int ch,
	    const char *arg);

#endif
