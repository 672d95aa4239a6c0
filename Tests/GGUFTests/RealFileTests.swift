import Foundation
import Testing
@testable import GGUF

/// Paths to shared test data and fetched models, relative to this source file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    static func fixture(_ name: String) -> String { shared.appendingPathComponent("models/\(name)").path }
    static func model(_ name: String) -> String { repo.appendingPathComponent("models/\(name)").path }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// What the `gguf` Python package (0.19.0, `GGUFReader`) reports for a file; the expected values
/// below were read with it, not with Swiftlet.
struct Reference: Sendable, CustomTestStringConvertible {
    var path: String
    var architecture: String
    var tensorCount: Int
    var parameterCount: Int
    var dataOffset: Int
    var tensorTypes: [String: Int]
    /// First and last tensor: name, type, shape, bytes, offset in the data section.
    var first: (String, GGMLType, [Int], Int, Int)
    var last: (String, GGMLType, [Int], Int, Int)
    var testDescription: String { URL(fileURLWithPath: path).lastPathComponent }

    static let qwen = Reference(
        path: TestPaths.model("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"), architecture: "qwen2", tensorCount: 291,
        parameterCount: 630_167_424, dataOffset: 5_947_776,
        tensorTypes: ["Q5_0": 133, "F32": 121, "Q8_0": 13, "Q6_K": 12, "Q4_K": 12],
        first: ("output.weight", .q8_0, [896, 151_936], 144_643_072, 0),
        last: ("output_norm.weight", .f32, [896], 3584, 485_448_704))
    static let gemma = Reference(
        path: TestPaths.model("gemma-3-270m-q4_k_m.gguf"), architecture: "gemma3", tensorCount: 236,
        parameterCount: 268_098_176, dataOffset: 6_525_120,
        tensorTypes: ["F32": 109, "Q5_0": 81, "Q4_K": 27, "Q8_0": 10, "Q6_K": 9],
        first: ("output_norm.weight", .f32, [640], 2560, 0),
        last: ("blk.17.post_ffw_norm.weight", .f32, [640], 2560, 246_585_344))
    static let fixtures = [
        Reference(path: TestPaths.fixture("llama-spm-q4_k_m.gguf"), architecture: "llama", tensorCount: 21,
                  parameterCount: 17_958_144, dataOffset: 725_152, tensorTypes: ["Q4_K": 13, "F32": 5, "Q6_K": 3],
                  first: ("output.weight", .q6_K, [256, 32000], 6_720_000, 0),
                  last: ("blk.1.ffn_up.weight", .q4_K, [256, 768], 110_592, 12_166_400)),
        Reference(path: TestPaths.fixture("llama-bpe-q4_k_m.gguf"), architecture: "llama", tensorCount: 20,
                  parameterCount: 34_342_144, dataOffset: 7_819_328, tensorTypes: ["Q4_K": 12, "F32": 5, "Q6_K": 3],
                  first: ("output_norm.weight", .f32, [256], 1024, 0),
                  last: ("blk.1.ffn_up.weight", .q4_K, [256, 768], 110_592, 27_731_072)),
        Reference(path: TestPaths.fixture("phi3-f16.gguf"), architecture: "phi3", tensorCount: 15,
                  parameterCount: 18_121_984, dataOffset: 726_848, tensorTypes: ["F16": 10, "F32": 5],
                  first: ("output.weight", .f16, [256, 32064], 16_416_768, 0),
                  last: ("blk.1.ffn_up.weight", .f16, [256, 1536], 786_432, 35_460_096)),
    ]
}

@Suite struct RealFileTests {
    static let fixturesPresent = Reference.fixtures.allSatisfy { TestPaths.exists($0.path) }

    static func check(_ r: Reference) throws {
        let f = try GGUFFile(path: r.path)
        #expect(try f.metadata.string("general.architecture") == r.architecture)
        #expect(f.tensors.count == r.tensorCount)
        #expect(f.parameterCount == r.parameterCount)
        #expect(f.dataOffset == r.dataOffset)
        var types = [String: Int]()
        for t in f.tensors { types[t.type.description, default: 0] += 1 }
        #expect(types == r.tensorTypes)
        for (expected, t) in [(r.first, f.tensors.first), (r.last, f.tensors.last)] {
            let (name, type, shape, bytes, offset) = expected
            #expect(t?.name == name)
            #expect(t?.type == type)
            #expect(t?.shape == shape)
            #expect(t?.byteCount == bytes)
            #expect(t?.offset == offset)
        }
        // The last tensor ends exactly at the end of the file.
        if let t = f.tensors.max(by: { $0.offset < $1.offset }) {
            #expect(f.dataOffset + t.offset + t.byteCount == f.fileSize)
        }
    }

    @Test(.enabled(if: fixturesPresent), arguments: Reference.fixtures)
    func fixtureMatchesReference(_ r: Reference) throws { try Self.check(r) }

    @Test(.enabled(if: TestPaths.exists(Reference.qwen.path)))
    func qwenMatchesReference() throws { try Self.check(.qwen) }

    @Test(.enabled(if: TestPaths.exists(Reference.gemma.path)))
    func gemmaMatchesReference() throws { try Self.check(.gemma) }

    /// Vocab-only files (no tensors): architecture, vocab size and key count as gguf-python reads them.
    @Test(.enabled(if: TestPaths.exists(TestPaths.shared.appendingPathComponent("tokenizer").path)),
          arguments: [("gpt-2", "gpt2", 50257, 16), ("llama-bpe", "llama", 128_256, 20), ("llama-spm", "llama", 32000, 22),
                      ("phi-3", "phi3", 32064, 26), ("qwen2", "qwen2", 151_936, 20)])
    func vocabOnlyFileLoads(name: String, architecture: String, vocab: Int, keys: Int) throws {
        let path = TestPaths.shared.appendingPathComponent("tokenizer/ggml-vocab-\(name).gguf").path
        let f = try GGUFFile(path: path)
        #expect(f.tensors.isEmpty)
        #expect(f.metadata.keys.count == keys)
        let s = try GGUFModelSummary(f)
        #expect(s.architecture == architecture)
        #expect(s.tokenizer.vocabSize == vocab)
        #expect(s.parameterCount == 0)
    }
}
