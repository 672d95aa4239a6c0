import CKernels
import Foundation
import Kernels
import Testing

/// The vectorised gated activations against the formulas in Double, on every ISA, over a range
/// that includes saturation (|x| up to 40) and a length with a partial vector at the end.
@Suite struct ActivationTests {
    @Test func swigluAndGegluMatchFormulas() {
        let n = 1000
        var rng = SeededGenerator(state: 3)
        let g = (0 ..< n).map { _ in Float.random(in: -40 ... 40, using: &rng) }
        let up = rng.normals(n)
        for isa in KernelISA.allCases.filter(\.isAvailable) {
            var s = g, e = g
            swiftlet_swiglu(isa.rawValue, &s, up, Int64(n))
            swiftlet_geglu(isa.rawValue, &e, up, Int64(n))
            for i in 0 ..< n {
                let x = Double(g[i]), u = Double(up[i])
                let silu = x / (1 + exp(-x)) * u
                // ggml's half-precision GELU: f16 input and result, clamped outside ±10.
                func f16(_ v: Double) -> Double { Double(HalfFloat.float(fromHalf: HalfFloat.half(from: Float(v)))) }
                let h = f16(x)
                let gelu = (x >= 10 ? x : x <= -10 ? 0 : f16(0.5 * h * (1 + tanh(0.7978845608028654 * h * (1 + 0.044715 * h * h))))) * u
                #expect(abs(Double(s[i]) - silu) <= 2e-6 * max(1, abs(silu)), "\(isa) swiglu x=\(x)")
                // One f16 ulp of the GELU value may differ where the exact value sits on a rounding edge.
                #expect(abs(Double(e[i]) - gelu) <= 1e-3 * max(1, abs(gelu)), "\(isa) geglu x=\(x)")
            }
        }
    }
}
