import Testing
@testable import Jinja

/// What Jinja2 cannot be the reference for: our error kinds, the lines they name, limits that keep a
/// hostile template from exhausting the stack, and constructs only Hugging Face's environment has.
@Suite struct ErrorReportingTests {
    private func error(_ source: String, _ context: [String: JinjaValue] = [:]) -> JinjaError? {
        do {
            _ = try Template(source).render(context)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("{{ x | frobnicate }}", "filter 'frobnicate'"),
        ("{{ x is frobnicated }}", "test 'frobnicated'"),
        ("{% include 'other.jinja' %}", "'{% include %}'"),
        ("{% extends 'base' %}", "'{% extends %}'"),
        ("{% for x in y recursive %}{% endfor %}", "recursive"),
        ("{{ f(*args) }}", "*args"),
    ])
    func unsupportedConstructsAreNamed(source: String, fragment: String) throws {
        let e = try #require(error("line one\n" + source))
        #expect(e.kind == .unsupported)
        #expect(e.message.contains(fragment))
        #expect(e.line == 2)
        #expect(e.description.contains("line 2"))
    }

    @Test func runtimeErrorsCarryTheirLine() throws {
        let e = try #require(error("a\nb\n{{ 'x' + 1 }}"))
        #expect(e.kind == .type)
        #expect(e.line == 3)
        let u = try #require(error("{% if true %}\n\n  {{ missing.attr }}\n{% endif %}"))
        #expect(u.kind == .undefined)
        #expect(u.line == 3)
        #expect(u.message == "'missing' is undefined")
    }

    @Test func syntaxErrorsCarryTheirLine() throws {
        let e = try #require(error("{% for x in y %}\n{{ x }}\n{% endif %}"))
        #expect(e.kind == .syntax)
        #expect(e.line == 3)
        let s = try #require(error("ok\n{{ 'unterminated }}"))
        #expect(s.kind == .syntax)
        #expect(s.line == 2)
        #expect(error("{# never closed")?.kind == .syntax)
        #expect(error("{% raw %}never closed")?.kind == .syntax)
    }

    @Test func raiseExceptionMessageIsVerbatim() throws {
        let e = try #require(error("{{ raise_exception('Bad: ' ~ n) }}", ["n": 3]))
        #expect(e.kind == .raised)
        #expect(e.message == "Bad: 3")
        #expect(e.description == "Bad: 3")
    }

    @Test(arguments: [
        String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000),
        "{{ " + Array(repeating: "1", count: 5000).joined(separator: " + ") + " }}",
        "{{ " + String(repeating: "not ", count: 5000) + "x }}",
        "{{ " + String(repeating: "-", count: 5000) + "1 }}",
        "{{ x" + String(repeating: ".a", count: 5000) + " }}",
        "{{ x" + String(repeating: " | trim", count: 5000) + " }}",
        String(repeating: "{% if true %}", count: 5000) + String(repeating: "{% endif %}", count: 5000),
        "{{ " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + " }}",
    ])
    func deepNestingIsRejectedNotCrashing(source: String) throws {
        let e = try #require(error(source.hasPrefix("(") ? "{{ \(source) }}" : source))
        #expect(e.kind == .syntax)
        #expect(e.message.contains("nested too deeply"))
    }

    @Test func moderateNestingIsFine() throws {
        let parens = String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20)
        #expect(try Template("{{ \(parens) }}").render([:]) == "1")
        let sum = Array(repeating: "1", count: 50).joined(separator: " + ")
        #expect(try Template("{{ \(sum) }}").render([:]) == "50")
    }

    @Test func macroRecursionIsBounded() throws {
        let e = try #require(error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"))
        #expect(e.kind == .type)
        #expect(e.message.contains("recursion"))
        // Bounded recursion works.
        let countdown = "{% macro f(n) %}{{ n }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"
        #expect(try Template(countdown).render([:]) == "543210")
    }

    @Test func allocationsAreBounded() throws {
        #expect(error("{{ range(100000000) | length }}")?.kind == .type)
        #expect(error("{{ 'ab' * 10000000 }}")?.kind == .type)
        #expect(error("{{ [1, 2] * 10000000 }}")?.kind == .type)
        #expect(error("{{ 'x' | indent(100000000) }}")?.kind == .unsupported)
        #expect(error("{{ [1] | tojson(indent=100000000) }}")?.kind == .unsupported)
        #expect(try Template("{{ 1.5 | round(400) }} {{ 1.5 | round(-400) }}").render([:]) == "1.5 0.0")
        #expect(error("{{ '%d' % 1e300 }}")?.kind == .unsupported)
        #expect(error("{{ '%f' % 1e300 }}")?.kind == .unsupported)
    }

    @Test func loopIterationsAreBounded() throws {
        let t = try Template("{% for i in range(100) %}{% for j in range(100) if j > 1000 %}{% endfor %}{% endfor %}")
        var limits = RenderLimits()
        limits.maxIterations = 5_000
        let e = try #require(throws: JinjaError.self) { _ = try t.render([:], limits: limits) }
        #expect(e.message.contains("loop iterations"))
        limits.maxIterations = 10_100
        #expect(try t.render([:], limits: limits) == "")
    }

    @Test func outputSizeIsBounded() throws {
        let t = try Template("{% for i in range(10) %}{{ 'x' * 1000 }}{% endfor %}{% set s %}{{ 'y' * 3000 }}{% endset %}")
        var limits = RenderLimits()
        limits.maxOutputBytes = 9_999
        #expect(throws: JinjaError.self) { _ = try t.render([:], limits: limits) }
        limits.maxOutputBytes = 10_000
        #expect(try t.render([:], limits: limits).count == 10_000)
        limits.maxOutputBytes = 2_999 // the captured block alone is over
        #expect(throws: JinjaError.self) { _ = try Template("{% set s %}{{ 'y' * 3000 }}{% endset %}").render([:], limits: limits) }
    }

    @Test func generationBlockRendersItsBody() throws {
        // Hugging Face's AssistantTracker extension; plain Jinja2 has no such tag.
        let t = try Template("{% for m in ms %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}")
        #expect(try t.render(["ms": ["a", "b"]]) == "<a><b>")
    }

    @Test func templatesAreReusableAcrossRenders() throws {
        let t = try Template("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}")
        #expect(try t.render(["xs": [1, 2, 3]]) == "6")
        #expect(try t.render(["xs": [10]]) == "10")
    }

    @Test func jsonRoundTripKeepsOrderAndTypes() throws {
        let text = #"{"z": 1, "a": [1.5, true, null, "\u00e9\ud83d\udc4b"], "m": {}}"#
        let v = try JinjaValue(json: text)
        #expect(try v.jsonString() == #"{"z": 1, "a": [1.5, true, null, "é👋"], "m": {}}"#)
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01x", "\"\\q\"", "[1] 2"] {
            #expect(throws: JinjaError.self, "\(bad)") { _ = try JinjaValue(json: bad) }
        }
    }

    @Test func jsonNestingIsBounded() {
        let deep = String(repeating: "[", count: 10000) + String(repeating: "]", count: 10000)
        #expect(throws: JinjaError.self) { _ = try JinjaValue(json: deep) }
    }
}
