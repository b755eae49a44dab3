/*
 * ui.h -- the public face of the full-screen interface (ui/).
 *
 * main.c calls cmd_tui() (declared in src/commands.h) when medchat runs
 * without a subcommand.  The tables below are exported so that tests can
 * check /help and the man page against them.
 */
#ifndef UI_H
#define UI_H

#include "cmd.h"

/* A key binding: key name as documented, context, command or action. */
struct ui_key {
	int		 code;		/* curses key code */
	const char	*key;		/* "F1", "PgUp", "C-c" */
	const char	*context;	/* "chat", "editor", "models"... */
	const char	*command;	/* slash command it runs, or NULL */
	const char	*help;
};

const struct cmd_entry	*ui_cmd_table(void);
const struct ui_key	*ui_key_table(void);

#endif
