import GGUF

/// Why a tokenizer could not be built from a GGUF file's `tokenizer.ggml.*` metadata.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A metadata key is missing or has the wrong type.
    case metadata(GGUFError)
    /// `tokenizer.ggml.model` names a tokenizer Swiftlet does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer Swiftlet does not implement.
    case unsupportedPreTokenizer(String)
    /// An array's length disagrees with the token list's.
    case lengthMismatch(key: String, count: Int, tokens: Int)
    case duplicateToken(String, firstID: Int, secondID: Int)
    case emptyVocabulary
    /// `add_bos_token`/`add_eos_token` is true but the matching id is not set.
    case missingSpecialToken(String)

    public var description: String {
        switch self {
        case let .metadata(e): return "tokenizer metadata: \(e)"
        case let .unsupportedModel(m): return "unsupported tokenizer model '\(m)' (supported: llama, gpt2)"
        case let .unsupportedPreTokenizer(p):
            return "unsupported pre-tokenizer '\(p)' (supported: default, gpt-2, llama-bpe/llama3, qwen2 and their aliases)"
        case let .lengthMismatch(key, count, tokens): return "\(key) has \(count) entries but the vocabulary has \(tokens) tokens"
        case let .duplicateToken(t, a, b): return "duplicate token '\(t)' in the vocabulary (ids \(a) and \(b))"
        case .emptyVocabulary: return "tokenizer.ggml.tokens is empty"
        case let .missingSpecialToken(what): return what
        }
    }
}
