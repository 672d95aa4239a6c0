#!/usr/bin/env python3
"""Generates randomized tokenizer vectors with llama.cpp (llama-cpp-python, vocab only).

For each vocabulary, writes <name>.json: {n_vocab, bos, eos, eot, add_bos, eog (every id
llama_vocab_is_eog accepts), cases}, cases a list of {text, plain, special, bos_special, detok, detok_special}
where plain = tokenize(text, add_special=False, parse_special=False), special = (False, True),
bos_special = (True, True), detok = llama_detokenize(plain, remove_special=False, unparse_special=False) and
detok_special = llama_detokenize(bos_special, False, True) (llama.cpp's own detokenizer, not
llama-cpp-python's per-piece `Llama.detokenize`). Strings mix ASCII, whitespace runs, apostrophes, digits, CJK,
Cyrillic, emoji, combining marks and the vocabulary's own special-token texts.

Usage: python3 Tests/Data/tokenizer/generate.py  (from the repository root)
"""
import ctypes, json, os, random, sys
import gguf
import llama_cpp

ROOT = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(ROOT, "..", "..", "..", "..", "shared", "testdata")
VOCABS = {
    "llama-spm": os.path.join(SHARED, "tokenizer", "ggml-vocab-llama-spm.gguf"),
    "llama-bpe": os.path.join(SHARED, "tokenizer", "ggml-vocab-llama-bpe.gguf"),
    "phi-3": os.path.join(SHARED, "tokenizer", "ggml-vocab-phi-3.gguf"),
    "qwen2": os.path.join(SHARED, "tokenizer", "ggml-vocab-qwen2.gguf"),
    "gpt-2": os.path.join(SHARED, "tokenizer", "ggml-vocab-gpt-2.gguf"),
    "qwen2.5-coder": os.path.join(ROOT, "..", "..", "..", "models", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
    "gemma-3": os.path.join(ROOT, "..", "..", "..", "models", "gemma-3-270m-q4_k_m.gguf"),
}
SPECIALS = {
    "llama-spm": ["<s>", "</s>", "<unk>"],
    "llama-bpe": ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"],
    "phi-3": ["<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>", "</s>", "<s>", "<|system|>"],
    "qwen2": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "[PAD151650]"],
    "gpt-2": ["<|endoftext|>"],
    "qwen2.5-coder": ["<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>"],
    "gemma-3": ["<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "[multimodal]", "<unused3>"],
}
ALPHABET = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") * 3 + list("0123456789") * 2
            + list("     ") * 4 + ["\t", "\n", "\n\n", "\r\n", "  ", "   "] + list("'''\".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`")
            + ["'s", "'t", "'re", "'ve", "'ll", "'d", "'m", "'S", "'LL"]
            + list("éüßøñçÄÖ") + list("我想在工作天中文") + list("нещоБълг") + list("ក្រុមហ៊ុន")
            + ["🦙", "😁", "🚀", "👍🏽", "😶\u200d🌫️", "✅"] + ["e\u0301", "\u00a0", "\u2009", "\u3000", "½", "²", "Ⅻ", "٣"])


def sample(rng, specials):
    n = rng.randint(1, 14)
    parts = []
    for _ in range(n):
        if specials and rng.random() < 0.12:
            parts.append(rng.choice(specials))
        else:
            parts.append(rng.choice(ALPHABET))
    return "".join(parts)


def detokenize(llm, tokens, unparse_special):
    arr = (llama_cpp.llama_token * len(tokens))(*tokens)
    size = 64 + 64 * len(tokens)
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_detokenize(llm._model.vocab, arr, len(tokens), buf, size, False, unparse_special)
    assert 0 <= n <= size
    return buf.raw[:n].decode("utf-8", errors="replace")


def default_pre_vocab():
    """The GPT-2 vocab with `tokenizer.ggml.pre = default` (llama.cpp's four-regex fallback), written
    to a temporary file. The Swift test builds the same vocabulary in memory."""
    import tempfile
    src = gguf.GGUFReader(VOCABS["gpt-2"])
    strings = lambda key: [bytes(src.fields[key].parts[i]).decode("utf-8") for i in src.fields[key].data]
    ints = lambda key: [int(src.fields[key].parts[i][0]) for i in src.fields[key].data]
    path = os.path.join(tempfile.mkdtemp(), "gpt-2-default.gguf")
    w = gguf.GGUFWriter(path, arch="gpt2")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(strings("tokenizer.ggml.tokens"))
    w.add_token_types(ints("tokenizer.ggml.token_type"))
    w.add_token_merges(strings("tokenizer.ggml.merges"))
    w.add_bos_token_id(50256)
    w.add_eos_token_id(50256)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    return path


def main():
    rng = random.Random(1234)
    VOCABS["gpt-2-default-pre"] = default_pre_vocab()
    SPECIALS["gpt-2-default-pre"] = SPECIALS["gpt-2"]
    for name, path in VOCABS.items():
        if not os.path.exists(path):
            print(f"skipping {name}: {path} missing", file=sys.stderr)
            continue
        llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        cases = []
        for _ in range(300):
            text = sample(rng, SPECIALS[name])
            b = text.encode("utf-8")
            plain = llm.tokenize(b, add_bos=False, special=False)
            special = llm.tokenize(b, add_bos=False, special=True)
            bos_special = llm.tokenize(b, add_bos=True, special=True)
            detok = detokenize(llm, plain, False)
            detok_special = detokenize(llm, bos_special, True)
            cases.append(dict(text=text, plain=plain, special=special, bos_special=bos_special,
                              detok=detok, detok_special=detok_special))
        vocab = llm._model.vocab
        n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        null = lambda t: None if t < 0 else t
        out = dict(n_vocab=n_vocab,
                   bos=null(llama_cpp.llama_vocab_bos(vocab)),
                   eos=null(llama_cpp.llama_vocab_eos(vocab)),
                   eot=null(llama_cpp.llama_vocab_eot(vocab)),
                   add_bos=bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
                   eog=[t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)],
                   cases=cases)
        with open(os.path.join(ROOT, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=0)
        print(f"{name}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
