import Engine
import Foundation
import Models
import Testing

/// Batch invariance on a real model: 16 greedy requests produce the same tokens whether each runs
/// alone or all run together (mixed prefill chunks and decode steps in shared batches). Release
/// mode only (`make test-models`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SWIFTLET_REAL_MODEL_TESTS"] == "1",
                "set SWIFTLET_REAL_MODEL_TESTS=1 (make test-models) to run real-model tests"))
struct RealModelBatchInvarianceTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let name = "qwen2.5-coder-0.5b-instruct-q4_k_m"

    /// 16 different prompts: the reference file's tokenizations of varied texts.
    static func prompts() throws -> [[Int32]] {
        struct Ref: Decodable { struct Item: Decodable { let tokens: [Int32] }; let tokenize: [Item] }
        let url = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/reference/\(name).json")
        let ref = try JSONDecoder().decode(Ref.self, from: Data(contentsOf: url))
        return ref.tokenize.map(\.tokens).filter { (3 ... 40).contains($0.count) }.prefix(16).map { $0 }
    }

    static func run(_ prompts: [[Int32]], on engine: Engine) async throws -> [[Int32]] {
        let streams = try prompts.map { p in
            try engine.submit(GenerationRequest(promptTokens: p, sampling: .greedy,
                                                stop: StopConditions(maxTokens: 12, ignoreEOS: true)))
        }
        var out: [[Int32]] = []
        for s in streams {
            var tokens: [Int32] = []
            for try await case let .token(t) in s { tokens.append(t.id) }
            out.append(tokens)
        }
        return out
    }

    @Test func greedyTokensDoNotDependOnTheBatch() async throws {
        let path = Self.repo.appendingPathComponent("models/\(Self.name).gguf").path
        let model = try ModelRegistry.load(path: path)
        let prompts = try Self.prompts()
        #expect(prompts.count == 16)
        // Small chunks so that prefill chunks and decode tokens of different requests share steps.
        let config = EngineConfiguration(kvCacheBytes: 64 << 20, maxBatchTokens: 24, maxRunningSequences: 16,
                                         prefixCaching: false)
        let engine = try Engine(model: model, configuration: config)
        var alone: [[Int32]] = []
        for p in prompts { alone += try await Self.run([p], on: engine) }
        let together = try await Self.run(prompts, on: engine)
        await engine.shutdown()
        #expect(alone == together)
        #expect(alone.allSatisfy { $0.count == 12 })
    }
}
