/*
 * backend-int.h -- what backend.c (the interface and the local engine)
 * and backend-remote.c (a remote server's model) share: the backend
 * itself and its table of operations.  Only those two files include it.
 */
#ifndef BACKEND_INT_H
#define BACKEND_INT_H

#include "backend.h"

struct remote;

/* One implementation's operations (backend.h says what each does). */
struct backend_ops {
	int	(*chat)(struct backend *, const char *tmpl,
		    const struct engine_msg *, int,
		    const struct engine_sampling *, engine_emit_fn, void *,
		    struct backend_result *, char **);
	void	(*cancel)(struct backend *);
	int	(*count_tokens)(struct backend *, const char *tmpl,
		    const struct engine_msg *, int);
	void	(*close)(struct backend *);	/* the implementation's part */
};

struct backend {
	const struct backend_ops *ops;
	struct engine		*eng;		/* local, or NULL */
	struct remote		*rem;		/* remote, or NULL */
	struct backend_info	 info;
	char			*name;		/* owned strings of info, */
	char			*origin;	/* freed by backend_close */
	char			*endpoint;
};

/*
 * A raw-mode template (NULL: chat mode) must be one of ours: 0, or -1
 * and *cause naming the built-in ones.
 */
int	 backend_template_ok(const char *tmpl, char **cause);

#endif
