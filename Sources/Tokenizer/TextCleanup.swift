/// llama.cpp's `clean_up_tokenization_spaces` for detokenized text (byte-level BPE vocabs other than
/// Qwen2): removes the space before `?!.,`, around a lone `'`, and before `'s 'm 're 've`.
/// A literal port of llama.cpp's three in-place passes, because their overlapping reads of the
/// buffer being compacted decide edge cases such as `a ' ' b`.
func cleanTokenizationSpaces(_ input: [UInt8]) -> [UInt8] {
    var text = input
    let space = UInt8(ascii: " "), quote = UInt8(ascii: "'")
    // " ?", " !", " .", " ,": drop the space.
    var total = compactingPass(&text, text.count) { text, i, _ in
        let x = text[i]
        let drop = text[i - 1] == space && (x == UInt8(ascii: "?") || x == UInt8(ascii: "!") || x == UInt8(ascii: ".") || x == UInt8(ascii: ","))
        return (drop, false)
    }
    // " ' ": drop both spaces.
    total = compactingPass(&text, total) { text, i, count in
        let drop = text[i] == quote && i + 1 < count && text[i - 1] == space && text[i + 1] == space
        return (drop, drop)
    }
    // " 's", " 'm", " 're", " 've": drop the space (" 't", " 'd", " 'll" keep it).
    total = compactingPass(&text, total) { text, i, count in
        guard text[i - 1] == space, text[i] == quote, i + 1 < count else { return (false, false) }
        let x1 = text[i + 1]
        if x1 == UInt8(ascii: "s") || x1 == UInt8(ascii: "m") { return (true, false) }
        guard x1 != UInt8(ascii: "t"), x1 != UInt8(ascii: "d"), i + 2 < count else { return (false, false) }
        return ((x1 == UInt8(ascii: "r") || x1 == UInt8(ascii: "v")) && text[i + 2] == UInt8(ascii: "e"), false)
    }
    text.removeSubrange(total...)
    return text
}

/// One of llama.cpp's in-place passes over `text[0 ..< count]`: byte 0 is copied, then for each
/// later byte `rule` says whether to drop the byte written last, and whether to skip the next input
/// byte (which llama.cpp overwrites with NUL, visible to the following step's look-behind).
/// Returns the new length.
private func compactingPass(_ text: inout [UInt8], _ count: Int,
                            _ rule: (_ text: [UInt8], _ i: Int, _ count: Int) -> (dropPrevious: Bool, skipNext: Bool)) -> Int {
    var total = count > 0 ? 1 : 0
    var i = 1
    while i < count {
        let x = text[i]
        let (dropPrevious, skipNext) = rule(text, i, count)
        if dropPrevious { total -= 1 }
        if skipNext {
            i += 1
            text[i] = 0
        }
        text[total] = x
        total += 1
        i += 1
    }
    return total
}
