extension Tokenizer {
    /// Text → token ids, as llama.cpp's `llama_tokenize`.
    /// - Parameters:
    ///   - addSpecial: prepend BOS / append EOS if the model asks for them (`addBOS`, `addEOS`).
    ///   - parseSpecial: recognise control tokens such as `<|im_start|>` written in the text (chat
    ///     templates); otherwise they are tokenized as plain text. User-defined tokens are always
    ///     recognised, as in llama.cpp.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        let bytes = Array(text.utf8)
        let fragments = specials.partition(bytes, parseSpecial: parseSpecial)
        var out = [Int32]()
        out.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial, addBOS, let bos { out.append(bos) }
        switch model {
        case .sentencePiece:
            var session = SentencePieceSession()
            var escaped = [UInt8]()
            // A space goes before the first text and before text that follows a special token.
            var previousWasSpecial = true
            for fragment in fragments {
                switch fragment {
                case let .text(range):
                    escaped.removeAll(keepingCapacity: true)
                    if addSpacePrefix, previousWasSpecial { escaped.append(contentsOf: Self.escapedSpace) }
                    for b in bytes[range] {
                        if b == 0x20 { escaped.append(contentsOf: Self.escapedSpace) } else { escaped.append(b) }
                    }
                    session.encode(escaped, self, into: &out)
                    previousWasSpecial = false
                case let .token(id):
                    out.append(id)
                    previousWasSpecial = true
                }
            }
        case .bytePair:
            var session = BytePairSession()
            for fragment in fragments {
                switch fragment {
                case let .text(range): session.encode(bytes[range], self, into: &out)
                case let .token(id): out.append(id)
                }
            }
        }
        if addSpecial, addEOS, let eos { out.append(eos) }
        return out
    }
}

/// llama.cpp's `llm_tokenizer_spm_session`: start from UTF-8 characters and repeatedly merge the
/// adjacent pair whose concatenation is the highest-scoring token (ties: leftmost), using a
/// priority queue of candidate pairs; leftover characters that are not tokens become byte tokens.
struct SentencePieceSession {

    private var symbols = [MergeSymbol]()
    private var queue = Heap<MergeCandidate>()

    /// Encodes already-escaped text (spaces as `▁`), chunk by chunk between merge barriers.
    mutating func encode(_ text: [UInt8], _ tokenizer: Tokenizer, into out: inout [Int32]) {
        text.withUnsafeBufferPointer { bytes in
            var start = 0
            for i in 0 ..< bytes.count where tokenizer.mergeBarriers[Int(bytes[i])] {
                if i > start { encodeChunk(bytes, start ..< i, tokenizer, into: &out) }
                encodeChunk(bytes, i ..< i + 1, tokenizer, into: &out)
                start = i + 1
            }
            if bytes.count > start { encodeChunk(bytes, start ..< bytes.count, tokenizer, into: &out) }
        }
    }

    private mutating func encodeChunk(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ tokenizer: Tokenizer,
                                      into out: inout [Int32]) {
        symbols.removeAll(keepingCapacity: true)
        queue.removeAll()
        var offset = range.lowerBound
        while offset < range.upperBound {
            let length = min(utf8SequenceLength(bytes[offset]), range.upperBound - offset)
            let index = symbols.count
            offset += length
            symbols.append(MergeSymbol(id: -1, start: offset - length, count: length, prev: index - 1,
                                       next: offset == range.upperBound ? -1 : index + 1))
        }
        for i in 1 ..< max(symbols.count, 1) { tryAddBigram(i - 1, i, bytes, tokenizer) }
        while let bigram = queue.pop() {
            let left = symbols[bigram.left], right = symbols[bigram.right]
            // Skip pairs invalidated by an earlier merge.
            if left.count == 0 || right.count == 0 || left.count + right.count != bigram.signature { continue }
            symbols.merge(bigram.left, bigram.right)
            tryAddBigram(left.prev, bigram.left, bytes, tokenizer)
            tryAddBigram(bigram.left, right.next, bytes, tokenizer)
        }
        var i = symbols.isEmpty ? -1 : 0
        while i != -1 {
            let s = symbols[i]
            let slice = UnsafeBufferPointer(rebasing: bytes[s.start ..< s.start + s.count])
            if let id = tokenizer.strings.id(of: slice), Int(id) < tokenizer.vocabularySize {
                out.append(id)
            } else {
                // Byte fallback; a byte without a token becomes UNK (llama.cpp would throw).
                for b in slice {
                    let id = tokenizer.byteTokens[Int(b)]
                    if id >= 0 { out.append(id) } else if let unk = tokenizer.unk { out.append(unk) }
                }
            }
            i = s.next
        }
    }

    private mutating func tryAddBigram(_ left: Int, _ right: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ tokenizer: Tokenizer) {
        guard left >= 0, right >= 0 else { return }
        let start = symbols[left].start
        let size = symbols[left].count + symbols[right].count
        guard let id = tokenizer.strings.id(of: UnsafeBufferPointer(rebasing: bytes[start ..< start + size])),
              Int(id) < tokenizer.vocabularySize else { return }
        queue.push(MergeCandidate(left: left, right: right, priority: Double(tokenizer.scores[Int(id)]), signature: size, result: -1))
    }
}

/// llama.cpp's `llm_tokenizer_bpe_session`: split the text with the pre-tokenizer, then in each
/// word repeatedly apply the lowest-ranked merge among adjacent symbols (ties: leftmost), using a
/// priority queue of candidate pairs. Symbols start as one byte-level character per input byte.
struct BytePairSession {

    private var symbols = [MergeSymbol]()
    private var queue = Heap<MergeCandidate>()
    private var scalars = [UInt32]()
    private var classes = [UInt8]()
    private var offsets = [Int]()   // byte offset of each scalar, plus the end
    private var ends = [Int]()
    private var encoded = [UInt8]()

    mutating func encode(_ text: ArraySlice<UInt8>, _ tokenizer: Tokenizer, into out: inout [Int32]) {
        guard let pre = tokenizer.preTokenizer else { return }
        let bytes = Array(text)
        decodeScalars(bytes)
        ends.removeAll(keepingCapacity: true)
        scalars.withUnsafeBufferPointer { cps in
            classes.withUnsafeBufferPointer { cls in
                pre.split(cps, cls, 0 ..< cps.count, into: &ends)
            }
        }
        var start = 0
        bytes.withUnsafeBufferPointer { b in
            for end in ends {
                encodeWord(UnsafeBufferPointer(rebasing: b[offsets[start] ..< offsets[end]]), tokenizer, into: &out)
                start = end
            }
        }
    }

    /// Fills `scalars`, `classes` and `offsets` from UTF-8 (invalid bytes become U+FFFD).
    private mutating func decodeScalars(_ bytes: [UInt8]) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var i = 0
        let n = bytes.count
        while i < n {
            offsets.append(i)
            let b0 = bytes[i]
            var cp = UInt32(0xFFFD)
            var length = 1
            if b0 < 0x80 {
                cp = UInt32(b0)
            } else {
                let want = utf8SequenceLength(b0)
                if want > 1, i + want <= n {
                    var v = UInt32(b0) & (0xFF >> (want + 1))
                    var ok = true
                    for k in 1 ..< want {
                        let c = bytes[i + k]
                        if c & 0xC0 != 0x80 { ok = false; break }
                        v = v << 6 | UInt32(c & 0x3F)
                    }
                    if ok { cp = v; length = want }
                }
            }
            scalars.append(cp)
            classes.append(CharClass.of(cp))
            i += length
        }
        offsets.append(n)
    }

    private mutating func encodeWord(_ word: UnsafeBufferPointer<UInt8>, _ tokenizer: Tokenizer, into out: inout [Int32]) {
        let vocab = tokenizer.vocabularySize
        if tokenizer.ignoreMerges {
            encodeByteLevel(word)
            if let id = encoded.withUnsafeBufferPointer({ tokenizer.strings.id(of: $0) }), Int(id) < vocab {
                out.append(id)
                return
            }
        }
        symbols.removeAll(keepingCapacity: true)
        queue.removeAll()
        for (i, b) in word.enumerated() {
            symbols.append(MergeSymbol(id: tokenizer.byteTokens[Int(b)], start: i, count: 1, prev: i - 1, next: i + 1 == word.count ? -1 : i + 1))
        }
        for i in 1 ..< max(symbols.count, 1) { addBigram(i - 1, i, tokenizer) }
        while let bigram = queue.pop() {
            let left = symbols[bigram.left], right = symbols[bigram.right]
            // Skip pairs whose symbols changed since the pair was queued.
            if left.count == 0 || right.count == 0 || MergeCandidate.pairKey(left.id, right.id) != bigram.signature { continue }
            symbols.merge(bigram.left, bigram.right)
            symbols[bigram.left].id = bigram.result
            addBigram(left.prev, bigram.left, tokenizer)
            addBigram(bigram.left, right.next, tokenizer)
        }
        var i = symbols.isEmpty ? -1 : 0
        while i != -1 {
            let s = symbols[i]
            if s.id >= 0, Int(s.id) < vocab {
                out.append(s.id)
            } else {
                // Not a token: llama.cpp tries each byte of the byte-level text as a token.
                encodeByteLevel(UnsafeBufferPointer(rebasing: word[s.start ..< s.start + s.count]))
                for c in encoded {
                    if let id = tokenizer.strings.id(of: [c]), Int(id) < vocab { out.append(id) }
                }
            }
            i = s.next
        }
    }

    private mutating func addBigram(_ left: Int, _ right: Int, _ tokenizer: Tokenizer) {
        guard left >= 0, right >= 0 else { return }
        let l = symbols[left].id, r = symbols[right].id
        guard l >= 0, r >= 0, let merge = tokenizer.merges[MergeCandidate.pairKey(l, r)] else { return }
        queue.push(MergeCandidate(left: left, right: right, priority: -Double(merge.rank), signature: MergeCandidate.pairKey(l, r), result: merge.result))
    }

    /// `encoded` = the word in GPT-2 byte-level characters.
    private mutating func encodeByteLevel(_ word: UnsafeBufferPointer<UInt8>) {
        encoded.removeAll(keepingCapacity: true)
        for b in word { encoded.append(contentsOf: ByteLevel.utf8ForByte[Int(b)]) }
    }
}

/// A candidate merge of two adjacent symbols, queued by the merge loops.
struct MergeCandidate: HeapElement {
    let left: Int
    let right: Int
    /// Higher merges first (ties: leftmost). SPM: the merged token's score; BPE: minus the merge rank.
    let priority: Double
    /// What the pair must still look like when popped, else an earlier merge invalidated it.
    /// SPM: the combined byte count; BPE: `pairKey` of the operand ids.
    let signature: Int
    /// BPE: the id of the merged symbol; SPM: -1 (looked up from the text at the end).
    let result: Int32

    static func precedes(_ a: MergeCandidate, _ b: MergeCandidate) -> Bool {
        a.priority > b.priority || (a.priority == b.priority && a.left < b.left)
    }

    /// Key of an operand-id pair (also the key of `Tokenizer.merges`).
    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> Int {
        Int(truncatingIfNeeded: UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right)))
    }
}

/// A symbol of the merge loops: a run of input bytes in a doubly linked list of its neighbours.
struct MergeSymbol {
    /// BPE: id in `Tokenizer.strings`, -1 if the text is not known. SPM: unused (-1).
    var id: Int32
    /// Byte offset in the text being merged.
    var start: Int
    /// Bytes covered; 0 once merged into the left neighbour.
    var count: Int
    var prev: Int
    var next: Int
}

extension Array where Element == MergeSymbol {
    /// Merges symbol `right` into its left neighbour `left` and unlinks it.
    mutating func merge(_ left: Int, _ right: Int) {
        let r = self[right]
        self[left].count += r.count
        self[right].count = 0
        self[left].next = r.next
        if r.next >= 0 { self[r.next].prev = left }
    }
}
