import CKernels
import Foundation

/// Elementwise and reduction kernels on f32 vectors. Loops run over unsafe pointers in SIMD-sized
/// chunks so the optimiser vectorises them; none allocates.
public enum VectorMath {
    /// RMSNorm of one row: `out = x / sqrt(mean(x²) + eps) * weight` (llama.cpp's rms_norm then mul).
    /// `out` may alias `x`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                               out: UnsafeMutablePointer<Float>, _ n: Int) {
        // As ggml: the sum of squares accumulates in double, the mean and scale are f32.
        var sum: Double = 0
        for i in 0 ..< n { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(n))
        let scale = 1 / (mean + eps).squareRoot()
        for i in 0 ..< n { out[i] = x[i] * scale * weight[i] }
    }

    /// `gate[i] = silu(gate[i]) * up[i]` (SwiGLU), vectorised in C (ck_activations.h).
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        swiftlet_swiglu(KernelISA.best.rawValue, gate, up, Int64(n))
    }

    /// `gate[i] = gelu_tanh(gate[i]) * up[i]` (GeGLU with the tanh approximation, as Gemma uses).
    ///
    /// GELU is evaluated at half precision, as ggml does by default (a table indexed by the f16
    /// input, holding f16 results; identity above 10, zero below -10): matching it keeps Gemma's
    /// logits within llama.cpp's tolerance.
    public static func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        swiftlet_geglu(KernelISA.best.rawValue, gate, up, Int64(n))
    }

    /// `x[i] += y[i]`.
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        for i in 0 ..< n { x[i] += y[i] }
    }

    /// `x[i] *= a`.
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ a: Float, _ n: Int) {
        for i in 0 ..< n { x[i] *= a }
    }
}
