#!/usr/bin/env python3
"""remote-server.py -- a scripted OpenAI-compatible inference server for
medchat's tests (src/net, the remote engine).  Python 3 standard library
only.  Nothing here is a model: answers are derived from the request so
that tests can check them.

Usage:
    python3 tests/remote-server.py [--port-file FILE] [--idle-timeout S]
        [--scenario NAME] [--log FILE] [--tls-cert FILE --tls-key FILE]

With --tls-cert and --tls-key it speaks HTTPS (the handshake runs in
each request's thread, so a client that never finishes it blocks only
itself).

It listens on 127.0.0.1 on a random free port, prints the port on stdout
(one line, flushed) and, with --port-file, writes it to FILE (written
whole, then renamed into place).  It exits
  - when its parent process dies (checked five times a second),
  - on GET or POST /quit,
  - after --idle-timeout seconds (default 120) without a request.
so that a test which crashes leaves nothing behind.

Endpoints (llama-server's, vLLM's and OpenAI's shapes):
    GET  /v1/models            the configured models ({"object": "list",
                               "data": [{"id", "object", "owned_by",
                               "max_model_len"?}]})
    GET  /health               {"status": "ok"}          (llama-server)
    GET  /props                {"default_generation_settings":
                               {"n_ctx": N}, ...}         (llama-server)
    POST /tokenize             {"tokens": [...]}: one token per 2 bytes
                               of "content" (llama-server)
    POST /apply-template       {"prompt": "ROLE: CONTENT\n" per message}
                               (llama-server)
    POST /v1/chat/completions  answer the messages
    POST /v1/completions       answer the prompt
Only the /v1 paths serve the OpenAI API (as vLLM does), so a base URL
without /v1 gets 404 {"detail": "Not Found"}.

Control (not recorded):
    POST /control {...}        set any of the settings below; "reset":
                               true first restores the defaults and
                               clears the request log
    GET  /requests             the requests received so far, a JSON list
                               of {"method", "path" (with any query
                               string), "headers": [[name, value], ...],
                               "body"} (body decoded as UTF-8, invalid
                               bytes replaced)
    POST /requests/clear       forget them
    GET|POST /quit             exit
With --log FILE every request is also appended to FILE as one JSON line.

Settings (POST /control; defaults in DEFAULTS below):
    scenario       how answers are streamed, see SCENARIOS
    models         [{"id": ..., "owned_by": ..., "max_model_len": N}]
    props_n_ctx    /props's n_ctx; null: /props and /health are 404 (a
                   server that is not llama-server)
    tokenize       false: /tokenize and /apply-template are 404
    key            when set, every API request without
                   "Authorization: Bearer KEY" gets 401
    reply          the answer text; null: derived from the request:
                   chat "You said: " + the last message's content,
                   completions "Prompt of N bytes." (N = UTF-8 bytes)
    piece          characters of answer text per event (default 4)
    stall_s        seconds the "stall" scenario waits (default 3)
    slow_s         seconds the "slow_first" scenario waits (default 2)
    delay_s        seconds between events in "slow" (default 0.05)
    byte_delay_s   seconds between the one-byte writes of "bytes"
    redirect_to    Location of the "redirect" scenario's 307
    model_override the "model" field the answer reports (default: the
                   request's)

SCENARIOS (POST /control {"scenario": NAME}, or --scenario NAME; the
request's model id "scenario:NAME" also selects NAME for that request
and is accepted whatever the model list):
    normal         events of `piece` characters, one write each, then a
                   chunk with finish_reason "stop", usage when the
                   request asked for it (stream_options.include_usage,
                   a chunk with empty choices, as OpenAI and vLLM do),
                   and "data: [DONE]"
    bytes          the same body written one byte per write (each its
                   own HTTP chunk, flushed, TCP_NODELAY)
    multi          every event of the answer in one write
    comments       ": ping" comment lines between and inside events
    crlf           CRLF line ends
    cr             CR line ends
    nospace        "data:{...}" without the space
    nofinish       no finish_reason anywhere, just [DONE]
    done_text      the answer contains "[DONE]", also as a whole piece
    error_mid      two pieces, then an "error" object event, then the
                   stream ends (llama-server's shape)
    error_vllm     two pieces, then {"object": "error", "message": ...}
    http401        401 with an OpenAI-style error body
    http404        404 {"error": {"message": "The model ... does not
                   exist", ...}}
    http500        500 with an error body whose message has a newline,
                   control characters and 2000 more bytes
    http500_plain  500 with a text/plain body
    reject_stream_options
                   400 when the request has "stream_options", else normal
    stall          two pieces, then nothing for stall_s seconds, then
                   the rest
    drop           two pieces, then the socket is closed mid-stream
                   (no final HTTP chunk)
    drop_early     the headers, then the socket is closed
    slow_first     headers at once, the first event after slow_s
    slow           200 events delay_s apart (for cancel tests)
    length         finish_reason "length"
    usage_final    usage and "timings" (prompt_per_second 123.5,
                   predicted_per_second 45.25) in the chunk with
                   finish_reason (llama-server's shape) whether asked
                   for or not
    bad_json       one piece, then "data: {not json"
    utf8_raw       an event whose JSON string holds raw invalid bytes
                   (0xff, a cut 3-byte sequence) and a lone surrogate
                   escape, between good pieces
    no_done        finish_reason "stop" but the stream ends without
                   [DONE]
    redirect       307 to redirect_to (POST and GET alike)
    ignore_stream  one JSON object (Content-Type application/json), as
                   if "stream" had not been asked for
    empty          200, then the stream ends without any event
    html           200 with a text/html page (a proxy's or a portal's)
A request with "stream": false (or none) gets one JSON object with
choices[0].message.content (chat) or choices[0].text (completions),
whatever the scenario, except the http* and redirect ones.
"""

import argparse
import copy
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULTS = {
    "scenario": "normal",
    "models": [
        {"id": "test-model", "owned_by": "medchat-test",
         "max_model_len": 4096},
        {"id": "other-model", "owned_by": "medchat-test"},
    ],
    "props_n_ctx": 2048,
    "tokenize": True,
    "key": None,
    "reply": None,
    "piece": 4,
    "stall_s": 3.0,
    "slow_s": 2.0,
    "delay_s": 0.05,
    "byte_delay_s": 0.0005,
    "redirect_to": "http://127.0.0.2:9/v1/chat/completions",
    "model_override": None,
}

LOCK = threading.Lock()
STATE = copy.deepcopy(DEFAULTS)
REQUESTS = []
LOG_PATH = None
ACTIVITY = {"last": time.monotonic(), "active": 0}


class Dropped(Exception):
    """The scenario closed the connection on purpose."""


def setting(name):
    with LOCK:
        return copy.deepcopy(STATE[name])


def record(method, path, headers, body):
    entry = {
        "method": method,
        "path": path,
        "headers": [[k, v] for k, v in headers.items()],
        "body": body.decode("utf-8", "replace"),
    }
    with LOCK:
        REQUESTS.append(entry)
        if LOG_PATH is not None:
            with open(LOG_PATH, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


def answer_text(kind, req):
    reply = setting("reply")
    if reply is not None:
        return reply
    if kind == "chat":
        msgs = req.get("messages") or []
        last = msgs[-1].get("content", "") if msgs else ""
        if not isinstance(last, str):
            last = json.dumps(last)
        return "You said: " + last
    prompt = req.get("prompt", "")
    if not isinstance(prompt, str):
        prompt = json.dumps(prompt)
    return "Prompt of %d bytes." % len(prompt.encode("utf-8"))


def pieces_of(text, n):
    n = max(1, int(n))
    return [text[i:i + n] for i in range(0, len(text), n)] or [""]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "medchat-test-server/1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    # ---- plumbing ---------------------------------------------------

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_json(self, code, obj, extra=None):
        data = json.dumps(obj).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_text(self, code, text):
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def not_found(self):
        self.send_json(404, {"detail": "Not Found"})

    def chunk(self, data):
        """One HTTP chunk, written and flushed at once."""
        if not data:
            return
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()
        with LOCK:
            ACTIVITY["last"] = time.monotonic()

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True
        raise Dropped()

    def authorized(self):
        key = setting("key")
        if key is None:
            return True
        return self.headers.get("Authorization") == "Bearer " + key

    # ---- dispatch ---------------------------------------------------

    def do_GET(self):
        self.handle_any("GET", b"")

    def do_POST(self):
        self.handle_any("POST", self.body())

    def handle_any(self, method, body):
        global STATE
        path = self.path.split("?", 1)[0]
        with LOCK:
            ACTIVITY["last"] = time.monotonic()
            ACTIVITY["active"] += 1
        try:
            if path == "/quit":
                self.send_json(200, {"bye": True})
                self.wfile.flush()
                os._exit(0)
            if path == "/control" and method == "POST":
                try:
                    ctl = json.loads(body or b"{}")
                except ValueError as e:
                    self.send_json(400, {"error": str(e)})
                    return
                with LOCK:
                    if ctl.pop("reset", False):
                        STATE = copy.deepcopy(DEFAULTS)
                        REQUESTS.clear()
                    for k, v in ctl.items():
                        if k not in DEFAULTS:
                            self.send_json(400, {"error": "unknown " + k})
                            return
                        STATE[k] = v
                self.send_json(200, {"ok": True})
                return
            if path == "/requests" and method == "GET":
                with LOCK:
                    data = copy.deepcopy(REQUESTS)
                self.send_json(200, data)
                return
            if path == "/requests/clear" and method == "POST":
                with LOCK:
                    REQUESTS.clear()
                self.send_json(200, {"ok": True})
                return
            record(method, self.path, self.headers, body)
            self.api(method, path, body)
        except (Dropped, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with LOCK:
                ACTIVITY["active"] -= 1
                ACTIVITY["last"] = time.monotonic()

    def api(self, method, path, body):
        if path in ("/health", "/props") and method == "GET":
            n_ctx = setting("props_n_ctx")
            if n_ctx is None:
                self.not_found()
            elif path == "/health":
                self.send_json(200, {"status": "ok"})
            else:
                self.send_json(200, {
                    "default_generation_settings": {"n_ctx": n_ctx},
                    "total_slots": 1,
                    "chat_template": "",
                })
            return
        if path == "/tokenize" and method == "POST":
            if not setting("tokenize"):
                self.not_found()
                return
            try:
                req = json.loads(body)
                content = req["content"]
            except (ValueError, KeyError, TypeError):
                self.send_json(400, {"error": {"code": 400, "message":
                               "bad tokenize request",
                               "type": "invalid_request_error"}})
                return
            n = len(content.encode("utf-8")) // 2
            self.send_json(200, {"tokens": list(range(n))})
            return
        if path == "/apply-template" and method == "POST":
            if not setting("tokenize"):
                self.not_found()
                return
            try:
                msgs = json.loads(body)["messages"]
                prompt = "".join("%s: %s\n" % (m["role"], m["content"])
                                 for m in msgs)
            except (ValueError, KeyError, TypeError):
                self.send_json(400, {"error": {"code": 400, "message":
                               "bad apply-template request",
                               "type": "invalid_request_error"}})
                return
            self.send_json(200, {"prompt": prompt})
            return
        if not path.startswith("/v1/"):
            self.not_found()
            return
        if not self.authorized():
            self.send_json(401, {"error": {
                "message": "Invalid API Key", "type": "authentication_error",
                "code": 401}})
            return
        if path == "/v1/models" and method == "GET":
            data = []
            for m in setting("models"):
                e = {"id": m["id"], "object": "model", "created": 0,
                     "owned_by": m.get("owned_by", "medchat-test")}
                if "max_model_len" in m:
                    e["max_model_len"] = m["max_model_len"]
                data.append(e)
            self.send_json(200, {"object": "list", "data": data})
            return
        if path == "/v1/chat/completions" and method == "POST":
            self.completion("chat", body)
            return
        if path == "/v1/completions" and method == "POST":
            self.completion("text", body)
            return
        self.not_found()

    # ---- answers ----------------------------------------------------

    def completion(self, kind, body):
        try:
            req = json.loads(body)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError as e:
            self.send_json(400, {"error": {"code": 400, "message":
                           "invalid JSON: %s" % e,
                           "type": "invalid_request_error"}})
            return
        model = req.get("model")
        scenario = setting("scenario")
        if isinstance(model, str) and model.startswith("scenario:"):
            scenario = model[len("scenario:"):]
        elif model not in [m["id"] for m in setting("models")]:
            self.send_json(404, {"object": "error", "message":
                           "The model `%s` does not exist." % model,
                           "type": "NotFoundError", "param": None,
                           "code": 404})
            return
        if self.http_scenario(scenario, req):
            return
        text = answer_text(kind, req)
        shown = setting("model_override") or model
        if not req.get("stream") or scenario == "ignore_stream":
            self.whole(kind, shown, text, scenario, req)
            return
        self.stream(kind, shown, text, scenario, req)

    def http_scenario(self, scenario, req):
        if scenario == "http401":
            self.send_json(401, {"error": {
                "message": "Invalid API Key", "type": "authentication_error",
                "code": 401}})
        elif scenario == "http404":
            self.send_json(404, {"error": {
                "message": "The model `%s` does not exist." %
                req.get("model"), "type": "not_found_error", "code": 404}})
        elif scenario == "http500":
            self.send_json(500, {"error": {
                "message": "CUDA out of memory\n\x1b[31mtried\ttwice\x07 " +
                "x" * 2000, "type": "server_error", "code": 500}})
        elif scenario == "http500_plain":
            self.send_text(500, "Internal Server Error\n")
        elif scenario == "reject_stream_options" and \
                "stream_options" in req:
            self.send_json(400, {"error": {
                "message": "Unrecognized request argument supplied: "
                "stream_options", "type": "invalid_request_error",
                "code": 400}})
        elif scenario == "html":
            data = b"<html><body>Please log in</body></html>\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif scenario == "redirect":
            self.send_response(307)
            self.send_header("Location", setting("redirect_to"))
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            return False
        return True

    def whole(self, kind, model, text, scenario, req):
        choice = {"index": 0, "finish_reason":
                  "length" if scenario == "length" else "stop"}
        if kind == "chat":
            choice["message"] = {"role": "assistant", "content": text}
            obj = "chat.completion"
        else:
            choice["text"] = text
            obj = "text_completion"
        n_gen = len(pieces_of(text, setting("piece")))
        self.send_json(200, {
            "id": "cmpl-test", "object": obj, "created": 0, "model": model,
            "system_fingerprint": "fp_test", "choices": [choice],
            "usage": {"prompt_tokens": 7, "completion_tokens": n_gen,
                      "total_tokens": 7 + n_gen}})

    def event(self, kind, model, text=None, finish=None, usage=None,
              choices=True, timings=None):
        obj = {"id": "cmpl-test", "created": 0, "model": model,
               "system_fingerprint": "fp_test",
               "object": "chat.completion.chunk" if kind == "chat"
               else "text_completion"}
        if choices:
            c = {"index": 0, "finish_reason": finish}
            if kind == "chat":
                c["delta"] = {} if text is None else {"content": text}
            else:
                c["text"] = "" if text is None else text
            obj["choices"] = [c]
        else:
            obj["choices"] = []
        if usage is not None:
            obj["usage"] = usage
        if timings is not None:
            obj["timings"] = timings
        return json.dumps(obj, ensure_ascii=False)

    def stream(self, kind, model, text, scenario, req):
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

        if scenario == "done_text":
            text = "The marker [DONE] is text. "
        pieces = pieces_of(text, setting("piece"))
        if scenario == "done_text":
            pieces.append("[DONE]")
        if scenario == "slow":
            pieces = ["w%d " % i for i in range(200)]
        n_gen = len(pieces)
        usage = {"prompt_tokens": 7, "completion_tokens": n_gen,
                 "total_tokens": 7 + n_gen}
        opts = req.get("stream_options")
        want_usage = isinstance(opts, dict) and opts.get("include_usage")

        # The events, as (payload, pause-before) pairs.
        ev = []
        if kind == "chat":
            # OpenAI's first chunk carries the role only.
            ev.append(json.dumps({"id": "cmpl-test", "created": 0,
                      "model": model, "object": "chat.completion.chunk",
                      "choices": [{"index": 0, "delta": {"role":
                      "assistant", "content": ""},
                      "finish_reason": None}]}))
        for i, p in enumerate(pieces):
            ev.append(self.event(kind, model, p))
            if i == 1 and scenario in ("error_mid", "error_vllm", "stall",
                                       "drop", "bad_json", "utf8_raw"):
                break
        if scenario == "error_mid":
            ev.append(json.dumps({"error": {"code": 500, "message":
                      "slot crashed\nrestart the server",
                      "type": "server_error"}}))
        elif scenario == "error_vllm":
            ev.append(json.dumps({"object": "error", "message":
                      "engine died", "type": "InternalServerError",
                      "code": 500}))
        elif scenario == "bad_json":
            ev.append("{not json")
        elif scenario == "utf8_raw":
            ev.append(None)     # the raw event, built below
            ev.append(self.event(kind, model, " end"))
        if scenario not in ("error_mid", "error_vllm", "bad_json", "drop",
                            "stall", "empty"):
            finish = None if scenario == "nofinish" else \
                "length" if scenario == "length" else "stop"
            if scenario == "usage_final":
                ev.append(self.event(kind, model, finish=finish,
                                     usage=usage, timings={
                                         "prompt_per_second": 123.5,
                                         "predicted_per_second": 45.25}))
            else:
                ev.append(self.event(kind, model, finish=finish))
                if want_usage:
                    ev.append(self.event(kind, model, usage=usage,
                                         choices=False))
            if scenario != "no_done":
                ev.append("[DONE]")
        if scenario in ("empty", "drop_early"):
            ev = []

        eol = {"crlf": b"\r\n", "cr": b"\r"}.get(scenario, b"\n")
        prefix = b"data:" if scenario == "nospace" else b"data: "

        def encode(payload):
            if payload is None:
                # Raw invalid UTF-8 and a lone surrogate inside a string.
                p = self.event(kind, model, "@@").encode("utf-8")
                p = p.replace(b"@@", b"a\xffb\xe2\x82c\\ud800d")
                return prefix + p + eol + eol
            data = payload.encode("utf-8")
            if scenario == "comments":
                return (b": ping" + eol + prefix + data + eol +
                        b":" + eol + eol + b": keep-alive" + eol + eol)
            return prefix + data + eol + eol

        if scenario == "multi":
            self.chunk(b"".join(encode(p) for p in ev))
        elif scenario == "bytes":
            delay = setting("byte_delay_s")
            for p in ev:
                for b in encode(p):
                    self.chunk(bytes([b]))
                    if delay:
                        time.sleep(delay)
        else:
            for i, p in enumerate(ev):
                if scenario == "slow_first" and i == (1 if kind == "chat"
                                                      else 0):
                    time.sleep(setting("slow_s"))
                if scenario == "slow" and i > 0:
                    time.sleep(setting("delay_s"))
                self.chunk(encode(p))
        if scenario == "drop_early" or scenario == "drop":
            self.drop()
        if scenario == "stall":
            time.sleep(setting("stall_s"))
            self.chunk(encode(self.event(kind, model, "late",
                                         finish="stop")))
            self.chunk(encode("[DONE]"))
        self.end_chunks()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up (a cancel, a test ending) is normal here.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError,
                                          ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def watchdog(parent, idle):
    while True:
        time.sleep(0.2)
        if os.getppid() != parent:
            os._exit(0)
        with LOCK:
            quiet = ACTIVITY["active"] == 0 and \
                time.monotonic() - ACTIVITY["last"] > idle
        if quiet:
            os._exit(0)


def main():
    global LOG_PATH
    ap = argparse.ArgumentParser(description="medchat's test server")
    ap.add_argument("--port-file")
    ap.add_argument("--idle-timeout", type=float, default=120.0)
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--log")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    STATE["scenario"] = args.scenario
    LOG_PATH = args.log

    parent = os.getppid()
    srv = Server(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    threading.Thread(target=watchdog, args=(parent, args.idle_timeout),
                     daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
