import GGUF
import Testing
import Kernels

/// Quantize-then-dequantize of random rows of odd block counts stays within half a quantization step.
@Suite struct QuantRoundTripTests {
    func roundTrip(_ type: GGMLType, _ input: [Float]) throws -> (blocks: [UInt8], output: [Float]) {
        let blocks = try encode(type, input)
        return (blocks, try decode(type, blocks, count: input.count))
    }

    @Test(arguments: [1, 3, 7, 13])
    func q8_0WithinHalfAStep(blocks: Int) throws {
        var rng = SeededGenerator(state: UInt64(blocks))
        let input = rng.normals(blocks * 32, scale: Float(blocks))
        let (_, output) = try roundTrip(.q8_0, input)
        for b in 0..<blocks {
            let x = input[(b * 32)..<(b * 32 + 32)]
            let step = x.map(abs).max()! / 127  // the f32 step the quants were rounded with
            // The stored step is rounded to F16 (relative error <= 2^-11), which moves the largest
            // quant (127) by at most 127 * step * 2^-11.
            let bound = 0.5 * step + 127 * step * 0x1p-11
            for i in x.indices { #expect(abs(output[i] - input[i]) <= bound, "block \(b) element \(i)") }
        }
    }

    @Test(arguments: [1, 3, 5])
    func q8_KWithinHalfAStep(blocks: Int) throws {
        var rng = SeededGenerator(state: 100 + UInt64(blocks))
        let input = rng.normals(blocks * 256, scale: 0.01)
        let (raw, output) = try roundTrip(.q8_K, input)
        for b in 0..<blocks {
            let x = input[(b * 256)..<(b * 256 + 256)]
            let step = x.map(abs).max()! / 127
            for i in x.indices { #expect(abs(output[i] - input[i]) <= 0.5 * step * (1 + 1e-5), "block \(b) element \(i)") }
            // bsums are the sums of 16 quants each.
            raw.withUnsafeBytes { p in
                let block = p.baseAddress! + b * 292
                for g in 0..<16 {
                    let sum = (0..<16).reduce(0) { $0 + Int(block.load(fromByteOffset: 4 + 16 * g + $1, as: Int8.self)) }
                    #expect(Int(block.loadUnaligned(fromByteOffset: 260 + 2 * g, as: Int16.self)) == sum)
                }
            }
        }
    }

    @Test func f16RoundTripIsWithinHalfAnUlp() throws {
        var rng = SeededGenerator(state: 7)
        let input = rng.normals(999, scale: 100)  // not a multiple of anything
        let (_, output) = try roundTrip(.f16, input)
        for (x, y) in zip(input, output) { #expect(abs(x - y) <= abs(x) * 0x1p-11) }
    }

    @Test func zeroRowsQuantizeToZero() throws {
        for type in [GGMLType.q8_0, .q8_1, .q8_K] {
            let (raw, output) = try roundTrip(type, [Float](repeating: 0, count: 512))
            #expect(raw.allSatisfy { $0 == 0 } && output.allSatisfy { $0 == 0 }, "\(type)")
        }
    }
}
