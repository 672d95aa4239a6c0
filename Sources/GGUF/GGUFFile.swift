/// One tensor's description from the file's tensor-info table.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in GGML order: `shape[0]` is the row length (contiguous), `shape[1]` the row count.
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the data relative to the start of the data section.
    public let offset: Int
    public let elementCount: Int
    public let byteCount: Int

    public var rowLength: Int { shape.first ?? 1 }
    public var rowCount: Int { elementCount / max(rowLength, 1) }
}

/// A parsed, validated GGUF file (versions 2 and 3). Tensor data stays in the mapped file; `data(of:)`
/// hands out pointers into it, valid as long as this object lives.
public final class GGUFFile: Sendable {
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute file offset of the data section.
    public let dataOffset: Int
    public let fileSize: Int
    private let tensorIndex: [String: Int]
    private let storage: MappedBytes

    public static let magic: UInt32 = 0x4655_4747 // "GGUF" little-endian
    public static let maxTensorNameBytes = 63 // llama.cpp's GGML_MAX_NAME - 1
    public static let maxDimensions = 4

    public convenience init(path: String) throws(GGUFError) {
        try self.init(storage: MappedBytes(path: path))
    }

    public init(storage: MappedBytes) throws(GGUFError) {
        self.storage = storage
        var r = ByteReader(storage.bytes)
        fileSize = storage.bytes.count

        let magic = try r.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        let tensorCountOffset = r.offset
        let nTensors = try r.read(UInt64.self, "tensor count")
        let kvCountOffset = r.offset
        let nKV = try r.read(UInt64.self, "metadata count")
        // Smallest encodings: a KV is key length (8) + 1 key byte + type (4) + 1 value byte; a tensor
        // info is name length (8) + n_dims (4) + type (4) + offset (8). Counts beyond what the rest of
        // the file could hold are rejected before any allocation.
        guard nKV <= UInt64(r.remaining / 14) else {
            throw .countTooLarge(what: "metadata", count: nKV, offset: kvCountOffset)
        }
        guard nTensors <= UInt64(r.remaining / 24) else {
            throw .countTooLarge(what: "tensor", count: nTensors, offset: tensorCountOffset)
        }

        var keys = [String]()
        var values = [String: GGUFValue](minimumCapacity: Int(nKV))
        keys.reserveCapacity(Int(nKV))
        for _ in 0 ..< Int(nKV) {
            let keyOffset = r.offset
            let key = try r.readString("metadata key")
            guard !key.isEmpty else { throw .emptyKey(offset: keyOffset) }
            guard values[key] == nil else { throw .duplicateKey(key, offset: keyOffset) }
            let typeOffset = r.offset
            let type = try r.read(UInt32.self, "type of '\(key)'")
            values[key] = try Self.readValue(&r, type: type, key: key, typeOffset: typeOffset)
            keys.append(key)
        }
        metadata = GGUFMetadata(keys: keys, values: values)

        if let a = metadata["general.alignment"] {
            guard case let .uint32(v) = a else { throw .badAlignment("type is \(a.typeName), expected uint32") }
            guard v != 0, v & (v - 1) == 0 else { throw .badAlignment("\(v) is not a power of two") }
            alignment = Int(v)
        } else {
            alignment = 32
        }

        var infos = [GGUFTensorInfo]()
        var index = [String: Int](minimumCapacity: Int(nTensors))
        infos.reserveCapacity(Int(nTensors))
        for i in 0 ..< Int(nTensors) {
            let nameOffset = r.offset
            let info = try Self.readTensorInfo(&r, alignment: alignment)
            guard index[info.name] == nil else { throw .duplicateTensor(info.name, offset: nameOffset) }
            index[info.name] = i
            infos.append(info)
        }

        // The data section starts at the next multiple of the alignment after the tensor infos.
        let (padded, overflow) = r.offset.addingReportingOverflow(alignment - 1)
        let dataStart = overflow ? Int.max : padded / alignment * alignment
        if nTensors > 0 { try r.skip(to: dataStart, "padding before tensor data") }
        dataOffset = min(dataStart, fileSize)
        let dataSize = fileSize - dataOffset
        for t in infos {
            let (end, o) = t.offset.addingReportingOverflow(t.byteCount)
            guard !o, end <= dataSize else {
                throw .tensorOutOfBounds(tensor: t.name, offset: UInt64(t.offset), bytes: t.byteCount, dataSize: dataSize)
            }
        }
        tensors = infos
        tensorIndex = index
    }

    private static func readValue(_ r: inout ByteReader, type: UInt32, key: String, typeOffset: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try r.read(UInt8.self, "value of '\(key)'"))
        case 1: return .int8(try r.read(Int8.self, "value of '\(key)'"))
        case 2: return .uint16(try r.read(UInt16.self, "value of '\(key)'"))
        case 3: return .int16(try r.read(Int16.self, "value of '\(key)'"))
        case 4: return .uint32(try r.read(UInt32.self, "value of '\(key)'"))
        case 5: return .int32(try r.read(Int32.self, "value of '\(key)'"))
        case 6: return .float32(try r.readFloat("value of '\(key)'"))
        case 7: return .bool(try r.read(UInt8.self, "value of '\(key)'") != 0)
        case 8: return .string(try r.readString("value of '\(key)'"))
        case 9: return .array(try readArray(&r, key: key))
        case 10: return .uint64(try r.read(UInt64.self, "value of '\(key)'"))
        case 11: return .int64(try r.read(Int64.self, "value of '\(key)'"))
        case 12: return .float64(try r.readDouble("value of '\(key)'"))
        default: throw .unknownValueType(type, key: key, offset: typeOffset)
        }
    }

    private static func readArray(_ r: inout ByteReader, key: String) throws(GGUFError) -> GGUFArray {
        let typeOffset = r.offset
        let type = try r.read(UInt32.self, "array type of '\(key)'")
        let countOffset = r.offset
        let count = try r.read(UInt64.self, "array count of '\(key)'")
        let elementBytes: Int
        switch type {
        case 0, 1, 7: elementBytes = 1
        case 2, 3: elementBytes = 2
        case 4, 5, 6: elementBytes = 4
        case 8, 10, 11, 12: elementBytes = 8 // a string is at least its 8-byte length
        case 9: throw .nestedArray(key: key, offset: typeOffset)
        default: throw .unknownValueType(type, key: key, offset: typeOffset)
        }
        guard count <= UInt64(r.remaining / elementBytes) else {
            throw .countTooLarge(what: "array '\(key)'", count: count, offset: countOffset)
        }
        let n = Int(count)
        func ints<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> [T] {
            // Bounds were checked above for the whole array; read them in one pass.
            let start = r.offset
            try r.skip(to: start + n * MemoryLayout<T>.size, "array '\(key)'")
            return (0 ..< n).map { T(littleEndian: r.bytes.loadUnaligned(fromByteOffset: start + $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch type {
        case 0: return .uint8(try ints(UInt8.self))
        case 1: return .int8(try ints(Int8.self))
        case 2: return .uint16(try ints(UInt16.self))
        case 3: return .int16(try ints(Int16.self))
        case 4: return .uint32(try ints(UInt32.self))
        case 5: return .int32(try ints(Int32.self))
        case 6: return .float32(try ints(UInt32.self).map { Float(bitPattern: $0) })
        case 7: return .bool(try ints(UInt8.self).map { $0 != 0 })
        case 10: return .uint64(try ints(UInt64.self))
        case 11: return .int64(try ints(Int64.self))
        case 12: return .float64(try ints(UInt64.self).map { Double(bitPattern: $0) })
        default:
            var strings = [String]()
            strings.reserveCapacity(n)
            for i in 0 ..< n { strings.append(try r.readString("element \(i) of array '\(key)'")) }
            return .string(strings)
        }
    }

    private static func readTensorInfo(_ r: inout ByteReader, alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
        let nameOffset = r.offset
        let name = try r.readString("tensor name")
        guard name.utf8.count <= maxTensorNameBytes else { throw .tensorNameTooLong(name, offset: nameOffset) }
        let dimsOffset = r.offset
        let nDims = try r.read(UInt32.self, "dimension count of '\(name)'")
        guard nDims <= UInt32(maxDimensions) else { throw .tooManyDimensions(tensor: name, count: nDims, offset: dimsOffset) }
        var shape = [Int]()
        var elements = 1
        for d in 0 ..< Int(nDims) {
            let off = r.offset
            let raw = try r.read(UInt64.self, "dimension \(d) of '\(name)'")
            guard raw > 0, raw <= UInt64(Int64.max) else {
                throw .badDimension(tensor: name, dimension: d, value: raw, offset: off)
            }
            let (e, o) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !o else { throw .shapeOverflow(tensor: name) }
            elements = e
            shape.append(Int(raw))
        }
        if shape.isEmpty { shape = [1] }
        let typeOffset = r.offset
        let rawType = try r.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw .unknownTensorType(tensor: name, type: rawType, offset: typeOffset)
        }
        guard shape[0] % type.blockSize == 0 else {
            throw .rowNotBlockAligned(tensor: name, type: type, rowLength: shape[0])
        }
        guard let bytes = type.rowBytes(elements: elements) else { throw .shapeOverflow(tensor: name) }
        let offset = try r.read(UInt64.self, "data offset of '\(name)'")
        guard offset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(tensor: name, offset: offset, alignment: alignment)
        }
        guard offset <= UInt64(Int.max) else {
            throw .tensorOutOfBounds(tensor: name, offset: offset, bytes: bytes, dataSize: r.bytes.count)
        }
        return GGUFTensorInfo(name: name, shape: shape, type: type, offset: Int(offset), elementCount: elements, byteCount: bytes)
    }

    // MARK: - Lookup

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw .missingTensor(name) }
        return t
    }

    /// The tensor's bytes inside the mapped file (validated at load to lie within it).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[(dataOffset + tensor.offset) ..< (dataOffset + tensor.offset + tensor.byteCount)])
    }

    /// Every byte of the file, for callers that need raw access (e.g. checksums).
    public var bytes: UnsafeRawBufferPointer { storage.bytes }
}
