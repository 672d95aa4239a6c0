// JSON in and out of template values. Parsing keeps object key order (Python's json.loads does, and
// `tojson` then reproduces it); serializing follows Python's json.dumps as Hugging Face's `tojson`
// filter calls it: ensure_ascii=False, separators (", ", ": ") without indent and (",", ": ") with it.

extension JinjaValue {
    /// Parses JSON text into a value: objects become insertion-ordered dicts, integers without a
    /// fraction or exponent become `.int`, other numbers `.double`.
    public init(json text: String) throws(JinjaError) {
        var parser = JSONParser(scalars: Array(text.unicodeScalars))
        parser.skipSpace()
        let v = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.pos == parser.scalars.count else { throw parser.error("unexpected text after the JSON value") }
        self = v
    }

    /// Python's `json.dumps(value, ensure_ascii=False, indent=indent)`, as the `tojson` filter prints.
    /// Throws for values JSON cannot represent (Undefined, callables).
    public func jsonString(indent: Int? = nil) throws(JinjaError) -> String {
        try JSONWriter(indent: indent).write(self)
    }
}

/// Python's `json.dumps` with its `ensure_ascii`, `indent`, `separators` and `sort_keys` options.
struct JSONWriter {
    var indent: Int?
    var ensureASCII = false
    var sortKeys = false
    /// Python's default separators: (", ", ": "), or ("," , ": ") when indenting.
    var itemSeparator: String
    var keySeparator = ": "

    init(indent: Int?, ensureASCII: Bool = false, sortKeys: Bool = false, separators: (String, String)? = nil) {
        self.indent = indent
        self.ensureASCII = ensureASCII
        self.sortKeys = sortKeys
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
    }

    func write(_ v: JinjaValue) throws(JinjaError) -> String {
        var out = ""
        try write(v, level: 0, into: &out)
        return out
    }

    private func write(_ v: JinjaValue, level: Int, into out: inout String) throws(JinjaError) {
        switch v {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pythonFloatRepr(d) }
        case let .string(s): writeString(s, into: &out)
        case let .array(a), let .tuple(a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level: level + 1, into: &out)
                try write(e, level: level + 1, into: &out)
            }
            newline(level: level, into: &out)
            out += "]"
        case let .dict(d):
            if d.isEmpty { out += "{}"; return }
            out += "{"
            let pairs = sortKeys ? d.pairs.sorted { compareScalars($0.0, $1.0) < 0 } : d.pairs
            for (i, (k, e)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level: level + 1, into: &out)
                writeString(k, into: &out)
                out += keySeparator
                try write(e, level: level + 1, into: &out)
            }
            newline(level: level, into: &out)
            out += "}"
        case .undefined, .callable, .namespace:
            throw JinjaError(.type, "Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private func newline(level: Int, into out: inout String) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    private func writeString(_ s: String, into out: inout String) {
        var u = String.UnicodeScalarView()
        u.append("\"")
        for c in s.unicodeScalars {
            switch c {
            case "\"": u.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": u.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": u.append(contentsOf: "\\n".unicodeScalars)
            case "\r": u.append(contentsOf: "\\r".unicodeScalars)
            case "\t": u.append(contentsOf: "\\t".unicodeScalars)
            case "\u{08}": u.append(contentsOf: "\\b".unicodeScalars)
            case "\u{0C}": u.append(contentsOf: "\\f".unicodeScalars)
            default:
                if c.value < 0x20 || (ensureASCII && c.value > 0x7E) {
                    // Python escapes astral characters as a UTF-16 surrogate pair.
                    for unit in String(c).utf16 { u.append(contentsOf: ("\\u" + hex(UInt32(unit), digits: 4)).unicodeScalars) }
                } else {
                    u.append(c)
                }
            }
        }
        u.append("\"")
        out += String(u)
    }
}

private struct JSONParser {
    let scalars: [Unicode.Scalar]
    var pos = 0
    /// Nesting limit, so hostile input cannot overflow the stack.
    static let maxDepth = 512

    func error(_ message: String) -> JinjaError {
        JinjaError(.syntax, "invalid JSON at character \(pos): \(message)")
    }

    mutating func skipSpace() {
        while pos < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[pos]) { pos += 1 }
    }

    mutating func expect(_ word: String) throws(JinjaError) {
        for c in word.unicodeScalars {
            guard pos < scalars.count, scalars[pos] == c else { throw error("expected '\(word)'") }
            pos += 1
        }
    }

    mutating func value(depth: Int) throws(JinjaError) -> JinjaValue {
        guard depth < Self.maxDepth else { throw error("nested too deeply") }
        guard pos < scalars.count else { throw error("unexpected end of input") }
        switch scalars[pos] {
        case "{":
            pos += 1
            var d = JinjaDict()
            skipSpace()
            if pos < scalars.count, scalars[pos] == "}" { pos += 1; return .dict(d) }
            while true {
                skipSpace()
                guard pos < scalars.count, scalars[pos] == "\"" else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                try expect(":")
                skipSpace()
                d[key] = try value(depth: depth + 1)
                skipSpace()
                guard pos < scalars.count else { throw error("unterminated object") }
                if scalars[pos] == "," { pos += 1; continue }
                if scalars[pos] == "}" { pos += 1; return .dict(d) }
                throw error("expected ',' or '}'")
            }
        case "[":
            pos += 1
            var a = [JinjaValue]()
            skipSpace()
            if pos < scalars.count, scalars[pos] == "]" { pos += 1; return .array(a) }
            while true {
                skipSpace()
                a.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < scalars.count else { throw error("unterminated array") }
                if scalars[pos] == "," { pos += 1; continue }
                if scalars[pos] == "]" { pos += 1; return .array(a) }
                throw error("expected ',' or ']'")
            }
        case "\"": return .string(try string())
        case "t": try expect("true"); return .bool(true)
        case "f": try expect("false"); return .bool(false)
        case "n": try expect("null"); return .none
        default: return try number()
        }
    }

    mutating func number() throws(JinjaError) -> JinjaValue {
        let start = pos
        var isInt = true
        if pos < scalars.count, scalars[pos] == "-" { pos += 1 }
        while pos < scalars.count {
            let c = scalars[pos]
            if c.properties.numericType == .decimal && c.isASCII {
                pos += 1
            } else if c == "." || c == "e" || c == "E" || c == "+" || c == "-" {
                isInt = false
                pos += 1
            } else {
                break
            }
        }
        let text = String(String.UnicodeScalarView(scalars[start ..< pos]))
        if isInt, let i = Int(text) { return .int(i) }
        guard text.count > 0, let d = Double(text) else { throw error("invalid number '\(text)'") }
        return .double(d)
    }

    mutating func string() throws(JinjaError) -> String {
        pos += 1 // opening quote
        var out = String.UnicodeScalarView()
        while true {
            guard pos < scalars.count else { throw error("unterminated string") }
            let c = scalars[pos]
            pos += 1
            if c == "\"" { return String(out) }
            if c != "\\" { out.append(c); continue }
            guard pos < scalars.count else { throw error("unterminated string") }
            let e = scalars[pos]
            pos += 1
            switch e {
            case "\"", "\\", "/": out.append(e)
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var code = try hex4()
                if (0xD800 ..< 0xDC00).contains(code), pos + 1 < scalars.count, scalars[pos] == "\\", scalars[pos + 1] == "u" {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if (0xDC00 ..< 0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                // A lone surrogate cannot be a Swift string scalar; use U+FFFD as lossy decoders do.
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: throw error("invalid escape '\\\(e)'")
            }
        }
    }

    mutating func hex4() throws(JinjaError) -> UInt32 {
        guard pos + 4 <= scalars.count else { throw error("truncated \\u escape") }
        let text = String(String.UnicodeScalarView(scalars[pos ..< pos + 4]))
        guard let v = UInt32(text, radix: 16) else { throw error("invalid \\u escape") }
        pos += 4
        return v
    }
}
