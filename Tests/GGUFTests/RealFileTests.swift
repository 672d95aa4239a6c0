import Foundation
import Testing
@testable import GGUF

/// Paths to shared test data and fetched models, relative to this source file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    static func fixture(_ name: String) -> String { shared.appendingPathComponent("models/\(name)").path }
    static func model(_ name: String) -> String { repo.appendingPathComponent("models/\(name)").path }
}

@Suite struct RealFileTests {
    @Test(arguments: ["llama-spm-q4_k_m.gguf", "llama-bpe-q4_k_m.gguf", "phi3-f16.gguf"])
    func fixturesLoad(name: String) throws {
        let f = try GGUFFile(path: TestPaths.fixture(name))
        #expect(f.tensors.count > 0)
        #expect(try f.metadata.string("general.architecture").count > 0)
    }
}
