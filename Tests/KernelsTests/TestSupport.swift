import Foundation
import GGUF
import Kernels

/// Paths to the reference vectors, shared test data and fetched models, relative to this file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")
    static let fixtures = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/models")
    static let models = repo.appendingPathComponent("models")
}

enum TestDataError: Error, CustomStringConvertible {
    case badHex(String)
    case unknownType(String)
    var description: String {
        switch self {
        case let .badHex(s): return "not a hex string: \(s.prefix(40))"
        case let .unknownType(s): return "unknown GGML type name \(s)"
        }
    }
}

/// Decodes a hex string (two digits per byte) to bytes.
func bytes(hex: String) throws -> [UInt8] {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { throw TestDataError.badHex(hex) }
    func nibble(_ c: UInt8) throws -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: throw TestDataError.badHex(hex)
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    for i in stride(from: 0, to: digits.count, by: 2) { out.append(try nibble(digits[i]) << 4 | nibble(digits[i + 1])) }
    return out
}

/// Little-endian float32 values from hex.
func floats(hex: String) throws -> [Float] {
    let raw = try bytes(hex: hex)
    return stride(from: 0, to: raw.count - 3, by: 4).map { i in
        Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
    }
}

func ggmlType(named name: String) throws -> GGMLType {
    guard let t = GGMLType.allCases.first(where: { $0.description == name }) else { throw TestDataError.unknownType(name) }
    return t
}

func loadJSON<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: TestPaths.vectors.appendingPathComponent(file)))
}

/// Deterministic generator for test inputs (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Roughly normal values (sum of uniforms), scaled.
    mutating func normals(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in
            var s: Float = 0
            for _ in 0..<4 { s += Float.random(in: -1...1, using: &self) }
            return s * scale
        }
    }
}

/// Dequantizes a whole row of `count` elements.
func decode(_ type: GGMLType, _ raw: [UInt8], count: Int) throws -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    try raw.withUnsafeBytes { src in try out.withUnsafeMutableBufferPointer { try Dequantize.row(type, src, into: $0) } }
    return out
}

/// Quantizes a whole row into blocks of `type`.
func encode(_ type: GGMLType, _ input: [Float]) throws -> [UInt8] {
    guard let size = type.rowBytes(elements: input.count) else { throw KernelError.countNotBlockMultiple(type, count: input.count) }
    var out = [UInt8](repeating: 0xAA, count: size)
    try input.withUnsafeBufferPointer { src in try out.withUnsafeMutableBytes { try Quantize.row(type, src, into: $0) } }
    return out
}
