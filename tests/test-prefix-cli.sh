#!/bin/sh
# test-prefix-cli.sh -- the prompt-prefix cache through `medchat ask` on
# the demo model: the first question writes the default system message's
# K/V under $XDG_CACHE_HOME/medchat/prefix (directory 0700, file 0600),
# the next one reads them, says so in its statistics line and answers
# byte for byte the same; --no-prefix-cache and medchat.conf's
# prefix-cache = off neither read nor write; a damaged file is one line
# on stderr, the answer is still the same and the file is written anew.
. "${top_srcdir:-.}/tests/lib.sh"

DEMO=$TMPD/demo.gguf
PDIR=$XDG_CACHE_HOME/medchat/prefix
check "demo model written" $MEDCHAT debug demo -o "$DEMO"

# ask_n N [OPTS]: a greedy answer of 24 tokens into $TMPD/outN, errN.
ask_n() {
	_n=$1
	shift
	HOME=$TMPD XDG_CONFIG_HOME=$TMPD/config $MEDCHAT ask -m "$DEMO" \
	    --no-save --accept-advisory --temp 0 -n 24 "$@" \
	    "What are the first signs of sepsis?" >"$TMPD/out$_n" \
	    2>"$TMPD/err$_n"
}
not() {
	! "$@"
}
nfiles() {
	find "$PDIR" -name '*.kv' 2>/dev/null | wc -l | tr -d ' '
}

ask_n 0 --no-prefix-cache
check "--no-prefix-cache: answered" [ $? -eq 0 ] && [ -s "$TMPD/out0" ]
check "--no-prefix-cache: nothing written" [ "$(nfiles)" = 0 ]
ask_n 1
check "first question: answered" [ $? -eq 0 ]
check "first question: no prefix read" \
    not grep -q "from the prefix cache" "$TMPD/err1"
check "first question: one file written" [ "$(nfiles)" = 1 ]
check "the directory is 0700" [ "$(file_mode "$PDIR")" = 700 ]
check "the file is 0600" \
    [ "$(file_mode "$(find "$PDIR" -name '*.kv')")" = 600 ]
check "the same answer as without the cache" cmp -s "$TMPD/out0" "$TMPD/out1"
ask_n 2
check "second question: read from the cache" \
    grep -q "^\[prompt [0-9]* tokens ([0-9]* from the prefix cache)" \
    "$TMPD/err2"
check "second question: the same answer, byte for byte" \
    cmp -s "$TMPD/out0" "$TMPD/out2"
ask_n 3 --no-prefix-cache
check "--no-prefix-cache: the file is not read" \
    not grep -q "from the prefix cache" "$TMPD/err3"

mkdir -p "$TMPD/config/medchat"
printf 'prefix-cache = off\n' >"$TMPD/config/medchat/medchat.conf"
ask_n 4
check "prefix-cache = off: not read" \
    not grep -q "from the prefix cache" "$TMPD/err4"
rm -f "$TMPD/config/medchat/medchat.conf"

# Damage the file: 16 bytes of its K/V overwritten.
f=$(find "$PDIR" -name '*.kv')
printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=2000 conv=notrunc 2>/dev/null
ask_n 6
check "a damaged file: answered all the same" [ $? -eq 0 ] &&
    cmp -s "$TMPD/out0" "$TMPD/out6"
check "a damaged file: one line naming it and the offset" \
    grep -q "^\[prefix cache: $f: offset [0-9]*: the digest does not match" \
    "$TMPD/err6"
ask_n 7
check "... written anew, and read by the next question" \
    grep -q "from the prefix cache" "$TMPD/err7" &&
    cmp -s "$TMPD/out0" "$TMPD/out7"

# Another system message: a file of its own.
ask_n 8 --system "You are a cautious assistant for emergency physicians. \
Name the red flags first, then what to check, and say when to call for help."
check "another system message: a second file" [ "$(nfiles)" = 2 ]
done_testing
