import Engine
import Foundation
import Server
import Tokenizer

/// Wires a GGUF file into the server: model runtime, tokenizer, chat template, engine.
enum ServeBackend {
    static func load(path: String, modelID: String?, threads: Int?, engine configuration: EngineConfiguration) throws -> ModelBackend {
        let loaded = try LoadedModel(path: path, threads: threads)
        let template = try ChatTemplate(gguf: loaded.file)
        var configuration = configuration
        configuration.endOfGenerationTokens = loaded.tokenizer.endOfGenerationTokens
        let engine = try Engine(model: loaded.model, configuration: configuration, detokenizer: loaded.tokenizer)
        let name = modelID ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return ModelBackend(modelID: name, engine: engine, tokenizer: GGUFTokenizer(loaded: loaded),
                            renderer: TemplateRenderer(template: template), contextLength: loaded.model.contextLength)
    }
}

struct GGUFTokenizer: TextTokenizer {
    let loaded: LoadedModel
    var vocabularySize: Int { loaded.tokenizer.vocabularySize }
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws -> [Int32] {
        // A prompt: no second BOS when the text (a rendered chat template) already starts with it.
        if addSpecial && parseSpecial { return try loaded.promptTokens(text) }
        return loaded.tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
    }
    func decode(_ tokens: [Int32]) -> String { loaded.tokenizer.decode(tokens) }
    func bytes(of token: Int32) -> [UInt8] { Array(loaded.tokenizer.piece(token, showSpecial: true)) }
}

struct TemplateRenderer: PromptRenderer {
    let template: ChatTemplate
    func render(_ messages: [PromptMessage]) throws -> String {
        try template.render(messages.map { ChatMessage(role: $0.role, text: $0.content) }, addGenerationPrompt: true,
                            now: Date())
    }
}
