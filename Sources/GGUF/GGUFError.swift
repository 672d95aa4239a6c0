/// Everything that can be wrong with a GGUF file or with a lookup in it.
/// Each case names what is wrong and, where it applies, the byte offset at which it was found.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncated(offset: Int, needed: Int, what: String)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case countTooLarge(what: String, count: UInt64, offset: Int)
    case emptyKey(offset: Int)
    case duplicateKey(String, offset: Int)
    case unknownValueType(UInt32, key: String, offset: Int)
    case nestedArray(key: String, offset: Int)
    case badAlignment(String)
    case tensorNameTooLong(String, offset: Int)
    case duplicateTensor(String, offset: Int)
    case tooManyDimensions(tensor: String, count: UInt32, offset: Int)
    case badDimension(tensor: String, dimension: Int, value: UInt64, offset: Int)
    case shapeOverflow(tensor: String)
    case unknownTensorType(tensor: String, type: UInt32, offset: Int)
    case rowNotBlockAligned(tensor: String, type: GGMLType, rowLength: Int)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(tensor: String, offset: UInt64, bytes: Int, dataSize: Int)
    case missingKey(String)
    case wrongType(key: String, expected: String, found: String)
    case missingTensor(String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .truncated(offset, needed, what):
            return "file is truncated: \(what) at offset \(offset) needs \(needed) more bytes than the file has"
        case let .badMagic(found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)) at offset 0 (expected 'GGUF')"
        case let .unsupportedVersion(v): return "unsupported GGUF version \(v) at offset 4 (supported: 2, 3)"
        case let .countTooLarge(what, count, offset):
            return "\(what) count \(count) at offset \(offset) is larger than the file could hold"
        case let .emptyKey(offset): return "empty metadata key at offset \(offset)"
        case let .duplicateKey(key, offset): return "duplicate metadata key '\(key)' at offset \(offset)"
        case let .unknownValueType(t, key, offset):
            return "unknown metadata value type \(t) for key '\(key)' at offset \(offset)"
        case let .nestedArray(key, offset): return "nested array in metadata key '\(key)' at offset \(offset) is not supported"
        case let .badAlignment(why): return "bad general.alignment: \(why)"
        case let .tensorNameTooLong(name, offset):
            return "tensor name '\(name.prefix(80))…' at offset \(offset) is \(name.utf8.count) bytes (max 63)"
        case let .duplicateTensor(name, offset): return "duplicate tensor '\(name)' at offset \(offset)"
        case let .tooManyDimensions(tensor, count, offset):
            return "tensor '\(tensor)' at offset \(offset) has \(count) dimensions (max 4)"
        case let .badDimension(tensor, dim, value, offset):
            return "tensor '\(tensor)' dimension \(dim) at offset \(offset) is \(Int64(bitPattern: value)) (must be positive)"
        case let .shapeOverflow(tensor): return "tensor '\(tensor)' shape overflows its element or byte count"
        case let .unknownTensorType(tensor, type, offset):
            return "tensor '\(tensor)' at offset \(offset) has unknown type \(type)"
        case let .rowNotBlockAligned(tensor, type, rowLength):
            return "tensor '\(tensor)' row length \(rowLength) is not a multiple of \(type)'s block size \(type.blockSize)"
        case let .misalignedTensor(tensor, offset, alignment):
            return "tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorOutOfBounds(tensor, offset, bytes, dataSize):
            return "tensor '\(tensor)' data [\(offset), +\(bytes)) extends past the end of the data section (\(dataSize) bytes)"
        case let .missingKey(key): return "missing metadata key '\(key)'"
        case let .wrongType(key, expected, found): return "metadata key '\(key)' is \(found), expected \(expected)"
        case let .missingTensor(name): return "missing tensor '\(name)'"
        }
    }
}
