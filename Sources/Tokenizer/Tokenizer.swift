import GGUF

/// A tokenizer built from a GGUF file's `tokenizer.ggml.*` metadata that reproduces llama.cpp's
/// `llama-vocab.cpp` token for token: SentencePiece-style BPE (`model = llama`) and byte-level BPE
/// (`model = gpt2`) with the pre-tokenizer named by `tokenizer.ggml.pre`.
///
/// Immutable after init (all lookup tables are built once), so one instance serves all requests.
public final class Tokenizer: Sendable {
    public enum Model: Sendable, Equatable {
        /// `tokenizer.ggml.model = llama`: scores-driven merges over characters, `▁` for spaces,
        /// `<0xNN>` byte fallback.
        case sentencePiece
        /// `tokenizer.ggml.model = gpt2`: ranked merges over GPT-2's byte-level characters.
        case bytePair
    }

    public let model: Model
    /// Number of tokens in the vocabulary; valid ids are `0 ..< vocabularySize`.
    public let vocabularySize: Int
    public let bos: Int32?
    public let eos: Int32?
    /// End of turn (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>` …), from metadata or detected by text.
    public let eot: Int32?
    public let eom: Int32?
    public let pad: Int32?
    public let unk: Int32?
    /// Whether `encode(_:addSpecial: true, …)` prepends BOS / appends EOS.
    public let addBOS: Bool
    public let addEOS: Bool
    /// SentencePiece `add_space_prefix`: a space is prepended to text at the start of the input and
    /// after each special token, and removed again from the first decoded token.
    public let addSpacePrefix: Bool
    /// Tokens that end generation: EOS, EOT, EOM and tokens llama.cpp recognises by text.
    public let endOfGenerationTokens: Set<Int32>

    let preTokenizer: PreTokenizer?
    let ignoreMerges: Bool
    let cleanSpaces: Bool
    /// Every token's text (ids `0 ..< vocabularySize`), followed by merge operands and results
    /// that are not tokens themselves (so that BPE symbols can always be tracked by id).
    let strings: ByteStringTable
    let scores: [Float]
    let attributes: [TokenAttributes]
    /// Pieces as llama.cpp's `token_to_piece(special: true)`: `pieceBytes[pieceOffsets[id] ..< pieceOffsets[id + 1]]`.
    let pieceBytes: [UInt8]
    let pieceOffsets: [Int]
    /// BPE merge ranks keyed by `MergeCandidate.pairKey(left id, right id)`.
    let merges: [Int: Merge]
    /// Per input byte: BPE — the id of its byte-level character; SPM — its `<0xNN>` fallback token.
    /// -1 if absent. [256]
    let byteTokens: [Int32]
    /// SPM: ASCII bytes that occur in no multi-byte vocab entry, so no merge can cross them and
    /// the text can be encoded in independent chunks between them (same result, smaller queues). [256]
    let mergeBarriers: [Bool]
    let specials: SpecialTokenMatcher

    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        try self.init(metadata: gguf.metadata)
    }

    public init(metadata m: GGUFMetadata) throws(TokenizerError) {
        func get<T>(_ body: () throws(GGUFError) -> T) throws(TokenizerError) -> T {
            do { return try body() } catch { throw .metadata(error) }
        }
        let modelName = try get { () throws(GGUFError) in try m.string("tokenizer.ggml.model") }
        let preName = try get { () throws(GGUFError) in try m.string("tokenizer.ggml.pre", default: "") }
        let generalName = try get { () throws(GGUFError) in try m.string("general.name", default: "") }
        var texts = try get { () throws(GGUFError) in try m.stringArray("tokenizer.ggml.tokens") }.map { Array($0.utf8) }
        let n = texts.count
        guard n > 0 else { throw .emptyVocabulary }
        for i in 0 ..< n where texts[i].isEmpty { texts[i] = Array("[EMPTY_\(i)]".utf8) }

        var scores = [Float](repeating: 0, count: n)
        if m.contains("tokenizer.ggml.scores") {
            let a = try get { () throws(GGUFError) in try m.array("tokenizer.ggml.scores") }
            let values: [Float]
            switch a {
            case let .float32(f): values = f
            case let .int32(i): values = i.map { Float($0) }
            default: throw .metadata(.wrongType(key: "tokenizer.ggml.scores", expected: "array[float32]", found: "array[\(a.elementTypeName)]"))
            }
            guard values.count >= n else { throw .lengthMismatch(key: "tokenizer.ggml.scores", count: values.count, tokens: n) }
            scores = Array(values[0 ..< n])
        }
        var attributes = [TokenAttributes](repeating: .normal, count: n)
        if m.contains("tokenizer.ggml.token_type") {
            let types = try get { () throws(GGUFError) in try m.intArray("tokenizer.ggml.token_type") }
            guard types.count >= n else { throw .lengthMismatch(key: "tokenizer.ggml.token_type", count: types.count, tokens: n) }
            for i in 0 ..< n { attributes[i] = TokenAttributes(tokenType: types[i]) }
        }

        // Model-dependent defaults, then metadata (llama_vocab::impl::load).
        var special: [String: Int32?]
        var addBOS = false, addSpacePrefix = false, cleanSpaces = false, ignoreMerges = false
        var preTokenizer: PreTokenizer?
        var mergeStrings = [String]()
        switch modelName {
        case "llama":
            model = .sentencePiece
            special = ["bos": 1, "eos": 2, "unknown": 0]
            addBOS = true
            addSpacePrefix = true
        case "gpt2":
            model = .bytePair
            special = ["bos": 11, "eos": 11]
            guard let chosen = PreTokenizer.named(preName) else { throw .unsupportedPreTokenizer(preName) }
            preTokenizer = chosen.0
            ignoreMerges = chosen.ignoreMerges
            addBOS = chosen.addBOS
            cleanSpaces = chosen.cleanSpaces
            mergeStrings = try get { () throws(GGUFError) in try m.stringArray("tokenizer.ggml.merges") }
        default:
            throw .unsupportedModel(modelName)
        }
        addSpacePrefix = try get { () throws(GGUFError) in try m.bool("tokenizer.ggml.add_space_prefix", default: addSpacePrefix) }
        addBOS = try get { () throws(GGUFError) in try m.bool("tokenizer.ggml.add_bos_token", default: addBOS) }
        let addEOS = try get { () throws(GGUFError) in try m.bool("tokenizer.ggml.add_eos_token", default: false) }
        for (key, value) in special where value.map({ $0 >= n }) ?? false { special[key] = .some(nil) }
        for key in ["bos", "eos", "eot", "eom", "unknown", "seperator", "padding", "mask",
                    "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"] {
            let full = "tokenizer.ggml.\(key)_token_id"
            guard m.contains(full) else { continue }
            let id = try get { () throws(GGUFError) in try m.int(full) }
            if id >= 0, id < n { special[key] = Int32(id) } // an out-of-range id keeps the default, as llama.cpp
        }

        var strings = ByteStringTable(texts)
        for i in 0 ..< n where strings.id(of: texts[i]) != Int32(i) {
            let first = Int(strings.id(of: texts[i]) ?? -1)
            throw .duplicateToken(String(decoding: texts[i], as: UTF8.self), firstID: first, secondID: i)
        }

        // Tokens llama.cpp recognises by their text: EOT/EOM/FIM ids if unset, forced to CONTROL.
        func find(_ candidates: [String]) -> Int32? {
            for c in candidates { if let id = strings.id(of: Array(c.utf8)), id < n { return id } }
            return nil
        }
        for (key, candidates) in Self.detectedByText {
            guard (special[key] ?? nil) == nil, let id = find(candidates) else { continue }
            special[key] = id
            attributes[Int(id)].insert(.control)
        }
        // Control tokens whose text says "unused" are unused.
        for i in 0 ..< n where attributes[i].contains(.control) && texts[i].containsSubsequence(Array("unused".utf8)) {
            attributes[i].insert(.unused)
        }
        var eog = Set<Int32>()
        for key in ["fim_pad", "fim_rep", "fim_sep"] { if let id = special[key] ?? nil { eog.insert(id) } }
        for text in Self.endOfGenerationTexts {
            guard let id = strings.id(of: Array(text.utf8)), id < n else { continue }
            eog.insert(id)
            attributes[Int(id)].insert(.control)
        }
        for key in ["eos", "eot", "eom"] { if let id = special[key] ?? nil { eog.insert(id) } }

        // Phi-3: special tokens eat the whitespace after them (llama.cpp keys this on general.name).
        let lowerName = generalName.lowercased()
        if lowerName.contains("phi-3") || lowerName.contains("phi3") {
            for i in 0 ..< n where !attributes[i].isDisjoint(with: [.control, .userDefined, .unknown]) {
                attributes[i].insert(.rstrip)
            }
            if let id = strings.id(of: Array("</s>".utf8)), id < n { attributes[Int(id)].insert(.rstrip) }
            for t in ["<unk>", "<s>", "<|endoftext|>"] {
                if let id = strings.id(of: Array(t.utf8)), id < n { attributes[Int(id)].remove(.rstrip) }
            }
        }

        bos = special["bos"] ?? nil
        eos = special["eos"] ?? nil
        eot = special["eot"] ?? nil
        eom = special["eom"] ?? nil
        pad = special["padding"] ?? nil
        unk = special["unknown"] ?? nil
        if addBOS, bos == nil {
            throw .missingSpecialToken("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set")
        }
        if addEOS, eos == nil {
            throw .missingSpecialToken("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set")
        }

        // BPE merges, keyed by operand ids. Operands and results that are not tokens get ids past
        // the vocabulary so that every symbol the merge loop can produce has an id.
        var merges = [Int: Merge](minimumCapacity: mergeStrings.count)
        if model == .bytePair {
            var extra = [[UInt8]: Int32]()
            var extraList = [[UInt8]]()
            func idOf(_ s: UnsafeBufferPointer<UInt8>) -> Int32 {
                if let id = strings.id(of: s) { return id }
                let bytes = Array(s)
                if let id = extra[bytes] { return id }
                let id = Int32(n + extraList.count)
                extra[bytes] = id
                extraList.append(bytes)
                return id
            }
            var joined = [UInt8]()
            for (rank, var line) in mergeStrings.enumerated() {
                line.withUTF8 { bytes in
                    // llama.cpp splits at the first space after the first byte.
                    var space = 1
                    while space < bytes.count, bytes[space] != 0x20 { space += 1 }
                    guard space < bytes.count else { return }
                    let left = UnsafeBufferPointer(rebasing: bytes[..<space])
                    let right = UnsafeBufferPointer(rebasing: bytes[(space + 1)...])
                    let key = MergeCandidate.pairKey(idOf(left), idOf(right))
                    guard merges[key] == nil else { return } // the first (lowest) rank wins
                    joined.removeAll(keepingCapacity: true)
                    joined.append(contentsOf: left)
                    joined.append(contentsOf: right)
                    merges[key] = Merge(rank: Int32(rank), result: joined.withUnsafeBufferPointer { idOf($0) })
                }
            }
            if !extraList.isEmpty { strings = ByteStringTable(texts + extraList) }
        }

        // Byte tables: BPE maps each byte to its byte-level character; SPM to `<0xNN>`, or to the
        // byte itself as a one-byte token (llama_vocab::byte_to_token).
        var byteTokens = [Int32](repeating: -1, count: 256)
        for b in 0 ..< 256 {
            switch model {
            case .bytePair:
                byteTokens[b] = strings.id(of: ByteLevel.utf8ForByte[b]) ?? -1
            case .sentencePiece:
                byteTokens[b] = strings.id(of: Array("<0x\(ByteLevel.hex(UInt8(b)))>".utf8)) ?? strings.id(of: [UInt8(b)]) ?? -1
            }
            if byteTokens[b] >= n, model == .sentencePiece { byteTokens[b] = -1 }
        }

        var mergeBarriers = [Bool](repeating: false, count: 256)
        if model == .sentencePiece {
            var inLongToken = [Bool](repeating: false, count: 128)
            for t in texts where t.count >= 2 { for b in t where b < 128 { inLongToken[Int(b)] = true } }
            for b in 0 ..< 128 { mergeBarriers[b] = !inLongToken[b] }
        }

        // Pieces (llama.cpp's token-to-piece cache, special tokens shown).
        var pieceBytes = [UInt8]()
        var pieceOffsets = [0]
        pieceOffsets.reserveCapacity(n + 1)
        for i in 0 ..< n {
            let a = attributes[i]
            if !a.isDisjoint(with: [.unknown, .control, .userDefined]) {
                pieceBytes.append(contentsOf: texts[i])
            } else if a.contains(.normal) {
                if model == .sentencePiece {
                    pieceBytes.append(contentsOf: Self.unescapeSpaces(texts[i]))
                } else {
                    pieceBytes.append(contentsOf: ByteLevel.decode(String(decoding: texts[i], as: UTF8.self)))
                }
            } else if a.contains(.byte) {
                // `<0xNN>`: llama.cpp reads the two hex digits at offset 3.
                let hex = texts[i].count >= 5 ? String(decoding: texts[i][3 ..< 5], as: UTF8.self) : ""
                pieceBytes.append(UInt8(hex, radix: 16) ?? 0)
            }
            pieceOffsets.append(pieceBytes.count)
        }

        vocabularySize = n
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.cleanSpaces = cleanSpaces
        self.ignoreMerges = ignoreMerges
        self.preTokenizer = preTokenizer
        self.strings = strings
        self.scores = scores
        self.attributes = attributes
        self.pieceBytes = pieceBytes
        self.pieceOffsets = pieceOffsets
        self.merges = merges
        self.byteTokens = byteTokens
        self.mergeBarriers = mergeBarriers
        endOfGenerationTokens = eog
        specials = SpecialTokenMatcher(texts: texts, attributes: attributes)
    }

    /// Texts by which llama.cpp finds special ids that the metadata leaves unset.
    private static let detectedByText: [(String, [String])] = [
        ("eot", ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                 "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"]),
        ("eom", ["<|eom_id|>"]),
        ("fim_pre", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"]),
        ("fim_suf", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"]),
        ("fim_mid", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"]),
        ("fim_pad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        ("fim_rep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        ("fim_sep", ["<|file_sep|>"]),
    ]

    /// Texts of tokens llama.cpp treats as end of generation.
    private static let endOfGenerationTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// `▁` (U+2581) in UTF-8.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    private static func unescapeSpaces(_ text: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + 2 < text.count, text[i] == 0xE2, text[i + 1] == 0x96, text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - Queries

    /// Whether generating `id` ends the turn.
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGenerationTokens.contains(id) }

    public func isValid(_ id: Int32) -> Bool { id >= 0 && Int(id) < vocabularySize }

    /// Control and unknown tokens: hidden when decoding unless special tokens are shown.
    public func isControl(_ id: Int32) -> Bool {
        isValid(id) && !attributes[Int(id)].isDisjoint(with: [.control, .unknown])
    }

    /// The token's text as stored in the vocabulary (`▁Hello`, `Ġworld`, `<0x0A>` …).
    public func text(of id: Int32) -> String? {
        guard isValid(id) else { return nil }
        return String(decoding: strings.string(Int(id)), as: UTF8.self)
    }

    /// The bytes a token stands for (llama.cpp's `token_to_piece` without lstrip). Control and
    /// unknown tokens give their text when `showSpecial`, else nothing; an invalid id gives nothing.
    public func piece(_ id: Int32, showSpecial: Bool = true) -> ArraySlice<UInt8> {
        guard isValid(id) else { return [] }
        let i = Int(id)
        if !showSpecial, !attributes[i].isDisjoint(with: [.control, .unknown]) { return [] }
        return pieceBytes[pieceOffsets[i] ..< pieceOffsets[i + 1]]
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        for start in 0 ... (count - needle.count) where self[start ..< start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
