import Engine
import Foundation

/// Text ↔ token ids, as the server needs them. The real BPE/SPM tokenizer conforms in the
/// executable; tests use a trivial one.
public protocol TextTokenizer: Sendable {
    var vocabularySize: Int { get }
    /// `addSpecial`: add the model's BOS (and EOS if it wants one). `parseSpecial`: turn control
    /// token text (e.g. `<|im_start|>`, as written by a chat template) into its single token.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws -> [Int32]
    func decode(_ tokens: [Int32]) -> String
    /// The bytes one token stands for (for log-probability entries, whose `token` may be part of
    /// a multi-byte character).
    func bytes(of token: Int32) -> [UInt8]
}

/// One turn of a chat, with its content already flattened to text.
public struct PromptMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Turns a conversation into prompt text ending with the assistant's turn header (the model's
/// chat template).
public protocol PromptRenderer: Sendable {
    func render(_ messages: [PromptMessage]) throws -> String
}

/// Everything the routes need once the model has loaded.
public struct ModelBackend: Sendable {
    /// The id clients pass as `model` and `/v1/models` lists.
    public var modelID: String
    public var engine: Engine
    public var tokenizer: any TextTokenizer
    public var renderer: any PromptRenderer
    public var contextLength: Int
    /// Unix time the model finished loading (`created` in `/v1/models`).
    public var created: Int

    public init(modelID: String, engine: Engine, tokenizer: any TextTokenizer, renderer: any PromptRenderer,
                contextLength: Int, created: Int = Int(Date().timeIntervalSince1970)) {
        self.modelID = modelID
        self.engine = engine
        self.tokenizer = tokenizer
        self.renderer = renderer
        self.contextLength = contextLength
        self.created = created
    }
}

/// The server's life cycle, shared by the routes, the loader and the shutdown service.
public final class ServerState: Sendable {
    public enum Phase: Sendable {
        case loading
        case ready(ModelBackend)
        case failed(String)
        case shuttingDown
    }

    private let phase: Locked<Phase>
    /// Engine requests submitted and not yet finished, for admission control (`--max-queue`).
    private let inFlight = Locked(0)

    public init(_ initial: Phase = .loading) { phase = Locked(initial) }

    public var current: Phase { phase.withLock { $0 } }

    public func set(_ new: Phase) { phase.withLock { $0 = new } }

    /// Marks the server as shutting down and returns the backend that was serving, if any.
    public func beginShutdown() -> ModelBackend? {
        phase.withLock { p in
            defer { p = .shuttingDown }
            if case let .ready(b) = p { return b }
            return nil
        }
    }

    /// Reserves `count` request slots unless that would exceed `limit`.
    func admit(_ count: Int, limit: Int) -> Bool {
        inFlight.withLock { n in
            guard n + count <= limit else { return false }
            n += count
            return true
        }
    }

    func release(_ count: Int) { inFlight.withLock { $0 -= count } }

    var requestsInFlight: Int { inFlight.withLock { $0 } }
}

/// A value behind a lock (`Mutex` needs macOS 15; the package supports macOS 14).
final class Locked<Value>: @unchecked Sendable {
    // Unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
