import Foundation
import Testing
@testable import Models
import GGUF

/// Logit parity with llama.cpp on the two real models. Slow in debug builds, so these run in
/// release mode (`make test-models`, which sets SWIFTLET_REAL_MODEL_TESTS=1).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SWIFTLET_REAL_MODEL_TESTS"] == "1",
                "set SWIFTLET_REAL_MODEL_TESTS=1 (make test-models) to run real-model tests"))
struct RealModelParityTests {
    @Test(arguments: ["qwen2.5-coder-0.5b-instruct-q4_k_m", "gemma-3-270m-q4_k_m"])
    func matchesLlamaCpp(name: String) throws {
        try expectParity(name)
    }

    /// An 862-token prompt: positions past 512 exercise Gemma 3's sliding-window layers (the shared
    /// references stop at 225 tokens). Reference made with scripts/make-reference.py.
    @Test func gemmaPromptLongerThanSlidingWindow() throws {
        let ref = try Reference.load(vector: "gemma-long-prompt")
        #expect(ref.prompts[0].tokens.count > 512)
        try expectParity("gemma-3-270m-q4_k_m", reference: ref)
    }
}
