import GGUF

/// Errors of the kernel layer. Each case names the type and the sizes involved.
public enum KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No kernel implements `operation` for this tensor type.
    case unsupportedType(GGMLType, operation: String)
    /// An element count that is negative or not a whole number of the type's blocks.
    case countNotBlockMultiple(GGMLType, count: Int)
    /// A buffer smaller than the operation needs (sizes in bytes, or elements for float buffers).
    case bufferTooSmall(GGMLType, what: String, needed: Int, available: Int)
    /// The worker pool could not start `threads` threads (or `threads` < 1).
    case threadPool(threads: Int)

    public var description: String {
        switch self {
        case let .unsupportedType(type, operation):
            return "\(operation) is not implemented for tensor type \(type)"
        case let .countNotBlockMultiple(type, count):
            return "\(count) elements is not a whole number of \(type) blocks (\(type.blockSize) elements each)"
        case let .bufferTooSmall(type, what, needed, available):
            return "\(what) buffer for \(type) holds \(available), needs \(needed)"
        case let .threadPool(threads):
            return "cannot start a worker pool of \(threads) threads"
        }
    }
}
