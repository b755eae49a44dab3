#!/bin/sh
# tests/test-ask-record.sh -- nothing printed by `medchat ask` is lost,
# and every failure is said (issue 19):
# - killed by INT, TERM, HUP or QUIT in the middle of an answer, or with
#   its reader gone (SIGPIPE), ask exits 128 + the signal and the
#   database holds exactly what was printed, as cancelled (INT: the
#   user's stop) or interrupted (the others), never left 'streaming';
# - with a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: a full disk)
#   at every size from "nothing fits" to "everything fits": an answer
#   that was not saved is exit status 1 with a LOST line, and a question
#   that was not saved leaves no empty conversation behind.
# - another process holding the write lock for 3 s in the middle of an
#   answer: the answer goes on being printed meanwhile (2,000 bytes in
#   2.5 s at least) (the saves wait in
#   the background), and is saved complete once the lock is released;
# - a conversation of 3,000 messages continued in a small context: every
#   message left out is counted and recorded (not 64).
# The model is the demo model; seed 14 gives a long answer.
. "$top_srcdir/tests/lib.sh"

if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "ask and signals" "no sqlite3 shell"
	done_testing
	exit $?
fi
DEMO=$TMPD/demo.gguf
DB=$TMPD/chat.db
check "demo model written" $MEDCHAT debug demo -o "$DEMO"
$MEDCHAT ask --db "$DB" --accept-advisory -m "$DEMO" -n 2 "warm up" \
    >/dev/null 2>&1
check "advisory accepted" [ $? -eq 0 ]
LONG="--seed 14 --ctx 65536 -n 100000"

# The last message's status, and its exact content into file $1 as ask
# prints it: with a final newline when it has none.
last() {
	sqlite3 "$DB" "SELECT writefile('$1', content) FROM messages
	    WHERE id = (SELECT max(id) FROM messages)" >/dev/null
	[ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ] && printf '\n' >>"$1"
	sqlite3 "$DB" "SELECT status FROM messages
	    WHERE id = (SELECT max(id) FROM messages)"
}

# Start ask on question $1 with a long answer in the background (its pid
# in $pid, its output in $TMPD/out and $TMPD/err) and wait until it has
# printed 300 bytes (10 s at most).
ask_long() {
	: >"$TMPD/out"
	$MEDCHAT ask --db "$DB" -m "$DEMO" $LONG "$1" >"$TMPD/out" \
	    2>"$TMPD/err" &
	pid=$!
	i=0
	while [ "$(wc -c <"$TMPD/out")" -lt 300 ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

for sig in INT TERM HUP QUIT; do
	ask_long "Tell me, $sig"
	kill -$sig $pid
	wait $pid
	rc=$?
	case $sig in
	HUP) want=129 ;; INT) want=130 ;; QUIT) want=131 ;; TERM) want=143 ;;
	esac
	if grep -q "stop: end of answer" "$TMPD/err"; then
		skip "$sig" "the answer ended before the signal"
		continue
	fi
	check "$sig: exit status $want" [ $rc -eq $want ]
	st=$(last "$TMPD/db")
	[ $sig = INT ] && wst=cancelled || wst=interrupted
	check "$sig: the answer is stored as $wst" [ "$st" = $wst ]
	check "$sig: the database holds exactly what was printed" \
	    cmp -s "$TMPD/out" "$TMPD/db"
done

# The reader goes away after 100 bytes.
( $MEDCHAT ask --db "$DB" -m "$DEMO" $LONG "Tell me, PIPE" 2>"$TMPD/err"
  echo $? >"$TMPD/rc" ) | head -c 100 >"$TMPD/out"
check "PIPE: exit status 141" [ "$(cat "$TMPD/rc")" -eq 141 ]
check "PIPE: the answer is stored as interrupted" \
    [ "$(last "$TMPD/db")" = interrupted ]
check "PIPE: the database holds what the reader got, and more" \
    sh -c '[ "$(wc -c <"$2")" -gt 100 ] && head -c 100 "$2" | cmp -s "$1" -' \
    _ "$TMPD/out" "$TMPD/db"

# A full disk, at every size (512-byte blocks, as sh's ulimit -f counts).
cp "$DB" "$TMPD/base.db"
blocks=$(( ($(wc -c <"$DB") + 511) / 512 ))
# One block first: not even the question fits (the conversation and its
# question are written in one transaction, so a refusal leaves neither);
# then from half the database's size up, where the answer runs out.
lim=1
n_lost=0 n_refused=0 n_ok=0 bad=
while [ $lim -lt $((blocks + 400)) ]; do
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$TMPD/base.db" "$DB"
	before=$(sqlite3 "$DB" "SELECT count(*) FROM conversations")
	sh -c "trap '' XFSZ; ulimit -f $lim; exec \"\$@\"" _ \
	    $MEDCHAT ask --db "$DB" -m "$DEMO" --seed 14 -n 400 "Full disk?" \
	    >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
	after=$(sqlite3 "$DB" "SELECT count(*) FROM conversations")
	if ! grep -q "question saved" "$TMPD/err"; then
		n_refused=$((n_refused + 1))
		[ $rc -ne 0 ] && [ "$before" = "$after" ] ||
		    bad="$bad refused-at-$lim(rc=$rc,convs=$before/$after)"
	elif grep -q "the answer was not saved" "$TMPD/err"; then
		n_lost=$((n_lost + 1))
		# (Less the newline ask ends its output with.)
		[ $rc -eq 1 ] && grep -q "LOST: the $(($(wc -c <"$TMPD/out") - 1)) byte" \
		    "$TMPD/err" && ! grep -q "nothing was lost" "$TMPD/err" ||
		    bad="$bad lost-at-$lim(rc=$rc)"
	else
		n_ok=$((n_ok + 1))
		[ $rc -eq 0 ] || bad="$bad ok-at-$lim(rc=$rc)"
	fi
	[ $n_ok -ge 2 ] && break
	if [ $lim -eq 1 ]; then
		lim=$((blocks / 2))
	else
		lim=$((lim + 8))
	fi
done
diag "full disk: $n_refused refused, $n_lost answers lost, $n_ok saved"
check "full disk: every size tried ends as it says${bad:+:$bad}" [ -z "$bad" ]
check "full disk: an answer that was not saved is said, exit status 1" \
    [ $n_lost -gt 0 ]
check "full disk: a refused question leaves no empty conversation" \
    [ $n_refused -gt 0 ]

# Another process holds the write lock in the middle of an answer.
ask_long "Locked out?"
( echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 4; echo "COMMIT;" ) |
    sqlite3 "$DB" >"$TMPD/lock" &
lpid=$!
i=0
while ! grep -q locked "$TMPD/lock" && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
a=$(wc -c <"$TMPD/out")
sleep 2.5
b=$(wc -c <"$TMPD/out")
wait $lpid
wait $pid
rc=$?
if [ $i -ge 100 ]; then
	skip "write lock" "sqlite3 did not take the lock"
else
	# (Waiting saves let through at most one flush interval, 250 ms.)
	check "write lock: the answer went on while the database was locked ($a -> $b bytes in 2.5 s)" \
	    [ "$b" -gt $((a + 2000)) ]
	check "write lock: ask exits 0" [ $rc -eq 0 ]
	st=$(last "$TMPD/db")
	check "write lock: the answer is saved complete ($st), as printed" \
	    sh -c '[ "$1" = complete ] && cmp -s "$2" "$3"' _ "$st" \
	    "$TMPD/db" "$TMPD/out"
fi

# A long conversation continued: all the messages left out are recorded.
rm -f "$DB" "$DB-wal" "$DB-shm"
$MEDCHAT ask --db "$DB" --accept-advisory -m "$DEMO" -n 2 "first" \
    >/dev/null 2>&1
sqlite3 "$DB" "BEGIN; WITH RECURSIVE r(i) AS (SELECT 3 UNION ALL
    SELECT i + 1 FROM r WHERE i < 3002) INSERT INTO messages (id, conv_id,
    parent_id, role, content, created, updated, status) SELECT i, 1, i - 1,
    CASE WHEN i % 2 = 1 THEN 'user' ELSE 'assistant' END,
    'Message ' || i || ' about blood pressure in older adults', 0, 0,
    'complete' FROM r; UPDATE conversations SET current_leaf = 3002
    WHERE id = 1; COMMIT;"
$MEDCHAT ask --db "$DB" -m "$DEMO" --seed 1 -n 1 --ctx 512 --continue 1 \
    "And now?" >/dev/null 2>"$TMPD/err"
check "long conversation: ask --continue exits 0" [ $? -eq 0 ]
n=$(sed -n 's/^\[context full: \([0-9]*\) earlier message(s) left out\]$/\1/p' \
    "$TMPD/err")
check "long conversation: thousands of messages left out, not 64 (${n:-none})" \
    [ "${n:-0}" -gt 2900 ] && [ "$n" -lt 3002 ] && [ $((n % 2)) -eq 0 ]
check "long conversation: the ids recorded as one range" \
    [ "$(sqlite3 "$DB" "SELECT dropped_json FROM messages
    WHERE id = (SELECT max(id) FROM messages)")" = "[[1,$n]]" ]
MEDCHAT_DB=$DB $MEDCHAT history show 1 >"$TMPD/show" 2>&1
check "long conversation: history show counts them all" \
    grep -q "context trimmed: $n earlier message(s) left out" "$TMPD/show"
done_testing
