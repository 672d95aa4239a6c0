import GGUF
import Testing
@testable import Tokenizer

/// Builds a GGUF file (metadata only) in memory.
struct GGUFBuilder {
    private var entries = [[UInt8]]()

    private static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func string(_ key: String, _ v: String) { entries.append(Self.str(key) + Self.le(UInt32(8)) + Self.str(v)) }
    mutating func bool(_ key: String, _ v: Bool) { entries.append(Self.str(key) + Self.le(UInt32(7)) + [v ? 1 : 0]) }
    mutating func uint32(_ key: String, _ v: UInt32) { entries.append(Self.str(key) + Self.le(UInt32(4)) + Self.le(v)) }
    mutating func strings(_ key: String, _ v: [String]) {
        entries.append(Self.str(key) + Self.le(UInt32(9)) + Self.le(UInt32(8)) + Self.le(UInt64(v.count)) + v.flatMap(Self.str))
    }
    mutating func int32s(_ key: String, _ v: [Int32]) {
        entries.append(Self.str(key) + Self.le(UInt32(9)) + Self.le(UInt32(5)) + Self.le(UInt64(v.count)) + v.flatMap { Self.le($0) })
    }
    mutating func floats(_ key: String, _ v: [Float]) {
        entries.append(Self.str(key) + Self.le(UInt32(9)) + Self.le(UInt32(6)) + Self.le(UInt64(v.count)) + v.flatMap { Self.le($0.bitPattern) })
    }

    func file() throws -> GGUFFile {
        let bytes = Self.le(GGUFFile.magic) + Self.le(UInt32(3)) + Self.le(UInt64(0)) + Self.le(UInt64(entries.count)) + entries.flatMap { $0 }
        return try GGUFFile(storage: MappedBytes(copying: bytes))
    }
}

/// Small hand-made vocabularies for load errors and behaviours the reference vectors do not reach.
@Suite struct SyntheticVocabTests {
    /// A byte-level BPE vocab: the 256 byte characters plus "ab" (merge a+b), "<|end|>" (control).
    static func bpe(pre: String) -> GGUFBuilder {
        var g = GGUFBuilder()
        g.string("tokenizer.ggml.model", "gpt2")
        g.string("tokenizer.ggml.pre", pre)
        var tokens = (0 ..< 256).map { String(decoding: ByteLevel.utf8ForByte[$0], as: UTF8.self) }
        tokens += ["ab", "<|end|>"]
        g.strings("tokenizer.ggml.tokens", tokens)
        g.int32s("tokenizer.ggml.token_type", [Int32](repeating: 1, count: 257) + [3])
        g.strings("tokenizer.ggml.merges", ["a b"])
        g.uint32("tokenizer.ggml.eos_token_id", 257)
        return g
    }

    @Test func unknownPreTokenizerIsALoadError() throws {
        #expect(throws: TokenizerError.unsupportedPreTokenizer("made-up")) {
            try Tokenizer(gguf: Self.bpe(pre: "made-up").file())
        }
    }

    @Test func unsupportedModelIsALoadError() throws {
        var g = GGUFBuilder()
        g.string("tokenizer.ggml.model", "bert")
        g.strings("tokenizer.ggml.tokens", ["a"])
        #expect(throws: TokenizerError.unsupportedModel("bert")) { try Tokenizer(gguf: g.file()) }
    }

    @Test func missingTokensIsALoadError() throws {
        var g = GGUFBuilder()
        g.string("tokenizer.ggml.model", "llama")
        #expect(throws: TokenizerError.metadata(.missingKey("tokenizer.ggml.tokens"))) { try Tokenizer(gguf: g.file()) }
    }

    @Test func duplicateTokenIsALoadError() throws {
        var g = GGUFBuilder()
        g.string("tokenizer.ggml.model", "llama")
        g.strings("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "x", "x"])
        #expect(throws: TokenizerError.duplicateToken("x", firstID: 3, secondID: 4)) { try Tokenizer(gguf: g.file()) }
    }

    @Test func addBOSWithoutBOSIsALoadError() throws {
        // SPM adds BOS by default; its default id 1 does not exist in a one-token vocab.
        var g = GGUFBuilder()
        g.string("tokenizer.ggml.model", "llama")
        g.strings("tokenizer.ggml.tokens", ["a"])
        #expect(throws: TokenizerError.missingSpecialToken(
            "tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set")) { try Tokenizer(gguf: g.file()) }
    }

    @Test func outOfRangeSpecialIDKeepsTheDefault() throws {
        var g = Self.bpe(pre: "gpt-2")
        g.bool("tokenizer.ggml.add_bos_token", true)
        g.uint32("tokenizer.ggml.bos_token_id", 9999) // out of range: ignored, default 11 stays
        let t = try Tokenizer(gguf: g.file())
        #expect(t.bos == 11)
        #expect(t.encode("ab", addSpecial: true) == [11, 256])
    }

    @Test func mergesAndControlTokens() throws {
        let t = try Tokenizer(gguf: Self.bpe(pre: "gpt-2").file())
        // Token i is the byte-level character of byte i.
        #expect(t.encode("ab", addSpecial: false) == [256])
        #expect(t.encode("ba", addSpecial: false) == [98, 97])
        // Control tokens only with parseSpecial; EOG includes the EOS id.
        #expect(t.encode("<|end|>", addSpecial: false, parseSpecial: true) == [257])
        #expect(t.encode("<|end|>", addSpecial: false, parseSpecial: false).count == 7)
        #expect(t.isEndOfGeneration(257))
        #expect(t.decode([256, 257]) == "ab")
        #expect(t.decode([256, 257], showSpecial: true) == "ab<|end|>")
    }

    /// Byte tokens of a 4-byte character: nothing is emitted until the character is complete.
    @Test func streamingHoldsIncompleteUTF8() throws {
        let t = try Tokenizer(gguf: Self.bpe(pre: "gpt-2").file())
        let ids = t.encode("x🦙y", addSpecial: false)
        #expect(ids.count == 6) // no merges apply: one token per byte
        var s = StreamingDetokenizer(tokenizer: t)
        #expect(s.append(ids[0]) == "x")
        for id in ids[1 ..< 4] { #expect(s.append(id) == "") }
        #expect(s.append(ids[4]) == "🦙")
        #expect(s.append(ids[5]) == "y")
        #expect(s.flush() == "")
        // A sequence cut short is replaced at flush, as decoding all at once would.
        var cut = StreamingDetokenizer(tokenizer: t)
        #expect(cut.append(ids[1]) == "")
        #expect(cut.flush() == "\u{FFFD}")
        #expect(t.decode([ids[1]]) == "\u{FFFD}")
    }
}
