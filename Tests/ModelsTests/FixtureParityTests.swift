import Testing
@testable import Models
import GGUF

/// Logit parity with llama.cpp on the tiny random-weight fixtures (fast enough for debug builds).
@Suite struct FixtureParityTests {
    @Test(arguments: ["phi3-f16", "llama-spm-q4_k_m"])
    func matchesLlamaCpp(name: String) throws {
        try expectParity(name)
    }

    /// The Llama 3-layout fixture (random weights, 1 KV head) amplifies float summation order:
    /// llama.cpp itself, with flash attention or an f32 KV cache instead of the reference's
    /// settings, differs from the reference by 0.296-0.308 on average and up to 1.44-1.63
    /// (llama-cpp-python 0.3.36). Our portable kernels land at 0.06, the AVX kernels (another
    /// summation order) at 0.15 / 1.07: inside that spread but above the 0.12 / 0.8, so
    /// the bound here is llama.cpp's own spread, with argmax and greedy agreement kept strict.
    @Test func llamaBPEMatchesLlamaCpp() throws {
        try expectParity("llama-bpe-q4_k_m", meanLimit: 0.3, maxLimit: 1.6)
    }
}
