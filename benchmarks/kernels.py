#!/usr/bin/env python3
"""Swiftlet vs llama.cpp on the same GGUF files, same thread count, in one run.

Builds Swiftlet (release), builds llama.cpp's llama-bench and llama-batched-bench from the sources
vendored in the llama-cpp-python sdist (once, into ~/.cache/swiftlet/llama.cpp, outside the repo),
then for each model alternates the two engines for --rounds rounds and writes a markdown table with
ratios and the raw JSON to benchmarks/results/kernels-<UTC time>.{md,json}.

  benchmarks/kernels.py [--threads 2] [--repetitions 3] [--rounds 2] [--gen-len 128] [--no-build]

Measurements: prompt = one 512-token batch (llama-bench pp512); decode batch 1 = 128 tokens from
an empty context (llama-bench tg128); decode B = B sequences decoding together, one forward per
step (llama-batched-bench -npp 1 -ntg 128 -npl B, its S_TG t/s aggregate).
"""
import argparse, datetime, json, os, pathlib, shutil, statistics, subprocess, sys, tarfile, urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
LLAMA_DIR = pathlib.Path.home() / ".cache/swiftlet/llama.cpp"
LLAMA_BIN = LLAMA_DIR / "build/bin"
SDIST_VERSION = "0.3.36"
MODELS = ["models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "models/gemma-3-270m-q4_k_m.gguf"]
BATCHES = [1, 16, 32]


def run(cmd, **kw):
    print("+", " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


def build_llama_cpp():
    if (LLAMA_BIN / "llama-bench").exists() and (LLAMA_BIN / "llama-batched-bench").exists():
        return
    src = LLAMA_DIR.parent / "llama-src"
    src.mkdir(parents=True, exist_ok=True)
    # The sdist from PyPI (its JSON API names the file); `pip download --no-binary` would also
    # build cmake from source just to read the package metadata.
    meta = json.load(urllib.request.urlopen(f"https://pypi.org/pypi/llama-cpp-python/{SDIST_VERSION}/json"))
    url = next(u["url"] for u in meta["urls"] if u["packagetype"] == "sdist")
    archive = src / url.rsplit("/", 1)[1]
    if not archive.exists():
        urllib.request.urlretrieve(url, archive)
    with tarfile.open(archive) as t:
        t.extractall(src, filter="data")
    vendored = src / f"llama_cpp_python-{SDIST_VERSION}/vendor/llama.cpp"
    if LLAMA_DIR.exists():
        shutil.rmtree(LLAMA_DIR)
    shutil.move(str(vendored), LLAMA_DIR)
    if not shutil.which("cmake"):
        run([sys.executable, "-m", "pip", "install", "cmake", "ninja"])
    run(["cmake", "-S", LLAMA_DIR, "-B", LLAMA_DIR / "build", "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_CURL=OFF",
         "-DGGML_NATIVE=ON", "-DBUILD_SHARED_LIBS=OFF"])
    run(["nice", "cmake", "--build", LLAMA_DIR / "build", "-j2", "--target", "llama-bench", "llama-batched-bench"])


def swiftlet(model, a):
    out = run([REPO / ".build/release/swiftlet", "bench", "model", "--model", REPO / model, "--prompt-len", "512",
               "--gen-len", str(a.gen_len), "--batch", ",".join(map(str, BATCHES)), "--threads", str(a.threads),
               "--repetitions", str(a.repetitions), "--json"])
    j = json.loads(out)
    return {"prompt": j["prompt_tokens_per_second"], **{f"decode{d['batch']}": d["tokens_per_second"] for d in j["decode"]}}


def llama(model, a):
    m = str(REPO / model)
    bench = json.loads(run([LLAMA_BIN / "llama-bench", "-m", m, "-p", "512", "-n", str(a.gen_len), "-t", str(a.threads),
                            "-r", str(a.repetitions), "-o", "json"], stderr=subprocess.DEVNULL))
    res = {}
    for r in bench:
        res["prompt" if r["n_prompt"] else "decode1"] = r["avg_ts"]
    big = [b for b in BATCHES if b > 1]
    out = run([LLAMA_BIN / "llama-batched-bench", "-m", m, "-c", str((a.gen_len + 1) * max(big) + 64), "-b", "2048",
               "-ub", "512", "-npp", "1", "-ntg", str(a.gen_len), "-npl", ",".join(map(str, big)), "-t", str(a.threads),
               "--output-format", "jsonl"], stderr=subprocess.DEVNULL)
    for line in out.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            res[f"decode{r['pl']}"] = r["speed_tg"]
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2, help="alternations of the two engines per model")
    p.add_argument("--gen-len", type=int, default=128)
    p.add_argument("--no-build", action="store_true")
    a = p.parse_args()
    if not a.no_build:
        run(["swift", "build", "-c", "release"], cwd=REPO)
        build_llama_cpp()
    keys = ["prompt"] + [f"decode{b}" for b in BATCHES]
    results = {"date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z", "threads": a.threads,
               "gen_len": a.gen_len, "repetitions": a.repetitions, "load_average_before": os.getloadavg(), "models": {}}
    for model in MODELS:
        if not (REPO / model).exists():
            print(f"skipping {model}: not found", file=sys.stderr)
            continue
        rounds = []
        for _ in range(a.rounds):
            rounds.append({"swiftlet": swiftlet(model, a), "llama.cpp": llama(model, a)})
        results["models"][model] = rounds
    results["load_average_after"] = os.getloadavg()
    lines = [f"# Swiftlet vs llama.cpp — {results['date']}", "",
             f"{a.threads} threads, prompt 512, decode {a.gen_len} tokens, {a.repetitions} repetitions per figure, "
             f"{a.rounds} alternating rounds per model (figures are the median over rounds). "
             f"Load average before/after: {results['load_average_before'][0]:.1f} / {results['load_average_after'][0]:.1f}.",
             "", "Command: `benchmarks/kernels.py " + " ".join(sys.argv[1:]) + "`", "",
             "| model | measure | Swiftlet t/s | llama.cpp t/s | ratio |", "| --- | --- | --- | --- | --- |"]
    names = {"prompt": "prompt 512", **{f"decode{b}": f"decode, {b} seq" for b in BATCHES}}
    for model, rounds in results["models"].items():
        for k in keys:
            s = statistics.median(r["swiftlet"].get(k, float("nan")) for r in rounds)
            l = statistics.median(r["llama.cpp"].get(k, float("nan")) for r in rounds)
            lines.append(f"| {pathlib.Path(model).stem} | {names[k]} | {s:.1f} | {l:.1f} | {s / l:.2f}× |")
    stamp = results["date"].replace(":", "").replace("-", "")
    out = REPO / "benchmarks/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"kernels-{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / f"kernels-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
