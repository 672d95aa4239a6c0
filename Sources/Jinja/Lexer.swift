/// Whitespace options of Jinja2's `Environment` that change how the template text is split.
public struct JinjaOptions: Sendable, Equatable {
    /// Remove the first newline after a block or comment tag (`%}`, `#}`).
    public var trimBlocks: Bool
    /// Remove spaces and tabs from the start of a line up to a block or comment tag.
    public var lstripBlocks: Bool
    /// Keep a single trailing newline of the template source (Jinja2 drops it by default).
    public var keepTrailingNewline: Bool

    public init(trimBlocks: Bool = false, lstripBlocks: Bool = false, keepTrailingNewline: Bool = false) {
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
        self.keepTrailingNewline = keepTrailingNewline
    }

    /// Jinja2's defaults (no trimming).
    public static let jinja2Default = JinjaOptions()
    /// What Hugging Face transformers uses for chat templates: trim_blocks and lstrip_blocks.
    public static let huggingFace = JinjaOptions(trimBlocks: true, lstripBlocks: true)
}

enum TokenKind: Equatable {
    case text(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case name(String)
    case string(String)
    case int(Int)
    case float(Double)
    case op(String)
    case eof
}

struct Token {
    let kind: TokenKind
    let line: Int
}

/// Python's `str.isspace()` set, which `trim`/`strip` and the `\s` of Jinja2's lexer use.
func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09 ... 0x0D, 0x1C ... 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

/// Splits template source into text and tag tokens, applying Jinja2's whitespace control exactly as
/// its lexer does: `-` strips all whitespace on that side, `+` disables lstrip/trim for that tag,
/// lstrip_blocks removes a line's leading spaces/tabs before `{%`/`{#` (not `{{`), trim_blocks
/// removes one newline after `%}`/`#}`.
struct Lexer {
    private let src: [Unicode.Scalar]
    private let options: JinjaOptions
    private var pos = 0
    private var line = 1
    private var tokens: [Token] = []

    private static let operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                    "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"].map { Array($0.unicodeScalars) }

    init(_ source: String, options: JinjaOptions) {
        // Jinja2 normalizes \r\n and \r to \n, then drops one trailing newline unless told to keep it.
        var scalars = [Unicode.Scalar]()
        scalars.reserveCapacity(source.unicodeScalars.count)
        var prevCR = false
        for c in source.unicodeScalars {
            if c == "\r" { scalars.append("\n"); prevCR = true; continue }
            if c == "\n" && prevCR { prevCR = false; continue }
            prevCR = false
            scalars.append(c)
        }
        if !options.keepTrailingNewline, scalars.last == "\n" { scalars.removeLast() }
        src = scalars
        self.options = options
    }

    static func tokenize(_ source: String, options: JinjaOptions) throws(JinjaError) -> [Token] {
        var lexer = Lexer(source, options: options)
        try lexer.run()
        return lexer.tokens
    }

    private mutating func run() throws(JinjaError) {
        var lineStarting = true
        while pos < src.count {
            guard let open = findTagOpen(from: pos) else {
                emitText(src[pos...], line: line)
                break
            }
            var text = src[pos ..< open]
            let textLine = line
            line += text.reduce(0) { $0 + ($1 == "\n" ? 1 : 0) }
            let kind = src[open + 1]
            let marker: Unicode.Scalar? = open + 2 < src.count ? src[open + 2] : nil
            if marker == "-" {
                while let last = text.last, isPythonSpace(last) { text = text.dropLast() }
            } else if marker != "+", kind != "{", options.lstripBlocks {
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? text.startIndex
                if lineStart > text.startIndex || lineStarting,
                   text[lineStart...].allSatisfy({ $0 == " " || $0 == "\t" }) {
                    text = text[..<lineStart]
                }
            }
            emitText(text, line: textLine)
            pos = open + 2 + (marker == "-" || marker == "+" ? 1 : 0)
            if kind == "#" {
                try skipComment()
            } else if kind == "%", let afterRaw = rawBlockStart() {
                try lexRaw(from: afterRaw)
            } else {
                try lexTag(isBlock: kind == "%")
            }
            lineStarting = pos > 0 && src[pos - 1] == "\n"
        }
        tokens.append(Token(kind: .eof, line: line))
    }

    /// If the block tag starting at `pos` is `raw %}` (or `raw -%}`), the position after the
    /// `raw` keyword's closing delimiter, with whitespace after `-%}` skipped.
    private func rawBlockStart() -> Int? {
        var i = pos
        while i < src.count, isPythonSpace(src[i]) { i += 1 }
        guard i + 3 <= src.count, src[i] == "r", src[i + 1] == "a", src[i + 2] == "w" else { return nil }
        i += 3
        while i < src.count, isPythonSpace(src[i]) { i += 1 }
        if i + 2 < src.count, src[i] == "-", src[i + 1] == "%", src[i + 2] == "}" {
            i += 3
            while i < src.count, isPythonSpace(src[i]) { i += 1 }
            return i
        }
        if i + 1 < src.count, src[i] == "%", src[i + 1] == "}" { return i + 2 }
        return nil
    }

    /// `{% raw %}…{% endraw %}`: the text in between is emitted verbatim. As in Jinja2, the end tag
    /// takes whitespace control (`-`, lstrip_blocks) and trim_blocks like any block tag.
    private mutating func lexRaw(from start: Int) throws(JinjaError) {
        let startLine = line
        var i = start
        while i + 1 < src.count {
            if src[i] == "{", src[i + 1] == "%" {
                var j = i + 2
                let marker: Unicode.Scalar? = j < src.count && (src[j] == "-" || src[j] == "+") ? src[j] : nil
                if marker != nil { j += 1 }
                while j < src.count, isPythonSpace(src[j]) { j += 1 }
                let word = "endraw".unicodeScalars
                if j + word.count <= src.count, src[j ..< j + word.count].elementsEqual(word) {
                    j += word.count
                    while j < src.count, isPythonSpace(src[j]) { j += 1 }
                    var endMarker: Unicode.Scalar?
                    if j < src.count, src[j] == "-" || src[j] == "+" { endMarker = src[j]; j += 1 }
                    if j + 1 < src.count, src[j] == "%", src[j + 1] == "}" {
                        var text = src[start ..< i]
                        if marker == "-" {
                            while let last = text.last, isPythonSpace(last) { text = text.dropLast() }
                        } else if marker != "+", options.lstripBlocks {
                            let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? text.startIndex
                            if lineStart > text.startIndex, text[lineStart...].allSatisfy({ $0 == " " || $0 == "\t" }) {
                                text = text[..<lineStart]
                            }
                        }
                        emitText(text, line: startLine)
                        line += src[start ..< j].reduce(0) { $0 + ($1 == "\n" ? 1 : 0) }
                        pos = j + 2
                        afterTagEnd(marker: endMarker, isBlockOrComment: true)
                        return
                    }
                }
            }
            i += 1
        }
        throw JinjaError(.syntax, "missing end of raw directive", line: startLine)
    }

    private func findTagOpen(from start: Int) -> Int? {
        var i = start
        while i + 1 < src.count {
            if src[i] == "{", src[i + 1] == "{" || src[i + 1] == "%" || src[i + 1] == "#" { return i }
            i += 1
        }
        return nil
    }

    private mutating func emitText(_ text: ArraySlice<Unicode.Scalar>, line: Int) {
        guard !text.isEmpty else { return }
        tokens.append(Token(kind: .text(String(String.UnicodeScalarView(text))), line: line))
    }

    /// Handles what follows a tag's closing delimiter, which ends at `pos`: `-` stripped all whitespace,
    /// a block/comment end without `+` drops one newline under trim_blocks.
    private mutating func afterTagEnd(marker: Unicode.Scalar?, isBlockOrComment: Bool) {
        if marker == "-" {
            while pos < src.count, isPythonSpace(src[pos]) {
                if src[pos] == "\n" { line += 1 }
                pos += 1
            }
        } else if marker != "+", isBlockOrComment, options.trimBlocks, pos < src.count, src[pos] == "\n" {
            pos += 1
            line += 1
        }
    }

    private mutating func skipComment() throws(JinjaError) {
        let startLine = line
        var i = pos
        while i + 1 < src.count, !(src[i] == "#" && src[i + 1] == "}") {
            if src[i] == "\n" { line += 1 }
            i += 1
        }
        guard i + 1 < src.count else { throw JinjaError(.syntax, "missing end of comment tag", line: startLine) }
        let marker: Unicode.Scalar? = i > pos ? src[i - 1] : nil
        pos = i + 2
        afterTagEnd(marker: marker == "-" || marker == "+" ? marker : nil, isBlockOrComment: true)
    }

    private mutating func lexTag(isBlock: Bool) throws(JinjaError) {
        let close: Unicode.Scalar = isBlock ? "%" : "}"
        let startLine = line
        tokens.append(Token(kind: isBlock ? .blockBegin : .variableBegin, line: line))
        var depth = 0 // open brackets, so that `}}` inside a dict literal does not end the tag
        while true {
            while pos < src.count, isPythonSpace(src[pos]) {
                if src[pos] == "\n" { line += 1 }
                pos += 1
            }
            guard pos < src.count else {
                throw JinjaError(.syntax, "unexpected end of template, expected '\(isBlock ? "%}" : "}}")'", line: startLine)
            }
            // Closing delimiter, optionally with a whitespace-control marker.
            if depth == 0 {
                var end = pos
                var marker: Unicode.Scalar?
                if src[end] == "-" || src[end] == "+" { marker = src[end]; end += 1 }
                if end + 1 < src.count, src[end] == close, src[end + 1] == "}",
                   marker != "+" || isBlock {
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, line: line))
                    pos = end + 2
                    afterTagEnd(marker: marker, isBlockOrComment: isBlock)
                    return
                }
            }
            let c = src[pos]
            if c == "_" || c.properties.isAlphabetic {
                let start = pos
                while pos < src.count, src[pos] == "_" || src[pos].properties.isAlphabetic || isDigit(src[pos]) { pos += 1 }
                tokens.append(Token(kind: .name(String(String.UnicodeScalarView(src[start ..< pos]))), line: line))
            } else if isDigit(c) {
                tokens.append(Token(kind: try number(), line: line))
            } else if c == "'" || c == "\"" {
                let tokenLine = line
                tokens.append(Token(kind: .string(try stringLiteral()), line: tokenLine))
            } else if let op = Self.operators.first(where: { matches($0) }) {
                pos += op.count
                let s = String(String.UnicodeScalarView(op))
                if s == "(" || s == "[" || s == "{" { depth += 1 }
                if s == ")" || s == "]" || s == "}" { depth = max(0, depth - 1) }
                tokens.append(Token(kind: .op(s), line: line))
            } else {
                throw JinjaError(.syntax, "unexpected character '\(Character(c))'", line: line)
            }
        }
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private func matches(_ op: [Unicode.Scalar]) -> Bool {
        guard pos + op.count <= src.count else { return false }
        for (i, c) in op.enumerated() where src[pos + i] != c { return false }
        return true
    }

    private mutating func number() throws(JinjaError) -> TokenKind {
        let start = pos
        var isFloat = false
        while pos < src.count, isDigit(src[pos]) || src[pos] == "_" { pos += 1 }
        if pos + 1 < src.count, src[pos] == ".", isDigit(src[pos + 1]) {
            isFloat = true
            pos += 1
            while pos < src.count, isDigit(src[pos]) || src[pos] == "_" { pos += 1 }
        }
        if pos < src.count, src[pos] == "e" || src[pos] == "E" {
            var j = pos + 1
            if j < src.count, src[j] == "+" || src[j] == "-" { j += 1 }
            if j < src.count, isDigit(src[j]) {
                isFloat = true
                pos = j
                while pos < src.count, isDigit(src[pos]) { pos += 1 }
            }
        }
        let text = String(String.UnicodeScalarView(src[start ..< pos].filter { $0 != "_" }))
        if !isFloat, let i = Int(text) { return .int(i) }
        guard let d = Double(text) else { throw JinjaError(.syntax, "invalid number '\(text)'", line: line) }
        return .float(d)
    }

    /// A quoted string literal with Python's escapes (`\n`, `\t`, `\\`, `\'`, `\xNN`, `\uNNNN`, …);
    /// an unknown escape keeps its backslash, as in Python.
    private mutating func stringLiteral() throws(JinjaError) -> String {
        let quote = src[pos]
        let startLine = line
        pos += 1
        var out = String.UnicodeScalarView()
        while true {
            guard pos < src.count else { throw JinjaError(.syntax, "unterminated string literal", line: startLine) }
            let c = src[pos]
            pos += 1
            if c == quote { return String(out) }
            if c == "\n" { line += 1 }
            guard c == "\\", pos < src.count else { out.append(c); continue }
            let e = src[pos]
            pos += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "0": out.append("\0")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\\", "'", "\"": out.append(e)
            case "\n": line += 1 // line continuation
            case "x", "u", "U":
                let n = e == "x" ? 2 : e == "u" ? 4 : 8
                guard pos + n <= src.count,
                      let v = UInt32(String(String.UnicodeScalarView(src[pos ..< pos + n])), radix: 16),
                      let scalar = Unicode.Scalar(v)
                else { throw JinjaError(.syntax, "invalid \\\(e) escape in string literal", line: line) }
                pos += n
                out.append(scalar)
            default:
                out.append("\\")
                out.append(e)
            }
        }
    }
}
