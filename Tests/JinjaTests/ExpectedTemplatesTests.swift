import Foundation
import Testing
@testable import Jinja

/// Paths to shared test data, relative to this source file.
enum TestPaths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/templates")
}

/// One case of templates/expected.json: a real model's template rendered by Jinja2 (with Hugging
/// Face's settings) for one conversation, or the error message it raised. Kept as the JSON objects
/// themselves; the accessors read the fields the test needs.
struct ExpectedCase: CustomTestStringConvertible, Sendable {
    let index: Int
    let fields: JinjaDict
    let conversation: JinjaDict

    var template: String { fields["template"]?.pythonString ?? "" }
    var testDescription: String { "#\(index) \(template) \(fields["conversation"]?.pythonString ?? "") agp=\(fields["add_generation_prompt"]?.pythonString ?? "")" }

    private func string(_ key: String) -> String? {
        if case let .string(s)? = fields[key] { return s }
        return nil
    }

    var expected: String? { string("expected") }
    var error: String? { string("error") }

    /// The variables Hugging Face's apply_chat_template passes (tools is None when absent).
    var context: [String: JinjaValue] {
        [
            "messages": conversation["messages"] ?? .array([]),
            "tools": conversation["tools"] ?? .none,
            "add_generation_prompt": fields["add_generation_prompt"] ?? .bool(false),
            "bos_token": fields["bos_token"] ?? "",
            "eos_token": fields["eos_token"] ?? "",
        ]
    }

    static func load() throws -> [ExpectedCase] {
        let text = try String(contentsOf: TestPaths.templates.appendingPathComponent("expected.json"), encoding: .utf8)
        // Our own JSON reader keeps key order, which `tojson` output depends on.
        guard case let .dict(root) = try JinjaValue(json: text),
              case let .array(conversations)? = root["conversations"],
              case let .array(cases)? = root["cases"] else { throw JinjaError(.syntax, "unexpected expected.json layout") }
        return cases.enumerated().compactMap { i, c in
            guard case let .dict(d) = c, let n = d["conversation"]?.pythonString, let index = Int(n),
                  conversations.indices.contains(index), case let .dict(conversation) = conversations[index] else { return nil }
            return ExpectedCase(index: i, fields: d, conversation: conversation)
        }
    }
}

@Suite struct ExpectedTemplatesTests {
    static let cases = (try? ExpectedCase.load()) ?? []

    @Test func allCasesLoaded() throws {
        // Loading again (not through `cases`) so that a load error is reported.
        #expect(try ExpectedCase.load().count == 40)
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
