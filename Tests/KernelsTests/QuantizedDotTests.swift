import GGUF
import Testing
import Kernels

/// The reference dot products against dequantize-then-dot in Double.
@Suite struct QuantizedDotTests {
    static let weightTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Byte offsets of the F16 scale fields in one block, so that random blocks get finite scales.
    static func scaleOffsets(_ type: GGMLType) -> [Int] {
        switch type {
        case .q4_0, .q5_0, .q8_0: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        default: return []
        }
    }

    /// `blocks` random blocks of `type`: random quants and scales, with F16 scales of about ±0.05.
    static func randomBlocks(_ type: GGMLType, blocks: Int, using rng: inout SeededGenerator) -> [UInt8] {
        var raw = (0..<blocks * type.blockBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for b in 0..<blocks {
            for off in scaleOffsets(type) {
                let h = HalfFloat.half(from: Float.random(in: -0.05...0.05, using: &rng))
                raw[b * type.blockBytes + off] = UInt8(h & 0xff)
                raw[b * type.blockBytes + off + 1] = UInt8(h >> 8)
            }
        }
        return raw
    }

    /// Rows of 1, 3 and 7 blocks (odd counts on purpose).
    @Test(arguments: weightTypes, [1, 3, 7])
    func matchesDequantizedDot(type: GGMLType, blocks: Int) throws {
        var rng = SeededGenerator(state: UInt64(type.rawValue) &* 1000 &+ UInt64(blocks))
        let count = blocks * type.blockSize
        let actType = try #require(type.dotActivationType)
        let weights = Self.randomBlocks(type, blocks: blocks, using: &rng)
        let input = rng.normals(count, scale: 2)
        let act = try encode(actType, input)

        let got = try weights.withUnsafeBytes { w in
            try act.withUnsafeBytes { a in try QuantizedDot.row(type, w.baseAddress!, a.baseAddress!, count: count) }
        }
        let w = try decode(type, weights, count: count)
        let a = try decode(actType, act, count: count)
        let exact = zip(w, a).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(w, a).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        // Float rounding of the per-block scale products and of the sum over blocks.
        var tolerance = 1e-5 * magnitude + 1e-30
        if actType == .q8_1 {
            // Q4_1/Q5_1 use the activation block's stored s = f16(d * Σq) for the offset term, while
            // dequantization uses d * Σq exactly: one F16 rounding (2^-11 relative) of m * s per block.
            for b in 0..<blocks {
                let m = Double(HalfFloat.float(fromHalf: UInt16(weights[b * type.blockBytes + 2]) | UInt16(weights[b * type.blockBytes + 3]) << 8))
                let s = a[(b * 32)..<(b * 32 + 32)].reduce(0.0) { $0 + Double($1) }
                tolerance += abs(m * s) * 0x1p-10
            }
        }
        #expect(abs(Double(got) - exact) <= tolerance, "\(type) × \(actType), \(blocks) blocks: \(got) vs \(exact) (tolerance \(tolerance))")
        #expect(exact != 0)
    }

    @Test func typesWithoutADotProductThrow() {
        let raw = [UInt8](repeating: 0, count: 64)
        raw.withUnsafeBytes { p in
            #expect(throws: KernelError.unsupportedType(.f16, operation: "quantized dot product")) {
                try QuantizedDot.row(.f16, p.baseAddress!, p.baseAddress!, count: 32)
            }
            #expect(throws: KernelError.countNotBlockMultiple(.q4_0, count: 33)) {
                try QuantizedDot.row(.q4_0, p.baseAddress!, p.baseAddress!, count: 33)
            }
        }
        #expect(GGMLType.f16.dotActivationType == nil)
    }
}
