import Testing
@testable import GGUF

/// Appends little-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []
    var count: Int { bytes.count }

    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    /// A GGUF string: u64 byte length, then the UTF-8 bytes.
    mutating func string(_ s: String) {
        int(UInt64(s.utf8.count))
        bytes += s.utf8
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }
}

/// Builds GGUF files for tests. The defaults produce a valid file; every field a hostile file lies
/// about can be overridden, so each hostile file differs from a valid one in one place. `build()`
/// records the offset of every field it writes, so tests can expect errors at exact offsets.
struct GGUFBuilder {
    enum KV {
        case value(String, GGUFValue)
        /// A key, a type id and a payload written verbatim (for unknown types and lying lengths).
        case raw(key: String, type: UInt32, payload: [UInt8])
    }

    struct Tensor {
        var name: String
        /// GGML order, row length first; written as given (zero, negative and huge values included).
        var dims: [UInt64]
        var type: UInt32
        /// nil: the next aligned offset after the previous tensor's data.
        var offset: UInt64? = nil
        /// nil: the name's real byte length.
        var nameLength: UInt64? = nil

        init(_ name: String, _ dims: [UInt64], _ type: GGMLType) {
            (self.name, self.dims, self.type) = (name, dims, type.rawValue)
        }

        init(_ name: String, _ dims: [UInt64], rawType: UInt32) {
            (self.name, self.dims, self.type) = (name, dims, rawType)
        }

        /// Bytes of data the tensor needs, or 0 when its type or shape is invalid.
        var dataBytes: Int {
            guard let t = GGMLType(rawValue: type) else { return 0 }
            var n = 1
            for d in dims {
                guard d > 0, d <= UInt64(Int32.max) else { return 0 }
                let (p, o) = n.multipliedReportingOverflow(by: Int(d))
                if o { return 0 }
                n = p
            }
            return t.rowBytes(elements: n) ?? 0
        }
    }

    /// Kinds of integer fields that the fuzz test edits.
    enum FieldKind { case count, length, arrayType, valueType, nDims, dim, tensorType, tensorOffset }

    /// An integer field at `offset`, `width` bytes wide.
    struct Field { let offset: Int; let width: Int; let kind: FieldKind }

    struct Built {
        var bytes: [UInt8]
        /// Named offsets: "n_tensors", "n_kv", "kv.I.key", "kv.I.type", "kv.I.value", "kv.I.count",
        /// "tensor.I.name", "tensor.I.n_dims", "tensor.I.dimD", "tensor.I.type", "tensor.I.offset", "data".
        var at: [String: Int]
        var fields: [Field]
        /// Data-section offsets of each tensor, as written.
        var tensorOffsets: [UInt64]

        func offset(_ name: String) -> Int {
            guard let o = at[name] else { Issue.record("no field \(name)"); return -1 }
            return o
        }
    }

    var magic: UInt32 = GGUFFile.magic
    var version: UInt32 = 3
    /// nil: the real counts.
    var tensorCount: UInt64? = nil
    var kvCount: UInt64? = nil
    var kvs: [KV] = []
    var tensors: [Tensor] = []
    /// Alignment used to lay out the file; a non-default one must also be stated as `general.alignment`.
    var alignment = 32

    func build() -> Built {
        var w = ByteWriter()
        var at = [String: Int]()
        var fields = [Field]()
        func field(_ name: String?, _ width: Int, _ kind: FieldKind?) {
            if let name { at[name] = w.count }
            if let kind { fields.append(Field(offset: w.count, width: width, kind: kind)) }
        }

        w.int(magic)
        w.int(version)
        field("n_tensors", 8, .count)
        w.int(tensorCount ?? UInt64(tensors.count))
        field("n_kv", 8, .count)
        w.int(kvCount ?? UInt64(kvs.count))

        for (i, kv) in kvs.enumerated() {
            switch kv {
            case let .value(key, value):
                field("kv.\(i).key", 8, .length)
                w.string(key)
                field("kv.\(i).type", 4, .valueType)
                w.int(value.type.rawValue)
                at["kv.\(i).value"] = w.count
                write(value, &w, &at, &fields, index: i)
            case let .raw(key, type, payload):
                field("kv.\(i).key", 8, .length)
                w.string(key)
                field("kv.\(i).type", 4, nil)
                w.int(type)
                at["kv.\(i).value"] = w.count
                w.bytes += payload
            }
        }

        var offsets = [UInt64]()
        var next = 0
        for t in tensors {
            offsets.append(t.offset ?? UInt64(next))
            next += t.dataBytes
            next = (next + alignment - 1) / alignment * alignment
        }
        for (i, t) in tensors.enumerated() {
            field("tensor.\(i).name", 8, .length)
            w.int(t.nameLength ?? UInt64(t.name.utf8.count))
            w.bytes += t.name.utf8
            field("tensor.\(i).n_dims", 4, .nDims)
            w.int(UInt32(t.dims.count))
            for (d, v) in t.dims.enumerated() {
                field("tensor.\(i).dim\(d)", 8, .dim)
                w.int(v)
            }
            field("tensor.\(i).type", 4, .tensorType)
            w.int(t.type)
            field("tensor.\(i).offset", 8, .tensorOffset)
            w.int(offsets[i])
        }
        if !tensors.isEmpty { w.pad(to: alignment) }
        let data = w.count
        at["data"] = data
        // Each tensor's data is a recognisable pattern (its index and position), laid out at its
        // automatic offset; the file ends right after the last tensor, without trailing padding.
        var dataStart = 0
        for (i, t) in tensors.enumerated() {
            let n = t.dataBytes
            guard n > 0 else { continue }
            w.bytes += [UInt8](repeating: 0, count: max(0, dataStart - (w.count - data)))
            w.bytes += (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i &* 7 &+ 1) }
            dataStart += n
            dataStart = (dataStart + alignment - 1) / alignment * alignment
        }
        return Built(bytes: w.bytes, at: at, fields: fields, tensorOffsets: offsets)
    }

    private func write(_ v: GGUFValue, _ w: inout ByteWriter, _ at: inout [String: Int], _ fields: inout [Field], index i: Int) {
        func field(_ name: String?, _ width: Int, _ kind: FieldKind) {
            if let name { at[name] = w.count }
            fields.append(Field(offset: w.count, width: width, kind: kind))
        }
        switch v {
        case let .uint8(x): w.int(x)
        case let .int8(x): w.int(x)
        case let .uint16(x): w.int(x)
        case let .int16(x): w.int(x)
        case let .uint32(x): w.int(x)
        case let .int32(x): w.int(x)
        case let .float32(x): w.int(x.bitPattern)
        case let .bool(x): w.int(UInt8(x ? 1 : 0))
        case let .string(s):
            field(nil, 8, .length)
            w.string(s)
        case let .uint64(x): w.int(x)
        case let .int64(x): w.int(x)
        case let .float64(x): w.int(x.bitPattern)
        case let .array(a):
            field(nil, 4, .arrayType)
            w.int(a.elementType.rawValue)
            field("kv.\(i).count", 8, .count)
            w.int(UInt64(a.count))
            switch a {
            case let .uint8(xs): xs.forEach { w.int($0) }
            case let .int8(xs): xs.forEach { w.int($0) }
            case let .uint16(xs): xs.forEach { w.int($0) }
            case let .int16(xs): xs.forEach { w.int($0) }
            case let .uint32(xs): xs.forEach { w.int($0) }
            case let .int32(xs): xs.forEach { w.int($0) }
            case let .float32(xs): xs.forEach { w.int($0.bitPattern) }
            case let .bool(xs): xs.forEach { w.int(UInt8($0 ? 1 : 0)) }
            case let .string(xs):
                for s in xs {
                    field(nil, 8, .length)
                    w.string(s)
                }
            case let .uint64(xs): xs.forEach { w.int($0) }
            case let .int64(xs): xs.forEach { w.int($0) }
            case let .float64(xs): xs.forEach { w.int($0.bitPattern) }
            }
        }
    }
}

/// Loads a file held in memory.
func load(_ bytes: [UInt8]) throws(GGUFError) -> GGUFFile {
    try GGUFFile(storage: MappedBytes(copying: bytes))
}

/// Fixtures built in memory.
enum Fixtures {
    /// Every metadata value type, arrays of every element type (one empty), and five tensors of
    /// different types and ranks (one of rank 0), laid out with a 64-byte alignment.
    static var everything: GGUFBuilder {
        var b = GGUFBuilder()
        b.alignment = 64
        b.kvs = [
            .value("general.architecture", .string("llama")),
            .value("general.alignment", .uint32(64)),
            .value("t.uint8", .uint8(250)),
            .value("t.int8", .int8(-100)),
            .value("t.uint16", .uint16(65_000)),
            .value("t.int16", .int16(-32_000)),
            .value("t.uint32", .uint32(4_000_000_000)),
            .value("t.int32", .int32(-2_000_000_000)),
            .value("t.float32", .float32(-1.5e-7)),
            .value("t.bool.true", .bool(true)),
            .value("t.bool.false", .bool(false)),
            .value("t.string", .string("héllo, 世界 <|im_start|>")),
            .value("t.string.empty", .string("")),
            .value("t.uint64", .uint64(.max)),
            .value("t.int64", .int64(.min)),
            .value("t.float64", .float64(.pi)),
            .value("a.uint8", .array(.uint8([0, 1, 255]))),
            .value("a.int8", .array(.int8([-128, 0, 127]))),
            .value("a.uint16", .array(.uint16([0, 65_535]))),
            .value("a.int16", .array(.int16([-32_768, 32_767]))),
            .value("a.uint32", .array(.uint32([0, .max, 7]))),
            .value("a.int32", .array(.int32([.min, -1, .max]))),
            .value("a.float32", .array(.float32([0, -0.25, .infinity, 3.4e38]))),
            .value("a.bool", .array(.bool([true, false, true]))),
            .value("a.string", .array(.string(["<s>", "", "▁the", "é"]))),
            .value("a.uint64", .array(.uint64([.max, 0]))),
            .value("a.int64", .array(.int64([.min, .max]))),
            .value("a.float64", .array(.float64([-1e300, 2.5]))),
            .value("a.empty", .array(.int32([]))),
        ]
        b.tensors = [
            .init("token_embd.weight", [8, 3], .f32),
            .init("blk.0.attn_q.weight", [32, 2], .q8_0),
            .init("blk.0.ffn_down.weight", [256, 1], .q4_K),
            .init("output_norm.weight", [8], .f16),
            .init("scalar", [], .i32),
        ]
        return b
    }
}
