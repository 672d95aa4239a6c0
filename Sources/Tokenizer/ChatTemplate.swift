import Foundation
import GGUF
import Jinja

/// One message of a chat, in the OpenAI chat-completions shape.
public struct ChatMessage: Sendable {
    /// One element of a content list (`[{"type": "text", "text": …}, {"type": "image_url", …}]`).
    public enum Part: Sendable {
        case text(String)
        /// Any other part, passed to the template as the given object (which carries its `type`).
        case other(JinjaDict)
    }

    public enum Content: Sendable {
        case text(String)
        case parts([Part])
    }

    /// An assistant's call of a tool. `arguments` is the JSON text the model produced (OpenAI's
    /// format); templates receive it parsed into an object when it is valid JSON, since they expect
    /// `tool_call.arguments` to be a mapping (`| tojson`, `| items`), and as the string otherwise.
    public struct ToolCall: Sendable {
        public var id: String?
        public var name: String
        public var arguments: String

        public init(id: String? = nil, name: String, arguments: String) {
            self.id = id
            self.name = name
            self.arguments = arguments
        }
    }

    public var role: String
    /// nil for an assistant message that only calls tools.
    public var content: Content?
    public var toolCalls: [ToolCall]
    /// For `role == "tool"`: the id of the call this message answers.
    public var toolCallID: String?
    public var name: String?
    /// Any other fields, passed to the template unchanged (e.g. `reasoning_content`, which some
    /// templates render).
    public var extra: JinjaDict

    public init(role: String, content: Content?, toolCalls: [ToolCall] = [], toolCallID: String? = nil, name: String? = nil,
                extra: JinjaDict = JinjaDict()) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.extra = extra
    }

    public init(role: String, text: String) {
        self.init(role: role, content: .text(text))
    }

    /// Reads a message from its OpenAI JSON form (`{"role": …, "content": …, "tool_calls": …}`).
    public init(json value: JinjaValue) throws(ChatTemplateError) {
        guard case let .dict(d) = value else { throw .badMessage("a message must be a JSON object") }
        guard case let .string(role)? = d["role"] else { throw .badMessage("a message needs a string \"role\"") }
        var content: Content?
        switch d["content"] {
        case nil, .none?: content = nil
        case let .string(s)?: content = .text(s)
        case let .array(items)?:
            var parts = [Part]()
            for item in items {
                guard case let .dict(p) = item, case let .string(type)? = p["type"] else {
                    throw .badMessage("each content part must be an object with a string \"type\"")
                }
                if type == "text" {
                    guard case let .string(text)? = p["text"] else { throw .badMessage("a text part needs a string \"text\"") }
                    parts.append(.text(text))
                } else {
                    parts.append(.other(p))
                }
            }
            content = .parts(parts)
        default: throw .badMessage("\"content\" must be a string, a list of parts or null")
        }
        var calls = [ToolCall]()
        if case let .array(items)? = d["tool_calls"] {
            for item in items {
                guard case let .dict(call) = item, case let .dict(function)? = call["function"],
                      case let .string(name)? = function["name"] else {
                    throw .badMessage("a tool call needs \"function\": {\"name\": …, \"arguments\": …}")
                }
                var arguments = "{}"
                switch function["arguments"] {
                case let .string(s)?: arguments = s
                case let v?: arguments = (try? v.jsonString()) ?? "{}"
                case nil: break
                }
                var id: String?
                if case let .string(s)? = call["id"] { id = s }
                calls.append(ToolCall(id: id, name: name, arguments: arguments))
            }
        }
        var toolCallID: String?, name: String?
        if case let .string(s)? = d["tool_call_id"] { toolCallID = s }
        if case let .string(s)? = d["name"] { name = s }
        var extra = JinjaDict()
        for (key, value) in d.pairs where !["role", "content", "tool_calls", "tool_call_id", "name"].contains(key) {
            extra[key] = value
        }
        self.init(role: role, content: content, toolCalls: calls, toolCallID: toolCallID, name: name, extra: extra)
    }

    /// Reads a JSON array of messages.
    public static func array(json text: String) throws(ChatTemplateError) -> [ChatMessage] {
        let value: JinjaValue
        do {
            value = try JinjaValue(json: text)
        } catch {
            throw .badMessage(error.message)
        }
        guard case let .array(items) = value else { throw .badMessage("messages must be a JSON array") }
        var messages = [ChatMessage]()
        for item in items { messages.append(try ChatMessage(json: item)) }
        return messages
    }
}

public enum ChatTemplateError: Error, Sendable, CustomStringConvertible {
    /// The template could not be parsed, or raised/failed while rendering.
    case template(JinjaError)
    /// The model's metadata is unusable (e.g. `tokenizer.chat_template` is not a string).
    case metadata(GGUFError)
    /// A message in the request is malformed.
    case badMessage(String)

    public var description: String {
        switch self {
        case let .template(e): return "chat template: \(e)"
        case let .metadata(e): return "chat template metadata: \(e)"
        case let .badMessage(m): return "bad chat message: \(m)"
        }
    }
}

/// A model's chat template: turns a conversation into the prompt text the model was trained on,
/// rendering the Jinja template as Hugging Face's `apply_chat_template` does (trim_blocks,
/// lstrip_blocks; variables `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, `tools`).
///
///     let template = try ChatTemplate(gguf: file)
///     let prompt = try template.render([ChatMessage(role: "user", text: "Hi")], addGenerationPrompt: true)
///
/// A model without `tokenizer.chat_template` gets `ChatTemplate.chatMLSource` (ChatML, as Hugging
/// Face's old default template and llama.cpp's `chatml` format produce); `isFallback` says so.
public struct ChatTemplate: Sendable {
    /// The Jinja source being rendered.
    public let source: String
    /// The strings the template sees as `bos_token` / `eos_token`.
    public let bosToken: String
    public let eosToken: String
    /// True when the model had no template and ChatML is used instead.
    public let isFallback: Bool
    /// Whether the template renders content given as a list of parts. When it does not (most
    /// text-only templates concatenate `message.content` as a string), the text parts of a
    /// message are joined with "\n" and passed as one string; non-text parts are then dropped.
    public let acceptsContentParts: Bool
    private let template: Template

    /// The fallback for models without a template: ChatML (`<|im_start|>role\ncontent<|im_end|>\n`).
    public static let chatMLSource = """
        {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}\
        {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    /// A template from its Jinja source (e.g. a file the user passed).
    public init(source: String, bosToken: String = "", eosToken: String = "") throws(ChatTemplateError) {
        try self.init(source: source, bosToken: bosToken, eosToken: eosToken, isFallback: false)
    }

    private init(source: String, bosToken: String, eosToken: String, isFallback: Bool) throws(ChatTemplateError) {
        self.source = source
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.isFallback = isFallback
        do {
            template = try Template(source, options: .huggingFace)
        } catch {
            throw .template(error)
        }
        acceptsContentParts = Self.probeContentParts(template)
    }

    /// The template of a GGUF model (`tokenizer.chat_template`), or ChatML if it has none, with the
    /// BOS/EOS token strings taken from its vocabulary. `source` overrides the embedded template.
    public init(gguf file: GGUFFile, source override: String? = nil) throws(ChatTemplateError) {
        let embedded: String?, bos: String, eos: String
        do throws(GGUFError) {
            let key = "tokenizer.chat_template"
            embedded = file.metadata.contains(key) ? try file.metadata.string(key) : nil
            bos = try Self.tokenText(file, idKey: "tokenizer.ggml.bos_token_id")
            eos = try Self.tokenText(file, idKey: "tokenizer.ggml.eos_token_id")
        } catch {
            throw .metadata(error)
        }
        let source = override ?? embedded
        try self.init(source: source ?? Self.chatMLSource, bosToken: bos, eosToken: eos, isFallback: source == nil)
    }

    /// The vocabulary entry of the token whose id is stored under `idKey`, or "" if there is none.
    private static func tokenText(_ file: GGUFFile, idKey: String) throws(GGUFError) -> String {
        guard file.metadata.contains(idKey) else { return "" }
        let id = try file.metadata.int(idKey)
        let tokens = try file.metadata.stringArray("tokenizer.ggml.tokens")
        guard tokens.indices.contains(id) else {
            throw .wrongType(key: idKey, expected: "a token id below \(tokens.count)", found: String(id))
        }
        return tokens[id]
    }

    /// Renders `messages` into prompt text.
    /// - Parameters:
    ///   - addGenerationPrompt: end with the header of an assistant turn, for the model to continue.
    ///   - tools: tool definitions (OpenAI's `[{"type": "function", "function": {…}}]`), or nil.
    ///   - now: the instant `strftime_now(format)` formats. Hugging Face always defines
    ///     `strftime_now`; with nil it is left undefined, as in plain Jinja2 (so templates that test
    ///     `strftime_now is defined`, like Llama 3.2's, fall back to their fixed date).
    ///   - extraContext: further template variables (Hugging Face's `**kwargs`, e.g. `date_string`).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, tools: [JinjaValue]? = nil,
                       now: Date? = nil, extraContext: [String: JinjaValue] = [:]) throws(ChatTemplateError) -> String {
        var context = extraContext
        context["messages"] = .array(messages.map(value(of:)))
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        context["bos_token"] = .string(bosToken)
        context["eos_token"] = .string(eosToken)
        context["tools"] = tools.map { .array($0) } ?? JinjaValue.none
        if let now { context["strftime_now"] = .callable(.strftimeNow(secondsSince1970: now.timeIntervalSince1970)) }
        do {
            return try template.render(context)
        } catch {
            throw .template(error)
        }
    }

    private func value(of message: ChatMessage) -> JinjaValue {
        var d = JinjaDict()
        d["role"] = .string(message.role)
        switch message.content {
        case nil: d["content"] = JinjaValue.none
        case let .text(s)?: d["content"] = .string(s)
        case let .parts(parts)?:
            if acceptsContentParts {
                d["content"] = .array(parts.map { part in
                    switch part {
                    case let .text(s): return ["type": "text", "text": .string(s)]
                    case let .other(p): return .dict(p)
                    }
                })
            } else {
                d["content"] = .string(parts.compactMap { part in
                    if case let .text(s) = part { return s }
                    return nil
                }.joined(separator: "\n"))
            }
        }
        if !message.toolCalls.isEmpty {
            d["tool_calls"] = .array(message.toolCalls.map { call in
                var function = JinjaDict()
                function["name"] = .string(call.name)
                function["arguments"] = (try? JinjaValue(json: call.arguments)) ?? .string(call.arguments)
                var c = JinjaDict()
                if let id = call.id { c["id"] = .string(id) }
                c["type"] = "function"
                c["function"] = .dict(function)
                return .dict(c)
            })
        }
        if let id = message.toolCallID { d["tool_call_id"] = .string(id) }
        if let name = message.name { d["name"] = .string(name) }
        for (key, value) in message.extra.pairs where d[key] == nil { d[key] = value }
        return .dict(d)
    }

    /// Renders a one-message conversation with list content and checks that the text came out as
    /// text (not as the list's repr, and without an error).
    private static func probeContentParts(_ template: Template) -> Bool {
        let marker = "\u{1}swiftlet-probe\u{1}"
        let message: JinjaValue = ["role": "user", "content": [["type": "text", "text": .string(marker)]]]
        guard let out = try? template.render(["messages": [message], "add_generation_prompt": false,
                                              "bos_token": "", "eos_token": "", "tools": nil])
        else { return false }
        return out.contains(marker) && !out.contains("'text': '")
    }
}
