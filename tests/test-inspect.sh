# test-inspect.sh -- `medchat inspect` on our own fixtures (written by
# tests/gguf-mkfixture) and on every file of ../shared/models: the text
# facts, that --json is one valid JSON document agreeing with the text,
# that no file content reaches the terminal raw, and the one-line errors.
. "$top_srcdir/tests/lib.sh"

MK=$top_builddir/tests/gguf-mkfixture
FX=$TMPD/fx
mkdir -p "$FX"
if ! "$MK" "$FX"; then
	fail "gguf-mkfixture wrote the fixtures"
	done_testing
	exit 1
fi
if command -v python3 >/dev/null 2>&1; then PY=python3; else PY=; fi

# run FILE [ARGS]: stdout to $TMPD/out, stderr to $TMPD/err, status in $rc
run() {
	"$MEDCHAT" inspect "$@" >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
}
has() {		# has PATTERN: the output contains the fixed string
	grep -qF -- "$1" "$TMPD/out"
}

# --json output is valid and agrees with the text facts of the same file.
# json_check FILE: compares tensor count, parameter count, quantization,
# version and memory with what the text output printed.
json_check() {
	_f=$1
	run "$_f"
	cp "$TMPD/out" "$TMPD/text"
	run "$_f" --json
	if [ $rc -ne 0 ]; then
		fail "$(basename "$_f"): --json exits 0"
		return
	fi
	if [ -z "$PY" ]; then
		skip "$(basename "$_f"): --json agrees with text" "python3 not found"
		return
	fi
	check "$(basename "$_f"): --json is valid and agrees with the text" \
	    $PY - "$TMPD/out" "$TMPD/text" <<'EOF'
import json, re, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
t = open(sys.argv[2], encoding="utf-8").read()
def grab(pat):
    m = re.search(pat, t, re.M)
    assert m, pat
    return m.group(1)
assert int(grab(r"^GGUF version:\s+(\d+)")) == j["version"]
assert int(grab(r"^parameters:\s+\S+ \((\d+)\)")) == j["n_params"]
assert int(grab(r"^tensors \((\d+),")) == len(j["tensors"])
assert int(grab(r"^metadata \((\d+) keys")) == len(j["metadata"])
assert int(grab(r"^size:.*\((\d+) bytes\)")) == j["size"]
assert grab(r"^quantization:\s+(.*)$") in (j["quantization"], "(none)")
assert abs(float(grab(r"^bits per weight: ([\d.]+)")) - j["bits_per_weight"]) < 0.01
if j["memory"] is not None:
    assert "at context %d " % j["memory"]["n_ctx"] in t
    m = j["memory"]
    assert m["total"] == m["weights"] + m["kv_cache"] + m["buffers"]
mix = {e["type"]: e for e in j["quantization_mix"]}
for ten in j["tensors"]:
    assert ten["type"] in mix
assert sum(e["count"] for e in mix.values()) == len(j["tensors"])
for ten in j["tensors"]:
    row = re.search(r"^  " + re.escape(ten["name"]) + r"\s+(\S+)\s+([\d x]+?)\s+(\d+)\s+(\d+)$", t, re.M)
    if row is None and re.fullmatch(r"[\x20-\x7e]+", ten["name"]):
        raise AssertionError("no text row for " + ten["name"])
    if row:
        assert row.group(1) == ten["type"]
        assert [int(x) for x in row.group(2).split(" x ")] == ten["shape"]
        assert int(row.group(3)) == ten["offset"] and int(row.group(4)) == ten["bytes"]
EOF
}

# indep_check FILE: a second, independent GGUF reader (Python, below)
# must find the same version, metadata values, tensor names, types,
# shapes and offsets as `medchat inspect --json`.
indep_check() {
	"$MEDCHAT" inspect --json "$1" >"$TMPD/indep.json" 2>/dev/null
	if [ -z "$PY" ]; then
		skip "$(basename "$1"): independent reader agrees" "python3 not found"
		return
	fi
	check "$(basename "$1"): an independent reader agrees on every key and tensor" \
	    $PY - "$1" "$TMPD/indep.json" <<'EOF'
import json, math, struct, sys
b = open(sys.argv[1], "rb").read()
j = json.load(open(sys.argv[2], encoding="utf-8"))
pos = 0
def rd(fmt):
    global pos
    v = struct.unpack_from("<" + fmt, b, pos)
    pos += struct.calcsize("<" + fmt)
    return v[0]
def rstr():
    global pos
    n = rd("Q"); s = b[pos:pos + n]; pos += n
    return s
FMT = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
       10: "Q", 11: "q", 12: "d"}
NAMES = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
         "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"]
TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1",
         8: "Q8_0", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K",
         14: "Q6_K", 30: "BF16"}
def val(t):
    if t == 8:
        return rstr()
    return rd(FMT[t])
def same(t, raw, js):
    if t == 8:
        try:
            return raw.decode("utf-8") == js
        except UnicodeDecodeError:
            return "\ufffd" in js
    if t in (6, 12):
        if math.isnan(raw) or math.isinf(raw):
            return js is None
        if t == 6:
            return struct.pack("<f", js) == struct.pack("<f", raw)
        return js == raw
    return js == raw
assert b[:4] == b"GGUF"
pos = 4
ver = rd("I"); nt = rd("Q"); nkv = rd("Q")
assert j["version"] == ver and len(j["metadata"]) == nkv, "counts"
for i in range(nkv):
    key = rstr().decode("utf-8"); t = rd("I")
    m = j["metadata"][i]
    assert m["key"] == key and m["type"] == NAMES[t], key
    if t == 9:
        et = rd("I"); n = rd("Q")
        assert m["element_type"] == NAMES[et] and m["count"] == n, key
        for k in range(n):
            v = val(et)
            if k < len(m["first"]):
                assert same(et, v, m["first"][k]), (key, k)
        assert len(m["first"]) == min(n, 8), key
    else:
        assert same(t, val(t), m["value"]), key
align = 32
for m in j["metadata"]:
    if m["key"] == "general.alignment":
        align = m["value"]
assert len(j["tensors"]) == nt, "tensor count"
for i in range(nt):
    name = rstr().decode("utf-8"); nd = rd("I")
    ne = [rd("Q") for _ in range(nd)]; t = rd("I"); off = rd("Q")
    tj = j["tensors"][i]
    assert tj["name"] == name and tj["shape"] == ne, name
    assert tj["type"] == TYPES[t] and tj["offset"] == off, name
start = (pos + align - 1) // align * align
assert j["data_offset"] == start, "data offset"
EOF
}

# ---- our fixtures ----------------------------------------------------
run "$FX/tiny-kmix.gguf"
check "tiny-kmix: exit 0" test $rc -eq 0
check "tiny-kmix: version and architecture" \
    sh -c 'grep -q "^GGUF version:   3$" "$1" && grep -q "^architecture:   llama$" "$1"' _ "$TMPD/out"
check "tiny-kmix: file type absent, guessed from the tensor mix" \
    has "file type:      (not recorded; tensors suggest Q4_K)"
check "tiny-kmix: quantization mix lists F32, Q4_K, Q6_K, Q8_0" \
    sh -c 'for t in F32 Q4_K Q6_K Q8_0; do grep -q "^  $t " "$1" || exit 1; done' _ "$TMPD/out"
check "tiny-kmix: 12 tensors" has "tensors (12, data at offset"
check "tiny-kmix: tensor row with shape and size" \
    grep -qE '^  blk\.0\.ffn_down\.weight +Q6_K +512 x 256 +[0-9]+ +107520$' "$TMPD/out"
check "tiny-kmix: dimensions" \
    has "dimensions:     1 layers, n_embd 256, n_ff 512, 4 heads (2 KV), vocabulary 16"
check "tiny-kmix: long token array summarized" \
    grep -qE '^  tokenizer\.ggml\.tokens +STRING\[16\] \["<unk>", "<s>", .*, \.\.\. 8 more\]$' "$TMPD/out"
check "tiny-kmix: chat template newlines escaped" \
    grep -qF "'\\n' + m['content']" "$TMPD/out"
check "tiny-kmix: memory needed at the context length" \
    grep -qE '^memory needed:  .* at context 256 \(weights .* \+ f16 KV cache 128\.00 KiB \+ buffers ' "$TMPD/out"
json_check "$FX/tiny-kmix.gguf"
indep_check "$FX/tiny-kmix.gguf"

run "$FX/nasty-strings.gguf"
check "nasty-strings: exit 0" test $rc -eq 0
check "nasty-strings: no raw control bytes in text output" \
    sh -c '! LC_ALL=C grep -q "[[:cntrl:]]" "$1" ||
        [ "$(LC_ALL=C tr -d "\n" <"$1" | LC_ALL=C grep -c "[[:cntrl:]]")" -eq 0 ]' _ "$TMPD/out"
check "nasty-strings: escape sequences shown escaped" \
    sh -c 'grep -qF "evil.\\x1b[31mred" "$1" && grep -qF "evil\\x1b[0m.weight" "$1"' _ "$TMPD/out"
check "nasty-strings: invalid UTF-8 shown as \\x escapes" \
    has '"\xff\xfe\xc0\xaf"'
check "nasty-strings: bidi override escaped" has '\xe2\x80\xae'
check "nasty-strings: valid UTF-8 kept" has "café.weight"
check "nasty-strings: NaN and infinities" \
    sh -c 'grep -qE "^  t\.nan +FLOAT32 +nan$" "$1" && grep -qE "^  t\.ninf +FLOAT32 +-inf$" "$1"' _ "$TMPD/out"
check "nasty-strings: 64-bit extremes" \
    sh -c 'grep -qF "[-9223372036854775808, 9223372036854775807]" "$1" && grep -qE "^  t\.big +UINT64 +18446744073709551615$" "$1"' _ "$TMPD/out"
check "nasty-strings: long string truncated with its length" \
    has '..." (1000 bytes)'
check "nasty-strings: empty array" grep -qE '^  t\.empty +INT32\[0\] \[\]$' "$TMPD/out"
check "nasty-strings: output is valid UTF-8" \
    sh -c 'iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1' _ "$TMPD/out"
run "$FX/nasty-strings.gguf" --json
check "nasty-strings --json: no raw control bytes" \
    sh -c '[ "$(LC_ALL=C tr -d "\n" <"$1" | LC_ALL=C grep -c "[[:cntrl:]]")" -eq 0 ]' _ "$TMPD/out"
if [ -n "$PY" ]; then
	check "nasty-strings --json: values decode to the originals" \
	    $PY - "$TMPD/out" <<'EOF'
import json, math, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
md = {m["key"]: m for m in j["metadata"]}
assert "evil.\x1b[31mred" in md
assert md["general.name"]["value"] == 'evil\x1b]0;title\x07\nname\r"q"\\'
assert md["evil.invalid"]["value"] == "\ufffd" * 4
assert md["t.nan"]["value"] is None
assert md["t.u64"]["first"] == [0, 18446744073709551615]
assert md["t.i64"]["first"] == [-9223372036854775808, 9223372036854775807]
assert md["t.f32"]["first"][:2] == [1.5, -0.0] and md["t.f32"]["first"][2:] == [None, None]
assert md["t.f64"]["first"] == [0.1, -1e300, 3.141592653589793]
assert md["t.many"]["count"] == 100 and md["t.many"]["first"] == [i * i for i in range(8)]
assert md["t.bool"]["first"] == [True, False]
assert md["evil.long"]["value"] == "x" * 1000
assert j["tensors"][0]["name"] == "evil\x1b[0m.weight"
assert j["file_type"] is None
EOF
else
	skip "nasty-strings --json: values decode to the originals" "python3 not found"
fi
json_check "$FX/nasty-strings.gguf"
indep_check "$FX/nasty-strings.gguf"

run "$FX/v2-align64.gguf"
check "v2-align64: version 2, alignment 64, ALL_F32" \
    sh -c 'grep -q "^GGUF version:   2$" "$1" && grep -qF "alignment 64" "$1" && grep -q "^file type:      ALL_F32 (0)$" "$1"' _ "$TMPD/out"
json_check "$FX/v2-align64.gguf"
indep_check "$FX/v2-align64.gguf"
run "$FX/vocab-only.gguf"
check "vocab-only: no tensors, no memory estimate" \
    sh -c 'grep -qF "tensors (0," "$1" && grep -qF "(no tensors)" "$1"' _ "$TMPD/out"
json_check "$FX/vocab-only.gguf"

# ---- errors: one line on stderr, "medchat: " first, exit 1 -------------
err_case() {	# err_case FILE PATTERN
	run "$1"
	if [ $rc -eq 1 ] && [ ! -s "$TMPD/out" ] &&
	    [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	    grep -q "^medchat: " "$TMPD/err" && grep -qF -- "$2" "$TMPD/err"; then
		ok "error: $(basename "$1"): $(cat "$TMPD/err")"
	else
		fail "error: $(basename "$1") (rc $rc): $(cat "$TMPD/err")"
	fi
}
err_case "$FX/truncated.gguf" "past end of file"
err_case "$FX/bad-magic.gguf" "bad-magic.gguf: header: not a GGUF file (magic 'GGML', expected 'GGUF') at offset 0"
err_case "$FX/v1.gguf" "v1.gguf: header: GGUF v1 is not supported (obsolete format)"
err_case "$FX/legacy-q8_0.gguf" "tensor 'blk.0.ffn_down.weight': row length 172 is not a multiple of the Q8_0 block size 32"
err_case "$TMPD/no-such-file.gguf" "no-such-file.gguf: No such file or directory"
err_case "$TMPD" "is a directory"
"$MEDCHAT" inspect >/dev/null 2>"$TMPD/err"
check "no file argument: usage, exit 2" \
    sh -c '[ $1 -eq 2 ] && grep -q "^usage: medchat inspect FILE \[--json\]$" "$2"' _ $? "$TMPD/err"
"$MEDCHAT" inspect --bogus "$FX/v1.gguf" >/dev/null 2>"$TMPD/err"
check "unknown option: exit 2" test $? -eq 2

# ---- the shared models ------------------------------------------------
if [ -z "$SHARED" ]; then
	skip "shared models" "skipped: shared models not found"
	done_testing
	exit $?
fi
M=$SHARED/models
for f in "$M"/real/*.gguf "$M"/synthetic/*.gguf "$M"/vocab/*.gguf; do
	b=$(basename "$f")
	case $b in
	stories260K-gguf-v1.gguf)
		err_case "$f" "header: GGUF v1 is not supported (obsolete format)"
		continue ;;
	stories260K-legacy-q8_0.gguf)
		err_case "$f" "row length 172 is not a multiple of the Q8_0 block size 32"
		continue ;;
	esac
	run "$f"
	check "$b: exit 0" test $rc -eq 0
	json_check "$f"
	indep_check "$f"
done

# llama.cpp's own reader (gguf-py, which wrote golden/dequant.txt) lists
# every tensor of these models with its type and shape: ours must agree.
G=$SHARED/golden/dequant.txt
if [ -f "$G" ] && [ -n "$PY" ]; then
	for f in $(sed -n 's/^model //p' "$G"); do
		p=$M/synthetic/$f
		[ -f "$p" ] || p=$M/real/$f
		"$MEDCHAT" inspect --json "$p" >"$TMPD/g.json" 2>/dev/null
		check "$f: tensor names, types and shapes agree with llama.cpp's gguf-py" \
		    $PY - "$G" "$f" "$TMPD/g.json" <<'EOF'
import json, sys
want, cur = [], None
for line in open(sys.argv[1]):
    w = line.split()
    if not w:
        continue
    if w[0] == "model":
        cur = w[1]
    elif w[0] == "tensor" and cur == sys.argv[2]:
        want.append((w[1], w[2], [int(x) for x in w[3].split("x")]))
j = json.load(open(sys.argv[3], encoding="utf-8"))
have = [(t["name"], t["type"], t["shape"]) for t in j["tensors"]]
assert len(want) > 0 and sorted(want) == sorted(have), (want, have)
EOF
	done
else
	skip "tensors agree with llama.cpp's gguf-py" "golden/dequant.txt or python3 not found"
fi

run "$M/real/stories260K.gguf"
check "stories260K: v3 llama, F32, 48 tensors" \
    sh -c 'grep -q "^GGUF version:   3$" "$1" && grep -q "^quantization:   F32$" "$1" && grep -qF "tensors (48," "$1"' _ "$TMPD/out"
check "stories260K: 5 layers, dim 64, ffn 172, GQA 8/4, vocab 512" \
    has "dimensions:     5 layers, n_embd 64, n_ff 172, 8 heads (4 KV), vocabulary 512"
check "stories260K: ffn_down shape [172, 64]" \
    grep -qE '^  blk\.0\.ffn_down\.weight +F32 +172 x 64 ' "$TMPD/out"
check "stories260K: about 260K parameters at 32 bits" \
    sh -c 'grep -qE "^parameters:     2[0-9][0-9]\.[0-9]K " "$1" && grep -q "^bits per weight: 32.00$" "$1"' _ "$TMPD/out"
run "$M/synthetic/kzoo-q3_k_m.gguf"
check "kzoo-q3_k_m: MOSTLY_Q3_K_M with Q3_K, Q4_K, Q5_K and Q6_K tensors" \
    sh -c 'grep -q "^file type:      MOSTLY_Q3_K_M (12)$" "$1" && for t in Q3_K Q4_K Q5_K Q6_K; do grep -q "^  $t " "$1" || exit 1; done' _ "$TMPD/out"
check "kzoo-q3_k_m: 2 layers, dim 256, ffn 768, heads 8/4, vocab 514" \
    has "dimensions:     2 layers, n_embd 256, n_ff 768, 8 heads (4 KV), vocabulary 514"
run "$M/synthetic/chatml-llama2vocab-q4_k_m.gguf"
check "chatml-llama2vocab: Q4_K_M, 32002 tokens" \
    sh -c 'grep -q "^quantization:   Q4_K_M$" "$1" && grep -qE "^  tokenizer\.ggml\.tokens +STRING\[32002\] " "$1"' _ "$TMPD/out"
run "$M/real/tinyllama-v0-q4_0.gguf"
check "tinyllama-v0: Q4_0, 8 layers, dim 64" \
    sh -c 'grep -q "^  Q4_0 " "$1" && grep -qF "dimensions:     8 layers, n_embd 64," "$1"' _ "$TMPD/out"
run "$M/real/llama-2-tiny-random.gguf"
check "llama-2-tiny-random: F16, 1 layer, dim 8, vocab 32000" \
    sh -c 'grep -q "^  F16 " "$1" && grep -qF "dimensions:     1 layers, n_embd 8," "$1" && grep -qF "vocabulary 32000" "$1"' _ "$TMPD/out"
done_testing
