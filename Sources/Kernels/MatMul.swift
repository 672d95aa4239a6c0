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

/// Reusable f32 workspace for matrix products (dequantized weight tiles), allocated once per model.
/// Not thread-safe: one scratch per concurrent caller.
public final class MatMulScratch: @unchecked Sendable {
    /// Floats of dequantized weights per tile: small enough to stay in L2, large enough for sgemm.
    public static let tileFloats = 1 << 17
    private(set) var tile: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init() {
        capacity = Self.tileFloats
        tile = .allocate(capacity: capacity)
    }

    deinit { tile.deallocate() }

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
    /// Quantized weights are decoded tile by tile into `scratch` and multiplied with OpenBLAS sgemm,
    /// so the product is exact f32 arithmetic on the decoded weights.
    public static func multiply(_ w: WeightMatrix, x: UnsafePointer<Float>, n: Int,
                                y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                                scratch: MatMulScratch) throws(KernelError) {
        let ldc = Int32(ldy ?? w.rows)
        let k = Int32(w.columns)
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
