import Testing
@testable import Tokenizer

/// llama.cpp's tokenizer test vectors (tests/test-tokenizer-0) for five vocabularies.
@Suite struct VocabVectorTests {
    static let names = ["llama-spm", "llama-bpe", "phi-3", "qwen2", "gpt-2"]

    @Test(arguments: names)
    func matchesLlamaCpp(name: String) throws {
        let path = TestPaths.vocab(name)
        let tokenizer = try loadTokenizer(path)
        let vectors = try VocabVectors(vocabPath: path)
        #expect(vectors.texts.count == vectors.ids.count)
        #expect(vectors.texts.count == 46)
        var mismatches = 0
        for (text, expected) in zip(vectors.texts, vectors.ids) {
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            if ids != expected { mismatches += 1 }
            #expect(ids == expected, "\(name): \(text.debugDescription)")
        }
        #expect(mismatches == 0)
    }

    /// Decoding the expected ids gives back the text (after llama.cpp's space cleanup for the
    /// vocabs that apply it), and streaming gives the same text as decoding at once.
    @Test(arguments: names)
    func roundTrips(name: String) throws {
        let path = TestPaths.vocab(name)
        let tokenizer = try loadTokenizer(path)
        let vectors = try VocabVectors(vocabPath: path)
        for (text, ids) in zip(vectors.texts, vectors.ids) {
            let decoded = tokenizer.decode(ids)
            let expected = tokenizer.cleanSpaces ? String(decoding: cleanTokenizationSpaces(Array(text.utf8)), as: UTF8.self) : text
            #expect(decoded == expected, "\(name): \(text.debugDescription)")
            #expect(streamed(tokenizer, ids, showSpecial: false) == decoded, "\(name): \(text.debugDescription)")
        }
    }
}
