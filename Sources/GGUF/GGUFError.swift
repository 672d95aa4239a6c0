/// Everything that can be wrong with a GGUF file or with a lookup in it.
/// Each case names what is wrong and, where it applies, the byte offset (from the start of the file)
/// of the field that is wrong.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// A fixed-size field or a padding run does not fit in the bytes left.
    case truncated(offset: Int, needed: Int, what: String)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    /// An element count (`n_tensors`, `n_kv`, an array length) that the bytes left could not hold.
    case countTooLarge(what: String, count: UInt64, offset: Int)
    /// A string (key, value, tensor name) whose length field exceeds the `available` bytes left.
    case stringTooLong(what: String, length: UInt64, offset: Int, available: Int)
    case emptyKey(offset: Int)
    case duplicateKey(String, offset: Int)
    case unknownValueType(UInt32, key: String, offset: Int)
    case nestedArray(key: String, offset: Int)
    /// `offset` is that of the value's type field.
    case badAlignment(String, offset: Int)
    /// `prefix` is the start of the name (at most 64 bytes of it), `length` its stored byte length.
    case tensorNameTooLong(prefix: String, length: UInt64, offset: Int)
    case duplicateTensor(String, offset: Int)
    case tooManyDimensions(tensor: String, count: UInt32, offset: Int)
    case badDimension(tensor: String, dimension: Int, value: UInt64, offset: Int)
    /// The element count or the byte size of the tensor whose dimensions start at `offset` overflows.
    case shapeOverflow(tensor: String, offset: Int)
    case unknownTensorType(tensor: String, type: UInt32, offset: Int)
    /// `offset` is that of the tensor's type field.
    case rowNotBlockAligned(tensor: String, type: GGMLType, rowLength: Int, offset: Int)
    /// `dataOffset` is the tensor's stored offset (relative to the data section); `offset` is where it is stored.
    case misalignedTensor(tensor: String, dataOffset: UInt64, alignment: Int, offset: Int)
    /// The tensor's data would start at or past the end of the data section.
    case tensorOffsetOutOfBounds(tensor: String, dataOffset: UInt64, dataSize: Int, offset: Int)
    /// The tensor's data starts inside the data section but extends past the end of the file.
    case tensorOutOfBounds(tensor: String, dataOffset: UInt64, bytes: Int, dataSize: Int, offset: Int)
    /// Only a hostile file (many overlapping tensors) can make the total element count overflow `Int`.
    case parameterCountOverflow(tensor: String)
    case missingKey(String)
    case wrongType(key: String, expected: String, found: String)
    case missingTensor(String)

    /// The file offset the error points at, if it concerns a place in a file.
    public var offset: Int? {
        switch self {
        case .cannotOpen, .parameterCountOverflow, .missingKey, .wrongType, .missingTensor: return nil
        case .badMagic: return 0
        case .unsupportedVersion: return 4
        case let .truncated(offset, _, _), let .countTooLarge(_, _, offset), let .stringTooLong(_, _, offset, _),
             let .emptyKey(offset), let .duplicateKey(_, offset), let .unknownValueType(_, _, offset),
             let .nestedArray(_, offset), let .badAlignment(_, offset), let .tensorNameTooLong(_, _, offset),
             let .duplicateTensor(_, offset), let .tooManyDimensions(_, _, offset), let .badDimension(_, _, _, offset),
             let .shapeOverflow(_, offset), let .unknownTensorType(_, _, offset), let .rowNotBlockAligned(_, _, _, offset),
             let .misalignedTensor(_, _, _, offset), let .tensorOffsetOutOfBounds(_, _, _, offset),
             let .tensorOutOfBounds(_, _, _, _, offset):
            return offset
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .truncated(offset, needed, what):
            return "file is truncated: \(what) at offset \(offset) needs \(needed) more bytes than the file has"
        case let .badMagic(found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)) at offset 0 (expected 'GGUF')"
        case let .unsupportedVersion(v):
            if v.byteSwapped == 2 || v.byteSwapped == 3 {
                return "unsupported GGUF version \(v) at offset 4: a big-endian GGUF v\(v.byteSwapped) file (only little-endian is supported)"
            }
            return "unsupported GGUF version \(v) at offset 4 (supported: 2, 3)"
        case let .countTooLarge(what, count, offset):
            return "\(what) count \(count) at offset \(offset) is larger than the rest of the file could hold"
        case let .stringTooLong(what, length, offset, available):
            return "\(what) length \(length) at offset \(offset) is larger than the \(available) bytes left in the file"
        case let .emptyKey(offset): return "empty metadata key at offset \(offset)"
        case let .duplicateKey(key, offset): return "duplicate metadata key '\(key)' at offset \(offset)"
        case let .unknownValueType(t, key, offset):
            return "unknown metadata value type \(t) for key '\(key)' at offset \(offset)"
        case let .nestedArray(key, offset): return "nested array in metadata key '\(key)' at offset \(offset) is not supported"
        case let .badAlignment(why, offset): return "bad general.alignment at offset \(offset): \(why)"
        case let .tensorNameTooLong(prefix, length, offset):
            return "tensor name '\(prefix)…' at offset \(offset) is \(length) bytes long (max \(GGUFFile.maxTensorNameBytes))"
        case let .duplicateTensor(name, offset): return "duplicate tensor '\(name)' at offset \(offset)"
        case let .tooManyDimensions(tensor, count, offset):
            return "tensor '\(tensor)' has \(count) dimensions at offset \(offset) (max \(GGUFFile.maxDimensions))"
        case let .badDimension(tensor, dim, value, offset):
            return "tensor '\(tensor)' dimension \(dim) at offset \(offset) is \(Int64(bitPattern: value)) (must be positive)"
        case let .shapeOverflow(tensor, offset):
            return "tensor '\(tensor)' shape at offset \(offset) overflows its element count or byte size"
        case let .unknownTensorType(tensor, type, offset):
            return "tensor '\(tensor)' has unknown type \(type) at offset \(offset)"
        case let .rowNotBlockAligned(tensor, type, rowLength, offset):
            return "tensor '\(tensor)' (type at offset \(offset)) row length \(rowLength) is not a multiple of \(type)'s block size \(type.blockSize)"
        case let .misalignedTensor(tensor, dataOffset, alignment, offset):
            return "tensor '\(tensor)' data offset \(dataOffset) at offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorOffsetOutOfBounds(tensor, dataOffset, dataSize, offset):
            return "tensor '\(tensor)' data offset \(dataOffset) at offset \(offset) is beyond the end of the data section (\(dataSize) bytes)"
        case let .tensorOutOfBounds(tensor, dataOffset, bytes, dataSize, offset):
            return "tensor '\(tensor)' data [\(dataOffset), +\(bytes)) (offset field at \(offset)) extends past the end of the data section (\(dataSize) bytes)"
        case let .parameterCountOverflow(tensor):
            return "total element count overflows at tensor '\(tensor)'"
        case let .missingKey(key): return "missing metadata key '\(key)'"
        case let .wrongType(key, expected, found): return "metadata key '\(key)' is \(found), expected \(expected)"
        case let .missingTensor(name): return "missing tensor '\(name)'"
        }
    }
}
