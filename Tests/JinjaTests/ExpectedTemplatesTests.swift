import Foundation
import Testing
@testable import Jinja

/// Paths to shared test data, relative to this source file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/templates")
}

/// One case of templates/expected.json: a real model's template rendered by Jinja2 (with Hugging
/// Face's settings) for one conversation, or the error message it raised.
struct ExpectedCase: CustomTestStringConvertible, Sendable {
    let template: String
    let conversation: JinjaValue
    let addGenerationPrompt: Bool
    let bosToken: String
    let eosToken: String
    let expected: String?
    let error: String?
    let index: Int

    var testDescription: String { "#\(index) \(template) conversation \(conversation.pythonRepr.prefix(40)) agp=\(addGenerationPrompt)" }

    static func load() throws -> [ExpectedCase] {
        let text = try String(contentsOf: TestPaths.templates.appendingPathComponent("expected.json"), encoding: .utf8)
        // Our own JSON reader keeps key order, which `tojson` output depends on.
        guard case let .dict(root) = try JinjaValue(json: text),
              case let .array(conversations)? = root["conversations"],
              case let .array(cases)? = root["cases"] else { throw JinjaError(.syntax, "unexpected expected.json layout") }
        return cases.enumerated().compactMap { i, c in
            guard case let .dict(d) = c, case let .string(template)? = d["template"],
                  let conversationIndex = d["conversation"]?.intValue, conversations.indices.contains(conversationIndex),
                  case let .bool(agp)? = d["add_generation_prompt"],
                  case let .string(bos)? = d["bos_token"], case let .string(eos)? = d["eos_token"] else { return nil }
            var expected: String?
            if case let .string(e)? = d["expected"] { expected = e }
            var error: String?
            if case let .string(e)? = d["error"] { error = e }
            return ExpectedCase(template: template, conversation: conversations[conversationIndex], addGenerationPrompt: agp,
                                bosToken: bos, eosToken: eos, expected: expected, error: error, index: i)
        }
    }

    /// The variables Hugging Face's apply_chat_template passes (tools is None when absent).
    var context: [String: JinjaValue] {
        guard case let .dict(conv) = conversation else { return [:] }
        return [
            "messages": conv["messages"] ?? .array([]),
            "tools": conv["tools"] ?? .none,
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ]
    }
}

@Suite struct ExpectedTemplatesTests {
    static let cases = (try? ExpectedCase.load()) ?? []

    @Test func allCasesLoaded() {
        #expect(Self.cases.count == 40)
    }

    @Test(arguments: cases)
    func rendersLikeJinja2(_ c: ExpectedCase) throws {
        let source = try String(contentsOf: TestPaths.templates.appendingPathComponent(c.template), encoding: .utf8)
        let template = try Template(source, options: .huggingFace)
        if let expected = c.expected {
            let output = try template.render(c.context)
            #expect(output == expected)
            #expect(output.utf8.elementsEqual(expected.utf8))
        } else {
            let error = #expect(throws: JinjaError.self) { _ = try template.render(c.context) }
            #expect(error?.kind == .raised)
            #expect(error?.message == c.error)
        }
    }
}
