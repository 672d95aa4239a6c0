import Testing
@testable import Models
import GGUF

/// Logit parity with llama.cpp on the tiny random-weight fixtures (fast enough for debug builds).
@Suite struct FixtureParityTests {
    @Test(arguments: ["phi3-f16", "llama-spm-q4_k_m", "llama-bpe-q4_k_m"])
    func matchesLlamaCpp(name: String) throws {
        try expectParity(name)
    }
}
