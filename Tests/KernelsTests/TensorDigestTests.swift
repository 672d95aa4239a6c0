import Foundation
import GGUF
import Testing
import Kernels

struct TensorDigest: Decodable { let name: String, type: String, elements: Int, sha256: String }
struct FileDigests: Decodable { let file: String, kind: String, tensors: [TensorDigest] }
struct TensorDigests: Decodable { let f16_all_sha256: String, bf16_all_sha256: String, files: [FileDigests] }

/// Whole-tensor agreement with gguf-py: every tensor of a file is dequantized and the SHA-256 of its
/// little-endian f32 bytes compared with the digest scripts/make-quant-vectors.py recorded.
@Suite struct TensorDigestTests {
    @Test(arguments: ["llama-spm-q4_k_m.gguf", "llama-bpe-q4_k_m.gguf", "phi3-f16.gguf"])
    func fixtureTensorsMatchGGUFPy(name: String) throws {
        try checkTensorDigests(path: TestPaths.fixtures.appendingPathComponent(name).path, name: name)
    }
}

/// The same for the real models, ~900M elements: ~85 s in a debug build on 2 shared cores, ~30 s in
/// release (against ~6 s for the fixtures above). So they run only when asked for with
/// SWIFTLET_REAL_MODEL_TESTS=1 (`make test-models` runs the RealModel suites in release), and only
/// for the model files that have been fetched.
@Suite struct RealModelDigestTests {
    static let qwen = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    static let gemma = "gemma-3-270m-q4_k_m.gguf"

    static func enabled(_ name: String) -> Bool {
        ProcessInfo.processInfo.environment["SWIFTLET_REAL_MODEL_TESTS"] == "1"
            && FileManager.default.fileExists(atPath: TestPaths.models.appendingPathComponent(name).path)
    }

    @Test(.enabled(if: enabled(qwen), "needs SWIFTLET_REAL_MODEL_TESTS=1 and the fetched model"))
    func qwenTensorsMatchGGUFPy() throws {
        try checkTensorDigests(path: TestPaths.models.appendingPathComponent(Self.qwen).path, name: Self.qwen)
    }

    @Test(.enabled(if: enabled(gemma), "needs SWIFTLET_REAL_MODEL_TESTS=1 and the fetched model"))
    func gemmaTensorsMatchGGUFPy() throws {
        try checkTensorDigests(path: TestPaths.models.appendingPathComponent(Self.gemma).path, name: Self.gemma)
    }
}

/// Dequantizes every tensor of the file and compares its SHA-256 with the recorded digest.
func checkTensorDigests(path: String, name: String) throws {
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
