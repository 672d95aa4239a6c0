/// The key/value metadata of a GGUF file, with typed, throwing accessors whose errors name the key.
///
///     let layers = try file.metadata.int("qwen2.block_count")
///     let base = try file.metadata.float("qwen2.rope.freq_base", default: 10_000)
public struct GGUFMetadata: Sendable {
    /// Keys in file order.
    public let keys: [String]
    private let values: [String: GGUFValue]

    init(keys: [String], values: [String: GGUFValue]) {
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> GGUFValue? { values[key] }
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// `get(key)` when the key is present, nil when it is absent; a present key of the wrong type
    /// still throws: `try metadata.optional("gemma3.attention.sliding_window", metadata.int)`.
    public func optional<T>(_ key: String, _ get: (String) throws(GGUFError) -> T) throws(GGUFError) -> T? {
        contains(key) ? try get(key) : nil
    }

    private func require(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let v = values[key] else { throw .missingKey(key) }
        return v
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let v = try require(key)
        guard case let .string(s) = v else { throw .wrongType(key: key, expected: "string", found: v.typeName) }
        return s
    }

    public func string(_ key: String, default d: String) throws(GGUFError) -> String {
        try optional(key, string) ?? d
    }

    /// Any integer type whose value fits in `Int`.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let v = try require(key)
        guard let i = v.intValue else { throw .wrongType(key: key, expected: "integer", found: v.typeName) }
        return i
    }

    public func int(_ key: String, default d: Int) throws(GGUFError) -> Int {
        try optional(key, int) ?? d
    }

    public func uint32(_ key: String) throws(GGUFError) -> UInt32 {
        let v = try require(key)
        guard let i = v.intValue, let u = UInt32(exactly: i) else {
            throw .wrongType(key: key, expected: "uint32", found: v.typeName)
        }
        return u
    }

    public func uint32(_ key: String, default d: UInt32) throws(GGUFError) -> UInt32 {
        try optional(key, uint32) ?? d
    }

    /// A float32 or float64 value (integers are accepted too, as llama.cpp's converters sometimes
    /// write them for float hyperparameters).
    public func float(_ key: String) throws(GGUFError) -> Float {
        let v = try require(key)
        switch v {
        case let .float32(f): return f
        case let .float64(d): return Float(d)
        default:
            guard let i = v.intValue else { throw .wrongType(key: key, expected: "float", found: v.typeName) }
            return Float(i)
        }
    }

    public func float(_ key: String, default d: Float) throws(GGUFError) -> Float {
        try optional(key, float) ?? d
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let v = try require(key)
        guard case let .bool(b) = v else { throw .wrongType(key: key, expected: "bool", found: v.typeName) }
        return b
    }

    public func bool(_ key: String, default d: Bool) throws(GGUFError) -> Bool {
        try optional(key, bool) ?? d
    }

    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        let v = try require(key)
        guard case let .array(a) = v else { throw .wrongType(key: key, expected: "array", found: v.typeName) }
        return a
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let a = try array(key)
        guard case let .string(s) = a else { throw .wrongType(key: key, expected: "array[string]", found: "array[\(a.elementTypeName)]") }
        return s
    }

    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        let a = try array(key)
        switch a {
        case let .float32(f): return f
        case let .float64(d): return d.map { Float($0) }
        default: throw .wrongType(key: key, expected: "array[float32]", found: "array[\(a.elementTypeName)]")
        }
    }

    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let a = try array(key)
        guard let ints = a.intValues else { throw .wrongType(key: key, expected: "array[integer]", found: "array[\(a.elementTypeName)]") }
        return ints
    }
}
