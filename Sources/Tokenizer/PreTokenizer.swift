/// Character classes the pre-tokenizer regexes use, one byte per code point.
enum CharClass {
    static let letter: UInt8 = 1       // \p{L}
    static let number: UInt8 = 2       // \p{N}
    static let whitespace: UInt8 = 4   // \s (Unicode White_Space, as llama.cpp's tables)
    static let punctuation: UInt8 = 8  // \p{P}
    /// Set for every code point inside the text, so that "no flags" means "past the end"
    /// (llama.cpp's `flags.as_uint() == 0` test).
    static let present: UInt8 = 16

    /// Classes of the 128 ASCII code points, precomputed: most text is mostly ASCII.
    private static let ascii: [UInt8] = (0 ..< 128).map { compute(UInt32($0)) }

    @inline(__always)
    static func of(_ cp: UInt32) -> UInt8 {
        cp < 128 ? ascii[Int(cp)] : compute(cp)
    }

    private static func compute(_ cp: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(cp) else { return present }
        var f = present
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            f |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            f |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            f |= punctuation
        default:
            break
        }
        if s.properties.isWhitespace { f |= whitespace }
        return f
    }
}

/// The regex split that byte-level BPE applies before merging, chosen by `tokenizer.ggml.pre`.
/// Each variant is a hand-written matcher with the exact semantics of llama.cpp's regexes
/// (leftmost-first alternation, greedy quantifiers), run over code points.
enum PreTokenizer: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
    ///  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` — Llama 3 (3 digits), Qwen2 (1 digit).
    case llama3(maxDigits: Int)
    /// llama.cpp's fallback for BPE vocabs with `pre = default`: four regexes applied in turn,
    /// each splitting the pieces the previous one produced:
    /// `[\p{P}\$\+<=>\^~\|]+`, the GPT-2 regex, `\p{N}+`, `[0-9][0-9][0-9]`.
    case standard

    /// The pre-tokenizer llama.cpp selects for `tokenizer.ggml.pre` (only the families Swiftlet
    /// supports), and whether that choice turns on `ignore_merges`/`add_bos` and `clean_spaces`.
    static func named(_ pre: String) -> (PreTokenizer, ignoreMerges: Bool, addBOS: Bool, cleanSpaces: Bool)? {
        switch pre {
        case "default": return (.standard, false, false, true)
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
             "mellum", "modern-bert", "mpt", "olmo", "exaone4":
            return (.gpt2, false, false, true)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2":
            return (.llama3(maxDigits: 3), true, true, true)
        case "dbrx", "smaug-bpe": return (.llama3(maxDigits: 3), false, false, true)
        case "qwen2", "deepseek-r1-qwen": return (.llama3(maxDigits: 1), false, false, false)
        case "megrez", "stablelm2": return (.llama3(maxDigits: 1), false, false, true)
        default: return nil
        }
    }

    /// Splits `cps[range]` into words; appends each word's end index (exclusive) to `ends`.
    /// `flags[i]` is `CharClass.of(cps[i])`.
    func split(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<UInt8>,
               _ range: Range<Int>, into ends: inout [Int]) {
        switch self {
        case .gpt2:
            Self.splitGPT2(cps, flags, range, into: &ends)
        case let .llama3(maxDigits):
            Self.splitLlama3(cps, flags, range, maxDigits: maxDigits, into: &ends)
        case .standard:
            var pieces = [range.upperBound]
            var start = range.lowerBound
            // Each stage refines the pieces of the previous one.
            let stages: [(Range<Int>, inout [Int]) -> Void] = [
                { r, out in Self.splitRuns(flags, r, into: &out) { i in
                    flags[i] & CharClass.punctuation != 0 || Self.isStandardSymbol(cps[i]) } },
                { r, out in Self.splitGPT2(cps, flags, r, into: &out) },
                { r, out in Self.splitRuns(flags, r, into: &out) { i in flags[i] & CharClass.number != 0 } },
                { r, out in Self.splitDigitTriples(cps, r, into: &out) },
            ]
            for stage in stages {
                var next = [Int]()
                start = range.lowerBound
                for end in pieces {
                    stage(start ..< end, &next)
                    start = end
                }
                pieces = next
            }
            ends.append(contentsOf: pieces)
        }
    }

    private static func isStandardSymbol(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true // $ + < = > ^ ~ |
        default: return false
        }
    }

    /// A regex that matches maximal runs of one class: runs and the text between them become pieces.
    private static func splitRuns(_ flags: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                                  into ends: inout [Int], _ inClass: (Int) -> Bool) {
        var i = range.lowerBound
        while i < range.upperBound {
            let matching = inClass(i)
            i += 1
            while i < range.upperBound, inClass(i) == matching { i += 1 }
            ends.append(i)
        }
    }

    /// `[0-9][0-9][0-9]`: leftmost non-overlapping triples of ASCII digits; the rest stays whole.
    private static func splitDigitTriples(_ cps: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into ends: inout [Int]) {
        func isDigit(_ i: Int) -> Bool { cps[i] >= 0x30 && cps[i] <= 0x39 }
        var pieceStart = range.lowerBound
        var i = range.lowerBound
        while i + 3 <= range.upperBound {
            if isDigit(i), isDigit(i + 1), isDigit(i + 2) {
                if i > pieceStart { ends.append(i) }
                i += 3
                ends.append(i)
                pieceStart = i
            } else {
                i += 1
            }
        }
        if range.upperBound > pieceStart { ends.append(range.upperBound) }
    }

    /// Length (2 or 3) of a contraction `'s 't 'm 'd 're 've 'll` at `pos`, or 0.
    @inline(__always)
    private static func contraction(_ cps: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard cps[pos] == 0x27, pos + 1 < end else { return 0 }
        func lower(_ c: UInt32) -> UInt32 { caseInsensitive && c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        let c1 = lower(cps[pos + 1])
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return 2 } // s t m d
        guard pos + 2 < end else { return 0 }
        let c2 = lower(cps[pos + 2])
        if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return 3 } // re ve ll
        return 0
    }

    private static func splitGPT2(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<UInt8>,
                                  _ range: Range<Int>, into ends: inout [Int]) {
        let end = range.upperBound
        @inline(__always) func f(_ i: Int) -> UInt8 { i < end ? flags[i] : 0 }
        var pos = range.lowerBound
        while pos < end {
            let cp = cps[pos]
            let n = contraction(cps, pos, end, caseInsensitive: false)
            if n > 0 { pos += n; ends.append(pos); continue }
            let f2 = cp == 0x20 ? f(pos + 1) : flags[pos]
            // ` ?\p{L}+`, ` ?\p{N}+`
            let run: UInt8 = f2 & CharClass.letter != 0 ? CharClass.letter : f2 & CharClass.number != 0 ? CharClass.number : 0
            if run != 0 {
                pos += cp == 0x20 ? 1 : 0
                while f(pos) & run != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+`
            let wordy = CharClass.whitespace | CharClass.letter | CharClass.number
            if f2 & wordy == 0, f2 != 0 {
                pos += cp == 0x20 ? 1 : 0
                while f(pos) & wordy == 0, f(pos) != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            pos = whitespaceRun(flags, pos, end, into: &ends)
        }
    }

    /// `\s+(?!\S)|\s+` at `pos`, or a single unmatched code point. Returns the new position.
    @inline(__always)
    private static func whitespaceRun(_ flags: UnsafeBufferPointer<UInt8>, _ pos: Int, _ end: Int, into ends: inout [Int]) -> Int {
        var n = 0
        while pos + n < end, flags[pos + n] & CharClass.whitespace != 0 { n += 1 }
        if n > 1, pos + n < end {
            // Followed by a non-space: leave the last whitespace to prefix the next word.
            ends.append(pos + n - 1)
            return pos + n - 1
        }
        let next = pos + max(n, 1)
        ends.append(next)
        return next
    }

    private static func splitLlama3(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<UInt8>,
                                    _ range: Range<Int>, maxDigits: Int, into ends: inout [Int]) {
        let end = range.upperBound
        @inline(__always) func f(_ i: Int) -> UInt8 { i < end ? flags[i] : 0 }
        @inline(__always) func isCRLF(_ i: Int) -> Bool { i < end && (cps[i] == 0x0D || cps[i] == 0x0A) }
        var pos = range.lowerBound
        while pos < end {
            let cp = cps[pos]
            let fl = flags[pos]
            let n = contraction(cps, pos, end, caseInsensitive: true)
            if n > 0 { pos += n; ends.append(pos); continue }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isCRLF(pos), fl & CharClass.number == 0, fl & CharClass.letter != 0 || f(pos + 1) & CharClass.letter != 0 {
                pos += 1
                while f(pos) & CharClass.letter != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            // `\p{N}{1,maxDigits}`
            if fl & CharClass.number != 0 {
                var count = 0
                while f(pos) & CharClass.number != 0, count < maxDigits { pos += 1; count += 1 }
                ends.append(pos)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let wordy = CharClass.whitespace | CharClass.letter | CharClass.number
            let f2 = cp == 0x20 ? f(pos + 1) : fl
            if f2 & wordy == 0, f2 != 0 {
                pos += cp == 0x20 ? 1 : 0
                while f(pos) & wordy == 0, f(pos) != 0 { pos += 1 }
                while isCRLF(pos) { pos += 1 }
                ends.append(pos)
                continue
            }
            // `\s*[\r\n]+`: through the last CR/LF of the whitespace run.
            var k = pos
            var lastNewline = -1
            while k < end, flags[k] & CharClass.whitespace != 0 {
                if isCRLF(k) { lastNewline = k + 1 }
                k += 1
            }
            if lastNewline > 0 {
                pos = lastNewline
                ends.append(pos)
                continue
            }
            pos = whitespaceRun(flags, pos, end, into: &ends)
        }
    }
}
