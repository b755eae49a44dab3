/*
 * ui-paths.c -- the file names a user types in the chat: a leading ~
 * made $HOME, a model named as the model menu shows it (the base name of
 * a file in the menu's directories), the names Tab completes after
 * /model, and where an export goes.
 *
 * An export names its file in full (the directory a bare name lands in
 * is the one medchat was started in, which the user may not remember),
 * never writes through a symbolic link (a link in a shared directory
 * could point an export of health data anywhere), and asks before it
 * replaces a file: ui_export_start leaves the question in the status
 * line and ui_export_key takes the answer, y or anything else, whatever
 * screen is open.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui-int.h"
#include "xmalloc.h"

static size_t	 paths_dirs(struct ui *, char ***);
static int	 paths_is_model(const char *);

char *
ui_path_expand(const char *p, char **cause)
{
	const char	*home;
	char		*out;

	if (p[0] != '~')
		return xstrdup(p);
	if (p[1] != '\0' && p[1] != '/') {
		xasprintf(cause, "%.60s: only ~ and ~/ are expanded (not "
		    "~USER)", p);
		return NULL;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		xasprintf(cause, "%.60s: HOME is not set", p);
		return NULL;
	}
	xasprintf(&out, "%s%s", home, p + 1);
	return out;
}

/*
 * The model menu's directories (ui-models.c lists the same ones): the
 * models directory, -M, the settings file's models-dir, the directory of
 * -m and of the loaded model.  *dirs gets new strings (free with
 * xfreev); returns their number.
 */
static size_t
paths_dirs(struct ui *ui, char ***dirs)
{
	char	*tmp;
	size_t	 n = 0, i;

	*dirs = xcalloc(ui->conf.n_models_dirs + 4, sizeof **dirs);
	if (ui->models_dir != NULL)
		(*dirs)[n++] = xstrdup(ui->models_dir);
	if (ui->opt_models_dir != NULL)
		(*dirs)[n++] = xstrdup(ui->opt_models_dir);
	for (i = 0; i < ui->conf.n_models_dirs; i++)
		(*dirs)[n++] = xstrdup(ui->conf.models_dirs[i]);
	if (ui->opt_model != NULL) {
		tmp = xstrdup(ui->opt_model);
		(*dirs)[n++] = xstrdup(dirname(tmp));
		free(tmp);
	}
	if (ui->model != NULL && !ui->model->remote &&
	    ui->model->path[0] != '\0') {
		tmp = xstrdup(ui->model->path);
		(*dirs)[n++] = xstrdup(dirname(tmp));
		free(tmp);
	}
	return n;
}

/* Does name end in .gguf (as the menu's files do)? */
static int
paths_is_model(const char *name)
{
	size_t	n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".gguf") == 0;
}

char *
ui_model_resolve(struct ui *ui, const char *arg, char **cause)
{
	struct stat	 sb;
	char		**dirs, *p;
	size_t		 nd, i;

	if (arg[0] == '~')
		return ui_path_expand(arg, cause);
	if (strchr(arg, '/') != NULL || stat(arg, &sb) == 0)
		return xstrdup(arg);
	/* A name as the menu shows it: the first directory that has it. */
	nd = paths_dirs(ui, &dirs);
	for (i = 0; i < nd; i++) {
		xasprintf(&p, "%s/%s", dirs[i], arg);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
			xfreev(dirs, nd);
			return p;
		}
		free(p);
	}
	xfreev(dirs, nd);
	xasprintf(cause, "/model: no model %.80s here or in the model menu's "
	    "directories (F3 lists them)", arg);
	return NULL;
}

char **
ui_model_names(struct ui *ui, const char *prefix, size_t *n)
{
	struct dirent	 *de;
	DIR		 *d;
	char		**dirs, **names = NULL;
	size_t		  nd, i, j, len = strlen(prefix);

	*n = 0;
	nd = paths_dirs(ui, &dirs);
	for (i = 0; i < nd; i++) {
		if ((d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || !paths_is_model(de->d_name) ||
			    strncmp(de->d_name, prefix, len) != 0)
				continue;
			for (j = 0; j < *n; j++) {
				if (strcmp(names[j], de->d_name) == 0)
					break;
			}
			if (j < *n)
				continue;
			names = xreallocarray(names, *n + 1, sizeof *names);
			names[(*n)++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	xfreev(dirs, nd);
	return names;
}

/*
 * Write conversation conv as fmt to file (NULL: medchat-ID.EXT in the
 * current directory; a leading ~ is $HOME), mode 0600 when new.  An
 * existing file is replaced only with overwrite set; a symbolic link or
 * anything but a regular file never is.  *out_path gets the absolute
 * path (also when 1 is returned).  0, 1 when the file exists and
 * overwrite is not set, or -1 with *cause.
 */
int
ui_export(struct ui *ui, int64_t conv, const char *fmt, const char *file,
    int overwrite, char **out_path, char **cause)
{
	enum store_format	 f;
	struct stat		 sb;
	char			*path, *name, cwd[4096];
	FILE			*fp;
	int			 fd, rv, flags;

	*out_path = NULL;
	if (store_format_parse(fmt, &f) != 0) {
		xasprintf(cause, "unknown format: %.20s (md, json or txt)",
		    fmt);
		return -1;
	}
	if (file != NULL) {
		if ((name = ui_path_expand(file, cause)) == NULL)
			return -1;
	} else
		xasprintf(&name, "medchat-%lld.%s", (long long)conv,
		    f == STORE_FMT_MD ? "md" : f == STORE_FMT_JSON ? "json" :
		    "txt");
	if (name[0] != '/' && getcwd(cwd, sizeof cwd) != NULL) {
		xasprintf(&path, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
		    name);
		free(name);
	} else
		path = name;
	if (lstat(path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode)) {
			xasprintf(cause, "%s is a symbolic link: not written "
			    "(medchat does not follow links; name the file "
			    "itself)", path);
			free(path);
			return -1;
		}
		if (!S_ISREG(sb.st_mode)) {
			xasprintf(cause, "%s is not a regular file: not "
			    "written", path);
			free(path);
			return -1;
		}
		if (!overwrite) {
			*out_path = path;
			return 1;
		}
	}
	/* O_NOFOLLOW: a link put there since the check is not followed. */
	flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (overwrite ?
	    O_TRUNC : O_EXCL);
	fd = open(path, flags, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, errno == ELOOP ? "a symbolic "
		    "link: not followed" : errno == EEXIST ? "appeared "
		    "meanwhile: not replaced" : strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return -1;
	}
	rv = store_export(ui->store, &conv, 1, f, fp, cause);
	if (fclose(fp) != 0 && rv == 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	if (rv == 0)
		*out_path = path;
	else
		free(path);
	return rv;
}

void
ui_export_start(struct ui *ui, int64_t conv, const char *fmt,
    const char *file)
{
	char	*path = NULL, *cause = NULL;
	int	 rv;

	rv = ui_export(ui, conv, fmt, file, 0, &path, &cause);
	if (rv < 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		return;
	}
	if (rv == 0) {
		ui_message(ui, 0, "exported to %s", path);
		free(path);
		return;
	}
	free(ui->exp_path);
	free(ui->exp_fmt);
	ui->exp_path = path;
	ui->exp_fmt = xstrdup(fmt);
	ui->exp_conv = conv;
	ui_message(ui, 1, "%s exists: replace it? (y replaces, any other key "
	    "keeps it)", path);
}

int
ui_export_key(struct ui *ui, int key)
{
	char	*path = NULL, *cause = NULL;

	if (ui->exp_path == NULL)
		return 0;
	if (key == 'y' || key == 'Y') {
		if (ui_export(ui, ui->exp_conv, ui->exp_fmt, ui->exp_path, 1,
		    &path, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		} else
			ui_message(ui, 0, "exported to %s (replaced)", path);
		free(path);
	} else
		ui_message(ui, 0, "not exported: %s is kept", ui->exp_path);
	free(ui->exp_path);
	free(ui->exp_fmt);
	ui->exp_path = ui->exp_fmt = NULL;
	ui->dirty = 1;
	return 1;
}
