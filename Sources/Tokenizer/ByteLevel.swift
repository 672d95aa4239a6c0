/// GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabs: printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100 and up, in byte order.
enum ByteLevel {
    /// The code point each byte maps to. [256]
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0 ..< 256 {
            if (33 ... 126).contains(b) || (161 ... 172).contains(b) || (174 ... 255).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// UTF-8 of each byte's character (1 or 2 bytes). [256]
    static let utf8ForByte: [[UInt8]] = scalarForByte.map { cp in
        Array(String(Character(Unicode.Scalar(cp) ?? "?")).utf8)
    }

    /// The inverse mapping, for detokenization: `byteForScalar[cp]` is the byte, or -1.
    /// [324]: the mapped code points are all below U+0144.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: Int(scalarForByte.max() ?? 0) + 1)
        for (b, cp) in scalarForByte.enumerated() { table[Int(cp)] = Int16(b) }
        return table
    }()

    /// llama.cpp's `llama_decode_text`: maps each character of a byte-level token back to its byte;
    /// a character outside the mapping is written as `[UNK_BYTE_0x…<token text>]`.
    static func decode(_ text: String) -> [UInt8] {
        var out = [UInt8]()
        for s in text.unicodeScalars {
            if Int(s.value) < byteForScalar.count, byteForScalar[Int(s.value)] >= 0 {
                out.append(UInt8(byteForScalar[Int(s.value)]))
            } else {
                out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for c in String(s).utf8 { out.append(contentsOf: Array(hex(c).lowercased().utf8)) }
                out.append(contentsOf: Array(text.utf8))
                out.append(UInt8(ascii: "]"))
            }
        }
        return out
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
    }
}

/// Length of the UTF-8 sequence a lead byte announces, as llama.cpp's `unicode_len_utf8`
/// (a stray continuation byte counts as 1).
@inline(__always)
func utf8SequenceLength(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
