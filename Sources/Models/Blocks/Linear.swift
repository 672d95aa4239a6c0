import Kernels

/// `y = x·Wᵀ (+ b)`: a projection with an optional bias.
struct Linear: @unchecked Sendable {
    let weight: WeightMatrix
    let bias: [Float]?   // [outFeatures]

    var outFeatures: Int { weight.rows }
    var inFeatures: Int { weight.columns }

    init(_ loader: WeightLoader, _ name: String, out: Int, in inFeatures: Int, bias: Bool = false) throws(ModelError) {
        weight = try loader.matrix("\(name).weight", rows: out, columns: inFeatures)
        self.bias = bias ? try loader.vector("\(name).bias", count: out) : nil
    }

    init(weight: WeightMatrix, bias: [Float]? = nil) {
        self.weight = weight
        self.bias = bias
    }

    /// x: `[n, inFeatures]` → y: `[n, outFeatures]` (row stride `ldy`).
    func callAsFunction(_ x: UnsafePointer<Float>, n: Int, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                        scratch: MatMulScratch) throws(ModelError) {
        do {
            try MatMul.multiply(weight, x: x, n: n, y: y, ldy: ldy, scratch: scratch)
        } catch {
            throw .kernel(error)
        }
        if let bias {
            let stride = ldy ?? outFeatures
            bias.withUnsafeBufferPointer { b in
                for t in 0 ..< n { VectorMath.add(y + t * stride, b.baseAddress!, outFeatures) }
            }
        }
    }
}

/// RMSNorm with a learned per-feature weight, applied row by row.
struct RMSNorm: Sendable {
    let weight: [Float]  // [features]
    let eps: Float

    init(_ loader: WeightLoader, _ name: String, count: Int, eps: Float) throws(ModelError) {
        weight = try loader.vector("\(name).weight", count: count)
        self.eps = eps
    }

    /// Normalises `rows` rows of `weight.count` floats, each `stride` apart (default: packed).
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>, stride: Int? = nil) {
        let n = weight.count, s = stride ?? n
        weight.withUnsafeBufferPointer { w in
            for r in 0 ..< rows { VectorMath.rmsNorm(x + r * s, weight: w.baseAddress!, eps: eps, out: out + r * s, n) }
        }
    }
}
