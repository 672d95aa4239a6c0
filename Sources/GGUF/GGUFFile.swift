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
    /// Sum of all tensors' element counts.
    public let parameterCount: Int
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
        // Version 2 and 3 share one layout (v1 had 32-bit counts; v3 only added big-endian files,
        // which the version field detects, as it reads byte-swapped).
        version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        // Smallest encodings, so that no count read from the file is trusted beyond what the rest
        // of the file could hold: a tensor info is name length (8) + n_dims (4) + type (4) + offset (8);
        // a KV is key length (8) + 1 key byte + type (4) + 1 value byte.
        let nTensors = try r.readCount(minBytes: 24, "tensor")
        let nKV = try r.readCount(minBytes: 14, "metadata")

        // Collections grow as entries are actually read, rather than being reserved from the counts.
        var keys = [String]()
        var values = [String: GGUFValue]()
        var alignmentOffset = 0
        for _ in 0 ..< nKV {
            let keyOffset = r.offset
            let key = try r.readString("metadata key")
            guard !key.isEmpty else { throw .emptyKey(offset: keyOffset) }
            guard values[key] == nil else { throw .duplicateKey(key, offset: keyOffset) }
            let typeOffset = r.offset
            let type = try r.read(UInt32.self, "type of '\(key)'")
            if key == "general.alignment" { alignmentOffset = typeOffset }
            values[key] = try Self.readValue(&r, type: type, key: key, typeOffset: typeOffset)
            keys.append(key)
        }
        metadata = GGUFMetadata(keys: keys, values: values)

        if let a = metadata["general.alignment"] {
            guard case let .uint32(v) = a else {
                throw .badAlignment("type is \(a.typeName), expected uint32", offset: alignmentOffset)
            }
            guard v != 0, v & (v - 1) == 0 else {
                throw .badAlignment("\(v) is not a power of two", offset: alignmentOffset)
            }
            alignment = Int(v)
        } else {
            alignment = 32
        }

        var pending = [PendingTensor]()
        var index = [String: Int]()
        for i in 0 ..< nTensors {
            let nameOffset = r.offset
            let t = try Self.readTensorInfo(&r, alignment: alignment)
            guard index[t.name] == nil else { throw .duplicateTensor(t.name, offset: nameOffset) }
            index[t.name] = i
            pending.append(t)
        }

        // The data section starts at the next multiple of the alignment after the tensor infos
        // (r.offset <= fileSize and alignment <= 2^31, so this cannot overflow).
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        if nTensors > 0 { try r.skip(to: dataStart, "padding before tensor data") }
        dataOffset = min(dataStart, fileSize)
        let dataSize = fileSize - dataOffset
        var infos = [GGUFTensorInfo]()
        var total = 0
        for t in pending {
            guard t.dataOffset < UInt64(dataSize) else {
                throw .tensorOffsetOutOfBounds(tensor: t.name, dataOffset: t.dataOffset, dataSize: dataSize, offset: t.offsetField)
            }
            let start = Int(t.dataOffset)
            guard t.byteCount <= dataSize - start else {
                throw .tensorOutOfBounds(tensor: t.name, dataOffset: t.dataOffset, bytes: t.byteCount, dataSize: dataSize, offset: t.offsetField)
            }
            let (sum, overflow) = total.addingReportingOverflow(t.elementCount)
            guard !overflow else { throw .parameterCountOverflow(tensor: t.name) }
            total = sum
            infos.append(GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: start,
                                        elementCount: t.elementCount, byteCount: t.byteCount))
        }
        tensors = infos
        tensorIndex = index
        parameterCount = total
    }

    private static func readValue(_ r: inout ByteReader, type rawType: UInt32, key: String, typeOffset: Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(rawType, key: key, offset: typeOffset) }
        let what = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try r.read(UInt8.self, what))
        case .int8: return .int8(try r.read(Int8.self, what))
        case .uint16: return .uint16(try r.read(UInt16.self, what))
        case .int16: return .int16(try r.read(Int16.self, what))
        case .uint32: return .uint32(try r.read(UInt32.self, what))
        case .int32: return .int32(try r.read(Int32.self, what))
        case .float32: return .float32(Float(bitPattern: try r.read(UInt32.self, what)))
        case .bool: return .bool(try r.read(UInt8.self, what) != 0)
        case .string: return .string(try r.readString(what))
        case .array: return .array(try readArray(&r, key: key))
        case .uint64: return .uint64(try r.read(UInt64.self, what))
        case .int64: return .int64(try r.read(Int64.self, what))
        case .float64: return .float64(Double(bitPattern: try r.read(UInt64.self, what)))
        }
    }

    private static func readArray(_ r: inout ByteReader, key: String) throws(GGUFError) -> GGUFArray {
        let typeOffset = r.offset
        let rawType = try r.read(UInt32.self, "array element type of '\(key)'")
        guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(rawType, key: key, offset: typeOffset) }
        // Rejected as llama.cpp does; no model uses them.
        guard type != .array else { throw .nestedArray(key: key, offset: typeOffset) }
        let what = "array '\(key)'"
        let n = try r.readCount(minBytes: type.minimumBytes, what)
        switch type {
        case .uint8: return .uint8(try r.readArray(UInt8.self, count: n, what))
        case .int8: return .int8(try r.readArray(Int8.self, count: n, what))
        case .uint16: return .uint16(try r.readArray(UInt16.self, count: n, what))
        case .int16: return .int16(try r.readArray(Int16.self, count: n, what))
        case .uint32: return .uint32(try r.readArray(UInt32.self, count: n, what))
        case .int32: return .int32(try r.readArray(Int32.self, count: n, what))
        case .float32: return .float32(try r.readArray(UInt32.self, count: n, what).map { Float(bitPattern: $0) })
        case .bool: return .bool(try r.readArray(UInt8.self, count: n, what).map { $0 != 0 })
        case .uint64: return .uint64(try r.readArray(UInt64.self, count: n, what))
        case .int64: return .int64(try r.readArray(Int64.self, count: n, what))
        case .float64: return .float64(try r.readArray(UInt64.self, count: n, what).map { Double(bitPattern: $0) })
        case .string, .array: // .array was rejected above
            // n <= bytes left / 8, so this reservation is bounded by the file's size.
            var strings = [String]()
            strings.reserveCapacity(n)
            for i in 0 ..< n { strings.append(try r.readString("element \(i) of array '\(key)'")) }
            return .string(strings)
        }
    }

    private static func readTensorInfo(_ r: inout ByteReader, alignment: Int) throws(GGUFError) -> PendingTensor {
        let nameOffset = r.offset
        // The name's length is checked against the limit before the bytes are read or decoded.
        let nameLength = try r.read(UInt64.self, "tensor name length")
        guard nameLength <= UInt64(maxTensorNameBytes) else {
            let shown = min(64, r.remaining)
            let prefix = r.readUTF8(count: shown)
            throw .tensorNameTooLong(prefix: prefix, length: nameLength, offset: nameOffset)
        }
        try r.need(Int(nameLength), "tensor name")
        let name = r.readUTF8(count: Int(nameLength))
        let dimsOffset = r.offset
        let nDims = try r.read(UInt32.self, "dimension count of '\(name)'")
        guard nDims <= UInt32(maxDimensions) else { throw .tooManyDimensions(tensor: name, count: nDims, offset: dimsOffset) }
        var shape = [Int]()
        var elements = 1
        var overflow = false
        for d in 0 ..< Int(nDims) {
            let off = r.offset
            let raw = try r.read(UInt64.self, "dimension \(d) of '\(name)'")
            // Stored as u64, but llama.cpp reads int64: anything with the top bit set is negative.
            guard raw > 0, raw <= UInt64(Int64.max) else {
                throw .badDimension(tensor: name, dimension: d, value: raw, offset: off)
            }
            let (e, o) = elements.multipliedReportingOverflow(by: Int(raw))
            overflow = overflow || o
            elements = e
            shape.append(Int(raw))
        }
        // Overflow is reported after all dimensions are read, so a bad later dimension is named first.
        guard !overflow else { throw .shapeOverflow(tensor: name, offset: dimsOffset) }
        if shape.isEmpty { shape = [1] }
        let typeOffset = r.offset
        let rawType = try r.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw .unknownTensorType(tensor: name, type: rawType, offset: typeOffset)
        }
        guard shape[0] % type.blockSize == 0 else {
            throw .rowNotBlockAligned(tensor: name, type: type, rowLength: shape[0], offset: typeOffset)
        }
        guard let bytes = type.rowBytes(elements: elements) else { throw .shapeOverflow(tensor: name, offset: dimsOffset) }
        let offsetField = r.offset
        let offset = try r.read(UInt64.self, "data offset of '\(name)'")
        guard offset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(tensor: name, dataOffset: offset, alignment: alignment, offset: offsetField)
        }
        return PendingTensor(name: name, shape: shape, type: type, elementCount: elements, byteCount: bytes,
                             dataOffset: offset, offsetField: offsetField)
    }

    /// A tensor info whose data offset is not yet checked against the data section, whose start is
    /// known only after the last tensor info.
    private struct PendingTensor {
        let name: String
        let shape: [Int]
        let type: GGMLType
        let elementCount: Int
        let byteCount: Int
        let dataOffset: UInt64
        /// File offset of the data-offset field, for error messages.
        let offsetField: Int
    }

    // MARK: - Lookup

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw .missingTensor(name) }
        return t
    }

    /// The tensor's bytes inside the mapped file (validated at load to lie within it). `tensor` must
    /// be one of this file's `tensors`.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[(dataOffset + tensor.offset) ..< (dataOffset + tensor.offset + tensor.byteCount)])
    }

    /// Every byte of the file, for callers that need raw access (e.g. checksums).
    public var bytes: UnsafeRawBufferPointer { storage.bytes }
}
