#!/usr/bin/env python3
"""Writes a llama.cpp reference file (the layout of ../shared/testdata/reference/*.json) for
prompts the shared references do not cover, e.g. a Gemma 3 prompt longer than its 512-token
sliding window.

Needs llama-cpp-python (pip install llama-cpp-python; it builds llama.cpp from source, ~15 min on
2 cores). Not used by CI: its output is committed under Tests/ModelsTests/Vectors/.

usage: scripts/make-reference.py MODEL.gguf OUT.json [--greedy N] (--text T | --text-file F)...
"""
import argparse, hashlib, json, sys
import numpy as np
from llama_cpp import Llama

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("out")
ap.add_argument("--greedy", type=int, default=16)
ap.add_argument("--text", action="append", default=[])
ap.add_argument("--text-file", action="append", default=[])
args = ap.parse_args()
texts = args.text + [open(f).read() for f in args.text_file]
if not texts:
    sys.exit("give at least one --text or --text-file")

llm = Llama(model_path=args.model, n_ctx=4096, n_batch=4096, n_ubatch=4096, logits_all=True,
            n_threads=2, verbose=False)
add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else True
prompts = []
for text in texts:
    tokens = llm.tokenize(text.encode(), add_bos=add_bos, special=True)
    # Greedy continuation, one token at a time, stopping at end of generation.
    llm.reset()
    llm.eval(tokens)
    greedy = []
    for _ in range(args.greedy):
        nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        greedy.append(nxt)
        if llm._model.token_is_eog(nxt) if hasattr(llm._model, "token_is_eog") else nxt == llm.token_eos():
            break
        llm.eval([nxt])
    # top-20 logits at every position of tokens + greedy[:-1], evaluated as one batch.
    seq = tokens + greedy[:-1]
    llm.reset()
    llm.eval(seq)
    top = []
    for i in range(len(seq)):
        row = llm.scores[i]
        idx = np.argsort(-row, kind="stable")[:20]
        top.append([[int(j), float(row[j])] for j in idx])
    prompts.append({"text": text, "tokens": tokens, "greedy": greedy, "top_logits": top})

sha = hashlib.sha256(open(args.model, "rb").read()).hexdigest()
json.dump({"model": args.model.split("/")[-1], "sha256": sha, "n_vocab": llm.n_vocab(), "add_bos": add_bos,
           "producer": "llama.cpp via llama-cpp-python, CPU, 2 threads, f16 KV cache (scripts/make-reference.py)",
           "prompts": prompts, "tokenize": []}, open(args.out, "w"))
print(f"wrote {args.out}: {[len(p['tokens']) for p in prompts]} prompt tokens")
