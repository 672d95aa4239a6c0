import Foundation

/// Elementwise and reduction kernels on f32 vectors. Loops run over unsafe pointers in SIMD-sized
/// chunks so the optimiser vectorises them; none allocates.
public enum VectorMath {
    /// Dot product of `n` floats.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>.zero
        var i = 0
        while i + 16 <= n {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            acc.addProduct(x, y)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// `y[i] += a * x[i]`.
    @inlinable
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0 ..< n { y[i] += a * x[i] }
    }

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

    /// In-place softmax of `n` floats.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for i in 0 ..< n { m = max(m, x[i]) }
        var s: Float = 0
        for i in 0 ..< n { x[i] = expf(x[i] - m); s += x[i] }
        let inv = 1 / s
        for i in 0 ..< n { x[i] *= inv }
    }

    /// `gate[i] = silu(gate[i]) * up[i]` (SwiGLU).
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        for i in 0 ..< n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `gate[i] = gelu_tanh(gate[i]) * up[i]` (GeGLU with the tanh approximation, as Gemma uses).
    ///
    /// GELU is evaluated at half precision, as ggml does by default (a table indexed by the f16
    /// input, holding f16 results; identity above 10, zero below -10): matching it keeps Gemma's
    /// logits within llama.cpp's tolerance.
    public static func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        let c: Float = 0.797_884_560_802_865_4 // sqrt(2/pi)
        for i in 0 ..< n {
            let x = gate[i]
            let g: Float
            if x <= -10 {
                g = 0
            } else if x >= 10 {
                g = x
            } else {
                let h = Float(Float16(x))
                g = Float(Float16(0.5 * h * (1 + tanhf(c * h * (1 + 0.044715 * h * h)))))
            }
            gate[i] = g * up[i]
        }
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
