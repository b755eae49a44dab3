#!/bin/sh
# tests/test-help.sh -- help that is complete (issue 20): every command
# and subcommand that `medchat --help` lists answers --help and -h with
# its usage on stdout, nothing on stderr, exit 0; `medchat --help` lists
# the chat's options as the man page says; generate's usage names no
# option it refuses.
. "$top_srcdir/tests/lib.sh"

# The help itself must not need a database or a settings file.
export XDG_DATA_HOME="$TMPD/data" XDG_CONFIG_HOME="$TMPD/config"

helps() {	# helps ARGS...: --help and -h after ARGS
	for h in --help -h; do
		"$MEDCHAT" "$@" $h >"$TMPD/out" 2>"$TMPD/err" </dev/null
		rc=$?
		check "medchat $* $h: exit 0, usage on stdout, stderr empty" \
		    sh -c '[ $1 -eq 0 ] && grep -q "usage:" "$2" &&
		    [ ! -s "$3" ]' _ $rc "$TMPD/out" "$TMPD/err"
	done
}

helps
for o in --model --endpoint --models-dir --db --ctx --threads --template \
    --no-input-history; do
	check "medchat --help lists the chat option $o" \
	    grep -q -- "^  -., $o" "$TMPD/out"
done

# Each "medchat CMD [SUB|SUB...] ..." line of the usage: CMD, and each
# lower-case word of the first argument as a subcommand.
"$MEDCHAT" --help | sed -n 's/^\(usage:\)* *medchat \([a-z][a-z]*\) *\([^ ]*\).*/\2 \3/p' \
    >"$TMPD/cmds"
check "medchat --help lists the commands" [ "$(wc -l <"$TMPD/cmds")" -ge 8 ]
ncmd=0 nsub=0
while read -r cmd first; do
	ncmd=$((ncmd + 1))
	helps "$cmd"
	for sub in $(echo "$first" | tr -d '[]' | tr '|' ' '); do
		case $sub in
		*[!a-z]*|"") continue ;;
		esac
		nsub=$((nsub + 1))
		helps "$cmd" "$sub"
	done
done <"$TMPD/cmds"
diag "$ncmd commands, $nsub subcommands"
check "subcommands found (history, debug, bench)" [ $nsub -ge 15 ]

"$MEDCHAT" generate --help >"$TMPD/out" 2>&1
check "generate's usage does not name --system or --template (refused)" \
    sh -c '! grep -q -e --system -e --template "$1"' _ "$TMPD/out"
"$MEDCHAT" ask --help >"$TMPD/out" 2>&1
check "ask's usage names --system and --accept-advisory" \
    sh -c 'grep -q -e --system "$1" && grep -q -e --accept-advisory "$1"' \
    _ "$TMPD/out"
"$MEDCHAT" debug --nosuch >/dev/null 2>"$TMPD/err"
check "debug with an unknown tool: exit 2, said" \
    sh -c '[ $1 -eq 2 ] && grep -q "unknown tool" "$2"' _ $? "$TMPD/err"
done_testing
