import CBLAS
import GGUF

/// A weight matrix as stored in the model file: `rows` output features, each a row of `columns`
/// input features encoded in `type` (`[rows, columns]`, row-major, memory-mapped).
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer
    public let rowBytes: Int

    public init(type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        rowBytes = type.rowBytes(elements: columns) ?? 0
    }

    /// Decodes row `row` into `out` (`[columns]`).
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) throws(KernelError) {
        try Dequantize.row(type, data + row * rowBytes, into: out, count: columns)
    }
}

/// Reusable workspace for matrix products (dequantized weight tiles, quantized activations),
/// allocated once per model and grown only when a larger batch arrives.
/// Not thread-safe: one scratch per concurrent caller.
public final class MatMulScratch: @unchecked Sendable {
    /// Floats of dequantized weights per tile: small enough to stay in L2, large enough for sgemm.
    public static let tileFloats = 1 << 17
    private(set) var tile: UnsafeMutablePointer<Float>
    private var capacity: Int
    private(set) var activations: UnsafeMutableRawPointer
    private var activationBytes = 0

    public init() {
        capacity = Self.tileFloats
        tile = .allocate(capacity: capacity)
        activations = .allocate(byteCount: 0, alignment: 64)
    }

    deinit {
        tile.deallocate()
        activations.deallocate()
    }

    /// Room for `bytes` bytes of quantized activations.
    func reserveActivations(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > activationBytes {
            activations.deallocate()
            activationBytes = max(bytes, 2 * activationBytes)
            activations = .allocate(byteCount: activationBytes, alignment: 64)
        }
        return activations
    }

    /// Rows of a `columns`-wide matrix decoded per tile; grows the buffer (once) for rows wider
    /// than a whole tile.
    func tileRows(columns: Int) -> Int {
        if columns > capacity {
            tile.deallocate()
            capacity = columns
            tile = .allocate(capacity: capacity)
        }
        return capacity / columns
    }
}

public enum MatMul {
    /// `y[n, rows] = x[n, columns] · Wᵀ` (each output row `y[t]` has stride `ldy`, default `rows`).
    ///
    /// Quantized weights multiply activations quantized to 8-bit blocks (`dotActivationType`) with
    /// integer dot products, as llama.cpp does: the same arithmetic for every batch size, and logits
    /// that track llama.cpp's closely even on random-weight models, where f32 activations would not.
    /// Float weights (F16, BF16, F32) go through OpenBLAS sgemm on decoded tiles.
    public static func multiply(_ w: WeightMatrix, x: UnsafePointer<Float>, n: Int,
                                y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                                scratch: MatMulScratch) throws(KernelError) {
        let ldc = Int32(ldy ?? w.rows)
        let k = Int32(w.columns)
        if let at = w.type.dotActivationType, let aBytes = at.rowBytes(elements: w.columns) {
            // activations: [n, aBytes] quantized rows of x
            let a = scratch.reserveActivations(aBytes * n)
            for t in 0 ..< n { try Quantize.row(at, x + t * w.columns, into: a + t * aBytes, count: w.columns) }
            for r in 0 ..< w.rows {
                let row = w.data + r * w.rowBytes
                for t in 0 ..< n {
                    y[t * Int(ldc) + r] = try QuantizedDot.row(w.type, row, a + t * aBytes, count: w.columns)
                }
            }
            return
        }
        if w.type == .f32 {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(w.rows), k, 1,
                        x, k, w.data.assumingMemoryBound(to: Float.self), k, 0, y, ldc)
            return
        }
        let tileRows = min(w.rows, scratch.tileRows(columns: w.columns))
        var r0 = 0
        while r0 < w.rows {
            let r = min(tileRows, w.rows - r0)
            try Dequantize.row(w.type, w.data + r0 * w.rowBytes, into: scratch.tile, count: r * w.columns)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(r), k, 1,
                        x, k, scratch.tile, k, 0, y + r0, ldc)
            r0 += r
        }
    }
}
