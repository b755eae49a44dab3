#!/bin/sh
# test-romedia.sh -- a WAL database on read-only media (a read-only bind
# mount in a mount namespace of our own: unshare -rm) is read, never
# refused and never changed, whatever its writer left next to it:
#   - nothing (closed cleanly),
#   - an empty -wal and no -shm,
#   - a -wal holding committed changes and no -shm (its writer died):
#     the changes are seen,
#   - a -wal and its -shm.
# The files and the directory listing stay exactly as they were.  Skips
# visibly where this system does not let us make the mount.
. "$top_srcdir/tests/lib.sh"

SRC=$TMPD/media
MNT=$TMPD/mnt
mkdir "$SRC" "$MNT"

# ro_run CMD...: run CMD with $MNT a read-only view of $SRC.
ro_run() {
	unshare -rm sh -c 'mount --bind "$1" "$2" &&
	    mount -o remount,bind,ro "$2" && shift 2 && exec "$@"' \
	    _ "$SRC" "$MNT" "$@"
}
if ! command -v unshare >/dev/null 2>&1 ||
    ! ro_run sh -c '! touch "$1/probe" 2>/dev/null' _ "$MNT"; then
	skip "read-only media" "cannot make a read-only bind mount here"
	done_testing
	exit $?
fi

cat >"$TMPD/in.json" <<'EOF'
{"format": "medchat-export", "version": 1, "conversations": [
 {"id": 8, "title": "Written cleanly", "created": "2026-01-03T00:00:00.000Z",
  "updated": "2026-01-03T00:00:00.000Z", "system": null, "template": null,
  "model_file": null, "model_sha256": null, "model_quant": null,
  "params_json": null, "archived": false, "current_leaf": null,
  "messages": []}]}
EOF
$MEDCHAT history import --db "$SRC/a.db" "$TMPD/in.json" >/dev/null
if command -v sqlite3 >/dev/null 2>&1; then
	check "a WAL database written" \
	    test "$(sqlite3 "$SRC/a.db" 'PRAGMA journal_mode')" = wal
fi

snapshot() {	# each name in $SRC and each file's digest
	(cd "$SRC" && ls -A && for f in *; do [ -f "$f" ] && digest <"$f"; done)
}
# state NAME TITLE: list on the read-only view shows TITLE, exit 0, no
# message, and not one byte or file changed.
state() {
	before=$(snapshot)
	out=$(ro_run "$MEDCHAT" history list --db "$MNT/a.db" 2>"$TMPD/err")
	rc=$?
	check "$1: read (exit 0, nothing on stderr)" \
	    test $rc = 0 -a ! -s "$TMPD/err"
	check "$1: shows the conversation" \
	    sh -c 'echo "$1" | grep -q "$2"' _ "$out" "$2"
	check "$1: nothing changed or made next to it" \
	    test "$(snapshot)" = "$before"
	[ -s "$TMPD/err" ] && diag "$(cat "$TMPD/err")"
}

state "clean" "Written cleanly"
: >"$SRC/a.db-wal"
state "empty -wal, no -shm" "Written cleanly"
rm -f "$SRC/a.db-wal"

if command -v sqlite3 >/dev/null 2>&1; then
	# A writer that dies with its change in the -wal: copy the files
	# while it holds the database open, as a crash leaves them.
	mkdir "$TMPD/w"
	cp "$SRC/a.db" "$TMPD/w/a.db"
	(printf "UPDATE conversations SET title = 'Changed in the WAL';\n"
	    sleep 3) | sqlite3 "$TMPD/w/a.db" &
	i=0
	while [ ! -s "$TMPD/w/a.db-wal" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2
	cp "$TMPD/w/a.db" "$TMPD/w/a.db-wal" "$TMPD/w/a.db-shm" "$SRC/"
	wait
	check "the dead writer's -wal holds its change" test -s "$SRC/a.db-wal"
	shm=$SRC/a.db-shm
	mv "$shm" "$TMPD/shm"
	state "-wal with changes, no -shm" "Changed in the WAL"
	mv "$TMPD/shm" "$shm"
	state "-wal and -shm" "Changed in the WAL"
else
	skip "-wal with changes" "no sqlite3 shell"
fi

done_testing
