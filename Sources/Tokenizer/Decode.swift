extension Tokenizer {
    /// Token ids → text, as llama.cpp's `llama_detokenize(remove_special: false, unparse_special: showSpecial)`:
    /// pieces concatenated, the leading space of the first piece dropped when the model adds a space
    /// prefix, and tokenization spaces cleaned up where the vocab asks for it. Invalid ids decode to
    /// nothing; bytes that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int32], showSpecial: Bool = false) -> String {
        var bytes = [UInt8]()
        for (i, id) in ids.enumerated() { appendPiece(id, first: i == 0, showSpecial: showSpecial, to: &bytes) }
        if cleanSpaces { bytes = cleanTokenizationSpaces(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends one token's piece; the first token of a text loses one leading space if the
    /// tokenizer adds a space prefix (llama.cpp's `lstrip` in detokenize).
    func appendPiece(_ id: Int32, first: Bool, showSpecial: Bool, to bytes: inout [UInt8]) {
        var p = piece(id, showSpecial: showSpecial)
        if first, addSpacePrefix, p.first == 0x20 { p = p.dropFirst() }
        bytes.append(contentsOf: p)
    }
}

/// Turns generated token ids into text one id at a time, for streaming. Text is returned only once
/// it is final: never a partial UTF-8 sequence, and (for vocabs that clean up tokenization spaces)
/// never a space whose removal depends on text not yet generated. The concatenation of everything
/// `append` and `flush` return equals `tokenizer.decode(allIDs, showSpecial:)`.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let showSpecial: Bool
    /// Bytes decoded but not yet returned.
    private var pending = [UInt8]()
    private var isFirst = true

    public init(tokenizer: Tokenizer, showSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.showSpecial = showSpecial
    }

    /// Adds one token; returns the text that became final (often empty, e.g. mid-character).
    public mutating func append(_ id: Int32) -> String {
        tokenizer.appendPiece(id, first: isFirst, showSpecial: showSpecial, to: &pending)
        isFirst = false
        let cut = finalPrefixLength()
        guard cut > 0 else { return "" }
        let ready = Array(pending[..<cut])
        pending.removeFirst(cut)
        return String(decoding: tokenizer.cleanSpaces ? cleanTokenizationSpaces(ready) : ready, as: UTF8.self)
    }

    /// Returns whatever is left (at the end of generation).
    public mutating func flush() -> String {
        let rest = pending
        pending.removeAll()
        return String(decoding: tokenizer.cleanSpaces ? cleanTokenizationSpaces(rest) : rest, as: UTF8.self)
    }

    /// How many pending bytes can be returned now.
    private func finalPrefixLength() -> Int {
        let n = pending.count
        // Hold back an incomplete UTF-8 sequence at the end.
        var complete = n
        var lead = n - 1
        while lead >= 0, lead > n - 4, pending[lead] & 0xC0 == 0x80 { lead -= 1 }
        if lead >= 0, utf8SequenceLength(pending[lead]) > n - lead { complete = lead }
        guard tokenizer.cleanSpaces else { return complete }
        // Space cleanup decides a byte's fate from its neighbours. Cutting after byte `a` is safe
        // when no decision on either side reads across the cut: `a` must not be a space (dropped
        // if the next byte is one of `?!.,`) or an apostrophe (its spaces go if followed by a
        // space), nor the `r`/`v` of `'re`/`'ve` before an `e` (or before bytes not yet seen).
        // Decisions after the cut only look back at `a`, which then never triggers them.
        var cut = complete
        while cut > 0 {
            let a = pending[cut - 1]
            let b: UInt8? = cut < n ? pending[cut] : nil
            let atBoundary = b.map { $0 & 0xC0 != 0x80 } ?? true
            let rereads = (a == UInt8(ascii: "r") || a == UInt8(ascii: "v")) && (b == nil || b == UInt8(ascii: "e"))
            if atBoundary, a != 0x20, a != 0x27, !rereads { return cut }
            cut -= 1
        }
        return 0
    }
}
