import CBLAS
import CKernels
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

    /// Whether the quantized kernels (`swiftlet_matmul`) handle this matrix; otherwise products
    /// decode tiles and use sgemm.
    public var hasQuantizedKernel: Bool { swiftlet_matmul_supports(Int32(type.rawValue), Int64(columns)) != 0 }
}

/// Per-caller state of matrix products: the worker pool, the instruction set, and scratch memory
/// (quantized activations, or decoded weight tiles for types without a quantized kernel), grown
/// on demand and reused, so steady-state products allocate nothing. Not thread-safe: one per
/// concurrent caller.
public final class MatMulScratch: @unchecked Sendable {
    /// Floats of dequantized weights per tile: small enough to stay in L2, large enough for sgemm.
    public static let tileFloats = 1 << 17
    public let pool: ThreadPool
    public let isa: KernelISA
    private(set) var tile: UnsafeMutablePointer<Float>
    private var tileCapacity: Int
    private(set) var bytes: UnsafeMutableRawPointer
    private var byteCapacity = 0

    /// `isa` must be available on this CPU (`KernelISA.isAvailable`); it falls back to `.portable`.
    public init(pool: ThreadPool, isa: KernelISA = .best) {
        self.pool = pool
        self.isa = isa.isAvailable ? isa : .portable
        tileCapacity = Self.tileFloats
        tile = .allocate(capacity: tileCapacity)
        bytes = .allocate(byteCount: 0, alignment: 64)
    }

    deinit {
        tile.deallocate()
        bytes.deallocate()
    }

    /// Rows of a `columns`-wide matrix decoded per tile; grows the buffer (once) for rows wider
    /// than a whole tile.
    func tileRows(columns: Int) -> Int {
        if columns > tileCapacity {
            tile.deallocate()
            tileCapacity = columns
            tile = .allocate(capacity: tileCapacity)
        }
        return tileCapacity / columns
    }

    /// A 64-byte aligned buffer of at least `count` bytes (grows geometrically, never shrinks).
    func activationBuffer(_ count: Int) -> UnsafeMutableRawPointer {
        if count > byteCapacity {
            bytes.deallocate()
            byteCapacity = max(count, 2 * byteCapacity)
            bytes = .allocate(byteCount: byteCapacity, alignment: 64)
        }
        return bytes
    }
}

public enum MatMul {
    /// `y[n, rows] = x[n, columns] · Wᵀ` (each output row `y[t]` has stride `ldy`, default `rows`;
    /// input rows have stride `ldx`, default `columns`).
    ///
    /// Supported types run the threaded quantized kernels: the activations are quantized once to
    /// 8-bit blocks (Q8_0 values for 32-element weight blocks, Q8_K for K types; f32 for F16/F32
    /// weights) and multiplied with integer dot products. Each output element's arithmetic is the
    /// same whatever `n` (batch invariance). Other types decode weight tiles and use sgemm.
    public static func multiply(_ w: WeightMatrix, x: UnsafePointer<Float>, n: Int, ldx: Int? = nil,
                                y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                                scratch: MatMulScratch) throws(KernelError) {
        let lx = ldx ?? w.columns, ly = ldy ?? w.rows
        if w.hasQuantizedKernel {
            let type = Int32(w.type.rawValue)
            let need = swiftlet_matmul_scratch_bytes(scratch.isa.rawValue, type, Int64(w.columns), Int64(n))
            let status = swiftlet_matmul(scratch.pool.raw, scratch.isa.rawValue, type, w.data, w.rowBytes,
                                         Int64(w.rows), Int64(w.columns), x, Int64(lx), Int64(n), y, Int64(ly),
                                         scratch.activationBuffer(need))
            guard status == 0 else { throw .unsupportedType(w.type, operation: "matrix product") }
            return
        }
        let k = Int32(w.columns)
        let tileRows = min(w.rows, scratch.tileRows(columns: w.columns))
        var r0 = 0
        while r0 < w.rows {
            let r = min(tileRows, w.rows - r0)
            try Dequantize.row(w.type, w.data + r0 * w.rowBytes, into: scratch.tile, count: r * w.columns)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(r), k, 1,
                        x, Int32(lx), scratch.tile, k, 0, y + r0, Int32(ly))
            r0 += r
        }
    }
}
