/// Metadata value type ids as GGUF stores them; a case prints as its GGUF name (`uint32`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8
    case array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of the smallest encoding of one value (a string is at least its 8-byte length).
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12 // element type (4) + count (8)
        }
    }
}

/// A metadata value as stored in the file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFArray)

    /// The type id the file stores for this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// The GGUF type name (`uint32`, `array[string]`), used in error messages.
    public var typeName: String {
        if case let .array(a) = self { return "array[\(a.elementTypeName)]" }
        return "\(type)"
    }

    /// The value as an `Int` if it is an integer that fits.
    public var intValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }
}

/// A homogeneous metadata array, kept in its native element type so that a 150,000-entry vocab
/// costs one Swift array, not 150,000 enum boxes.
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool]), string([String])

    public var count: Int {
        switch self {
        case let .uint8(a): return a.count
        case let .int8(a): return a.count
        case let .uint16(a): return a.count
        case let .int16(a): return a.count
        case let .uint32(a): return a.count
        case let .int32(a): return a.count
        case let .uint64(a): return a.count
        case let .int64(a): return a.count
        case let .float32(a): return a.count
        case let .float64(a): return a.count
        case let .bool(a): return a.count
        case let .string(a): return a.count
        }
    }

    /// The type id the file stores for the elements.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        }
    }

    public var elementTypeName: String { "\(elementType)" }

    /// Integer elements as `Int`, or nil if the array is not of an integer type (or a value does not fit).
    public var intValues: [Int]? {
        func map<T: BinaryInteger>(_ a: [T]) -> [Int]? {
            var out = [Int](); out.reserveCapacity(a.count)
            for v in a { guard let i = Int(exactly: v) else { return nil }; out.append(i) }
            return out
        }
        switch self {
        case let .uint8(a): return map(a)
        case let .int8(a): return map(a)
        case let .uint16(a): return map(a)
        case let .int16(a): return map(a)
        case let .uint32(a): return map(a)
        case let .int32(a): return map(a)
        case let .uint64(a): return map(a)
        case let .int64(a): return map(a)
        default: return nil
        }
    }
}
