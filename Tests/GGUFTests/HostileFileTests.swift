import Testing
@testable import GGUF

/// Loading `bytes` throws exactly `expected`, and the message names each of `mentions`.
func expectThrows(_ bytes: [UInt8], _ expected: GGUFError, mentions: [String],
                  sourceLocation: SourceLocation = #_sourceLocation) {
    expectThrows(bytes, where: { $0 == expected }, mentions: mentions, sourceLocation: sourceLocation)
}

/// Loading `bytes` throws an error for which `matches` holds, whose message names each of `mentions`.
func expectThrows(_ bytes: [UInt8], where matches: (GGUFError) -> Bool, mentions: [String],
                  sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let f = try load(bytes)
        Issue.record("loaded a file with \(f.tensors.count) tensors; expected an error", sourceLocation: sourceLocation)
    } catch {
        #expect(matches(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(error.description.contains(m), "'\(error)' does not mention '\(m)'", sourceLocation: sourceLocation)
        }
    }
}

/// Little-endian bytes of `values`, for hand-written payloads.
func le(_ values: any FixedWidthInteger...) -> [UInt8] {
    var w = ByteWriter()
    for v in values { w.int(v) }
    return w.bytes
}

/// A valid two-tensor file; each test below breaks it in one place.
private var small: GGUFBuilder {
    var b = GGUFBuilder()
    b.kvs = [.value("general.architecture", .string("llama")), .value("llama.block_count", .uint32(2))]
    b.tensors = [.init("a", [4, 2], .f32), .init("b", [32], .q8_0)]
    return b
}

@Suite struct HostileFileTests {
    @Test func smallIsValid() throws {
        let f = try load(small.build().bytes)
        #expect(f.tensors.map(\.name) == ["a", "b"])
    }

    // MARK: Header

    @Test(arguments: [UInt32(0x4C4D_4747) /* "GGML" */, 0, 0x4655_4746, .max])
    func badMagic(magic: UInt32) {
        var b = small
        b.magic = magic
        expectThrows(b.build().bytes, .badMagic(found: magic), mentions: ["magic", "offset 0"])
    }

    @Test(arguments: [UInt32(0), 1, 4, 0x0300_0000, .max])
    func unsupportedVersion(version: UInt32) {
        var b = small
        b.version = version
        var mentions = ["version \(version)", "offset 4"]
        if version == 0x0300_0000 { mentions.append("big-endian") }
        expectThrows(b.build().bytes, .unsupportedVersion(version), mentions: mentions)
    }

    @Test func version2Loads() throws {
        var b = small
        b.version = 2
        #expect(try load(b.build().bytes).version == 2)
    }

    /// n_tensors (at offset 8) or n_kv (at 16) of -1, 2^63 or 2^40.
    @Test(arguments: [("tensor", 8), ("metadata", 16)], [UInt64.max, 1 << 63, 1 << 40] as [UInt64])
    func hugeHeaderCount(field: (String, Int), count: UInt64) {
        let (what, at) = field
        var b = small
        if what == "tensor" { b.tensorCount = count } else { b.kvCount = count }
        expectThrows(b.build().bytes, .countTooLarge(what: what, count: count, offset: at),
                     mentions: ["\(what) count \(count)", "offset \(at)"])
    }

    /// One more KV than the smallest KV encoding (14 bytes) allows in the bytes left.
    @Test func metadataCountOneTooMany() {
        var b = small
        let n = b.build().bytes.count
        let count = UInt64((n - 24) / 14 + 1)
        b.kvCount = count
        expectThrows(b.build().bytes, .countTooLarge(what: "metadata", count: count, offset: 16), mentions: ["offset 16"])
    }

    // MARK: Keys and values

    @Test(arguments: [UInt64(1000), .max, 1 << 63])
    func keyLongerThanFile(length: UInt64) {
        var b = GGUFBuilder()
        b.kvs = [.value("general.architecture", .string("llama"))]
        b.kvCount = 2
        var built = b.build()
        let at = built.bytes.count
        built.bytes += le(length) + Array("abc".utf8)
        expectThrows(built.bytes, .stringTooLong(what: "metadata key", length: length, offset: at, available: 3),
                     mentions: ["metadata key length \(length)", "offset \(at)"])
    }

    @Test func stringValueLongerThanFile() {
        var b = small
        b.kvs.append(.raw(key: "k", type: 8, payload: le(UInt64(1 << 40)) + [0x78]))
        let built = b.build()
        let at = built.offset("kv.2.value")
        expectThrows(built.bytes, where: {
            guard case let .stringTooLong(what, length, offset, _) = $0 else { return false }
            return what == "value of 'k'" && length == 1 << 40 && offset == at
        }, mentions: ["value of 'k'", "offset \(at)"])
    }

    @Test func stringArrayElementLongerThanFile() {
        var b = small
        b.kvs.append(.raw(key: "tokens", type: 9, payload: le(UInt32(8), UInt64(2), UInt64(1), UInt8(0x61), UInt64.max)))
        let built = b.build()
        let at = built.offset("kv.2.value") + 4 + 8 + 9
        expectThrows(built.bytes, where: {
            guard case let .stringTooLong(what, length, offset, _) = $0 else { return false }
            return what == "element 1 of array 'tokens'" && length == .max && offset == at
        }, mentions: ["element 1 of array 'tokens'", "offset \(at)"])
    }

    @Test func emptyKey() {
        var b = small
        b.kvs.append(.value("", .uint32(1)))
        let built = b.build()
        let at = built.offset("kv.2.key")
        expectThrows(built.bytes, .emptyKey(offset: at), mentions: ["empty", "key", "offset \(at)"])
    }

    @Test func duplicateKey() {
        var b = small
        b.kvs.append(.value("llama.block_count", .uint32(3)))
        let built = b.build()
        let at = built.offset("kv.2.key")
        expectThrows(built.bytes, .duplicateKey("llama.block_count", offset: at),
                     mentions: ["duplicate", "'llama.block_count'", "offset \(at)"])
    }

    @Test(arguments: [UInt32(13), 100, .max])
    func unknownValueType(type: UInt32) {
        var b = small
        b.kvs.append(.raw(key: "k", type: type, payload: le(UInt64(0))))
        let built = b.build()
        let at = built.offset("kv.2.type")
        expectThrows(built.bytes, .unknownValueType(type, key: "k", offset: at),
                     mentions: ["value type \(type)", "'k'", "offset \(at)"])
    }

    @Test(arguments: [UInt32(13), .max])
    func arrayOfUnknownType(type: UInt32) {
        var b = small
        b.kvs.append(.raw(key: "k", type: 9, payload: le(type, UInt64(1), UInt64(0))))
        let built = b.build()
        let at = built.offset("kv.2.value")
        expectThrows(built.bytes, .unknownValueType(type, key: "k", offset: at),
                     mentions: ["value type \(type)", "'k'", "offset \(at)"])
    }

    @Test func nestedArray() {
        var b = small
        b.kvs.append(.raw(key: "k", type: 9, payload: le(UInt32(9), UInt64(1), UInt32(4), UInt64(0))))
        let built = b.build()
        let at = built.offset("kv.2.value")
        expectThrows(built.bytes, .nestedArray(key: "k", offset: at), mentions: ["nested array", "'k'", "offset \(at)"])
    }

    /// Counts whose byte size overflows 64 bits or exceeds the file, for several element sizes.
    @Test(arguments: [(UInt32(4), UInt64.max), (4, 1 << 62), (0, 1 << 63), (8, 1 << 61), (10, 1 << 61), (12, .max), (7, 1000)])
    func arrayCountTooLarge(elementType: UInt32, count: UInt64) {
        var b = small
        b.kvs.append(.raw(key: "k", type: 9, payload: le(elementType, count, UInt64(0))))
        let built = b.build()
        let at = built.offset("kv.2.value") + 4
        expectThrows(built.bytes, .countTooLarge(what: "array 'k'", count: count, offset: at),
                     mentions: ["array 'k' count \(count)", "offset \(at)"])
    }

    // MARK: Alignment

    @Test(arguments: [
        (GGUFValue.uint32(0), "0 is not a power of two"),
        (.uint32(48), "48 is not a power of two"),
        (.uint32(3), "3 is not a power of two"),
        (.uint32(.max), "4294967295 is not a power of two"),
        (.uint64(32), "type is uint64, expected uint32"),
        (.int32(32), "type is int32, expected uint32"),
        (.string("32"), "type is string, expected uint32"),
    ])
    func badAlignment(value: GGUFValue, why: String) {
        var b = small
        b.kvs.append(.value("general.alignment", value))
        let built = b.build()
        let at = built.offset("kv.2.type")
        expectThrows(built.bytes, .badAlignment(why, offset: at), mentions: ["general.alignment", why, "offset \(at)"])
    }

    @Test(arguments: [1, 8, 64, 4096])
    func goodAlignment(alignment: Int) throws {
        var b = small
        b.alignment = alignment
        b.kvs.append(.value("general.alignment", .uint32(UInt32(alignment))))
        let built = b.build()
        let f = try load(built.bytes)
        #expect(f.alignment == alignment)
        #expect(f.dataOffset == built.offset("data"))
        #expect(f.dataOffset % alignment == 0)
        #expect(f.tensors.map { UInt64($0.offset) } == built.tensorOffsets)
    }

    // MARK: Tensor infos

    @Test func tensorNameTooLong() throws {
        var b = small
        b.tensors[1].name = String(repeating: "x", count: 63)
        #expect(try load(b.build().bytes).tensor(named: b.tensors[1].name) != nil)
        let name = String(repeating: "y", count: 64)
        b.tensors[1].name = name
        let built = b.build()
        let at = built.offset("tensor.1.name")
        expectThrows(built.bytes, .tensorNameTooLong(prefix: name, length: 64, offset: at),
                     mentions: ["tensor name", "64 bytes", "offset \(at)"])
    }

    @Test func tensorNameLengthHuge() {
        var b = small
        b.tensors[0].nameLength = .max
        let built = b.build()
        let at = built.offset("tensor.0.name")
        expectThrows(built.bytes, where: {
            guard case let .tensorNameTooLong(_, length, offset) = $0 else { return false }
            return length == .max && offset == at
        }, mentions: ["tensor name", "\(UInt64.max) bytes", "offset \(at)"])
    }

    @Test func tooManyDimensions() {
        var b = small
        b.tensors[0].dims = [1, 1, 1, 1, 1]
        let built = b.build()
        let at = built.offset("tensor.0.n_dims")
        expectThrows(built.bytes, .tooManyDimensions(tensor: "a", count: 5, offset: at),
                     mentions: ["'a'", "5 dimensions", "offset \(at)"])
        var bytes = built.bytes
        bytes.replaceSubrange(at ..< at + 4, with: le(UInt32.max))
        expectThrows(bytes, .tooManyDimensions(tensor: "a", count: .max, offset: at), mentions: ["offset \(at)"])
    }

    @Test(arguments: [([UInt64(0), 2], 0), ([4, UInt64(bitPattern: -1)], 1), ([4, 2, 1 << 63], 2), ([4, 1, 1, 0], 3)])
    func badDimension(dims: [UInt64], bad: Int) {
        var b = small
        b.tensors[0].dims = dims
        let built = b.build()
        let at = built.offset("tensor.0.dim\(bad)")
        expectThrows(built.bytes, .badDimension(tensor: "a", dimension: bad, value: dims[bad], offset: at),
                     mentions: ["'a'", "dimension \(bad)", "\(Int64(bitPattern: dims[bad]))", "offset \(at)"])
    }

    /// Element counts that overflow Int, and element counts that fit but whose byte size does not.
    @Test(arguments: [
        ([UInt64(1) << 32, 1 << 32], GGMLType.f32),
        ([UInt64(Int64.max), 2], .f32),
        ([UInt64(1) << 31, 1 << 31], .f32),
        ([UInt64(1) << 61, 2], .f64),
        ([UInt64(1) << 62, 1], .i64),
    ])
    func shapeOverflow(dims: [UInt64], type: GGMLType) {
        var b = small
        b.tensors[0] = .init("a", dims, type)
        let built = b.build()
        let at = built.offset("tensor.0.n_dims")
        expectThrows(built.bytes, .shapeOverflow(tensor: "a", offset: at), mentions: ["'a'", "overflow", "offset \(at)"])
    }

    @Test(arguments: [UInt32(4), 5, 31, 32, 33, 36, 37, 38, 42, .max])
    func unknownTensorType(type: UInt32) {
        var b = small
        b.tensors[1] = .init("b", [32], rawType: type)
        let built = b.build()
        let at = built.offset("tensor.1.type")
        expectThrows(built.bytes, .unknownTensorType(tensor: "b", type: type, offset: at),
                     mentions: ["'b'", "type \(type)", "offset \(at)"])
    }

    @Test func rowNotBlockAligned() {
        var b = small
        b.tensors[1] = .init("b", [33, 2], .q8_0)
        let built = b.build()
        let at = built.offset("tensor.1.type")
        expectThrows(built.bytes, .rowNotBlockAligned(tensor: "b", type: .q8_0, rowLength: 33, offset: at),
                     mentions: ["'b'", "33", "offset \(at)"])
    }

    @Test(arguments: [(32, UInt64(16)), (32, 1), (64, 32), (64, 96)])
    func misalignedTensorOffset(alignment: Int, offset: UInt64) {
        var b = small
        b.alignment = alignment
        b.kvs.append(.value("general.alignment", .uint32(UInt32(alignment))))
        b.tensors[1].offset = offset
        let built = b.build()
        let at = built.offset("tensor.1.offset")
        expectThrows(built.bytes, .misalignedTensor(tensor: "b", dataOffset: offset, alignment: alignment, offset: at),
                     mentions: ["'b'", "data offset \(offset)", "alignment \(alignment)", "offset \(at)"])
    }

    @Test(arguments: [UInt64(1) << 40, UInt64.max & ~31, 1 << 63, 4096])
    func tensorOffsetBeyondFile(offset: UInt64) {
        var b = small
        b.tensors[0].offset = offset
        let built = b.build()
        let at = built.offset("tensor.0.offset")
        let dataSize = built.bytes.count - built.offset("data")
        expectThrows(built.bytes, .tensorOffsetOutOfBounds(tensor: "a", dataOffset: offset, dataSize: dataSize, offset: at),
                     mentions: ["'a'", "data offset \(offset)", "offset \(at)", "\(dataSize) bytes"])
    }

    @Test func tensorDataPastEndOfFile() {
        let built = small.build()
        let bytes = Array(built.bytes.dropLast())
        let dataSize = bytes.count - built.offset("data")
        let at = built.offset("tensor.1.offset")
        expectThrows(bytes, .tensorOutOfBounds(tensor: "b", dataOffset: built.tensorOffsets[1], bytes: 34, dataSize: dataSize, offset: at),
                     mentions: ["'b'", "past the end", "offset field at \(at)"])
    }

    /// A tensor placed where it fits, but whose shape makes it run past the end of the file.
    @Test func tensorShapeRunsPastEnd() {
        var b = small
        b.tensors[1].dims = [32, 1]
        var built = b.build()
        let dim1 = built.offset("tensor.1.dim1")
        built.bytes.replaceSubrange(dim1 ..< dim1 + 8, with: le(UInt64(100)))
        let dataSize = built.bytes.count - built.offset("data")
        let at = built.offset("tensor.1.offset")
        expectThrows(built.bytes, .tensorOutOfBounds(tensor: "b", dataOffset: built.tensorOffsets[1], bytes: 3400, dataSize: dataSize, offset: at),
                     mentions: ["'b'", "3400", "offset field at \(at)"])
    }

    @Test func duplicateTensorName() {
        var b = small
        b.tensors[1] = .init("a", [32], .q8_0)
        let built = b.build()
        let at = built.offset("tensor.1.name")
        expectThrows(built.bytes, .duplicateTensor("a", offset: at), mentions: ["duplicate", "'a'", "offset \(at)"])
    }

    @Test func missingPaddingBeforeData() {
        let built = small.build()
        let end = built.offset("tensor.1.offset") + 8
        #expect(built.offset("data") > end, "the fixture needs padding after its tensor infos")
        expectThrows(Array(built.bytes[..<end]), .truncated(offset: end, needed: built.offset("data") - end, what: "padding before tensor data"),
                     mentions: ["truncated", "padding", "offset \(end)"])
    }

    /// Every proper prefix of a valid file (cut inside the header, a key, a value, an array, a tensor
    /// info, the padding or the data) throws; none crashes or loads.
    @Test func everyPrefixThrows() {
        let bytes = Fixtures.everything.build().bytes
        var loaded = [Int]()
        for n in 0 ..< bytes.count {
            do {
                _ = try load(Array(bytes[..<n]))
                loaded.append(n)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        #expect(loaded.isEmpty, "prefixes that loaded: \(loaded)")
        #expect(throws: Never.self) { try load(bytes) }
    }

    /// The truncation error of a cut inside a fixed-size field names that field and where it starts.
    @Test func truncatedFieldNamed() {
        let built = small.build()
        let type = built.offset("tensor.1.type")
        expectThrows(Array(built.bytes[..<(type + 2)]), .truncated(offset: type, needed: 2, what: "type of 'b'"),
                     mentions: ["type of 'b'", "offset \(type)"])
        let value = built.offset("kv.1.value")
        expectThrows(Array(built.bytes[..<(value + 1)]), .truncated(offset: value, needed: 3, what: "value of 'llama.block_count'"),
                     mentions: ["'llama.block_count'", "offset \(value)"])
    }

    @Test func emptyFile() {
        expectThrows([], .truncated(offset: 0, needed: 4, what: "magic"), mentions: ["magic", "offset 0"])
    }
}
