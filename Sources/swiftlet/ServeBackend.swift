import Engine
import Foundation
import GGUF
import Logging
import Models
import Server
import Tokenizer

/// Wires a GGUF file into the server: model runtime, tokenizer, chat template, engine.
enum ServeBackend {
    static func load(path: String, modelID: String?, engine configuration: EngineConfiguration,
                     logger: Logger) throws -> ModelBackend {
        let file = try GGUFFile(path: path)
        let model = try ModelRegistry.load(file)
        let tokenizer = try Tokenizer(gguf: file)
        let template = try ChatTemplate(gguf: file)
        var configuration = configuration
        configuration.endOfGenerationTokens = tokenizer.endOfGenerationTokens
        let engine = try Engine(model: model, configuration: configuration,
                                detokenizer: StreamingText(tokenizer: tokenizer), logger: logger)
        let name = modelID ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return ModelBackend(modelID: name, engine: engine, tokenizer: GGUFTokenizer(tokenizer: tokenizer),
                            renderer: TemplateRenderer(template: template, tokenizer: tokenizer),
                            contextLength: model.contextLength)
    }
}

struct GGUFTokenizer: TextTokenizer {
    let tokenizer: Tokenizer
    var vocabularySize: Int { tokenizer.vocabularySize }
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
    }
    func decode(_ tokens: [Int32]) -> String { tokenizer.decode(tokens) }
    func bytes(of token: Int32) -> [UInt8] { Array(tokenizer.piece(token, showSpecial: true)) }
}

/// The engine's per-request text decoder: the tokenizer's streaming detokenizer.
struct StreamingText: Detokenizer {
    let tokenizer: Tokenizer
    struct Decoder: IncrementalDecoder {
        var inner: StreamingDetokenizer
        mutating func append(_ token: Int32) -> String { inner.append(token) }
    }
    func makeDecoder() -> any IncrementalDecoder { Decoder(inner: StreamingDetokenizer(tokenizer: tokenizer)) }
}

struct TemplateRenderer: PromptRenderer {
    let template: ChatTemplate
    let tokenizer: Tokenizer

    func render(_ messages: [PromptMessage]) throws -> String {
        let text = try template.render(messages.map { ChatMessage(role: $0.role, text: $0.content) },
                                       addGenerationPrompt: true, now: Date())
        // Templates that write the BOS text themselves would get a second BOS from the tokenizer
        // (llama.cpp strips it the same way).
        if tokenizer.addBOS, !template.bosToken.isEmpty, text.hasPrefix(template.bosToken) {
            return String(text.dropFirst(template.bosToken.count))
        }
        return text
    }
}
