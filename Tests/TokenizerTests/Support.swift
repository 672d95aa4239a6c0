import Foundation
import Synchronization
import GGUF
@testable import Tokenizer

/// Paths to shared test data and fetched models, relative to this source file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    static func vocab(_ name: String) -> String { shared.appendingPathComponent("tokenizer/ggml-vocab-\(name).gguf").path }
    static func fixtureModel(_ name: String) -> String { shared.appendingPathComponent("models/\(name).gguf").path }
    static func realModel(_ name: String) -> String { repo.appendingPathComponent("models/\(name).gguf").path }
    static func reference(_ name: String) -> URL { shared.appendingPathComponent("reference/\(name).json") }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// llama.cpp's tokenizer test vectors: `.inp` strings each followed by `\n__ggml_vocab_test__\n`,
/// `.out` one line of space-separated ids per string.
struct VocabVectors {
    let texts: [String]
    let ids: [[Int32]]

    init(vocabPath: String) throws {
        let inp = try Data(contentsOf: URL(fileURLWithPath: vocabPath + ".inp"))
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts = [String]()
        var bytes = [UInt8](inp)
        while let r = bytes.firstRange(of: separator) {
            texts.append(String(decoding: bytes[..<r.lowerBound], as: UTF8.self))
            bytes.removeSubrange(..<r.upperBound)
        }
        let out = try String(contentsOfFile: vocabPath + ".out", encoding: .utf8)
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        self.texts = texts
        ids = lines.map { $0.split(separator: " ").compactMap { Int32($0) } }
    }
}

/// A reference file from ../shared/testdata/reference (llama.cpp results for one model).
struct Reference: Decodable {
    struct Prompt: Decodable {
        let text: String
        let tokens: [Int32]
    }
    struct Tokenize: Decodable {
        let text: String
        let tokens: [Int32]
        let tokens_parse_special: [Int32]
    }
    let n_vocab: Int
    let add_bos: Bool
    let prompts: [Prompt]
    let tokenize: [Tokenize]

    static func load(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: TestPaths.reference(name)))
    }
}

/// Loads each vocabulary once per test run (several suites use the same ones; loading the
/// 150k–262k-token vocabs takes a second or two in debug builds).
func loadTokenizer(_ path: String) throws -> Tokenizer {
    try loadedTokenizers.withLock { cache in
        if let t = cache[path] { return t }
        let t = try Tokenizer(gguf: GGUFFile(path: path))
        cache[path] = t
        return t
    }
}

private let loadedTokenizers = Mutex<[String: Tokenizer]>([:])

/// Decodes `ids` one at a time with a `StreamingDetokenizer`.
func streamed(_ tokenizer: Tokenizer, _ ids: [Int32], showSpecial: Bool) -> String {
    var stream = StreamingDetokenizer(tokenizer: tokenizer, showSpecial: showSpecial)
    var text = ""
    for id in ids { text += stream.append(id) }
    return text + stream.flush()
}
