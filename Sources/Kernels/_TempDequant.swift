import GGUF
public enum KernelError: Error, Sendable { case unsupported(GGMLType) }
public enum Dequantize {
    public static func supports(_ t: GGMLType) -> Bool { t == .f32 || t == .f16 }
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) throws(KernelError) {
        switch type {
        case .f32: for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: 4*i, as: Float.self) }
        case .f16: for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2*i, as: Float16.self)) }
        default: throw .unsupported(type)
        }
    }
}
