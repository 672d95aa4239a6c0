import Testing
@testable import Tokenizer

/// llama.cpp's tokenizations recorded in ../shared/testdata/reference for the fixture models and
/// the two real models (skipped when a model file is missing).
@Suite struct ReferenceTests {
    static let fixtures = ["llama-spm-q4_k_m", "llama-bpe-q4_k_m", "phi3-f16"]
    static let real = ["qwen2.5-coder-0.5b-instruct-q4_k_m", "gemma-3-270m-q4_k_m"]

    @Test(arguments: fixtures)
    func fixtureModel(name: String) throws {
        try check(name: name, path: TestPaths.fixtureModel(name))
    }

    @Test(.enabled(if: TestPaths.exists(TestPaths.realModel(real[0])), "model not fetched"))
    func qwen() throws {
        try check(name: Self.real[0], path: TestPaths.realModel(Self.real[0]))
    }

    @Test(.enabled(if: TestPaths.exists(TestPaths.realModel(real[1])), "model not fetched"))
    func gemma() throws {
        try check(name: Self.real[1], path: TestPaths.realModel(Self.real[1]))
    }

    func check(name: String, path: String) throws {
        let tokenizer = try loadTokenizer(path)
        let reference = try Reference.load(name)
        #expect(tokenizer.vocabularySize == reference.n_vocab)
        #expect(tokenizer.addBOS == reference.add_bos)
        for t in reference.tokenize {
            let plain = tokenizer.encode(t.text, addSpecial: false, parseSpecial: false)
            #expect(plain == t.tokens, "\(name): \(t.text.debugDescription)")
            #expect(tokenizer.encode(t.text, addSpecial: false, parseSpecial: true) == t.tokens_parse_special,
                    "\(name) (special): \(t.text.debugDescription)")
            let decoded = tokenizer.decode(t.tokens)
            let expected = tokenizer.cleanSpaces ? String(decoding: cleanTokenizationSpaces(Array(t.text.utf8)), as: UTF8.self) : t.text
            #expect(decoded == expected, "\(name) decode: \(t.text.debugDescription)")
            #expect(streamed(tokenizer, t.tokens, showSpecial: false) == decoded)
        }
        for p in reference.prompts {
            #expect(tokenizer.encode(p.text, addSpecial: true, parseSpecial: true) == p.tokens, "\(name) prompt: \(p.text.prefix(60).debugDescription)")
            // With specials shown, the prompt text comes back (after the BOS piece, if any).
            let shown = tokenizer.decode(p.tokens, showSpecial: true)
            let bos = reference.add_bos ? tokenizer.decode([p.tokens[0]], showSpecial: true) : ""
            #expect(shown.hasPrefix(bos))
            for special in [false, true] {
                #expect(streamed(tokenizer, p.tokens, showSpecial: special) == tokenizer.decode(p.tokens, showSpecial: special))
            }
        }
    }
}
