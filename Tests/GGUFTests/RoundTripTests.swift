import Foundation
import Testing
@testable import GGUF

@Suite struct RoundTripTests {
    @Test(arguments: [UInt32(2), 3])
    func everyValueTypeReadsBack(version: UInt32) throws {
        var b = Fixtures.everything
        b.version = version
        let built = b.build()
        let f = try load(built.bytes)
        #expect(f.version == version)
        var keys = [String]()
        for kv in b.kvs {
            guard case let .value(key, value) = kv else { continue }
            keys.append(key)
            #expect(f.metadata[key] == value, "\(key)")
        }
        #expect(f.metadata.keys == keys)
    }

    @Test func tensorsReadBack() throws {
        let b = Fixtures.everything
        let built = b.build()
        let f = try load(built.bytes)
        #expect(f.alignment == 64)
        #expect(f.dataOffset == built.offset("data"))
        #expect(f.fileSize == built.bytes.count)
        #expect(f.tensors.map(\.name) == b.tensors.map(\.name))
        #expect(f.tensors.map { UInt64($0.offset) } == built.tensorOffsets)
        // [8, 3] f32, [32, 2] q8_0, [256, 1] q4_K, [8] f16, rank-0 i32
        #expect(f.tensors.map(\.shape) == [[8, 3], [32, 2], [256, 1], [8], [1]])
        #expect(f.tensors.map(\.type) == [.f32, .q8_0, .q4_K, .f16, .i32])
        #expect(f.tensors.map(\.elementCount) == [24, 64, 256, 8, 1])
        #expect(f.tensors.map(\.byteCount) == [96, 68, 144, 16, 4])
        #expect(f.tensors.map(\.rowCount) == [3, 2, 1, 1, 1])
        #expect(f.parameterCount == 24 + 64 + 256 + 8 + 1)
        for (i, t) in f.tensors.enumerated() {
            let start = f.dataOffset + t.offset
            #expect(Array(f.data(of: t)) == Array(built.bytes[start ..< start + t.byteCount]))
            #expect(f.data(of: t).first == 1 &+ UInt8(truncatingIfNeeded: i * 7), "data of \(t.name) starts with its pattern")
        }
        #expect(try f.requireTensor("scalar").type == .i32)
    }

    @Test func typedAccessors() throws {
        let m = try load(Fixtures.everything.build().bytes).metadata
        #expect(try m.string("general.architecture") == "llama")
        #expect(try m.int("t.int32") == -2_000_000_000)
        #expect(try m.int("t.uint8") == 250)
        #expect(try m.uint32("t.uint32") == 4_000_000_000)
        #expect(try m.uint32("t.uint16") == 65_000)
        #expect(try m.float("t.float32") == -1.5e-7)
        #expect(try m.float("t.float64") == Float(Double.pi))
        #expect(try m.float("t.uint16") == 65_000)
        #expect(try m.bool("t.bool.true"))
        #expect(try m.stringArray("a.string") == ["<s>", "", "▁the", "é"])
        #expect(try m.floatArray("a.float32") == [0, -0.25, .infinity, 3.4e38])
        #expect(try m.floatArray("a.float64") == [-1e300 as Double, 2.5].map { Float($0) })
        #expect(try m.intArray("a.int8") == [-128, 0, 127])
        #expect(try m.intArray("a.empty") == [])
        #expect(try m.int("missing", default: 7) == 7)
        #expect(try m.string("missing", default: "x") == "x")
        #expect(try m.float("missing", default: 0.5) == 0.5)
        #expect(try m.bool("missing", default: true))
        #expect(try m.uint32("missing", default: 3) == 3)
        #expect(try m.uint32("t.uint32", default: 3) == 4_000_000_000)
        #expect(try m.optional("missing", m.int) == nil)
        #expect(try m.optional("t.int8", m.int) == -100)
    }

    /// Lookups that fail name the key (or tensor) and what was wrong.
    @Test func lookupErrorsNameTheKey() throws {
        let f = try load(Fixtures.everything.build().bytes)
        let m = f.metadata
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try m.int("llama.block_count") }
        #expect(throws: GGUFError.wrongType(key: "t.string", expected: "integer", found: "string")) { try m.int("t.string") }
        #expect(throws: GGUFError.wrongType(key: "t.int8", expected: "uint32", found: "int8")) { try m.uint32("t.int8") }
        #expect(throws: GGUFError.wrongType(key: "t.uint64", expected: "integer", found: "uint64")) { try m.int("t.uint64") }
        #expect(throws: GGUFError.wrongType(key: "a.int8", expected: "array[string]", found: "array[int8]")) { try m.stringArray("a.int8") }
        #expect(throws: GGUFError.wrongType(key: "t.bool.true", expected: "string", found: "bool")) { try m.string("t.bool.true", default: "") }
        #expect(throws: GGUFError.wrongType(key: "t.string", expected: "integer", found: "string")) { try m.optional("t.string", m.int) }
        #expect(throws: GGUFError.missingTensor("nope")) { try f.requireTensor("nope") }
        #expect(GGUFError.wrongType(key: "t.string", expected: "integer", found: "string").description.contains("'t.string'"))
        #expect(GGUFError.missingTensor("nope").description.contains("'nope'"))
    }

    @Test func fileOnDisk() throws {
        let built = Fixtures.everything.build()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-roundtrip-\(UUID().uuidString).gguf")
        try Data(built.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let f = try GGUFFile(path: url.path)
        #expect(Array(f.bytes) == built.bytes)
        #expect(f.tensors.count == 5)
        #expect(throws: GGUFError.self) { try GGUFFile(path: url.path + ".missing") }
        #expect(throws: GGUFError.cannotOpen(path: "/", reason: "not a regular file")) { try GGUFFile(path: "/") }
    }
}
