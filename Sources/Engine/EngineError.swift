/// Everything the engine can report. Submission errors are thrown by `Engine.submit`; model
/// failures end the affected streams.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyPrompt
    case invalidToken(Int32, vocabularySize: Int)
    case invalidRequest(String)
    /// prompt + maxTokens exceeds the model's context length.
    case exceedsContext(tokens: Int, contextLength: Int)
    /// prompt + maxTokens needs more KV blocks than the whole pool holds.
    case exceedsKVPool(blocksNeeded: Int, poolBlocks: Int)
    case invalidConfiguration(String)
    case shutDown
    case modelFailed(String)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty"
        case let .invalidToken(t, v): return "prompt token \(t) is outside the vocabulary (size \(v))"
        case let .invalidRequest(why): return "invalid request: \(why)"
        case let .exceedsContext(n, c): return "prompt + maxTokens = \(n) tokens exceeds the context length \(c)"
        case let .exceedsKVPool(n, p): return "request needs \(n) KV blocks but the pool holds \(p)"
        case let .invalidConfiguration(why): return "invalid engine configuration: \(why)"
        case .shutDown: return "the engine is shut down"
        case let .modelFailed(why): return "model forward pass failed: \(why)"
        }
    }
}
