/// A value inside a template: the Python values that Jinja2 templates see (None, bool, int, float, str,
/// list, dict), plus Jinja2's `Undefined` and callables (built-in functions and macros).
///
/// Dictionaries keep insertion order, as Python's do, because `tojson` and `items` expose it.
/// Dictionary keys are strings (chat templates only index by string keys).
public enum JinjaValue: Sendable {
    /// Jinja2's default `Undefined`: prints as "", is falsy, iterates as empty; any other use throws
    /// an `.undefined` error carrying `hint` (e.g. "'x' is undefined").
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    /// A Python tuple: made by `(a, b)` literals and `items()` pairs. Behaves as a sequence like a
    /// list, but prints as `(a, b)`, never equals a list, and is what `%` formatting unpacks.
    case tuple([JinjaValue])
    case dict(JinjaDict)
    case callable(JinjaCallable)
    /// A `namespace()` object created during a render. Assignments (`set ns.x = …`) go to the
    /// render's namespace storage, so every copy of the value sees them.
    case namespace(NamespaceReference)

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a), let .tuple(a): return !a.isEmpty
        case let .dict(d): return !d.isEmpty
        case .callable, .namespace: return true
        }
    }

    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The elements of a list or tuple.
    var elements: [JinjaValue]? {
        switch self {
        case let .array(a), let .tuple(a): return a
        default: return nil
        }
    }

    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python's type name, as Jinja2 error messages print it.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .callable: return "function"
        case .namespace: return "Namespace"
        }
    }
}

/// An insertion-ordered string-keyed dictionary (Python's dict semantics for chat templates).
public struct JinjaDict: Sendable {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var values: [JinjaValue] { keys.map { storage[$0] ?? .none } }
    public var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0] ?? .none) } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}

/// Identifies a `namespace()` object within one render; only the renderer creates these, so the
/// index is always valid for the render that made it.
public struct NamespaceReference: Sendable, Equatable {
    let index: Int
}

/// Something a template can call: a built-in global function or a macro the template defined.
public struct JinjaCallable: Sendable {
    enum Kind: Sendable {
        case raiseException
        case namespace
        case range
        case dict
        /// `strftime_now(format)`, formatting the instant given at render time (seconds since 1970).
        case strftimeNow(Double)
        /// A macro: index into the render's macro table.
        case macro(Int)
        /// `caller()` inside a macro invoked by a call block: index into the render's call-block table.
        case caller(Int)
    }

    let kind: Kind

    /// Hugging Face's `raise_exception(message)`: aborts rendering with a `.raised` error.
    public static let raiseException = JinjaCallable(kind: .raiseException)
    /// Jinja2's `namespace(**kwargs)`.
    public static let namespace = JinjaCallable(kind: .namespace)
    /// Python's `range(stop)` / `range(start, stop[, step])`.
    public static let range = JinjaCallable(kind: .range)
    /// Python's `dict(**kwargs)`.
    public static let dict = JinjaCallable(kind: .dict)
    /// Hugging Face's `strftime_now(format)`, bound to the given instant (local time zone).
    public static func strftimeNow(secondsSince1970: Double) -> JinjaCallable {
        JinjaCallable(kind: .strftimeNow(secondsSince1970))
    }
}

// MARK: - Literals, for building contexts in Swift

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dict(JinjaDict(elements)) }
    public init(nilLiteral: ()) { self = .none }
}

// MARK: - Python equality and ordering

extension JinjaValue {
    /// Python `==`: numbers compare by value across bool/int/float; strings by code points.
    func pyEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.array(a), .array(b)), let (.tuple(a), .tuple(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pyEquals($1) }
        case let (.dict(a), .dict(b)):
            guard a.count == b.count else { return false }
            return a.pairs.allSatisfy { k, v in b[k].map { v.pyEquals($0) } ?? false }
        case let (.namespace(a), .namespace(b)): return a == b
        default:
            if let a = numericValue, let b = other.numericValue { return a == b }
            return false
        }
    }

    /// The value as a number, for bool/int/float (Python treats bool as an int subtype).
    var numericValue: Double? {
        switch self {
        case let .bool(b): return b ? 1 : 0
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }

    /// The value as an integer for bool/int (Python's `int` subtypes).
    var intValue: Int? {
        switch self {
        case let .bool(b): return b ? 1 : 0
        case let .int(i): return i
        default: return nil
        }
    }
}

// MARK: - Python str() and repr()

extension JinjaValue {
    /// Python's `str()` as Jinja2 prints a value (`{{ x }}`); Undefined prints as "".
    public var pythonString: String {
        switch self {
        case .undefined: return ""
        case let .string(s): return s
        default: return pythonRepr
        }
    }

    /// Python's `repr()`.
    var pythonRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return pythonFloatRepr(d)
        case let .string(s): return pythonStringRepr(s)
        case let .array(a): return "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case let .tuple(a): return "(" + a.map(\.pythonRepr).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case let .dict(d):
            return "{" + d.pairs.map { pythonStringRepr($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + "}"
        case .callable: return "<function>"
        case .namespace: return "<Namespace>"
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
func pythonStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    for c in s.unicodeScalars {
        switch c {
        case quote, "\\": out.append("\\"); out.append(c)
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        default:
            if c.value < 0x20 || c.value == 0x7F {
                out.append(contentsOf: "\\x".unicodeScalars)
                out.append(contentsOf: hex(c.value, digits: 2).unicodeScalars)
            } else {
                out.append(c)
            }
        }
    }
    out.append(quote)
    return String(out)
}

func hex(_ v: UInt32, digits: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
}

/// Python's `repr(float)`: the shortest round-tripping digits, in positional notation when the
/// decimal exponent is in [-4, 16), otherwise as `d.ddde±XX`.
func pythonFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description also prints the shortest round-tripping digits; only the layout differs.
    let (digits, exponent) = decimalDigits(of: abs(d))
    let sign = d < 0 ? "-" : ""
    if exponent >= -4 && exponent < 16 {
        if exponent < 0 {
            return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits
        }
        let intCount = exponent + 1
        if digits.count <= intCount {
            return sign + digits + String(repeating: "0", count: intCount - digits.count) + ".0"
        }
        return sign + String(digits.prefix(intCount)) + "." + String(digits.dropFirst(intCount))
    }
    let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
    let expAbs = abs(exponent)
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (expAbs < 10 ? "0" : "") + String(expAbs)
}

/// The significant digits of a positive finite double (no leading/trailing zeros) and the decimal
/// exponent of the first digit, so that the value is `0.d1d2… × 10^(exponent+1)`.
private func decimalDigits(of d: Double) -> (String, Int) {
    let text = d.description // e.g. "1234.5", "1e-05", "1.2345e+17"
    var mantissa = Substring(text)
    var exp = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exp = Int(text[text.index(after: e)...]) ?? 0
    }
    var intPart = mantissa
    var fracPart: Substring = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = mantissa[..<dot]
        fracPart = mantissa[mantissa.index(after: dot)...]
    }
    var all = Array(intPart + fracPart)
    var pointPos = intPart.count + exp // digits before the decimal point
    while all.first == "0" { all.removeFirst(); pointPos -= 1 }
    while all.last == "0" { all.removeLast() }
    return (String(all), pointPos - 1)
}
