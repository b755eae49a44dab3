/*
 * ui-models.h -- the model menu's state, shared by its two files
 * (private to them): ui-models.c scans, keeps the rows and takes the
 * keys; ui-models-draw.c draws the rows with their columns and queues
 * the measurements of the menu's keys (ui-measure.c runs them).
 */
#ifndef UI_MODELS_H
#define UI_MODELS_H

#include "ui-int.h"

/* One row of the menu: a file, or the demo row. */
struct model_row {
	char		*path;
	char		*name;		/* base name */
	int		 pending;	/* header not read yet */
	int		 ok;
	char		*error;
	char		 quant[32];
	uint64_t	 size;
	uint64_t	 n_params;
	uint64_t	 mem;		/* at the chosen context */
	int		 n_ctx_train;
	struct engine_file_summary sum;	/* the header's, when ok */
	struct mfacts	 mf;		/* its measurements (ui-measure.c) */
	int		 demo;		/* the "create demo model" row */
	/* A remote row (path and name "" / the name shown): */
	int		 remote;
	size_t		 ep;		/* its endpoint, models.eps[ep] */
	char		*model_id;	/* a served model; NULL: the server's
					   row while listing, or why it
					   lists none */
	int		 n_ctx;		/* 0 = not told */
};

/* A remote server of the menu and what its listing said. */
struct model_ep {
	struct ui_endpoint *e;		/* NULL: the URL is bad (error) */
	char		*label;		/* NAME, or the host */
	size_t		 scan_idx;	/* its number in the scan */
	int		 listed;	/* the listing ended */
	char		*error;		/* why there are no models */
	struct backend_model *models;
	size_t		 nmodels;
};

/* The screen's state. */
struct models {
	struct model_row *rows;		/* files, in the order found */
	size_t		 nrows, cap;
	size_t		*order;		/* shown order: rows indexes
					   sorted by name */
	struct model_ep	*eps;		/* remote servers, in menu order */
	size_t		 neps;
	struct model_row *rrows;	/* their rows, after the files */
	size_t		 nrrows;
	struct model_row demo;		/* "create the demo model" (or
					   "load", when it is there but
					   not listed yet): the last
					   row, if ndemo */
	size_t		 ndemo;		/* 0 once the file is listed */
	struct ui_list	 list;		/* n = nrows + nrrows + ndemo */
	uint64_t	 mem_avail;
	struct mscan	*scan;		/* header reads under way */
	size_t		 probed;	/* headers read so far */
	int		 moved;		/* the user moved the selection */
	struct ui	*ui;		/* for models_close */
};

/* ui-models.c */
struct model_row *models_row(struct models *, size_t);
int	 models_current(struct ui *, struct models *,
	    const struct model_row *);

/* ui-models-draw.c */
void	 models_draw(struct ui *, void *);
struct model_row *models_base(struct models *, const struct model_row *,
	    int *is_base);
void	 models_measure(struct ui *, struct models *, struct model_row *,
	    int what);

#endif
