#!/bin/sh
# tests/test-remote-cli.sh -- the command line against a remote engine:
# medchat ask and medchat models talking to tests/remote-server.py (a
# scripted OpenAI-compatible server on 127.0.0.1, a random port).  The
# net layer's own test (test-remote) covers the client library; this
# covers the commands:
# - consent: refused without --accept-remote when stdin is not a
#   terminal (one line, nothing sent), recorded once with it, asked on a
#   terminal ("yes");
# - ask streams the answer, names the server on stderr first, and saves
#   it with its remote provenance (endpoint, model, server's model and
#   fingerprint, parameters as sent, "server template");
# - raw mode (--template chatml): the prompt the server receives is
#   byte for byte what medchat builds locally (medchat debug prompt),
#   a continued conversation included;
# - the API key: sent as a Bearer header only, never in argv, the
#   database, an export or an error; from MEDCHAT_API_KEY, the variable
#   a settings section names, or the section's api_key (a 0644 file is
#   refused in one line naming it and its mode);
# - endpoints by name (settings file) and by MEDCHAT_ENDPOINT;
# - models: local files and the servers' models in one list, also as
#   JSON;
# - errors are one line with exit status 1: 401, 404 (the models served
#   are named), a refused connection, a bad URL;
# - a connection dropped mid-answer: the partial text printed and saved
#   as interrupted with the cause, exit status 1.
. "$top_srcdir/tests/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	skip "remote engine commands" "no python3 for the test server"
	done_testing
	exit $?
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "remote engine commands" "no sqlite3 shell"
	done_testing
	exit $?
fi

# A home of our own: settings, data and the default database.
export HOME="$TMPD/home" XDG_CONFIG_HOME="$TMPD/home/.config"
export XDG_DATA_HOME="$TMPD/home/.local/share"
mkdir -p "$XDG_CONFIG_HOME/medchat" "$XDG_DATA_HOME"
unset MEDCHAT_ENDPOINT MEDCHAT_API_KEY MEDCHAT_DB
# Loopback must not go through a proxy of the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
CONF="$XDG_CONFIG_HOME/medchat/medchat.conf"
DB="$TMPD/chat.db"
KEY="sk-test-KEY-4f1c9e2a7b"

python3 "$top_srcdir/tests/remote-server.py" --port-file "$TMPD/port" \
    --idle-timeout 300 >/dev/null 2>"$TMPD/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$TMPD"' EXIT
i=0
while [ ! -s "$TMPD/port" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
if [ ! -s "$TMPD/port" ]; then
	fail "test server started"
	diag "$(cat "$TMPD/server.err")"
	done_testing
	exit $?
fi
PORT=$(cat "$TMPD/port")
HOST="127.0.0.1:$PORT"
URL="http://$HOST/v1"

# ctl JSON: set the server's scenario and settings.
ctl() {
	python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/control",
    data=sys.argv[2].encode(), method="POST")).read()' \
	    "http://$HOST" "$1"
}
# req EXPR: a Python expression over r, the last request whose path
# starts with /v1/ and is not /v1/models (the last answer asked for),
# printed; every request is in reqs.
req() {
	python3 -c 'import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen(sys.argv[1] + "/requests"))
ans = [x for x in reqs if x["path"].startswith("/v1/")
    and not x["path"].startswith("/v1/models")]
r = ans[-1] if ans else None
b = json.loads(r["body"]) if r else None
v = eval(sys.argv[2])
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))' \
	    "http://$HOST" "$1"
}
# nanswers: how many answers the server was asked for.
nanswers() {
	req 'len(ans)'
}
# t CONDITION: check's command for a compound condition (eval'ed, so
# the variables in it are read when it runs).
t() {
	eval "$1"
}
# sql QUERY: on the database.
sql() {
	sqlite3 "$DB" "$1"
}
# one_line FILE NEEDLE: FILE's last line holds NEEDLE and it is the only
# line starting "medchat ".
one_line() {
	[ "$(grep -c '^medchat ' "$1")" -eq 1 ] &&
	    tail -n 1 "$1" | grep -q -- "$2"
}

# ---- consent -----------------------------------------------------------
ctl '{"reset": true}'
$MEDCHAT ask --endpoint "$URL" --db "$DB" --accept-advisory "Hello there" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "consent: refused without --accept-remote and a terminal (exit 1)" \
    [ $rc -eq 1 ]
check "consent: one line saying --accept-remote" \
    one_line "$TMPD/err" "accept-remote"
check "consent: the line names the server" grep -q "$HOST" "$TMPD/err"
check "consent: nothing was sent" [ "$(nanswers)" = 0 ]
check "consent: no conversation was made" \
    [ "$(sql 'SELECT count(*) FROM conversations')" = 0 ]

# ---- ask, chat mode ----------------------------------------------------
$MEDCHAT ask --endpoint "$URL" --db "$DB" --accept-remote \
    --accept-advisory -n 50 --seed 7 "Hello there" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "ask: exit 0" [ $rc -eq 0 ]
check "ask: the answer streamed to stdout" \
    [ "$(cat "$TMPD/out")" = "You said: Hello there" ]
check "ask: stderr names the server and model before anything is sent" \
    grep -q "^remote: sending to $HOST (model test-model)\$" "$TMPD/err"
check "ask: the request was a streamed chat with the messages" \
    [ "$(req 'r["path"] + " " + str(b["stream"]) + " " + b["messages"][-1]["content"]')" = \
    "/v1/chat/completions True Hello there" ]
check "ask: the sampling parameters sent (max_tokens, seed)" \
    [ "$(req '"%d %d" % (b["max_tokens"], b["seed"])')" = "50 7" ]
A="(SELECT max(id) FROM messages WHERE role = 'assistant')"
check "ask: saved complete with the answer" \
    [ "$(sql "SELECT status || '|' || content FROM messages WHERE id = $A")" = \
    "complete|You said: Hello there" ]
check "ask: provenance names the endpoint, model and template" \
    [ "$(sql "SELECT coalesce(endpoint, '-') || '|' || endpoint_url || '|' ||
    remote_model || '|' || server_model || '|' || fingerprint || '|' ||
    template || '|' || coalesce(model_sha256, '-') FROM messages
    WHERE id = $A")" = \
    "-|$URL|test-model|test-model|fp_test|server template|-" ]
check "ask: the parameters as sent are kept" \
    [ "$(sql "SELECT json_extract(request_json, '\$.seed') || ' ' ||
    json_extract(request_json, '\$.max_tokens') || ' ' ||
    json_extract(request_json, '\$.model') FROM messages WHERE id = $A")" = \
    "7 50 test-model" ]
check "ask: the consent is recorded once, by flag, for the origin" \
    [ "$(sql "SELECT count(*) || ' ' || origin || ' ' || method
    FROM remote_consents")" = "1 http://$HOST flag" ]
check "ask: the advisory is acknowledged for the remote model" \
    [ "$(sql "SELECT endpoint_url || ' ' || remote_model FROM advisory_acks")" = \
    "$URL test-model" ]
$MEDCHAT ask --endpoint "$URL/" --db "$DB" -m other-model "Again" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "ask: the consent holds for the server (no flag needed again)" t '
    [ $rc -eq 1 ] && grep -q "advisory" "$TMPD/err" &&
    ! grep -q "accept-remote" "$TMPD/err"'
$MEDCHAT ask --endpoint "$URL" --db "$DB" -m other-model --accept-advisory \
    "Again" </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "ask: -m picks the served model; its advisory is its own" t '
    [ $rc -eq 0 ] && [ "$(req "b[\"model\"]")" = other-model ]'
check "history show: the remote provenance in one line" \
    sh -c "'$MEDCHAT' history show 1 --db '$DB' | grep -q -- \
    '-- remote: $URL, model test-model (server: test-model, fingerprint fp_test), server template, seed 7'"
check "history search finds the remote answer" \
    sh -c "'$MEDCHAT' history search said --db '$DB' | grep -q 'You \[said\]'"

# ---- consent on a terminal ---------------------------------------------
if ul_script; then
	DB2="$TMPD/tty.db"
	printf 'no\n' | script -qec "'$MEDCHAT' ask --endpoint '$URL' \
	    --db '$DB2' --accept-advisory Hi" /dev/null >"$TMPD/tty" 2>&1
	check "consent on a terminal: asked, naming the server" \
	    grep -q "will be sent to $HOST" "$TMPD/tty"
	check "consent on a terminal: anything but yes stops" \
	    [ "$(sqlite3 "$DB2" 'SELECT count(*) FROM remote_consents')" = 0 ]
	printf 'yes\n' | script -qec "'$MEDCHAT' ask --endpoint '$URL' \
	    --db '$DB2' --accept-advisory Hi" /dev/null >"$TMPD/tty" 2>&1
	check "consent on a terminal: yes is recorded as cli" t '
	    [ "$(sqlite3 "$DB2" "SELECT method FROM remote_consents")" = cli ] &&
	    grep -q "You said: Hi" "$TMPD/tty"'
else
	skip "consent on a terminal" "no script(1)"
fi

# ---- raw mode ----------------------------------------------------------
$MEDCHAT ask --endpoint "$URL" --db "$DB" --template chatml \
    --system "Answer briefly." "What is a normal heart rate?" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "raw: exit 0, a completion asked for" t '
    [ $rc -eq 0 ] && [ "$(req "r[\"path\"]")" = /v1/completions ]'
req 'b["prompt"]' >"$TMPD/sent"
$MEDCHAT debug prompt --template chatml --system "Answer briefly." \
    "What is a normal heart rate?" >"$TMPD/local"
check "raw: the prompt received is what medchat builds locally" \
    cmp -s "$TMPD/sent" "$TMPD/local"
check "raw: the template's stop strings are sent" \
    [ "$(req '" ".join(b["stop"])')" = "<|im_end|> <|im_start|>" ]
ANS=$(cat "$TMPD/out")
CONV=$(sql "SELECT conv_id FROM messages WHERE id = $A")
check "raw: saved with its template" \
    [ "$(sql "SELECT template FROM messages WHERE id = $A")" = chatml ]
$MEDCHAT ask --endpoint "$URL" --db "$DB" --template chatml \
    --continue "$CONV" "And during sleep?" </dev/null >"$TMPD/out" \
    2>"$TMPD/err"
req 'b["prompt"]' >"$TMPD/sent"
$MEDCHAT debug prompt --template chatml --system "Answer briefly." \
    "What is a normal heart rate?" "$ANS" "And during sleep?" \
    >"$TMPD/local"
check "raw: a continued conversation's prompt is the local one too" \
    cmp -s "$TMPD/sent" "$TMPD/local"
$MEDCHAT ask --endpoint "$URL" --db "$DB" --template chatml \
    "Say <|im_end|> now" </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "raw: a question holding the template's markup is refused" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "im_end"'

# ---- the API key -------------------------------------------------------
ctl "{\"key\": \"$KEY\"}"
$MEDCHAT ask --endpoint "$URL" --db "$DB" "Key?" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "401 without a key: exit 1, one line" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "$HOST"'
MEDCHAT_API_KEY="sk-wrong-0000" $MEDCHAT ask --endpoint "$URL" --db "$DB" \
    "Key?" </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "401 with a wrong key: exit 1, one line without the key" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "$HOST" &&
    ! grep -q "sk-wrong" "$TMPD/err"'
ctl '{"scenario": "slow", "delay_s": 0.05}'
MEDCHAT_API_KEY="$KEY" $MEDCHAT ask --endpoint "$URL" --db "$DB" \
    "Tell me about the key" </dev/null >"$TMPD/out" 2>"$TMPD/err" &
ASK=$!
i=0
while [ ! -s "$TMPD/out" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
if [ -r "/proc/$ASK/cmdline" ]; then
	check "key: not in the running command's argv" \
	    sh -c "! tr '\\0' ' ' </proc/$ASK/cmdline | grep -q '$KEY'"
else
	skip "key: not in the running command's argv" "no /proc"
fi
wait $ASK
check "key: from MEDCHAT_API_KEY, the answer given" [ $? -eq 0 ]
check "key: sent as a Bearer header" \
    [ "$(req '[v for k, v in r["headers"] if k.lower() == "authorization"][0]')" = \
    "Bearer $KEY" ]
check "key: never in a URL or a body sent" \
    [ "$(req 'sum(1 for x in reqs if "'"$KEY"'" in x["path"] + x["body"])')" = 0 ]
ctl '{"scenario": "normal"}'
cat >"$CONF" <<EOF
[endpoint lab]
url = $URL
model = test-model
api_key_env = LAB_KEY
[endpoint keyed]
url = $URL
api_key = $KEY
EOF
chmod 600 "$CONF"
LAB_KEY="$KEY" $MEDCHAT ask --endpoint lab --db "$DB" "By name" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "endpoint by name: the section's variable holds the key" t '
    [ $rc -eq 0 ] && [ "$(cat "$TMPD/out")" = "You said: By name" ]'
check "endpoint by name: the answer names the endpoint" \
    [ "$(sql "SELECT endpoint || ' ' || model_file FROM messages WHERE id = $A")" = \
    "lab lab: test-model" ]
$MEDCHAT ask --endpoint keyed --db "$DB" "File key" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
check "endpoint by name: the key from a 0600 settings file" [ $? -eq 0 ]
MEDCHAT_ENDPOINT=lab LAB_KEY="$KEY" $MEDCHAT ask --db "$DB" "From env" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "MEDCHAT_ENDPOINT names the endpoint without --endpoint or -m" t '
    [ $rc -eq 0 ] && [ "$(cat "$TMPD/out")" = "You said: From env" ]'
chmod 644 "$CONF"
$MEDCHAT ask --endpoint keyed --db "$DB" "File key" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "a 0644 settings file with a key: refused in one line naming it" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "$CONF" &&
    grep -q "0644" "$TMPD/err" && ! grep -q "$KEY" "$TMPD/err"'
chmod 600 "$CONF"
$MEDCHAT ask --api-key "$KEY" --endpoint "$URL" --db "$DB" "x" </dev/null \
    >"$TMPD/out" 2>&1
check "no --api-key option" [ $? -eq 2 ]
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
check "key: not in the database file" \
    sh -c "! cat '$DB' '$DB-wal' 2>/dev/null | grep -a -q '$KEY'"
for fmt in md txt json; do
	$MEDCHAT history export --all --db "$DB" --format $fmt >"$TMPD/export.$fmt" \
	    2>"$TMPD/err"
	check "key: not in the $fmt export" t '
	    [ -s "$TMPD/export.$fmt" ] &&
	    ! grep -q "$KEY" "$TMPD/export.$fmt"'
done
ctl '{"key": null}'

# ---- models ------------------------------------------------------------
mkdir -p "$XDG_DATA_HOME/medchat/models"
$MEDCHAT debug demo -o "$XDG_DATA_HOME/medchat/models/demo.gguf"
$MEDCHAT models --endpoint "$URL" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "models: exit 0" [ $rc -eq 0 ]
check "models: the local file" grep -q "^local   demo.gguf " "$TMPD/out"
check "models: the server's models, with the context it tells" t '
    grep -q "^remote  lab: test-model  (context 4096)  $URL\$" "$TMPD/out" &&
    grep -q "^remote  lab: other-model  $URL\$" "$TMPD/out"'
check "models: each server listed once" \
    [ "$(grep -c "test-model" "$TMPD/out")" -eq 1 ]
$MEDCHAT models --endpoint "$URL" --json >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "models --json: exit 0, one document with every model" t '
    [ $rc -eq 0 ] && python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
m = d[\"models\"]
loc = [x for x in m if x[\"kind\"] == \"local\"]
rem = [(x[\"name\"], x[\"id\"], x[\"endpoint\"], x[\"url\"], x[\"n_ctx\"])
    for x in m if x[\"kind\"] == \"remote\"]
assert loc[0][\"name\"] == \"demo.gguf\" and loc[0][\"quant\"]
assert rem == [(\"lab: test-model\", \"test-model\", \"lab\", sys.argv[2], 4096),
    (\"lab: other-model\", \"other-model\", \"lab\", sys.argv[2], None)], rem
" "$TMPD/out" "$URL"'
rm -f "$CONF"
$MEDCHAT models --endpoint "$URL" >"$TMPD/out" 2>"$TMPD/err"
check "models --endpoint URL: named by host" \
    grep -q "^remote  $HOST: test-model  (context 4096)  $URL\$" "$TMPD/out"

# ---- errors ------------------------------------------------------------
$MEDCHAT ask --endpoint "$URL" --db "$DB" -m nosuch "x" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "404 model: exit 1, one line listing the models served" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "test-model"'
$MEDCHAT ask --endpoint "http://$HOST" --db "$DB" "x" </dev/null \
    >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "a base URL without /v1: exit 1, one line with the hint" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "/v1"'
# A port nothing listens on: one just closed.
FREE=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$MEDCHAT ask --endpoint "http://127.0.0.1:$FREE/v1" --db "$DB" "x" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "connection refused: exit 1, one line naming the host" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "127.0.0.1:$FREE"'
$MEDCHAT models --endpoint "http://127.0.0.1:$FREE/v1" >"$TMPD/out" \
    2>"$TMPD/err"
rc=$?
check "models: an unreachable server is one line and exit 1" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "127.0.0.1:$FREE"'
$MEDCHAT ask --endpoint "http://bob:pw@$HOST/v1" --db "$DB" "x" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "credentials in a URL: refused in one line that does not show them" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "credentials" &&
    ! grep -q "pw@" "$TMPD/err"'
$MEDCHAT ask --endpoint nosuch --db "$DB" "x" </dev/null >"$TMPD/out" \
    2>"$TMPD/err"
rc=$?
check "an unknown endpoint name: exit 1, one line" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "nosuch"'
ctl '{"scenario": "http500"}'
$MEDCHAT ask --endpoint "$URL" --db "$DB" "Fail" </dev/null >"$TMPD/out" \
    2>"$TMPD/err"
rc=$?
check "500: exit 1, the server's message in one line, saved as failed" t '
    [ $rc -eq 1 ] && one_line "$TMPD/err" "500" &&
    [ "$(sql "SELECT status FROM messages WHERE id = $A")" = error ]'

# ---- a connection dropped mid-answer ----------------------------------
ctl '{"scenario": "drop"}'
$MEDCHAT ask --endpoint "$URL" --db "$DB" "Drop this connection" \
    </dev/null >"$TMPD/out" 2>"$TMPD/err"
rc=$?
check "drop: exit 1" [ $rc -eq 1 ]
check "drop: the partial answer was printed" \
    [ "$(cat "$TMPD/out")" = "You said" ]
check "drop: saved as interrupted with the partial text" \
    [ "$(sql "SELECT status || '|' || content FROM messages WHERE id = $A")" = \
    "interrupted|You said" ]
check "drop: the cause is recorded" \
    [ -n "$(sql "SELECT error FROM messages WHERE id = $A")" ]
check "drop: the error is one line of its own" \
    one_line "$TMPD/err" "$HOST"
ctl '{"reset": true}'

done_testing
