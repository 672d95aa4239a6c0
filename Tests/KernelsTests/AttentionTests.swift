import CKernels
import Foundation
import Kernels
import Testing

/// The attention kernel against a naive softmax in Double, on a paged cache with a shuffled block
/// table, two sequences, GQA, sliding windows and a head size that is not a multiple of 16. The
/// reference rounds as llama.cpp's attention does (and the kernel): scaled queries and normalised
/// probabilities to f16.
@Suite struct AttentionTests {
    @Test(arguments: [(4, 2, 24), (7, 1, 64), (2, 2, 16)])
    func matchesNaiveSoftmax(heads: Int, kvHeads: Int, headDim: Int) throws {
        let blockSize = 4, blocks = 12, row = kvHeads * headDim
        var rng = SeededGenerator(state: UInt64(heads * 100 + headDim))
        // Cache contents: f16 bits of random values, [blocks * blockSize, row].
        let kf = rng.normals(blocks * blockSize * row), vf = rng.normals(blocks * blockSize * row)
        let keys = kf.map { HalfFloat.half(from: $0) }, values = vf.map { HalfFloat.half(from: $0) }
        // Sequence 0 owns blocks [5, 0, 9, 2, 7], sequence 1 owns [3, 11, 1].
        let tables: [Int32] = [5, 0, 9, 2, 7, 3, 11, 1]
        let tableStart: [Int32] = [0, 0, 0, 5, 5]
        let last: [Int32] = [0, 13, 19, 2, 11]
        let window: [Int32?] = [nil, nil, 6, nil, 3]
        let first = zip(last, window).map { l, w in w.map { max(0, l - $0 + 1) } ?? 0 }
        let n = last.count
        let q = rng.normals(n * heads * headDim)
        let scale: Float = 0.3
        for isa in KernelISA.allCases.filter(\.isAvailable) {
            let scratch = MatMulScratch(pool: try ThreadPool(threads: 2), isa: isa)
            var out = [Float](repeating: .nan, count: n * heads * headDim)
            q.withUnsafeBufferPointer { qp in keys.withUnsafeBufferPointer { kp in values.withUnsafeBufferPointer { vp in
                tables.withUnsafeBufferPointer { tp in tableStart.withUnsafeBufferPointer { sp in
                    first.withUnsafeBufferPointer { fp in last.withUnsafeBufferPointer { lp in
                        out.withUnsafeMutableBufferPointer { op in
                            var args = swiftlet_attention_args(
                                q: qp.baseAddress, ldq: Int64(heads * headDim), keys: kp.baseAddress, values: vp.baseAddress,
                                tables: tp.baseAddress, tableStart: sp.baseAddress, first: fp.baseAddress, last: lp.baseAddress,
                                n: Int64(n), heads: Int32(heads), kvHeads: Int32(kvHeads), headDim: Int32(headDim),
                                blockSize: Int32(blockSize), scale: scale, out: op.baseAddress, ldo: Int64(heads * headDim))
                            AttentionKernel.run(&args, on: scratch)
                        }
                    } }
                } }
            } } }
            for t in 0 ..< n {
                for h in 0 ..< heads {
                    let kvh = h / (heads / kvHeads)
                    let positions = Int(first[t]) ... Int(last[t])
                    func slot(_ p: Int) -> Int { Int(tables[Int(tableStart[t]) + p / blockSize]) * blockSize + p % blockSize }
                    func f16(_ x: Double) -> Double { Double(HalfFloat.float(fromHalf: HalfFloat.half(from: Float(x)))) }
                    let scores = positions.map { p -> Double in
                        (0 ..< headDim).reduce(0.0) { s, i in
                            s + f16(Double(q[(t * heads + h) * headDim + i] * scale)) * Double(HalfFloat.float(fromHalf: keys[slot(p) * row + kvh * headDim + i]))
                        }
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    for i in 0 ..< headDim {
                        let ref = zip(positions, e).reduce(0.0) { s, pe in
                            s + f16(pe.1 / z) * Double(HalfFloat.float(fromHalf: values[slot(pe.0) * row + kvh * headDim + i]))
                        }
                        #expect(abs(Double(out[(t * heads + h) * headDim + i]) - ref) < 2e-5, "\(isa) t\(t) h\(h) i\(i)")
                    }
                }
            }
        }
    }
}
