/*
 * ui.h -- the public face of the full-screen interface (ui/).
 *
 * main.c calls ui_main() when medchat runs
 * without a subcommand.  The tables below are exported so that tests can
 * check /help and the man page against them.
 */
#ifndef UI_H
#define UI_H

#include <stdio.h>

#include "slash.h"

/* A key binding: key name as documented, context, command or action. */
struct ui_key {
	int		 code;		/* curses key code */
	const char	*key;		/* "F1", "PgUp", "C-c" */
	const char	*context;	/* "chat", "editor", "models"... */
	const char	*command;	/* slash command it runs, or NULL */
	const char	*help;
};

/* The chat: medchat without a subcommand.  Returns the exit status. */
int			 ui_main(int argc, char **argv);
/* What the chat's options are, for medchat --help (ui/ui-args.c). */
void			 ui_options_help(FILE *);
const struct slash_entry	*ui_slash_table(void);
const struct ui_key	*ui_key_table(void);

#endif
