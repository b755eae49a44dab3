#!/bin/sh
# test-ui-remote.sh -- the chat with remote models, against the scripted
# server tests/remote-server.py (started here on random ports of
# 127.0.0.1, stopped at the end): consent before the first connection to
# each server (nothing is asked of it before "yes"), recorded once per
# server; the status bar names the server and model; answers stream;
# Esc stops one quickly; a dropped connection leaves an interrupted
# answer with its cause, on the screen and in the database; 401 and 404
# are one line; the history browser shows the remote conversation and
# its provenance; the model menu lists the servers' models and an
# unreachable server as one row; a declined advisory goes back to the
# remote model before; a server that does not answer leaves the
# keyboard working; 20x6 still says "remote".
. "$top_srcdir/tests/ui-lib.sh"

ui_server
S1=$SRV_URL
S1_PORT=$SRV_PORT
DB=$TMPD/remote.db
DOWN_PORT=$(ui_free_port)
mkdir -p "$UI_HOME/config/medchat"
cat > "$UI_HOME/config/medchat/medchat.conf" <<EOF
[endpoint lab]
url = $S1

[endpoint down]
url = http://127.0.0.1:$DOWN_PORT/v1
EOF
# The requests the server got so far, one "METHOD PATH" a line.
srv_paths() {
	ui_srv /requests | python3 -c 'import json, sys
for r in json.load(sys.stdin):
    print(r["method"], r["path"])'
}
# ms_since T0: milliseconds since T0 (date +%s%N).
ms_since() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}
# The selected rows of a list screen (reverse video).
ESC=$(printf '\033')
ui_cap_sel() {
	ui_tmux capture-pane -p -e -t ui | grep -- "${ESC}\[7m"
}
# latest conversation's JSON export
export_json() {
	_id=$("$MEDCHAT" history list --json --db "$DB" |
	    grep -o '"id": *[0-9][0-9]*' | grep -o '[0-9]*$' | head -1)
	"$MEDCHAT" history export "$_id" --format json --db "$DB" 2>&1
}

# --- start on a named endpoint: consent first, then the advisory -------------
ui_start --db "$DB" --endpoint lab
ui_check "start: the consent screen names the server" \
    "^ Send conversations to 127\.0\.0\.1:$S1_PORT\?"
ui_check "start: it says where the text goes" "everything you send"
check "start: nothing was asked of the server before consent" \
    [ -z "$(srv_paths)" ]
ui_type "no"
ui_keys Enter
ui_check "start: only \"yes\" agrees" "type yes \(then Enter\), or Esc"
ui_consent "start: "
ui_accept "start: "
ui_check "start: the status bar says remote, server, model, template, ctx" \
    "^ ready \| remote lab \| test-model \| server template \| ctx 0/[0-9]+ "
check "start: the server was asked for its models after consent" \
    sh -c 'printf "%s\n" "$1" | grep -q "^GET /v1/models"' _ "$(srv_paths)"
hist=$("$MEDCHAT" advisory --history --db "$DB" 2>&1)
case $hist in
*"via tui: agreed to send conversations to http://127.0.0.1:$S1_PORT"*)
	ok "start: the consent is recorded (method tui)" ;;
*)
	fail "start: the consent is recorded (method tui)"
	printf '%s\n' "$hist" | sed 's/^/#   /' ;;
esac

# --- streaming, and Esc stops it -------------------------------------------
ui_srv /control '{"scenario": "slow", "delay_s": 0.05, "piece": 2}' >/dev/null
ui_type "hello remote"
ui_keys Enter
ui_check "stream: generating" "^ generating \| remote lab \| test-model"
ui_check "stream: the answer's header names the server's model" \
    "^Assistant \(remote lab: test-model\) \.\.\.$"
check "stream: text arrives while the answer is still being written" \
    ui_wait_answer
check "stream: still generating with text on the screen" \
    ui_wait "^ generating \|" 5
t0=$(date +%s%N)
ui_keys Escape
if ui_wait "^ stopped \| remote lab" 20; then
	remote_ms=$(ms_since "$t0")
	ok "stream: Esc stops the remote answer"
else
	remote_ms=99999
	fail "stream: Esc stops the remote answer"
fi
ui_check "stream: the stopped answer is marked" \
    "^Assistant \(remote lab: test-model\) \[stopped\]"
check "stream: the partial answer is kept" ui_answer_text

# --- a dropped connection --------------------------------------------------
ui_srv /control '{"reset": true, "scenario": "drop"}' >/dev/null
ui_type "drop me"
ui_keys Enter
ui_check "drop: the partial answer is marked interrupted" \
    "^Assistant \(remote lab: test-model\) \[interrupted\]"
ui_check "drop: its cause is one line under it" \
    "^  interrupted: .*127\.0\.0\.1:$S1_PORT"
ui_check "drop: ready again" "^ ready \| remote lab"
ui_check "drop: the partial text is on the screen" "^  You said"
# The answer's final save runs on the writer thread: wait for it.
n=0
until export_json | grep -q '"status": *"interrupted"' || [ $n -ge 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
json=$(export_json)
if ! printf '%s\n' "$json" | grep -q '"status": *"interrupted"'; then
	diag "history list said:"
	"$MEDCHAT" history list --json --db "$DB" 2>&1 | sed 's/^/#   /' | head
	sqlite3 "$DB" 'select id, title, archived from conversations; select id, conv_id, role, status from messages;' 2>&1 | sed 's/^/#   /' | head -20
	diag "the export was:"
	printf '%s\n' "$json" | sed 's/^/#   /' | head -60
fi
check "drop: stored as interrupted" \
    sh -c 'printf "%s\n" "$1" | grep -q "\"status\": *\"interrupted\""' _ "$json"
check "drop: the partial text is stored" \
    sh -c 'printf "%s\n" "$1" | grep -q "You said"' _ "$json"

# --- errors: 401, 404 ------------------------------------------------------
ui_srv /control '{"reset": true, "key": "sekrit-key"}' >/dev/null
ui_type "need a key"
ui_keys Enter
ui_check "401: one line under the failed answer" \
    "^  error: .*(API key|HTTP 401)"
ui_check "401: the answer is marked failed" \
    "^Assistant \(remote lab: test-model\) \[failed\]"
no_key_shown() {
	! ui_cap | grep -q sekrit
}
check "401: the key is never shown" no_key_shown
ui_srv /control '{"reset": true, "scenario": "http404"}' >/dev/null
ui_type "not served"
ui_keys Enter
ui_check "404: one line under the failed answer" "^  error: .*(404|does not exist)"
ui_srv /control '{"reset": true}' >/dev/null
ui_type "all good"
ui_keys Enter
ui_check "after errors: a whole answer" "^  You said: all good$"
ui_idle

# --- the history browser: the conversation with its provenance ---------------
ui_keys F4
ui_check "history: the conversation names the remote model" \
    "remote lab: test-model"
ui_keys Enter
ui_check "history: the read-only view names the server" \
    "^Assistant \(remote lab: test-model at http://127\.0\.0\.1:$S1_PORT/v1\)"
ui_check "history: the interrupted answer and its cause are kept" \
    "^  interrupted: .*127\.0\.0\.1:$S1_PORT"
ui_keys q
ui_keys q
ui_check "history: back in the chat" "^ ready \| remote lab"

# --- a narrow terminal still says remote ------------------------------------
ui_tmux resize-window -t ui -x 20 -y 6
ui_check "20x6: too small, but says remote" "^remote lab"
ui_tmux resize-window -t ui -x 100 -y 30
ui_check "100x30: the status bar again" "^ ready \| remote lab \| test-model"
ui_keys C-c C-c C-c
ui_check "start: quits" "MEDCHAT-EXIT 0"

# --- once per server: no consent the second time; another server asks -------
ui_server
S2=$SRV_URL
S2_PORT=$SRV_PORT
SRV_PORT=$S1_PORT
ui_start --db "$DB" --endpoint "$S1"
ui_check "again: straight to the model, no consent, no advisory" \
    "^ ready \| remote lab \| test-model"
check "again: no consent screen" ui_gone "^ Send conversations to" 1
ui_type "/model $S2"
ui_keys Enter
ui_check "second server: asks" \
    "^ Send conversations to 127\.0\.0\.1:$S2_PORT\?"
ui_keys Escape
ui_check "second server: declined, the model stays" \
    "not connected to 127\.0\.0\.1:$S2_PORT: no conversation was sent; still using"
ui_check "second server: still the first server's model" \
    "^ ready \| remote lab \| test-model"
SRV_PORT=$S2_PORT
check "second server: heard nothing" [ -z "$(srv_paths)" ]
ui_type "/model $S2 other-model"
ui_keys Enter
ui_consent "second server: "
ui_check "second server: its model's advisory" "Model-risk advisory"
ui_keys Escape
ui_check "second server: a declined advisory goes back to the model before" \
    "Advisory declined for 127\.0\.0\.1:$S2_PORT: other-model: going back to lab: test-model"
ui_check "second server: the model before again" \
    "^ ready \| remote lab \| test-model"
SRV_PORT=$S1_PORT
hist=$("$MEDCHAT" advisory --history --db "$DB" 2>&1)
n1=$(printf '%s\n' "$hist" | grep -c "agreed to send conversations to http://127.0.0.1:$S1_PORT")
n2=$(printf '%s\n' "$hist" | grep -c "agreed to send conversations to http://127.0.0.1:$S2_PORT")
check "consent: recorded once per server ($n1, $n2)" [ "$n1" -eq 1 -a "$n2" -eq 1 ]

# --- the model menu: servers' models beside the files, one unreachable -------
ui_keys F3
ui_check "menu: the server's models" "^\* lab: test-model +remote +ctx [0-9]+"
ui_check "menu: its other model" "^  lab: other-model +remote"
ui_check "menu: an unreachable server is one row" \
    "^  down: not available: .*connection refused"
ui_check "menu: every server answered" \
    "^ Models -- memory available [^ ]+, context of each model *$"
ui_keys End Up
ui_check "menu: the demo row is still last" "create the demo model"
# Select lab: other-model (the row after the current one) and load it.
ui_keys Home
n=0
until ui_cap_sel | grep -q "lab: other-model"; do
	ui_keys Down
	n=$((n + 1))
	[ $n -gt 40 ] && break
done
ui_keys Enter
ui_check "menu: a served model loads (the advisory of that model)" \
    "Model-risk advisory"
ui_accept "menu: "
ui_check "menu: switched" "^ ready \| remote lab \| other-model"
ui_keys C-c C-c C-c
ui_check "menu: quits" "MEDCHAT-EXIT 0"

# --- -m picks the served model; MEDCHAT_ENDPOINT is the default server ---------
ui_start --db "$DB" --endpoint "$S1" -m other-model
ui_check "-m: the server's other model" "^ ready \| remote lab \| other-model"
ui_keys C-c C-c C-c
ui_check "-m: quits" "MEDCHAT-EXIT 0"
UI_ENV="MEDCHAT_ENDPOINT='$S1'"
ui_start --db "$DB"
UI_ENV=
ui_check "MEDCHAT_ENDPOINT: the server's first model" \
    "^ ready \| remote lab \| test-model"
ui_keys C-c C-c C-c
ui_check "MEDCHAT_ENDPOINT: quits" "MEDCHAT-EXIT 0"

# --- consent declined at the start: no model, the menu ----------------------
DB2=$TMPD/declined.db
ui_srv /requests/clear '{}' >/dev/null
ui_start --db "$DB2" --endpoint lab
ui_check "declined: asked" "^ Send conversations to 127\.0\.0\.1:$S1_PORT\?"
ui_keys Escape
ui_check "declined: the model menu opens" "Models -- memory available"
ui_check "declined: says nothing was sent" \
    "not connected to 127\.0\.0\.1:$S1_PORT: no conversation was sent; pick a model"
ui_keys q
ui_check "declined: no model" "^ no model"
ui_keys C-c C-c C-c
ui_check "declined: quits" "MEDCHAT-EXIT 0"
check "declined: no question reached the server" \
    sh -c '! printf "%s\n" "$1" | grep -q "^POST"' _ "$(srv_paths)"
hist=$("$MEDCHAT" advisory --history --db "$DB2" 2>&1)
check "declined: no consent recorded" \
    sh -c '! printf "%s\n" "$1" | grep -q "agreed to send"' _ "$hist"

# --- a server that never answers: the keyboard works, then one line -------------
HANG_PORT_FILE=$TMPD/hang.port
python3 - "$HANG_PORT_FILE" <<'EOF' &
# A listener whose queue is full: connecting to it waits for the
# client's connect timeout.  Exits when its parent (the test) does.
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = []
for i in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    fill.append(c)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
parent = os.getppid()
for i in range(1200):
    if os.getppid() != parent:
        break
    time.sleep(0.1)
EOF
UI_PIDS="$UI_PIDS $!"
n=0
until [ -s "$HANG_PORT_FILE" ] || [ $n -gt 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
HANG_PORT=$(cat "$HANG_PORT_FILE")
ui_start --db "$DB" --endpoint "http://127.0.0.1:$HANG_PORT/v1"
ui_consent "no answer: "
ui_check "no answer: the status bar says connecting" \
    "^ connecting to 127\.0\.0\.1:$HANG_PORT\.\.\."
ui_type "/help"
ui_keys Enter
ui_check "no answer: the keyboard works meanwhile" "^Text starting with // is sent"
ui_check "no answer: still connecting" "^ connecting to 127\.0\.0\.1:$HANG_PORT"
ui_check "no answer: then one line in the transcript" \
    "^Could not open 127\.0\.0\.1:$HANG_PORT: .*127\.0\.0\.1:$HANG_PORT" 60
ui_check "no answer: no model" "^ no model"
ui_keys C-c C-c C-c
ui_check "no answer: quits" "MEDCHAT-EXIT 0"
# Esc gives up connecting at once, and quitting does not wait for the
# connect timeout (the worker's cancel reaches the connection).
ui_start --db "$DB" --endpoint "http://127.0.0.1:$HANG_PORT/v1"
ui_check "no answer, again: connecting (consent already given)" \
    "^ connecting to 127\.0\.0\.1:$HANG_PORT"
ui_keys Escape
ui_check "no answer: Esc gives up connecting at once" \
    "^Could not open 127\.0\.0\.1:$HANG_PORT: .*cancelled" 3
ui_check "no answer: after Esc, no model" "^ no model"
ui_keys C-c C-c C-c
ui_check "no answer: quits after Esc" "MEDCHAT-EXIT 0"
ui_start --db "$DB" --endpoint "http://127.0.0.1:$HANG_PORT/v1"
ui_check "no answer, third start: connecting" \
    "^ connecting to 127\.0\.0\.1:$HANG_PORT"
ui_keys C-c C-c C-c
ui_check "no answer: C-c C-c while connecting quits at once" \
    "MEDCHAT-EXIT 0" 3

# Cancel latency, reported; the bound is generous so that a loaded machine
# does not fail it, and still fails a cancel that waits for the stream.
diag "remote Esc to 'stopped' on the screen: $remote_ms ms (bound 500 ms)"
check "Esc stops a remote answer within 500 ms ($remote_ms ms)" \
    [ "$remote_ms" -lt 500 ]
done_testing
