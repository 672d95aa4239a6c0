#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Token attributes, as llama.cpp's `llama_token_attr` bits (a token can gain CONTROL or UNUSED at load).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt16
    static let undefined = TokenAttributes(rawValue: 1 << 0)
    static let unknown = TokenAttributes(rawValue: 1 << 1)
    static let unused = TokenAttributes(rawValue: 1 << 2)
    static let normal = TokenAttributes(rawValue: 1 << 3)
    static let control = TokenAttributes(rawValue: 1 << 4)
    static let userDefined = TokenAttributes(rawValue: 1 << 5)
    static let byte = TokenAttributes(rawValue: 1 << 6)
    static let lstrip = TokenAttributes(rawValue: 1 << 8)
    static let rstrip = TokenAttributes(rawValue: 1 << 9)

    /// From GGUF `token_type` (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    init(tokenType: Int) {
        switch tokenType {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = .undefined
        }
    }

    init(rawValue: UInt16) { self.rawValue = rawValue }
}

/// One piece of the input after special-token partitioning.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// Finds special tokens in text exactly like llama.cpp's `tokenizer_st_partition`: tokens are taken
/// in priority order (longest text first), each claiming its leftmost non-overlapping occurrences
/// inside the text not yet claimed, with LSTRIP/RSTRIP eating adjacent ASCII whitespace.
/// llama.cpp searches the text once per special token of the vocab (thousands for Gemma); here one
/// pass over a byte trie first finds which tokens occur at all, and only those are searched for.
struct SpecialTokenMatcher: Sendable {
    /// Special tokens in priority order, and their texts.
    private let tokens: [(id: Int32, attributes: TokenAttributes, length: Int)]
    private let texts: [[UInt8]]
    /// Byte trie over the tokens' texts: `children[node << 8 | byte]` is the child node (one flat
    /// dictionary rather than one per node: Gemma has ~6,400 special tokens);
    /// `terminal[node]` is the index into `tokens` of the token ending there, or -1.
    private let children: [Int: Int32]
    private let terminal: [Int32]
    /// Bytes that begin some special token (a fast reject for most text positions). [256]
    private let startsToken: [Bool]

    init(texts: [[UInt8]], attributes: [TokenAttributes]) {
        let special: TokenAttributes = [.control, .userDefined, .unknown]
        var ids = (0 ..< texts.count).filter { !attributes[$0].isDisjoint(with: special) && !texts[$0].isEmpty }
        // llama.cpp sorts by length only (std::sort, order of ties unspecified); ties by id here.
        ids.sort { texts[$0].count != texts[$1].count ? texts[$0].count > texts[$1].count : $0 < $1 }
        var children = [Int: Int32]()
        var terminal: [Int32] = [-1]
        var starts = [Bool](repeating: false, count: 256)
        for (index, id) in ids.enumerated() {
            var node = 0
            starts[Int(texts[id][0])] = true
            for b in texts[id] {
                if let next = children[node << 8 | Int(b)] {
                    node = Int(next)
                } else {
                    terminal.append(-1)
                    children[node << 8 | Int(b)] = Int32(terminal.count - 1)
                    node = terminal.count - 1
                }
            }
            terminal[node] = Int32(index)
        }
        tokens = ids.map { (Int32($0), attributes[$0], texts[$0].count) }
        self.texts = ids.map { texts[$0] }
        self.children = children
        self.terminal = terminal
        startsToken = starts
    }

    /// Splits `bytes` into text and special-token fragments. Without `parseSpecial`, control and
    /// unknown tokens are ignored and only user-defined tokens are split out (as llama.cpp does).
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        let n = bytes.count
        guard n > 0 else { return [] }
        // Which eligible tokens occur at all (one trie pass; memory bounded by the token count).
        var occurs = [Bool](repeating: false, count: tokens.count)
        var anyOccurs = false
        bytes.withUnsafeBufferPointer { b in
            for start in 0 ..< n where startsToken[Int(b[start])] {
                var node = 0
                var i = start
                while i < n, let next = children[node << 8 | Int(b[i])] {
                    node = Int(next)
                    i += 1
                    let t = terminal[node]
                    if t >= 0, parseSpecial || tokens[Int(t)].attributes.isDisjoint(with: [.control, .unknown]) {
                        occurs[Int(t)] = true
                        anyOccurs = true
                    }
                }
            }
        }
        guard anyOccurs else { return [.text(0 ..< n)] }

        // free[i]: byte i still belongs to a text fragment (not claimed by a token or stripped).
        var free = [Bool](repeating: true, count: n)
        var accepted = [(start: Int, id: Int32)]()
        for priority in 0 ..< tokens.count where occurs[priority] {
            let (id, attributes, length) = tokens[priority]
            let text = texts[priority]
            // Leftmost occurrences that lie wholly in unclaimed text, non-overlapping.
            var from = 0
            while let start = Self.find(text, in: bytes, from: from) {
                let end = start + length
                if let claimed = free[start ..< end].lastIndex(of: false) {
                    // Every occurrence starting at or before a claimed byte would contain it.
                    from = claimed + 1
                    continue
                }
                if attributes.contains(.lstrip) {
                    var s = start
                    while s > 0, free[s - 1], isSpace(bytes[s - 1]) { s -= 1; free[s] = false }
                }
                for i in start ..< end { free[i] = false }
                var e = end
                if attributes.contains(.rstrip) {
                    while e < n, free[e], isSpace(bytes[e]) { free[e] = false; e += 1 }
                }
                from = e
                accepted.append((start, id))
            }
        }
        accepted.sort { $0.start < $1.start }

        var fragments = [Fragment]()
        var next = 0
        var i = 0
        func flushText(upTo end: Int) {
            var s = i
            while s < end {
                while s < end, !free[s] { s += 1 }
                var e = s
                while e < end, free[e] { e += 1 }
                if e > s { fragments.append(.text(s ..< e)) }
                s = e
            }
        }
        while next < accepted.count {
            flushText(upTo: accepted[next].start)
            fragments.append(.token(accepted[next].id))
            i = accepted[next].start
            next += 1
        }
        flushText(upTo: n)
        return fragments
    }

    /// The first occurrence of `needle` in `haystack` at or after `from`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        let n = haystack.count, m = needle.count
        guard m > 0, from + m <= n else { return nil }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { k in
                guard let hp = h.baseAddress, let kp = k.baseAddress else { return nil }
                var i = from
                while i + m <= n {
                    // memchr to the next candidate first byte, then compare the rest.
                    guard let hit = memchr(hp + i, Int32(kp[0]), n - m + 1 - i) else { return nil }
                    i = hp.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hp + i, kp, m) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }

    /// C `isspace` in the "C" locale, which llama.cpp's strip uses.
    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}
