import Testing
@testable import Models
import GGUF

/// Logit parity with llama.cpp on the tiny random-weight fixtures (fast enough for debug builds).
@Suite struct FixtureParityTests {
    @Test(arguments: ["phi3-f16", "llama-spm-q4_k_m", "llama-bpe-q4_k_m"])
    func matchesLlamaCpp(name: String) throws {
        let ref = try Reference.load(name)
        let model = try ModelRegistry.load(path: Reference.modelPath(name))
        #expect(model.vocabularySize == ref.n_vocab)
        let r = try ParityReport.measure(model: model, reference: ref)
        print("parity \(name): \(r)")
        #expect(r.argmaxMismatches.isEmpty, "\(r.argmaxMismatches)")
        #expect(r.meanAbsDiff <= 0.12)
        #expect(r.maxAbsDiff <= 0.8)
        #expect(r.greedyFailures.isEmpty, "\(r.greedyFailures)")
    }
}
