import CKernels
import GGUF
import Kernels
import Testing

/// The matmul's activation quantizers (every ISA) give exactly ggml's Q8_0 / Q8_K quants and
/// scales, including rounding ties (blocks whose scale is 1, holding half-integers).
@Suite struct ActivationQuantizationTests {
    static func input(_ k: Int) -> [Float] {
        var rng = SeededGenerator(state: 11)
        var x = rng.normals(k, scale: 3)
        // Block 1: scale exactly 1 (max |x| = 127) and ties at ±n.5.
        for j in 32 ..< 64 { x[j] = Float(j - 48) + 0.5 }
        x[40] = -127
        // K-block 1: max magnitude -127, so iscale = 1, and ties.
        if k >= 512 { for j in 256 ..< 512 { x[j] = Float((j % 60) - 30) + 0.5 }; x[300] = -127 }
        return x
    }

    @Test(arguments: [GGMLType.q5_0, .q8_0, .q4_0])
    func pairsMatchGGMLQ8_0(type: GGMLType) throws {
        let k = 7 * 32   // an odd block count: the last record is half empty
        let x = Self.input(k)
        var ref = [UInt8](repeating: 0, count: GGMLType.q8_0.rowBytes(elements: k)!)
        try x.withUnsafeBufferPointer { xs in try ref.withUnsafeMutableBytes { try Quantize.row(.q8_0, xs, into: $0) } }
        for isa in KernelISA.allCases.filter(\.isAvailable) {
            let bytes = swiftlet_matmul_scratch_bytes(isa.rawValue, Int32(type.rawValue), Int64(k), 1)
            var out = [UInt8](repeating: 0, count: bytes)
            let status = out.withUnsafeMutableBytes { swiftlet_matmul_quantize(isa.rawValue, Int32(type.rawValue), x, Int64(k), $0.baseAddress) }
            #expect(status == 0)
            // ISAs without a SIMD kernel for this type use ggml's Q8_0 blocks themselves.
            if bytes == (ref.count + 63) & ~63 { #expect(Array(out[0 ..< ref.count]) == ref, "\(isa)"); continue }
            for b in 0 ..< k / 32 {
                let record = (b / 2) * 192, half = b % 2
                let qs = Array(out[record + 32 * half ..< record + 32 * half + 32])
                #expect(qs == Array(ref[b * 34 + 2 ..< b * 34 + 34]), "\(isa) block \(b) quants")
                let d = out[record + 128 ..< record + 192].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * 8 * half, as: Float.self) }
                let refD = HalfFloat.float(fromHalf: UInt16(ref[b * 34]) | UInt16(ref[b * 34 + 1]) << 8)
                #expect(d == refD, "\(isa) block \(b) scale")
            }
        }
    }

    @Test func q8KMatchesGGML() throws {
        let k = 768
        let x = Self.input(k)
        var ref = [UInt8](repeating: 0, count: GGMLType.q8_K.rowBytes(elements: k)!)
        try x.withUnsafeBufferPointer { xs in try ref.withUnsafeMutableBytes { try Quantize.row(.q8_K, xs, into: $0) } }
        for isa in KernelISA.allCases.filter(\.isAvailable) {
            var out = [UInt8](repeating: 0, count: swiftlet_matmul_scratch_bytes(isa.rawValue, Int32(GGMLType.q4_K.rawValue), Int64(k), 1))
            let status = out.withUnsafeMutableBytes { swiftlet_matmul_quantize(isa.rawValue, Int32(GGMLType.q4_K.rawValue), x, Int64(k), $0.baseAddress) }
            #expect(status == 0)
            #expect(Array(out[0 ..< ref.count]) == ref, "\(isa)")
        }
    }
}
