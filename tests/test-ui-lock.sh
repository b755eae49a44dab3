#!/bin/sh
# test-ui-lock.sh -- issue 19: another process holding the database's
# write lock when an answer ends does not freeze the keyboard (the final
# save goes on in the background), a question sent meanwhile waits for
# that save (its parent is the answer), and once the lock is released
# the answer is stored, as shown.  With a busy timeout of 1 s
# (MEDCHAT_DB_TIMEOUT_MS) the lock outlasts it: the final save is tried
# again, not reported lost; quitting says it waits for it and exits 0
# once it is saved; C-c while it waits quits at once, exit status 1,
# saying the answer was not saved.  The answer is stopped with Esc while
# the lock is held, so its end falls inside the lock for certain: the
# model must generate for longer than the lock takes to set up, so a
# synthetic TinyLlama-1.1B-shaped file is used (stories260K, whose 400
# tokens take a tenth of a second, if that cannot be written).
. "$top_srcdir/tests/ui-lib.sh"

ui_need_stories
if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "write-lock tests" "sqlite3 not installed"
	done_testing
	exit 0
fi
DB=$TMPD/lock.db
MODEL=$TMPD/synth-1b.gguf
"$MEDCHAT" debug synth --shape 1b --type q4_0 -o "$MODEL" >/dev/null 2>&1 ||
    MODEL=$STORIES

# locked: 0 while another connection holds the write lock.
locked() {
	! sqlite3 -cmd ".timeout 0" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" \
	    >/dev/null 2>&1
}
# now_ms: the clock in milliseconds.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

ui_brief_env
ui_start -m "$MODEL" --db "$DB"
ui_accept "" 60
ui_brief
ui_type "/set max-tokens 400"
ui_keys Enter
ui_type "Tell me a long story"
ui_keys Enter
ui_check "generating" "^ generating \|" 60
check "text streams in" ui_wait_answer 60

# Another process takes the write lock and keeps it for 4 s (under the
# store's 5 s busy timeout, so the writer's wait ends in a save).
# (.timeout: the answer's own partial saves may hold it a moment.)
(echo "BEGIN IMMEDIATE;"; sleep 4; echo "COMMIT;") |
    sqlite3 -cmd ".timeout 5000" "$DB" >/dev/null &
LOCKER=$!
deadline=$(( $(date +%s) + 10 ))
until locked || [ "$(date +%s)" -ge "$deadline" ]; do
	sleep 0.02
done
check "another process holds the write lock" locked
ok=no
if ui_cap | grep -q "^ generating |"; then
	ok=yes
fi
check "the answer is still running when the lock is taken" [ "$ok" = yes ]

# The answer ends while the lock is held: the screen says so at once and
# the keys echo at once.
t0=$(now_ms)
ui_keys Escape
ui_check "Esc stops the answer at once though the database is locked" \
    "^ stopped \|" 2
t1=$(now_ms)
ui_type "abc"
ui_check "keys echo while the database is locked" "^> abc" 2
t2=$(now_ms)
diag "stopped shown after $((t1 - t0)) ms, keys echoed after $((t2 - t1)) ms"
check "key echo within 1 s while the database is locked" \
    [ $((t2 - t1)) -lt 1000 ]
check "the lock was still held" locked
# A question sent now waits for the answer's save (its parent).
ui_keys C-u
ui_type "And then?"
ui_keys Enter
ui_check "a question waits for the save" \
    "waiting for the last answer to be saved" 2
# A key clears the message; the hint still says why nothing happens.
ui_type x
ui_check "the hint says the question waits" \
    "a question is sent once the last answer is saved" 2
ui_keys BSpace
wait "$LOCKER"
ui_check "sent once the lock is released" "^ generating \|" 30
ui_keys Escape
check "the second answer ends" ui_idle 60
ui_keys C-c C-c
ui_check "C-c at an empty prompt quits" "MEDCHAT-EXIT 0"

id=$("$MEDCHAT" history list --json --db "$DB" |
    grep -o '"id": *[0-9][0-9]*' | grep -o '[0-9]*$' | head -1)
json=$("$MEDCHAT" history export "$id" --format json --db "$DB" 2>&1)
n=$(printf '%s\n' "$json" | grep -c '"status": *"cancelled"')
check "both answers are stored as stopped" [ "$n" -eq 2 ]
n=$(printf '%s\n' "$json" | grep -c '"status": *"streaming"')
check "no answer is left streaming" [ "$n" -eq 0 ]
check "the second question is stored" \
    sh -c 'printf "%s\n" "$1" | grep -q "And then?"' sh "$json"
# Messages in order: question 1, answer 1, question 2 (under answer 1).
ids=$(printf '%s\n' "$json" | sed -n '/"messages"/,$p' |
    sed -n 's/^ *{* *"id": *\([0-9]*\),.*/\1/p' | tr '\n' ' ')
parents=$(printf '%s\n' "$json" |
    sed -n 's/.*"parent": *\([0-9a-z]*\),.*/\1/p' | tr '\n' ' ')
a1=$(echo $ids | cut -d' ' -f2)
p2=$(echo $parents | cut -d' ' -f3)
diag "ids: $ids; parents: $parents"
check "the waiting question was saved under the answer it waited for" \
    [ -n "$a1" -a "$a1" = "$p2" ]
# (The second answer was stopped at once: it may be empty.)
a1text=$(printf '%s\n' "$json" | awk '/"role":/ { r = $2 }
    /"content":/ && r ~ /assistant/ { print; exit }')
check "the first answer's text is stored" \
    sh -c 'printf "%s\n" "$1" | grep -q "\"content\": *\"[^\"]"' sh "$a1text"

# --- a lock held longer than the busy timeout ------------------------------
# ask_stop_locked N: ask question N for a long answer, take the write lock
# while it streams and stop it with Esc: its final save meets the lock.
ask_stop_locked() {
	ui_brief "$1: "
	ui_type "/set max-tokens 400"
	ui_keys Enter
	ui_type "Story number $1, please"
	ui_keys Enter
	ui_check "$1: generating" "^ generating \|" 60
	check "$1: text streams in" ui_wait_answer 60
	check "$1: another process holds the write lock" ui_lock "$DB"
	ok=no
	if ui_cap | grep -q "^ generating |"; then
		ok=yes
	fi
	check "$1: the answer is still running when the lock is taken" \
	    [ "$ok" = yes ]
	ui_keys Escape
	ui_check "$1: stopped at once" "^ stopped \|" 5
}
# (The chat waits six busy timeouts at most: 6 s to see it wait.)
UI_ENV="$UI_ENV MEDCHAT_DB_TIMEOUT_MS=1000"
ui_start -m "$MODEL" --db "$DB"
ask_stop_locked 3
# Two and a half busy timeouts: reported lost after the first, before
# the retries.
sleep 2.5
check "3: the save is not reported lost while the lock is held" \
    sh -c '! tmux -L "$1" capture-pane -p -t ui | grep -q "not saved"' \
    sh "$UI_SOCK"
ui_keys C-c C-c
ui_check "3: quitting says it waits for the save" \
    "quitting: the last answer is not saved yet"
check "3: the lock is still held" ui_locked "$DB"
ui_unlock
ui_check "3: exits 0 once the lock is released and the answer saved" \
    "MEDCHAT-EXIT 0" 20
n=$(sqlite3 "$DB" "SELECT count(*) FROM messages a JOIN messages q ON
    a.parent_id = q.id WHERE q.content = 'Story number 3, please' AND
    a.role = 'assistant' AND a.status = 'cancelled' AND a.content <> ''")
check "3: the stopped answer is stored, with its text" [ "$n" = 1 ]

ui_start -m "$MODEL" --db "$DB"
ask_stop_locked 4
ui_keys C-c C-c
ui_check "4: quitting says it waits for the save" \
    "quitting: the last answer is not saved yet"
ui_keys C-c
ui_check "4: C-c quits without it, exit status 1" "MEDCHAT-EXIT 1" 10
ui_check "4: saying the answer was not saved, and why" \
    "medchat: 1 answer of this session was not saved: "
ui_check "4: (the lock)" "locked by another process" 2
ui_unlock
n=$(sqlite3 "$DB" "SELECT count(*) FROM messages a JOIN messages q ON
    a.parent_id = q.id WHERE q.content = 'Story number 4, please' AND
    a.role = 'assistant' AND a.status IN ('complete', 'cancelled')")
check "4: and it is not stored as finished" [ "$n" = 0 ]

done_testing
