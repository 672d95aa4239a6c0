import Foundation

// Python semantics of Jinja2's binary operators, with Python's error messages.

extension Renderer {
    func binaryOperation(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "==": return .bool(a.pyEquals(b))
        case "!=": return .bool(!a.pyEquals(b))
        case "in": return .bool(try contains(b, a))
        case "not in": return .bool(!(try contains(b, a)))
        case "~": return .string(a.pythonString + b.pythonString)
        default: break
        }
        if case let .undefined(hint) = a { throw JinjaError(.undefined, hint) }
        if case let .undefined(hint) = b { throw JinjaError(.undefined, hint) }
        switch op {
        case "<", ">", "<=", ">=":
            let order = try pyCompare(a, b, op: op)
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "+": return try add(a, b)
        case "-", "*", "/", "//", "%", "**": return try arithmetic(op, a, b)
        default: throw JinjaError(.unsupported, "operator '\(op)' is not supported")
        }
    }

    /// Python's `needle in haystack`.
    func contains(_ haystack: JinjaValue, _ needle: JinjaValue) throws(JinjaError) -> Bool {
        switch haystack {
        case .undefined: return false
        case let .string(s):
            guard case let .string(n) = needle else {
                throw JinjaError(.type, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || scalarRange(of: n, in: s) != nil
        case let .array(a), let .tuple(a): return a.contains { $0.pyEquals(needle) }
        case let .dict(d):
            guard case let .string(k) = needle else { return false }
            return d[k] != nil
        case let .namespace(id):
            guard case let .string(k) = needle else { return false }
            return namespaces[id.index][k] != nil
        default:
            throw JinjaError(.type, "argument of type '\(haystack.typeName)' is not iterable")
        }
    }

    /// Python ordering: numbers by value, strings by code points, lists lexicographically.
    func pyCompare(_ a: JinjaValue, _ b: JinjaValue, op: String = "<") throws(JinjaError) -> Int {
        switch (a, b) {
        case let (.string(x), .string(y)):
            return compareScalars(x, y)
        case let (.array(x), .array(y)), let (.tuple(x), .tuple(y)):
            for (p, q) in zip(x, y) where !p.pyEquals(q) { return try pyCompare(p, q, op: op) }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        default:
            if let x = a.intValue, let y = b.intValue { return x < y ? -1 : x > y ? 1 : 0 }
            if let x = a.numericValue, let y = b.numericValue { return x < y ? -1 : x > y ? 1 : 0 }
            throw JinjaError(.type, "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    private func add(_ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch (a, b) {
        case let (.string(x), .string(y)): return .string(x + y)
        case let (.array(x), .array(y)): return .array(x + y)
        case let (.tuple(x), .tuple(y)): return .tuple(x + y)
        case (.string, _): throw JinjaError(.type, "can only concatenate str (not \"\(b.typeName)\") to str")
        case (.array, _), (.tuple, _): throw JinjaError(.type, "can only concatenate \(a.typeName) (not \"\(b.typeName)\") to \(a.typeName)")
        default: return try arithmetic("+", a, b)
        }
    }

    private func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        // Sequence repetition: "ab" * 3, 3 * [x].
        if op == "*" {
            let (sequence, count) = b.intValue != nil ? (a, b) : (b, a)
            if case let .string(s) = sequence, count.intValue != nil {
                return .string(String(repeating: s, count: try repetitionCount(count, length: s.unicodeScalars.count)))
            }
            if let x = sequence.elements, count.intValue != nil {
                let repeated = Array([[JinjaValue]](repeating: x, count: try repetitionCount(count, length: x.count)).joined())
                if case .tuple = sequence { return .tuple(repeated) }
                return .array(repeated)
            }
        }
        if op == "%", case let .string(format) = a {
            return .string(try percentFormat(format, b))
        }
        var unsupported = JinjaError(.type, "unsupported operand type(s) for \(op == "**" ? "** or pow()" : op): '\(a.typeName)' and '\(b.typeName)'")
        if op == "*", a.isSequence || b.isSequence {
            unsupported = JinjaError(.type, "can't multiply sequence by non-int of type '\((a.isSequence ? b : a).typeName)'")
        }
        if let x = a.intValue, let y = b.intValue {
            switch op {
            case "+", "-", "*":
                let (r, overflow) = op == "+" ? x.addingReportingOverflow(y) : op == "-" ? x.subtractingReportingOverflow(y) : x.multipliedReportingOverflow(by: y)
                guard !overflow else { throw JinjaError(.type, "integer overflow in \(op)") }
                return .int(r)
            case "/":
                guard y != 0 else { throw JinjaError(.type, "division by zero") }
                return .double(Double(x) / Double(y))
            case "//", "%":
                guard y != 0 else { throw JinjaError(.type, op == "%" ? "integer modulo by zero" : "integer division or modulo by zero") }
                // Python rounds the quotient toward negative infinity; the remainder takes the divisor's sign.
                var q = x / y, r = x % y
                if r != 0, (r < 0) != (y < 0) { q -= 1; r += y }
                return .int(op == "//" ? q : r)
            default: // "**"
                if y >= 0 {
                    var result = 1
                    for _ in 0 ..< y {
                        let (m, overflow) = result.multipliedReportingOverflow(by: x)
                        guard !overflow else { throw JinjaError(.type, "integer overflow in **") }
                        result = m
                    }
                    return .int(result)
                }
                return .double(pow(Double(x), Double(y)))
            }
        }
        guard let x = a.numericValue, let y = b.numericValue else { throw unsupported }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw JinjaError(.type, "float division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw JinjaError(.type, "float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw JinjaError(.type, "float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        default: return .double(pow(x, y))
        }
    }

    /// The repeat count of `sequence * n`, refused when the result would exceed `maxRepeatedLength`
    /// elements (a template must not be able to allocate without limit).
    private func repetitionCount(_ n: JinjaValue, length: Int) throws(JinjaError) -> Int {
        guard let count = n.intValue else { throw JinjaError(.type, "can't multiply sequence by non-int of type '\(n.typeName)'") }
        let (total, overflow) = max(0, count).multipliedReportingOverflow(by: length)
        guard !overflow, total <= Self.maxRepeatedLength else { throw JinjaError(.type, "sequence repetition too large") }
        return max(0, count)
    }

    static let maxRepeatedLength = 16_000_000

    /// Python's `format % values` for the conversions templates use: %s %r %d %i %f %%.
    func percentFormat(_ format: String, _ values: JinjaValue) throws(JinjaError) -> String {
        var args: [JinjaValue]
        // Only a tuple supplies several values; any other value (a list too) is the single value.
        if case let .tuple(a) = values { args = a } else { args = [values] }
        var out = ""
        var it = format.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard let conv = it.next() else { throw JinjaError(.type, "incomplete format") }
            if conv == "%" { out += "%"; continue }
            guard !args.isEmpty else { throw JinjaError(.type, "not enough arguments for format string") }
            let v = args.removeFirst()
            switch conv {
            case "s": out += v.pythonString
            case "r": out += v.pythonRepr
            case "d", "i":
                guard let n = v.numericValue else { throw JinjaError(.type, "%\(conv) format: a real number is required, not \(v.typeName)") }
                if let i = v.intValue { out += String(i); break }
                guard n.isFinite, abs(n) < 9.2e18 else { throw JinjaError(.unsupported, "%\(conv) of \(pythonFloatRepr(n)) is not supported") }
                out += String(Int(n.rounded(.towardZero)))
            case "f":
                guard let n = v.numericValue else { throw JinjaError(.type, "must be real number, not \(v.typeName)") }
                guard !n.isFinite || abs(n) < 1e15 else { throw JinjaError(.unsupported, "%f of \(pythonFloatRepr(n)) is not supported") }
                out += formatFixed(n)
            default:
                throw JinjaError(.unsupported, "format conversion '%\(conv)' is not supported")
            }
        }
        guard args.isEmpty else { throw JinjaError(.type, "not all arguments converted during string formatting") }
        return out
    }
}

/// Python's `"%f" % value` (six decimals, round half to even) for |value| < 1e15, without
/// Foundation's locale-dependent formatters.
func formatFixed(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let scaled = (abs(value) * 1_000_000).rounded(.toNearestOrEven) // < 1e21, exact in Double's range
    let whole = (scaled / 1_000_000).rounded(.down)
    let frac = String(Int64(scaled - whole * 1_000_000))
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return sign + String(Int64(whole)) + "." + String(repeating: "0", count: max(0, 6 - frac.count)) + frac
}

extension JinjaValue {
    /// A Python sequence that `*` repeats (str or list).
    var isSequence: Bool {
        switch self {
        case .string, .array, .tuple: return true
        default: return false
        }
    }
}

/// Python string ordering: by code point.
func compareScalars(_ a: String, _ b: String) -> Int {
    var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
    while true {
        switch (i.next(), j.next()) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?): if x != y { return x.value < y.value ? -1 : 1 }
        }
    }
}

/// Offset (in scalars) of the first occurrence of `needle` in `haystack`, by code points.
func scalarRange(of needle: String, in haystack: String, from start: Int = 0) -> Int? {
    let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
    guard n.count <= h.count else { return nil }
    var i = start
    while i + n.count <= h.count {
        if h[i ..< i + n.count].elementsEqual(n) { return i }
        i += 1
    }
    return nil
}
