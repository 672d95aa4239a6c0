import Foundation
import Testing
@testable import Jinja

/// One snippet rendered by Jinja2 (Hugging Face's settings) by scripts/jinja_reference.py.
struct ReferenceCase: CustomTestStringConvertible, Sendable {
    let name: String
    let template: String
    let context: [String: JinjaValue]
    let expected: String?
    let errorType: String?
    let error: String?

    var testDescription: String { name }

    static func load() throws -> [ReferenceCase] {
        let url = TestPaths.repo.appendingPathComponent("Tests/Fixtures/jinja-reference.json")
        guard case let .dict(root) = try JinjaValue(json: try String(contentsOf: url, encoding: .utf8)),
              case let .array(cases)? = root["cases"] else { throw JinjaError(.syntax, "unexpected jinja-reference.json layout") }
        return cases.compactMap { c in
            guard case let .dict(d) = c, case let .string(name)? = d["name"], case let .string(template)? = d["template"],
                  case let .dict(context)? = d["context"] else { return nil }
            func string(_ key: String) -> String? {
                if case let .string(s)? = d[key] { return s }
                return nil
            }
            return ReferenceCase(name: name, template: template,
                                 context: Dictionary(uniqueKeysWithValues: context.pairs),
                                 expected: string("expected"), errorType: string("error_type"), error: string("error"))
        }
    }

    /// Our error kind for a Jinja2/Python exception class.
    var expectedKind: JinjaError.Kind? {
        switch errorType {
        case "UndefinedError": return .undefined
        case "TemplateError": return .raised
        case "TemplateSyntaxError", "SyntaxError": return .syntax
        case "TypeError", "ValueError", "SecurityError", "ZeroDivisionError": return .type
        default: return nil
        }
    }
}

@Suite struct JinjaReferenceTests {
    static let cases = (try? ReferenceCase.load()) ?? []

    @Test func casesLoaded() throws {
        // Loading again (not through `cases`) so that a load error is reported.
        #expect(try ReferenceCase.load().count > 90)
    }

    @Test(arguments: cases)
    func matchesJinja2(_ c: ReferenceCase) throws {
        if let expected = c.expected {
            let output = try Template(c.template).render(c.context)
            #expect(output.unicodeScalars.elementsEqual(expected.unicodeScalars), "got \(output.debugDescription)")
            return
        }
        let error = #expect(throws: JinjaError.self) { _ = try Template(c.template).render(c.context) }
        #expect(error?.kind == c.expectedKind)
        // Syntax error wording is our own, as are errkind_* cases (Python names its internals there);
        // other runtime errors reproduce Python's/Jinja2's messages.
        if c.expectedKind != .syntax && !c.name.hasPrefix("errkind_") { #expect(error?.message == c.error) }
    }
}
