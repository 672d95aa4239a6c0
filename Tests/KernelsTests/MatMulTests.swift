import CKernels
import GGUF
import Kernels
import Testing

/// Random weight rows of `type`: random bytes, with every f16 scale field overwritten by a finite
/// value of a realistic size (random bytes there would be NaN/Inf or huge).
func randomWeights(_ type: GGMLType, rows: Int, columns: Int, rng: inout SeededGenerator) -> [UInt8] {
    let rowBytes = type.rowBytes(elements: columns) ?? 0
    var data = (0 ..< rows * rowBytes).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
    func half(_ v: Float) -> (UInt8, UInt8) {
        let h = HalfFloat.half(from: v)
        return (UInt8(h & 0xff), UInt8(h >> 8))
    }
    if type == .f16 {
        for i in stride(from: 0, to: data.count, by: 2) { (data[i], data[i + 1]) = half(Float.random(in: -1 ... 1, using: &rng)) }
        return data
    }
    if type == .f32 {
        for i in stride(from: 0, to: data.count, by: 4) {
            let bits = Float.random(in: -1 ... 1, using: &rng).bitPattern
            for b in 0 ..< 4 { data[i + b] = UInt8((bits >> (8 * UInt32(b))) & 0xff) }
        }
        return data
    }
    // Byte offsets of the f16 scale fields inside one block.
    let scaleOffsets: [Int]
    switch type {
    case .q4_0, .q5_0, .q8_0: scaleOffsets = [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: scaleOffsets = [0, 2]
    case .q2_K: scaleOffsets = [80, 82]
    case .q3_K: scaleOffsets = [108]
    case .q6_K: scaleOffsets = [208]
    default: scaleOffsets = []
    }
    for block in stride(from: 0, to: data.count, by: type.blockBytes) {
        for o in scaleOffsets { (data[block + o], data[block + o + 1]) = half(Float.random(in: 0.001 ... 0.02, using: &rng)) }
    }
    return data
}

/// Reference product of one weight row and one activation row: ggml's scalar vec_dot on the
/// activation quantized to the type ggml pairs with the weights, or a Double dot for F16/F32
/// weights. Also returns Σ|w·x| over the decoded row, the scale of rounding differences.
func referenceDot(_ type: GGMLType, row: UnsafeRawPointer, x: [Float]) throws -> (value: Double, magnitude: Double) {
    var w = [Float](repeating: 0, count: x.count)
    try w.withUnsafeMutableBufferPointer { try Dequantize.row(type, row, into: $0.baseAddress!, count: x.count) }
    let magnitude = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
    guard let act = type.dotActivationType else {
        return (zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, magnitude)
    }
    var q = [UInt8](repeating: 0, count: act.rowBytes(elements: x.count) ?? 0)
    try x.withUnsafeBufferPointer { xs in
        try q.withUnsafeMutableBytes { try Quantize.row(act, xs, into: $0) }
    }
    let v = try q.withUnsafeBytes { try QuantizedDot.row(type, row, $0.baseAddress!, count: x.count) }
    return (Double(v), magnitude)
}

@Suite struct MatMulTests {
    static let types: [GGMLType] = [.q4_0, .q5_0, .q8_0, .q4_K, .q6_K, .f16, .f32, .q4_1, .q5_1, .q2_K, .q3_K, .q5_K]
    static let isas = KernelISA.allCases.filter(\.isAvailable)

    /// Every type × every instruction set on this CPU against the scalar reference, for odd row
    /// counts, odd block counts and token counts around the 8-token tile.
    @Test(arguments: types)
    func matchesReference(type: GGMLType) throws {
        let pool = try ThreadPool(threads: 2)
        let block = type.blockSize
        var rng = SeededGenerator(state: UInt64(type.rawValue) + 7)
        for columns in [block == 1 ? 37 : block, 3 * max(block, 32)] {
            let rows = 13
            let w = randomWeights(type, rows: rows, columns: columns, rng: &rng)
            let rowBytes = type.rowBytes(elements: columns)!
            for n in [1, 3, 9] {
                let x = rng.normals(n * columns)
                for isa in Self.isas {
                    let scratch = MatMulScratch(pool: pool, isa: isa)
                    var y = [Float](repeating: .nan, count: n * rows)
                    try w.withUnsafeBytes { wb in
                        let m = WeightMatrix(type: type, rows: rows, columns: columns, data: wb.baseAddress!)
                        try MatMul.multiply(m, x: x, n: n, y: &y, scratch: scratch)
                    }
                    for t in 0 ..< n {
                        let xt = Array(x[t * columns ..< (t + 1) * columns])
                        for r in 0 ..< rows {
                            let ref = try w.withUnsafeBytes { try referenceDot(type, row: $0.baseAddress! + r * rowBytes, x: xt) }
                            let got = Double(y[t * rows + r])
                            #expect(abs(got - ref.value) <= 1e-5 * ref.magnitude + 1e-6,
                                    "\(type) \(isa) K=\(columns) n=\(n) t=\(t) r=\(r): \(got) vs \(ref.value)")
                        }
                    }
                }
            }
        }
    }

    /// A token's outputs are bit-identical whether it is multiplied alone, at any place in a batch,
    /// or with another thread count.
    @Test(arguments: types)
    func batchInvariant(type: GGMLType) throws {
        let block = type.blockSize
        let rows = 29, columns = 5 * max(block, 32) - (block == 1 ? 3 : 0)
        var rng = SeededGenerator(state: 99 + UInt64(type.rawValue))
        let w = randomWeights(type, rows: rows, columns: columns, rng: &rng)
        let n = 19
        let x = rng.normals(n * columns)
        for isa in Self.isas {
            func run(_ xs: ArraySlice<Float>, tokens: Int, threads: Int) throws -> [Float] {
                let scratch = MatMulScratch(pool: try ThreadPool(threads: threads), isa: isa)
                var y = [Float](repeating: .nan, count: tokens * rows)
                try w.withUnsafeBytes { wb in
                    let m = WeightMatrix(type: type, rows: rows, columns: columns, data: wb.baseAddress!)
                    try Array(xs).withUnsafeBufferPointer { try MatMul.multiply(m, x: $0.baseAddress!, n: tokens, y: &y, scratch: scratch) }
                }
                return y
            }
            let batch = try run(x[...], tokens: n, threads: 2)
            let batch3 = try run(x[...], tokens: n, threads: 3)
            #expect(batch == batch3, "\(type) \(isa): thread count changed results")
            for t in [0, 7, 8, 18] {
                let alone = try run(x[t * columns ..< (t + 1) * columns], tokens: 1, threads: 1)
                #expect(Array(batch[t * rows ..< (t + 1) * rows]) == alone, "\(type) \(isa): token \(t) differs alone")
            }
        }
    }

    /// Row strides: outputs land at ldy, inputs are read at ldx, nothing else is touched.
    @Test func strides() throws {
        let type = GGMLType.q5_0, rows = 5, columns = 64, n = 3, ldx = 70, ldy = 9
        var rng = SeededGenerator(state: 5)
        let w = randomWeights(type, rows: rows, columns: columns, rng: &rng)
        let x = rng.normals(n * ldx)
        let scratch = MatMulScratch(pool: try ThreadPool(threads: 2))
        var y = [Float](repeating: -7, count: n * ldy)
        try w.withUnsafeBytes { wb in
            let m = WeightMatrix(type: type, rows: rows, columns: columns, data: wb.baseAddress!)
            try MatMul.multiply(m, x: x, n: n, ldx: ldx, y: &y, ldy: ldy, scratch: scratch)
        }
        for t in 0 ..< n {
            let xt = Array(x[t * ldx ..< t * ldx + columns])
            for r in 0 ..< rows {
                let ref = try w.withUnsafeBytes { try referenceDot(type, row: $0.baseAddress! + r * type.rowBytes(elements: columns)!, x: xt) }
                #expect(abs(Double(y[t * ldy + r]) - ref.value) <= 1e-5 * ref.magnitude + 1e-6)
            }
            for r in rows ..< ldy { #expect(y[t * ldy + r] == -7) }
        }
    }
}
