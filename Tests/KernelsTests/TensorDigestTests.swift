import Foundation
import GGUF
import Testing
@testable import Kernels

struct TensorDigest: Decodable { let name: String, type: String, elements: Int, sha256: String }
struct FileDigests: Decodable { let file: String, kind: String, tensors: [TensorDigest] }
struct TensorDigests: Decodable { let f16_all_sha256: String, bf16_all_sha256: String, files: [FileDigests] }

/// Whole-tensor agreement with gguf-py: every tensor of a file is dequantized and the SHA-256 of its
/// little-endian f32 bytes compared with the digest scripts/make-quant-vectors.py recorded.
@Suite struct TensorDigestTests {
    static let fixtureNames = ["llama-spm-q4_k_m.gguf", "llama-bpe-q4_k_m.gguf", "phi3-f16.gguf"]
    static let modelNames = ["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "gemma-3-270m-q4_k_m.gguf"]

    /// The real models hold ~900M elements; hashing them takes minutes in a debug build, so they run
    /// only when asked for (CI sets this for its release-mode test run) and when fetched.
    static let realModelsEnabled = ProcessInfo.processInfo.environment["SWIFTLET_REAL_MODEL_TESTS"] == "1"

    @Test(arguments: fixtureNames)
    func fixtureTensorsMatchGGUFPy(name: String) throws {
        try checkDigests(path: TestPaths.fixtures.appendingPathComponent(name).path, name: name)
    }

    @Test(.enabled(if: realModelsEnabled, "set SWIFTLET_REAL_MODEL_TESTS=1 (release build recommended)"),
          arguments: modelNames)
    func realModelTensorsMatchGGUFPy(name: String) throws {
        let path = TestPaths.models.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("SWIFTLET_REAL_MODEL_TESTS=1 but \(path) is missing: run scripts/fetch-models.sh")
            return
        }
        try checkDigests(path: path, name: name)
    }

    private func checkDigests(path: String, name: String) throws {
        let digests = try loadJSON(TensorDigests.self, "digests.json")
        let expected = try #require(digests.files.first { $0.file == name }, "no digests for \(name)")
        let file = try GGUFFile(path: path)
        #expect(file.tensors.map(\.name) == expected.tensors.map(\.name))
        // Decoded in chunks of whole blocks into one reused buffer: [chunk] floats.
        let chunk = 1 << 18
        var buffer = [Float](repeating: 0, count: chunk)
        let started = ContinuousClock.now
        var elements = 0
        for (tensor, want) in zip(file.tensors, expected.tensors) {
            #expect(tensor.type.description == want.type && tensor.elementCount == want.elements, "\(tensor.name)")
            let data = file.data(of: tensor)
            let sha = SHA256()
            var done = 0
            while done < tensor.elementCount {
                let n = min(chunk, tensor.elementCount - done)  // chunk is a multiple of every block size
                let offset = done / tensor.type.blockSize * tensor.type.blockBytes
                try buffer.withUnsafeMutableBufferPointer { dst in
                    try Dequantize.row(tensor.type, UnsafeRawBufferPointer(rebasing: data[offset...]),
                                       into: UnsafeMutableBufferPointer(rebasing: dst[0..<n]))
                    sha.update(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: dst[0..<n])))
                }
                done += n
            }
            #expect(sha.finalize() == want.sha256, "\(name): \(tensor.name) (\(tensor.type))")
            elements += tensor.elementCount
        }
        print("digests of \(name): \(file.tensors.count) tensors, \(elements) elements in \(ContinuousClock.now - started)")
    }
}
