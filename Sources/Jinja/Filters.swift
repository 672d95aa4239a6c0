import Foundation

// Jinja2's built-in filters and tests that chat templates use, plus Hugging Face's `tojson`.

extension Renderer {
    func applyFilter(_ name: String, to value: JinjaValue, arguments args: EvaluatedArguments, line: Int) throws(JinjaError) -> JinjaValue {
        do {
            try checkFilterArguments(name, args)
            return try filter(name, value, args)
        } catch {
            throw error.at(line)
        }
    }

    /// Parameter names of the filters with a fixed signature (Jinja2's, and Hugging Face's for
    /// `tojson`), in positional order. Filters missing here take variable arguments.
    private static let filterParameters: [String: [String]] = [
        "default": ["default_value", "boolean"], "d": ["default_value", "boolean"],
        "tojson": ["ensure_ascii", "indent", "separators", "sort_keys"],
        "trim": ["chars"], "replace": ["old", "new", "count"], "join": ["d", "attribute"],
        "int": ["default", "base"], "float": ["default"], "round": ["precision", "method"],
        "sort": ["reverse", "case_sensitive", "attribute"], "dictsort": ["case_sensitive", "by", "reverse"],
        "unique": ["case_sensitive", "attribute"], "min": ["case_sensitive", "attribute"], "max": ["case_sensitive", "attribute"],
        "sum": ["attribute", "start"], "attr": ["name"], "indent": ["width", "first", "blank"],
    ] .merging(["safe", "string", "length", "count", "upper", "lower", "capitalize", "title", "items", "list", "first",
                "last", "reverse", "abs", "escape", "e", "wordcount"].map { ($0, []) }) { a, _ in a }

    /// Rejects arguments a filter does not take, as Python would with a TypeError.
    private func checkFilterArguments(_ name: String, _ args: EvaluatedArguments) throws(JinjaError) {
        guard let parameters = Self.filterParameters[name] else { return }
        guard args.positional.count <= parameters.count else {
            throw JinjaError(.type, "filter '\(name)' takes at most \(parameters.count) argument(s) (\(args.positional.count) given)")
        }
        for (i, (keyword, _)) in args.keyword.enumerated() {
            guard let index = parameters.firstIndex(of: keyword) else {
                throw JinjaError(.type, "filter '\(name)' got an unexpected keyword argument '\(keyword)'")
            }
            guard index >= args.positional.count, !args.keyword[..<i].contains(where: { $0.0 == keyword }) else {
                throw JinjaError(.type, "filter '\(name)' got multiple values for argument '\(keyword)'")
            }
        }
    }

    private func filter(_ name: String, _ value: JinjaValue, _ args: EvaluatedArguments) throws(JinjaError) -> JinjaValue {
        switch name {
        case "default", "d":
            let useDefault = args.value(1, "boolean")?.isTruthy == true ? !value.isTruthy : value.isUndefined
            return useDefault ? (args.value(0, "default_value") ?? .string("")) : value
        case "safe":
            return value
        case "string":
            return .string(value.pythonString)
        case "tojson":
            // Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
            // sort_keys=False); no HTML escaping, unlike Jinja2's own tojson.
            var indent: Int?
            switch args.value(1, "indent") {
            case nil, .none?: indent = nil
            case let v?:
                guard let i = v.intValue, i <= Self.maxIndent else {
                    throw JinjaError(.unsupported, "tojson indent must be an integer up to \(Self.maxIndent)")
                }
                indent = i
            }
            var separators: (String, String)?
            switch args.value(2, "separators") {
            case nil, .none?: separators = nil
            case let v?:
                guard let pair = v.elements, pair.count == 2, case let .string(item) = pair[0], case let .string(key) = pair[1] else {
                    throw JinjaError(.type, "tojson separators must be a pair of strings")
                }
                separators = (item, key)
            }
            let writer = JSONWriter(indent: indent, ensureASCII: args.value(0, "ensure_ascii")?.isTruthy ?? false,
                                    sortKeys: args.value(3, "sort_keys")?.isTruthy ?? false, separators: separators)
            return .string(try writer.write(value))
        case "format":
            // Jinja2's format filter: Python's `value % args` (or `% kwargs` as a mapping).
            guard args.keyword.isEmpty else { throw JinjaError(.unsupported, "format filter with keyword arguments is not supported") }
            return .string(try percentFormat(value.pythonString, .tuple(args.positional)))
        case "length", "count":
            return .int(try length(of: value))
        case "trim":
            return .string(pyStrip(value.pythonString, chars: try optionalString(args.value(0, "chars"))))
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(pyCapitalize(value.pythonString))
        case "title": return .string(jinjaTitle(value.pythonString))
        case "replace":
            guard case let .string(old)? = args.value(0, "old"), case let .string(new)? = args.value(1, "new") else {
                throw JinjaError(.type, "replace needs two string arguments")
            }
            return .string(pyReplace(value.pythonString, old, new, count: args.value(2, "count")?.intValue ?? -1))
        case "join":
            var items = try iterate(value, line: nil)
            if let attribute = args.value(1, "attribute") { items = try items.map { v throws(JinjaError) in try attributePath(v, attribute) } }
            let separator = args.value(0, "d")?.pythonString ?? ""
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "items":
            switch value {
            case .undefined: return .array([])
            case let .dict(d): return .array(d.pairs.map { .tuple([.string($0.0), $0.1]) })
            default: throw JinjaError(.type, "Can only get item pairs from a mapping.")
            }
        case "list":
            return .array(try iterate(value, line: nil))
        case "first":
            return try iterate(value, line: nil).first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            return try iterate(value, line: nil).last ?? .undefined(hint: "No last item, sequence was empty.")
        case "reverse":
            if case let .string(s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try iterate(value, line: nil).reversed())
        case "int":
            return try toInt(value, default: args.value(0, "default") ?? .int(0), base: args.value(1, "base")?.intValue ?? 10)
        case "float":
            return toFloat(value, default: args.value(0, "default") ?? .double(0))
        case "abs":
            switch value {
            case let .int(i): return .int(abs(i))
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d): return .double(abs(d))
            default: throw JinjaError(.type, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            return try round(value, precision: args.value(0, "precision")?.intValue ?? 0,
                             method: args.value(1, "method")?.pythonString ?? "common")
        case "escape", "e":
            return .string(htmlEscape(value.pythonString))
        case "map":
            return .array(try map(try iterate(value, line: nil), args))
        case "select", "reject":
            return .array(try select(try iterate(value, line: nil), args, attribute: nil, keep: name == "select"))
        case "selectattr", "rejectattr":
            guard let attribute = args.positional.first else { throw JinjaError(.type, "\(name) needs an attribute name") }
            var rest = args
            rest.positional.removeFirst()
            return .array(try select(try iterate(value, line: nil), rest, attribute: attribute, keep: name == "selectattr"))
        case "sort":
            return .array(try sorted(try iterate(value, line: nil), reverse: args.value(0, "reverse")?.isTruthy ?? false,
                                     caseSensitive: args.value(1, "case_sensitive")?.isTruthy ?? false,
                                     attribute: args.value(2, "attribute")))
        case "dictsort":
            if case let .undefined(hint) = value { throw JinjaError(.undefined, hint) }
            guard case let .dict(d) = value else { throw JinjaError(.type, "dictsort needs a mapping") }
            let byValue = args.value(1, "by")?.pythonString == "value"
            let pairs = d.pairs.map { JinjaValue.tuple([.string($0.0), $0.1]) }
            return .array(try sorted(pairs, reverse: args.value(2, "reverse")?.isTruthy ?? false,
                                     caseSensitive: args.value(0, "case_sensitive")?.isTruthy ?? false,
                                     attribute: .int(byValue ? 1 : 0)))
        case "unique":
            let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
            var seen = [JinjaValue]()
            var result = [JinjaValue]()
            for item in try iterate(value, line: nil) {
                let key = sortKey(try args.value(1, "attribute").map { a throws(JinjaError) in try attributePath(item, a) } ?? item, caseSensitive: caseSensitive)
                if !seen.contains(where: { $0.pyEquals(key) }) {
                    seen.append(key)
                    result.append(item)
                }
            }
            return .array(result)
        case "min", "max":
            // Sorting is stable, so the first of equal extremes comes first, as with Python's min/max.
            let items = try sorted(try iterate(value, line: nil), reverse: name == "max",
                                   caseSensitive: args.value(0, "case_sensitive")?.isTruthy ?? false,
                                   attribute: args.value(1, "attribute"))
            return items.first ?? .undefined(hint: "No aggregated item, sequence was empty.")
        case "sum":
            var total = args.value(1, "start") ?? .int(0)
            for item in try iterate(value, line: nil) {
                let v = try args.value(0, "attribute").map { a throws(JinjaError) in try attributePath(item, a) } ?? item
                total = try binaryOperation("+", total, v)
            }
            return total
        case "attr":
            guard case let .string(attr)? = args.value(0, "name") else { throw JinjaError(.type, "attr needs a name") }
            return try attribute(of: value, attr)
        case "indent":
            if case let .undefined(hint) = value { throw JinjaError(.undefined, hint) }
            guard case let .string(text) = value else {
                throw JinjaError(.type, "unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
            }
            return .string(try indent(text, width: args.value(0, "width") ?? .int(4),
                                  first: args.value(1, "first")?.isTruthy ?? false, blank: args.value(2, "blank")?.isTruthy ?? false))
        case "wordcount":
            return .int(value.pythonString.unicodeScalars.split { !($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_") }.count)
        default:
            throw JinjaError(.unsupported, "filter '\(name)' is not supported")
        }
    }

    func length(of value: JinjaValue) throws(JinjaError) -> Int {
        switch value {
        case .undefined: return 0
        case let .string(s): return s.unicodeScalars.count
        case let .array(a), let .tuple(a): return a.count
        case let .dict(d): return d.count
        default: throw JinjaError(.type, "object of type '\(value.typeName)' has no len()")
        }
    }

    func optionalString(_ v: JinjaValue?) throws(JinjaError) -> String? {
        guard let v, !v.isNone else { return nil }
        guard case let .string(s) = v else { throw JinjaError(.type, "strip arg must be None or str") }
        return s
    }

    /// Follows a dotted attribute path (`"function.name"`), or an integer index, as Jinja2's
    /// `attribute=` arguments do.
    func attributePath(_ value: JinjaValue, _ path: JinjaValue) throws(JinjaError) -> JinjaValue {
        if let i = path.intValue { return try item(of: value, .int(i)) }
        var v = value
        for part in path.pythonString.split(separator: ".") {
            v = try item(of: v, Int(part).map { .int($0) } ?? .string(String(part)))
        }
        return v
    }

    private func map(_ items: [JinjaValue], _ args: EvaluatedArguments) throws(JinjaError) -> [JinjaValue] {
        if let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1 {
            let def = args.keyword.first { $0.0 == "default" }?.1
            return try items.map { v throws(JinjaError) in
                let r = try attributePath(v, attribute)
                return r.isUndefined ? (def ?? r) : r
            }
        }
        guard case let .string(filterName)? = args.positional.first else { throw JinjaError(.type, "map needs a filter name or attribute=") }
        var rest = args
        rest.positional.removeFirst()
        return try items.map { v throws(JinjaError) in try filter(filterName, v, rest) }
    }

    private func select(_ items: [JinjaValue], _ args: EvaluatedArguments, attribute: JinjaValue?, keep: Bool) throws(JinjaError) -> [JinjaValue] {
        var testArgs = args.positional
        let testName: String? = testArgs.isEmpty ? nil : testArgs.removeFirst().pythonString
        var result = [JinjaValue]()
        for item in items {
            let v = try attribute.map { a throws(JinjaError) in try attributePath(item, a) } ?? item
            let passed = try testName.map { t throws(JinjaError) in try applyTest(t, to: v, arguments: testArgs, line: nil) } ?? v.isTruthy
            if passed == keep { result.append(item) }
        }
        return result
    }

    private func sortKey(_ v: JinjaValue, caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case let .string(s) = v { return .string(s.lowercased()) }
        return v
    }

    private func sorted(_ items: [JinjaValue], reverse: Bool, caseSensitive: Bool, attribute: JinjaValue?) throws(JinjaError) -> [JinjaValue] {
        var keyed = [(key: JinjaValue, item: JinjaValue)]()
        for item in items {
            let key = try attribute.map { a throws(JinjaError) in try attributePath(item, a) } ?? item
            keyed.append((sortKey(key, caseSensitive: caseSensitive), item))
        }
        var failure: JinjaError?
        // Swift's sort is stable, like Python's; reversing keeps equal items in order, as reverse=True does.
        let ordered = keyed.sorted { a, b in
            do throws(JinjaError) {
                return try pyCompare(reverse ? b.key : a.key, reverse ? a.key : b.key) < 0
            } catch {
                failure = failure ?? error
                return false
            }
        }
        if let failure { throw failure }
        return ordered.map(\.item)
    }

    private func toInt(_ value: JinjaValue, default def: JinjaValue, base: Int) throws(JinjaError) -> JinjaValue {
        switch value {
        case let .int(i): return .int(i)
        case let .bool(b): return .int(b ? 1 : 0)
        case let .double(d):
            guard d.isFinite, abs(d) < 9.2e18 else { return def }
            return .int(Int(d.rounded(.towardZero)))
        case let .string(s):
            let t = pyStrip(s, chars: nil).replacingOccurrences(of: "_", with: "")
            if let i = Int(t, radix: base) { return .int(i) }
            if base == 10, let d = Double(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d.rounded(.towardZero))) }
            return def
        default: return def
        }
    }

    private func toFloat(_ value: JinjaValue, default def: JinjaValue) -> JinjaValue {
        switch value {
        case let .int(i): return .double(Double(i))
        case let .bool(b): return .double(b ? 1 : 0)
        case let .double(d): return .double(d)
        case let .string(s): return Double(pyStrip(s, chars: nil)).map { .double($0) } ?? def
        default: return def
        }
    }

    private func round(_ value: JinjaValue, precision: Int, method: String) throws(JinjaError) -> JinjaValue {
        let rule: FloatingPointRoundingRule
        switch method {
        case "common": rule = .toNearestOrEven // Python's round()
        case "ceil": rule = .up
        case "floor": rule = .down
        default: throw JinjaError(.type, "method must be common, ceil or floor")
        }
        if case let .int(i) = value, method == "common" { return .int(i) }
        guard let x = value.numericValue else { throw JinjaError(.type, "type \(value.typeName) doesn't define __round__ method") }
        // A double has at most 17 significant digits and 10^±308 bounds its range: beyond those
        // precisions rounding is the identity, or gives zero.
        if precision > 17 || !x.isFinite { return .double(x) }
        if precision < -308 { return .double(0 * x) }
        let scale = pow(10, Double(abs(precision)))
        let scaled = precision >= 0 ? x * scale : x / scale
        let rounded = scaled.rounded(rule)
        return .double(precision >= 0 ? rounded / scale : rounded * scale)
    }

    /// Cap on `indent` widths (filter and tojson), so a template cannot request a huge allocation.
    static let maxIndent = 1_000

    private func indent(_ s: String, width: JinjaValue, first: Bool, blank: Bool) throws(JinjaError) -> String {
        let pad: String
        if case let .string(p) = width {
            pad = p
        } else {
            let n = width.intValue ?? 4
            guard n <= Self.maxIndent else { throw JinjaError(.unsupported, "indent width must be at most \(Self.maxIndent)") }
            pad = String(repeating: " ", count: max(0, n))
        }
        var lines = s.components(separatedBy: "\n")
        for i in lines.indices where (i > 0 || first) && (blank || !lines[i].unicodeScalars.allSatisfy(isPythonSpace)) {
            lines[i] = pad + lines[i]
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Tests (`x is name(args)`)

    func applyTest(_ name: String, to value: JinjaValue, arguments args: [JinjaValue], line: Int?) throws(JinjaError) -> Bool {
        func arg() throws(JinjaError) -> JinjaValue {
            guard let a = args.first else { throw JinjaError(.type, "test '\(name)' needs an argument", line: line) }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number": return value.numericValue != nil
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .undefined, .string, .array, .tuple, .dict: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            // Jinja2: `value % 2 == 1` / `value % 2 == 0` (floats such as 2.5 are neither).
            return try binaryOperation("%", value, .int(2)).pyEquals(.int(name == "odd" ? 1 : 0))
        case "divisibleby":
            // Jinja2: `value % num == 0`, with Python's errors for non-numbers and zero.
            return try binaryOperation("%", value, try arg()).pyEquals(.int(0))
        case "eq", "equalto", "==": return value.pyEquals(try arg())
        case "ne", "!=": return !value.pyEquals(try arg())
        case "lt", "lessthan", "<": return try pyCompare(value, try arg(), op: "<") < 0
        case "le", "<=": return try pyCompare(value, try arg(), op: "<=") <= 0
        case "gt", "greaterthan", ">": return try pyCompare(value, try arg(), op: ">") > 0
        case "ge", ">=": return try pyCompare(value, try arg(), op: ">=") >= 0
        case "in": return try contains(try arg(), value)
        case "sameas":
            let other = try arg()
            switch (value, other) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            default: return false
            }
        case "lower": return pyIsLower(value.pythonString)
        case "upper": return pyIsUpper(value.pythonString)
        default:
            throw JinjaError(.unsupported, "test '\(name)' is not supported", line: line)
        }
    }
}

func htmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
