/// An expression node with the template line it starts on (for error messages).
struct Expr: Sendable {
    let kind: ExprKind
    let line: Int
}

/// A call's arguments: positional, then keyword (`name=value`).
struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

indirect enum ExprKind: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    /// `obj.name`
    case attribute(Expr, String)
    /// `obj[index]`
    case subscriptExpr(Expr, Expr)
    /// `obj[start:stop:step]`
    case slice(Expr, Expr?, Expr?, Expr?)
    case call(Expr, Arguments)
    /// `value | name(args)`
    case filter(Expr, String, Arguments)
    /// `value is [not] name(args)`
    case test(Expr, String, Arguments, negated: Bool)
    case unary(String, Expr)
    /// Arithmetic, `~`, comparisons, `in` / `not in`.
    case binary(String, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    /// `a if cond else b` (no `else` gives Undefined).
    case conditional(Expr, Expr, Expr?)
}

/// Target of `{% set %}` / `{% for %}`: a name, a namespace attribute, or a tuple to unpack.
enum AssignTarget: Sendable {
    case name(String)
    case attribute(String, String)
    case tuple([String])
}

struct MacroParameter: Sendable {
    let name: String
    let defaultValue: Expr?
}

struct Macro: Sendable {
    let name: String
    let parameters: [MacroParameter]
    let body: [Node]
}

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifStatement([(Expr, [Node])], elseBody: [Node], line: Int)
    case forLoop(target: AssignTarget, iterable: Expr, condition: Expr?, body: [Node], elseBody: [Node], line: Int)
    case set(AssignTarget, Expr, line: Int)
    case setBlock(String, [Node], line: Int)
    case macro(Macro, line: Int)
    case callBlock(callerParameters: [MacroParameter], call: Expr, body: [Node], line: Int)
    case filterBlock(name: String, Arguments, [Node], line: Int)
    /// A body with its own variable scope (`with`, and Hugging Face's `generation` block).
    case scope(assignments: [(String, Expr)], body: [Node], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}
