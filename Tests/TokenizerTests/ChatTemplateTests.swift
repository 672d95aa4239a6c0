import Foundation
import GGUF
import Jinja
import Testing
import Tokenizer

private enum ChatPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/templates")
    static let qwen = repo.appendingPathComponent("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
    static let gemma = repo.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf").path
}

/// A conversation in OpenAI form rendered by Jinja2 through a real template (scripts/jinja_reference.py).
struct ChatCase: CustomTestStringConvertible, Sendable {
    let template: String
    let source: String
    let messages: [ChatMessage]
    let tools: [JinjaValue]?
    let addGenerationPrompt: Bool
    let bosToken: String
    let eosToken: String
    let expected: String?
    let error: String?
    let conversation: Int

    var testDescription: String { "\(template) conversation \(conversation) agp=\(addGenerationPrompt)" }

    static func load() throws -> [ChatCase] {
        let url = ChatPaths.repo.appendingPathComponent("Tests/Fixtures/chat-reference.json")
        guard case let .dict(root) = try JinjaValue(json: try String(contentsOf: url, encoding: .utf8)),
              case let .array(conversations)? = root["conversations"], case let .array(cases)? = root["cases"]
        else { throw ChatTemplateError.badMessage("unexpected chat-reference.json layout") }
        var result = [ChatCase]()
        for c in cases {
            guard case let .dict(d) = c, case let .string(template)? = d["template"], case let .string(source)? = d["source"],
                  let i = d["conversation"]?.pythonString, let index = Int(i), conversations.indices.contains(index),
                  case let .dict(conversation) = conversations[index], case let .array(messages)? = conversation["messages"],
                  case let .bool(agp)? = d["add_generation_prompt"],
                  case let .string(bos)? = d["bos_token"], case let .string(eos)? = d["eos_token"] else { continue }
            var tools: [JinjaValue]?
            if case let .array(t)? = conversation["tools"] { tools = t }
            var expected: String?, error: String?
            if case let .string(s)? = d["expected"] { expected = s }
            if case let .string(s)? = d["error"] { error = s }
            result.append(ChatCase(template: template, source: source, messages: try messages.map { v throws(ChatTemplateError) in try ChatMessage(json: v) },
                                   tools: tools, addGenerationPrompt: agp, bosToken: bos, eosToken: eos,
                                   expected: expected, error: error, conversation: index))
        }
        return result
    }
}

@Suite struct ChatTemplateTests {
    static let cases = (try? ChatCase.load()) ?? []

    @Test func casesLoaded() throws {
        // Loading again (not through `cases`) so that a load error is reported.
        #expect(try ChatCase.load().count == 64)
    }

    @Test(arguments: cases)
    func rendersLikeJinja2(_ c: ChatCase) throws {
        let template = try ChatTemplate(source: c.source, bosToken: c.bosToken, eosToken: c.eosToken)
        if let expected = c.expected {
            let out = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, tools: c.tools)
            #expect(out.unicodeScalars.elementsEqual(expected.unicodeScalars), "got \(out.debugDescription)")
        } else {
            let error = #expect(throws: ChatTemplateError.self) {
                _ = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, tools: c.tools)
            }
            guard case let .template(e)? = error else {
                Issue.record("expected a template error, got \(String(describing: error))")
                return
            }
            #expect(e.message == c.error)
        }
    }

    @Test func chatMLFallbackIsTheReferencedSource() throws {
        let chatml = try #require(Self.cases.first { $0.template == "chatml" })
        #expect(chatml.source == ChatTemplate.chatMLSource)
    }

    @Test func contentPartsDetection() throws {
        let parts = try #require(Self.cases.first { $0.template == "parts" })
        #expect(try ChatTemplate(source: parts.source).acceptsContentParts)
        let qwen = try String(contentsOf: ChatPaths.templates.appendingPathComponent("Qwen-Qwen2.5-7B-Instruct.jinja"), encoding: .utf8)
        #expect(try !ChatTemplate(source: qwen).acceptsContentParts)
        #expect(try !ChatTemplate(source: ChatTemplate.chatMLSource).acceptsContentParts)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: ChatPaths.qwen)))
    func qwenEmbeddedTemplate() throws {
        let template = try ChatTemplate(gguf: try GGUFFile(path: ChatPaths.qwen))
        let file = try String(contentsOf: ChatPaths.templates.appendingPathComponent("Qwen-Qwen2.5-7B-Instruct.jinja"), encoding: .utf8)
        #expect(template.source == file)
        #expect(!template.isFallback)
        // tokens[bos_token_id = 151643] and tokens[eos_token_id = 151645], as gguf-py reads them.
        #expect(template.bosToken == "<|endoftext|>")
        #expect(template.eosToken == "<|im_end|>")
        for c in Self.cases where c.template == "Qwen-Qwen2.5-7B-Instruct.jinja" {
            #expect(try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, tools: c.tools) == c.expected)
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: ChatPaths.gemma)))
    func gemmaWithoutTemplateFallsBackToChatML() throws {
        let file = try GGUFFile(path: ChatPaths.gemma)
        #expect(!file.metadata.contains("tokenizer.chat_template"))
        let template = try ChatTemplate(gguf: file)
        #expect(template.isFallback)
        #expect(template.source == ChatTemplate.chatMLSource)
        for c in Self.cases where c.template == "chatml" && c.expected != nil {
            #expect(try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, tools: c.tools) == c.expected)
        }
        // A user-supplied template replaces the fallback.
        let override = try ChatTemplate(gguf: file, source: "{{ bos_token }}|{{ eos_token }}")
        #expect(!override.isFallback)
        #expect(try override.render([], addGenerationPrompt: false) == "\(override.bosToken)|\(override.eosToken)")
        #expect(!override.bosToken.isEmpty)
    }

    @Test func extraContextReachesTheTemplate() throws {
        // Llama 3.1 prints `date_string` when the caller defines it, else its fixed default.
        let c = try #require(Self.cases.first { $0.template == "meta-llama-Llama-3.1-8B-Instruct.jinja" && $0.expected != nil })
        let template = try ChatTemplate(source: c.source, bosToken: c.bosToken, eosToken: c.eosToken)
        let out = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, tools: c.tools,
                                      extraContext: ["date_string": "01 Jan 2025"])
        let expected = try #require(c.expected)
        #expect(expected.contains("Today Date: 26 Jul 2024"))
        #expect(out == expected.replacingOccurrences(of: "Today Date: 26 Jul 2024", with: "Today Date: 01 Jan 2025"))
    }

    @Test func strftimeNowIsDefinedOnlyWithADate() throws {
        let template = try ChatTemplate(source: "{% if strftime_now is defined %}{{ strftime_now('%Y') }}{% else %}none{% endif %}")
        #expect(try template.render([], addGenerationPrompt: false) == "none")
        // 2024-07-26T12:00:00Z is in 2024 in every time zone.
        #expect(try template.render([], addGenerationPrompt: false, now: Date(timeIntervalSince1970: 1_721_995_200)) == "2024")
    }

    @Test func malformedMessagesAreRejected() {
        for text in ["{}", "[1]", "[{\"content\": \"x\"}]", "[{\"role\": \"user\", \"content\": 5}]",
                     "[{\"role\": \"user\", \"content\": [{\"text\": \"x\"}]}]", "[{\"role\": \"assistant\", \"tool_calls\": [{}]}]", "[{"] {
            #expect(throws: ChatTemplateError.self, "\(text)") { _ = try ChatMessage.array(json: text) }
        }
    }

    @Test func templateSyntaxErrorsAreReported() {
        let error = #expect(throws: ChatTemplateError.self) { _ = try ChatTemplate(source: "{% if x %}") }
        guard case let .template(e)? = error else {
            Issue.record("expected a template error")
            return
        }
        #expect(e.kind == .syntax)
    }
}
