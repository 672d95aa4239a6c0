/// A parsed Jinja template. Parsing happens once in `init`; `render` can then be called any number
/// of times, from any thread (the template is immutable; each render has its own state).
///
///     let t = try Template("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
///     let text = try t.render(["messages": [["role": "user", "content": "Hi"]]])
///
/// Supported: the statements `if/elif/else`, `for` (with `loop.*`, `else`, a filter condition, tuple
/// unpacking, `break`/`continue`), `set` (names, tuples, `ns.attr`, block form), `macro`, `call`,
/// `filter` blocks; Python-semantics expressions, Jinja2's common filters and tests, Python string/dict
/// methods, and the globals `range`, `dict`, `namespace`, `raise_exception` (plus whatever the
/// context adds, such as `strftime_now`). Anything else throws a `.unsupported` error naming it.
public struct Template: Sendable {
    let nodes: [Node]
    public let options: JinjaOptions

    public init(_ source: String, options: JinjaOptions = .huggingFace) throws(JinjaError) {
        self.options = options
        nodes = try Parser.parse(try Lexer.tokenize(source, options: options))
    }

    /// Renders with `context` as the template's variables. The globals `range`, `dict`, `namespace`
    /// and `raise_exception` are always available; context entries with the same name win.
    public func render(_ context: [String: JinjaValue]) throws(JinjaError) -> String {
        try render(context, limits: RenderLimits())
    }

    func render(_ context: [String: JinjaValue], limits: RenderLimits) throws(JinjaError) -> String {
        var scope: [String: JinjaValue] = [
            "range": .callable(.range),
            "dict": .callable(.dict),
            "namespace": .callable(.namespace),
            "raise_exception": .callable(.raiseException),
        ]
        scope.merge(context) { _, new in new }
        let renderer = Renderer(context: scope, limits: limits)
        var out = ""
        _ = try renderer.render(nodes, into: &out)
        return out
    }
}
