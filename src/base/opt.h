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

#endif
