import CKernels
import GGUF

// Swift entry points to the reference quant kernels in CKernels (ck_quants.h). Each call checks the
// element count against the type's block size once, then runs the C loop over the whole row.

extension GGMLType {
    /// Whether `Dequantize` decodes this type to f32.
    public var isDecodable: Bool { Dequantize.kernel(for: self) != nil }

    /// Whether `Quantize` encodes f32 into this type.
    public var isEncodable: Bool { Quantize.kernel(for: self) != nil }

    /// The activation type that `QuantizedDot` pairs with weights of this type, as ggml's
    /// `vec_dot_type`: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1 (whose per-block offset needs
    /// the activation block's sum, which Q8_1 stores), Q8_K for Q2_K...Q6_K; nil for other types.
    public var dotActivationType: GGMLType? {
        switch self {
        case .q4_0, .q5_0, .q8_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return .q8_K
        default: return nil
        }
    }
}

/// Throws unless `count` is a non-negative whole number of `type`'s blocks.
@inline(__always)
private func checkBlocks(_ type: GGMLType, _ count: Int) throws(KernelError) {
    guard count >= 0, count % type.blockSize == 0 else { throw .countNotBlockMultiple(type, count: count) }
}

/// Throws unless `count` elements are whole blocks of `type` and fit in `available` bytes of blocks.
private func checkBlockBuffer(_ type: GGMLType, count: Int, available: Int, what: String) throws(KernelError) {
    try checkBlocks(type, count)
    let needed = count / type.blockSize * type.blockBytes
    guard available >= needed else { throw .bufferTooSmall(type, what: what, needed: needed, available: available) }
}

/// Decoding of GGML tensor data to f32, bit-exact with ggml's `dequantize_row_*` and the `gguf`
/// Python package's `gguf.quants.dequantize`.
public enum Dequantize {
    static func kernel(for type: GGMLType) -> swiftlet_dequantize_fn? {
        switch type {
        case .f32: return swiftlet_dequantize_f32
        case .f16: return swiftlet_dequantize_f16
        case .bf16: return swiftlet_dequantize_bf16
        case .q4_0: return swiftlet_dequantize_q4_0
        case .q4_1: return swiftlet_dequantize_q4_1
        case .q5_0: return swiftlet_dequantize_q5_0
        case .q5_1: return swiftlet_dequantize_q5_1
        case .q8_0: return swiftlet_dequantize_q8_0
        case .q8_1: return swiftlet_dequantize_q8_1
        case .q2_K: return swiftlet_dequantize_q2_K
        case .q3_K: return swiftlet_dequantize_q3_K
        case .q4_K: return swiftlet_dequantize_q4_K
        case .q5_K: return swiftlet_dequantize_q5_K
        case .q6_K: return swiftlet_dequantize_q6_K
        case .q8_K: return swiftlet_dequantize_q8_K
        default: return nil
        }
    }

    /// Decodes `count` elements: `src` holds `count / type.blockSize` blocks (`type.rowBytes(elements:
    /// count)` bytes), `dst` receives `count` floats. The buffers must not overlap.
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>,
                           count: Int) throws(KernelError) {
        guard let kernel = kernel(for: type) else { throw .unsupportedType(type, operation: "dequantization") }
        try checkBlocks(type, count)
        kernel(src, dst, Int64(count))
    }

    /// Decodes all of `dst.count` elements, checking that `src` holds enough bytes.
    public static func row(_ type: GGMLType, _ src: UnsafeRawBufferPointer,
                           into dst: UnsafeMutableBufferPointer<Float>) throws(KernelError) {
        try checkBlockBuffer(type, count: dst.count, available: src.count, what: "source")
        guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return } // empty row
        try row(type, srcBase, into: dstBase, count: dst.count)
    }
}

/// Encoding of f32 rows: F16/BF16 (round to nearest even) and the activation formats Q8_0, Q8_1,
/// Q8_K, exactly as ggml's `quantize_row_q8_0_ref` / `_q8_1_ref` / `_q8_K_ref`.
public enum Quantize {
    static func kernel(for type: GGMLType) -> swiftlet_quantize_fn? {
        switch type {
        case .f16: return swiftlet_quantize_f16
        case .bf16: return swiftlet_quantize_bf16
        case .q8_0: return swiftlet_quantize_q8_0
        case .q8_1: return swiftlet_quantize_q8_1
        case .q8_K: return swiftlet_quantize_q8_K
        default: return nil
        }
    }

    /// Encodes `count` floats from `src` into `count / type.blockSize` blocks at `dst`
    /// (`type.rowBytes(elements: count)` bytes). The buffers must not overlap.
    public static func row(_ type: GGMLType, _ src: UnsafePointer<Float>, into dst: UnsafeMutableRawPointer,
                           count: Int) throws(KernelError) {
        guard let kernel = kernel(for: type) else { throw .unsupportedType(type, operation: "quantization") }
        try checkBlocks(type, count)
        kernel(src, dst, Int64(count))
    }

    /// Encodes all of `src`, checking that `dst` has room for the blocks.
    public static func row(_ type: GGMLType, _ src: UnsafeBufferPointer<Float>,
                           into dst: UnsafeMutableRawBufferPointer) throws(KernelError) {
        try checkBlockBuffer(type, count: src.count, available: dst.count, what: "destination")
        guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return }
        try row(type, srcBase, into: dstBase, count: src.count)
    }
}

/// Scalar reference dot products of a quantized weight row with a quantized activation row, as
/// ggml's `ggml_vec_dot_<type>_q8_<0|1|K>` generic kernels. They are the portable fallback and the
/// test oracle for the SIMD kernels.
public enum QuantizedDot {
    static func kernel(for type: GGMLType) -> swiftlet_vec_dot_fn? {
        switch type {
        case .q4_0: return swiftlet_vec_dot_q4_0_q8_0
        case .q4_1: return swiftlet_vec_dot_q4_1_q8_1
        case .q5_0: return swiftlet_vec_dot_q5_0_q8_0
        case .q5_1: return swiftlet_vec_dot_q5_1_q8_1
        case .q8_0: return swiftlet_vec_dot_q8_0_q8_0
        case .q2_K: return swiftlet_vec_dot_q2_K_q8_K
        case .q3_K: return swiftlet_vec_dot_q3_K_q8_K
        case .q4_K: return swiftlet_vec_dot_q4_K_q8_K
        case .q5_K: return swiftlet_vec_dot_q5_K_q8_K
        case .q6_K: return swiftlet_vec_dot_q6_K_q8_K
        default: return nil
        }
    }

    /// Σ w[i]·a[i] over `count` elements: `weights` holds blocks of `weightType`, `activations`
    /// blocks of `weightType.dotActivationType` (made with `Quantize.row`).
    public static func row(_ weightType: GGMLType, _ weights: UnsafeRawPointer, _ activations: UnsafeRawPointer,
                           count: Int) throws(KernelError) -> Float {
        guard let kernel = kernel(for: weightType) else {
            throw .unsupportedType(weightType, operation: "quantized dot product")
        }
        // Both types of every supported pair have the same block size.
        try checkBlocks(weightType, count)
        return kernel(Int64(count), weights, activations)
    }
}

/// Scalar IEEE half and bfloat16 conversions (the ones the kernels use).
public enum HalfFloat {
    /// Exact half -> float (subnormals, infinities and NaN payloads preserved).
    public static func float(fromHalf bits: UInt16) -> Float { swiftlet_f16_to_f32(bits) }
    /// float -> half, rounding to nearest even.
    public static func half(from value: Float) -> UInt16 { swiftlet_f32_to_f16(value) }
    /// bfloat16 -> float (exact).
    public static func float(fromBFloat16 bits: UInt16) -> Float { swiftlet_bf16_to_f32(bits) }
    /// float -> bfloat16, rounding to nearest even.
    public static func bfloat16(from value: Float) -> UInt16 { swiftlet_f32_to_bf16(value) }
}
