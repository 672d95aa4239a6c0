#!/usr/bin/env python3
"""End-to-end test of `swiftlet serve` with the official `openai` client, on loopback.

Starts the server on a free port with the real model and an API key, runs the checks, then
sends SIGTERM and expects exit status 0. With --load, also runs the load test: many concurrent
streaming clients (some hang up mid-stream), all framed correctly with zero errors, and the
KV pool whole afterwards (read from /metrics).

    python3 scripts/e2e_server.py --binary .build/release/swiftlet [--load 256 --disconnect 50]

Ends with the line 'N passed, M failed'; exits 1 if anything failed.
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import traceback

import openai

try:  # openai ≥ 3 is built on httpx2, earlier versions on httpx; their APIs match where used here
    import httpx2 as httpx
except ImportError:
    import httpx

API_KEY = "e2e-key"
results = []  # (name, error or None)


def check(name):
    """Decorator that runs the decorated check at once and records pass/fail with the reason."""
    def run(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok    {name}", flush=True)
        except Exception as e:  # a failed check, whatever raised
            results.append((name, e))
            print(f"FAIL  {name}: {e!r}", flush=True)
            traceback.print_exc()
        return fn
    return run


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before becoming ready")
        try:
            r = httpx.get(f"{base}/health", timeout=2)
            if r.status_code == 200:
                return
            assert r.status_code == 503 and "error" in r.json(), r.text
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not become ready")


def metrics(base):
    text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).text
    values = {}
    for line in text.splitlines():
        m = re.match(r'^([a-z_]+(?:\{[^}]*\})?) ([0-9.eE+-]+)$', line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return values


def run_checks(base, model):
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=API_KEY, max_retries=0, timeout=600)
    messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
    greedy = {}

    @check("models lists the served model")
    def _():
        ids = [m.id for m in client.models.list().data]
        assert ids == [model], ids

    @check("chat completion (non-streaming) with usage")
    def _():
        r = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
        c = r.choices[0]
        assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
        assert c.message.role == "assistant" and c.message.content, c
        assert c.finish_reason in ("stop", "length"), c.finish_reason
        u = r.usage
        assert u.prompt_tokens > 0 and 0 < u.completion_tokens <= 24
        assert u.total_tokens == u.prompt_tokens + u.completion_tokens
        greedy["chat"] = (c.message.content, u.completion_tokens, c.finish_reason)

    @check("chat streaming equals the non-streamed greedy answer, with usage last")
    def _():
        stream = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0,
                                                stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
        assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
        assert chunks[0].choices[0].delta.role == "assistant"
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        expected_text, expected_tokens, expected_finish = greedy["chat"]
        assert text == expected_text, (text, expected_text)
        assert finishes == [expected_finish], finishes
        assert chunks[-1].usage.completion_tokens == expected_tokens

    @check("text completion, and stop sequences cut the greedy text before the stop")
    def _():
        prompt = "def fibonacci(n):"
        full = client.completions.create(model=model, prompt=prompt, max_tokens=32, temperature=0)
        text = full.choices[0].text
        assert full.object == "text_completion" and text, full
        assert full.usage.completion_tokens <= 32
        # A stop string taken from the second half of the greedy output (its first occurrence counts).
        word = re.search(r"\w{3,}", text[len(text) // 2:])
        assert word, f"no usable stop string in {text!r}"
        stop = word.group(0)
        cut = client.completions.create(model=model, prompt=prompt, max_tokens=32, temperature=0, stop=[stop])
        assert cut.choices[0].text == text[: text.index(stop)], (cut.choices[0].text, text, stop)
        assert cut.choices[0].finish_reason == "stop"

    @check("n=2 gives two indexed choices")
    def _():
        r = client.chat.completions.create(model=model, messages=messages, max_tokens=8, n=2, temperature=0.9, seed=3)
        assert [c.index for c in r.choices] == [0, 1]
        assert all(c.message.content is not None for c in r.choices)
        assert 2 <= r.usage.completion_tokens <= 16, r.usage

    @check("logprobs: one entry per token, greedy token is the most likely")
    def _():
        r = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0,
                                           logprobs=True, top_logprobs=3)
        content = r.choices[0].logprobs.content
        assert len(content) == r.usage.completion_tokens, (len(content), r.usage.completion_tokens)
        for e in content:
            assert e.logprob <= 0 and len(e.top_logprobs) == 3
            assert e.top_logprobs[0].token == e.token, (e.token, e.top_logprobs[0].token)
            assert abs(e.top_logprobs[0].logprob - e.logprob) < 1e-4

    @check("wrong API key -> AuthenticationError")
    def _():
        bad = openai.OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0)
        try:
            bad.models.list()
        except openai.AuthenticationError:
            return
        raise AssertionError("no AuthenticationError")

    @check("over-long prompt -> BadRequestError naming the token count and the limit")
    def _():
        try:
            client.completions.create(model=model, prompt="hello " * 40000, max_tokens=4)
        except openai.BadRequestError as e:
            assert "maximum context length" in str(e), str(e)
            return
        raise AssertionError("no BadRequestError")

    @check("unknown model -> NotFoundError")
    def _():
        try:
            client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=4)
        except openai.NotFoundError:
            return
        raise AssertionError("no NotFoundError")

    @check("bad parameter -> BadRequestError with param")
    def _():
        try:
            client.chat.completions.create(model=model, messages=messages, temperature=7)
        except openai.BadRequestError as e:
            assert e.body["param"] == "temperature", e.body
            return
        raise AssertionError("no BadRequestError")

    @check("tokenize / detokenize round trip")
    def _():
        h = {"Authorization": f"Bearer {API_KEY}"}
        t = httpx.post(f"{base}/tokenize", json={"prompt": "Hello, world!", "add_special_tokens": False}, headers=h)
        tokens = t.json()["tokens"]
        d = httpx.post(f"{base}/detokenize", json={"tokens": tokens}, headers=h)
        assert d.json()["prompt"] == "Hello, world!", d.text

    @check("metrics expose the swiftlet_ series")
    def _():
        m = metrics(base)
        for name in ["swiftlet_prompt_tokens_total", "swiftlet_generated_tokens_total",
                     "swiftlet_kv_cache_total_blocks", "swiftlet_time_to_first_token_seconds_count"]:
            assert name in m, name


async def load_test(base, model, clients, disconnects):
    """`clients` concurrent streams, each with its own prompt; the first `disconnects` hang up."""
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=clients + 8), timeout=1200)
    client = openai.AsyncOpenAI(base_url=f"{base}/v1", api_key=API_KEY, max_retries=0, http_client=http)
    errors = []

    async def one(i):
        hang_up = i < disconnects
        try:
            # Text completions with short prompts: the load is in the streams, not in prefill.
            stream = await client.completions.create(
                model=model, prompt=f"{i}, {i + 1}, {i + 2},", max_tokens=16, temperature=0.7, seed=i,
                stream=True, stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
            ids, texts, finishes, usage = set(), 0, [], None
            async for chunk in stream:
                ids.add(chunk.id)
                if chunk.usage:
                    usage = chunk.usage
                for c in chunk.choices:
                    assert c.index == 0, c.index
                    if c.text:
                        texts += 1
                    if c.finish_reason:
                        finishes.append(c.finish_reason)
                if hang_up and texts >= 2:
                    await stream.close()
                    return
            assert len(ids) == 1, ids
            assert finishes == ["length"], finishes
            assert usage is not None and usage.completion_tokens == 16, usage
        except Exception as e:
            errors.append(f"client {i}: {e!r}")

    start = time.time()
    await asyncio.gather(*(one(i) for i in range(clients)))
    await http.aclose()
    print(f"load: {clients} clients ({disconnects} hung up) in {time.time() - start:.1f}s", flush=True)
    return errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default=".build/release/swiftlet")
    p.add_argument("--model", default="models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    p.add_argument("--load", type=int, default=0, help="concurrent streaming clients for the load test (0: skip)")
    p.add_argument("--disconnect", type=int, default=50, help="load-test clients that hang up mid-stream")
    args = p.parse_args()
    if not os.path.exists(args.model):
        print(f"model {args.model} missing; run scripts/fetch-models.sh", file=sys.stderr)
        sys.exit(1)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    model = os.path.splitext(os.path.basename(args.model))[0]
    proc = subprocess.Popen([args.binary, "serve", "--model", args.model, "--host", "127.0.0.1", "--port", str(port),
                             "--api-key", API_KEY, "--max-queue", str(max(args.load, 16)), "--shutdown-timeout", "10"])
    try:
        wait_ready(base, proc)
        run_checks(base, model)
        if args.load:
            @check(f"load: {args.load} concurrent streams, {args.disconnect} hang up, zero errors")
            def _():
                errors = asyncio.run(load_test(base, model, args.load, args.disconnect))
                assert not errors, f"{len(errors)} errors, first: {errors[:3]}"

            @check("load: the KV pool is whole afterwards")
            def _():
                for _ in range(100):
                    m = metrics(base)
                    if m.get("swiftlet_kv_cache_free_blocks") == m.get("swiftlet_kv_cache_total_blocks"):
                        return
                    time.sleep(0.2)
                raise AssertionError(f"free {m.get('swiftlet_kv_cache_free_blocks')} of "
                                     f"{m.get('swiftlet_kv_cache_total_blocks')} blocks")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed after 60 s"
    results.append(("SIGTERM exits 0", None if code == 0 else AssertionError(f"exit status {code}")))
    print(f"{'ok   ' if code == 0 else 'FAIL '} SIGTERM exits 0 ({code})")

    failed = sum(1 for _, e in results if e is not None)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
