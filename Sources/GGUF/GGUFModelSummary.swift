/// A model's identity, sizes and tokenizer as its GGUF metadata states them (what `swiftlet inspect`
/// prints). Hyperparameter keys are llama.cpp's, prefixed by the architecture (`qwen2.block_count`);
/// a value the file does not state is nil. A key present with the wrong type throws `.wrongType`.
public struct GGUFModelSummary: Sendable, Equatable, Encodable {
    public struct Rope: Sendable, Equatable, Encodable {
        public var freqBase: Float?
        public var dimensionCount: Int?
        public var scalingType: String?
        public var scalingFactor: Float?
        public var originalContextLength: Int?

        enum CodingKeys: String, CodingKey {
            case freqBase = "freq_base", dimensionCount = "dimension_count", scalingType = "scaling_type"
            case scalingFactor = "scaling_factor", originalContextLength = "original_context_length"
        }
    }

    public struct Tokenizer: Sendable, Equatable, Encodable {
        public var model: String?
        public var pre: String?
        /// Entries of `tokenizer.ggml.tokens`.
        public var vocabSize: Int?
        public var bosTokenID: Int?
        public var eosTokenID: Int?
        public var eotTokenID: Int?
        public var padTokenID: Int?
        public var unkTokenID: Int?
        public var addBOS: Bool?
        public var addEOS: Bool?
        public var hasChatTemplate: Bool

        enum CodingKeys: String, CodingKey {
            case model, pre, vocabSize = "vocab_size", bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
            case eotTokenID = "eot_token_id", padTokenID = "pad_token_id", unkTokenID = "unk_token_id"
            case addBOS = "add_bos", addEOS = "add_eos", hasChatTemplate = "chat_template"
        }
    }

    public var architecture: String
    public var name: String?
    public var ggufVersion: Int
    public var fileSize: Int
    /// Sum of every tensor's element count.
    public var parameterCount: Int
    public var tensorCount: Int
    public var contextLength: Int?
    public var blockCount: Int?
    public var embeddingLength: Int?
    public var feedForwardLength: Int?
    public var headCount: Int?
    public var headCountKV: Int?
    /// `attention.key_length` when stated (Gemma's differs from embedding / heads), else embedding / heads.
    public var headDim: Int?
    public var slidingWindow: Int?
    public var rmsNormEpsilon: Float?
    public var rope: Rope
    public var tokenizer: Tokenizer
    /// Number of tensors of each type, keyed by the type's name (`Q4_K`).
    public var tensorTypes: [String: Int]

    enum CodingKeys: String, CodingKey {
        case architecture, name, ggufVersion = "gguf_version", fileSize = "file_size"
        case parameterCount = "parameter_count", tensorCount = "tensor_count", contextLength = "context_length"
        case blockCount = "block_count", embeddingLength = "embedding_length", feedForwardLength = "feed_forward_length"
        case headCount = "head_count", headCountKV = "head_count_kv", headDim = "head_dim"
        case slidingWindow = "sliding_window", rmsNormEpsilon = "rms_norm_epsilon", rope, tokenizer
        case tensorTypes = "tensor_types"
    }

    public init(_ file: GGUFFile) throws(GGUFError) {
        let m = file.metadata
        let arch = try m.string("general.architecture")
        architecture = arch
        name = try m.optional("general.name", m.string)
        ggufVersion = Int(file.version)
        fileSize = file.fileSize
        parameterCount = file.parameterCount
        tensorCount = file.tensors.count
        contextLength = try m.optional("\(arch).context_length", m.int)
        blockCount = try m.optional("\(arch).block_count", m.int)
        embeddingLength = try m.optional("\(arch).embedding_length", m.int)
        feedForwardLength = try m.optional("\(arch).feed_forward_length", m.int)
        headCount = try m.optional("\(arch).attention.head_count", m.int)
        headCountKV = try m.optional("\(arch).attention.head_count_kv", m.int)
        if let k = try m.optional("\(arch).attention.key_length", m.int) {
            headDim = k
        } else if let e = embeddingLength, let h = headCount, h > 0 {
            headDim = e / h
        }
        slidingWindow = try m.optional("\(arch).attention.sliding_window", m.int)
        rmsNormEpsilon = try m.optional("\(arch).attention.layer_norm_rms_epsilon", m.float)
        rope = Rope(
            freqBase: try m.optional("\(arch).rope.freq_base", m.float),
            dimensionCount: try m.optional("\(arch).rope.dimension_count", m.int),
            scalingType: try m.optional("\(arch).rope.scaling.type", m.string),
            scalingFactor: try m.optional("\(arch).rope.scaling.factor", m.float),
            originalContextLength: try m.optional("\(arch).rope.scaling.original_context_length", m.int))
        tokenizer = Tokenizer(
            model: try m.optional("tokenizer.ggml.model", m.string),
            pre: try m.optional("tokenizer.ggml.pre", m.string),
            vocabSize: try m.optional("tokenizer.ggml.tokens", m.array)?.count,
            bosTokenID: try m.optional("tokenizer.ggml.bos_token_id", m.int),
            eosTokenID: try m.optional("tokenizer.ggml.eos_token_id", m.int),
            eotTokenID: try m.optional("tokenizer.ggml.eot_token_id", m.int),
            padTokenID: try m.optional("tokenizer.ggml.padding_token_id", m.int),
            unkTokenID: try m.optional("tokenizer.ggml.unknown_token_id", m.int),
            addBOS: try m.optional("tokenizer.ggml.add_bos_token", m.bool),
            addEOS: try m.optional("tokenizer.ggml.add_eos_token", m.bool),
            hasChatTemplate: try m.optional("tokenizer.chat_template", m.string) != nil)
        var types = [String: Int]()
        for t in file.tensors { types[t.type.description, default: 0] += 1 }
        tensorTypes = types
    }
}
