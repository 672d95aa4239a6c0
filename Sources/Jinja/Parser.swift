/// Recursive-descent parser from tokens to nodes, with Jinja2's operator precedence (loosest first):
/// `x if c else y`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary
/// `- +`, then postfix access/calls, then filters (`|f`) and tests (`is t`), which bind tightest —
/// so `a + b | trim` is `a + (b | trim)` and `not x is none` is `not (x is none)`.
struct Parser {
    private let tokens: [Token]
    private var index = 0
    /// Current nesting of statements and sub-expressions. Bounded so that a hostile template cannot
    /// overflow the stack of the parser or of the renderer that walks the tree it builds.
    private var depth = 0
    static let maxDepth = 100
    /// Number of enclosing `for` bodies within the current macro, for `break`/`continue` checks.
    private var loopDepth = 0

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    static func parse(_ tokens: [Token]) throws(JinjaError) -> [Node] {
        var p = Parser(tokens: tokens)
        let (body, end) = try p.parseBody(until: [])
        if let end { throw JinjaError(.syntax, "unexpected '\(end.name)'", line: end.line) }
        return body
    }

    // MARK: - Token helpers

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func isOp(_ s: String) -> Bool { current.kind == .op(s) }
    private func isName(_ s: String) -> Bool { current.kind == .name(s) }

    private mutating func skipOp(_ s: String) -> Bool {
        guard isOp(s) else { return false }
        _ = advance()
        return true
    }

    private mutating func skipName(_ s: String) -> Bool {
        guard isName(s) else { return false }
        _ = advance()
        return true
    }

    private mutating func expectOp(_ s: String) throws(JinjaError) {
        guard skipOp(s) else { throw unexpected(expected: "'\(s)'") }
    }

    private mutating func expectName() throws(JinjaError) -> String {
        guard case let .name(n) = current.kind else { throw unexpected(expected: "a name") }
        _ = advance()
        return n
    }

    private mutating func expectBlockEnd() throws(JinjaError) {
        guard current.kind == .blockEnd else { throw unexpected(expected: "end of statement block '%}'") }
        _ = advance()
    }

    private func unexpected(expected: String) -> JinjaError {
        JinjaError(.syntax, "expected \(expected), got \(describe(current.kind))", line: current.line)
    }

    private func describe(_ k: TokenKind) -> String {
        switch k {
        case let .text(s): return "text '\(s.prefix(20))'"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case let .name(n): return "'\(n)'"
        case let .string(s): return "string '\(s.prefix(20))'"
        case let .int(i): return "'\(i)'"
        case let .float(d): return "'\(d)'"
        case let .op(o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    // MARK: - Statements

    /// Parses nodes until `{% name` with `name` in `endNames` (consumed, rest of the tag not) or EOF.
    private mutating func parseBody(until endNames: Set<String>) throws(JinjaError) -> ([Node], (name: String, line: Int)?) {
        var nodes = [Node]()
        while true {
            let t = current
            switch t.kind {
            case .eof:
                if !endNames.isEmpty {
                    let list = endNames.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw JinjaError(.syntax, "unexpected end of template, expected \(list)", line: t.line)
                }
                return (nodes, nil)
            case let .text(s):
                _ = advance()
                nodes.append(.text(s))
            case .variableBegin:
                _ = advance()
                let e = try parseTupleExpression()
                guard current.kind == .variableEnd else { throw unexpected(expected: "end of print statement '}}'") }
                _ = advance()
                nodes.append(.output(e))
            case .blockBegin:
                _ = advance()
                guard case let .name(name) = current.kind else { throw unexpected(expected: "a statement name") }
                if endNames.contains(name) {
                    _ = advance()
                    return (nodes, (name, t.line))
                }
                nodes.append(try parseStatement())
            default:
                throw unexpected(expected: "text or a tag")
            }
        }
    }

    /// Runs `body` one nesting level deeper, failing past `maxDepth`.
    private mutating func nested<T>(_ body: (inout Parser) throws(JinjaError) -> T) throws(JinjaError) -> T {
        guard depth < Self.maxDepth else {
            throw JinjaError(.syntax, "template nested too deeply (more than \(Self.maxDepth) levels)", line: current.line)
        }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    /// One more link of an operator, postfix or filter chain: chains build left-deep trees, so each
    /// link counts as a nesting level until the caller restores `depth`.
    private mutating func chainStep() throws(JinjaError) {
        guard depth < Self.maxDepth else {
            throw JinjaError(.syntax, "expression nested too deeply (more than \(Self.maxDepth) levels)", line: current.line)
        }
        depth += 1
    }

    private mutating func parseStatement() throws(JinjaError) -> Node {
        try nested { (p: inout Parser) throws(JinjaError) in try p.parseStatementUnnested() }
    }

    private mutating func parseStatementUnnested() throws(JinjaError) -> Node {
        let line = current.line
        let name = try expectName()
        switch name {
        case "if": return try parseIf(line: line)
        case "for": return try parseFor(line: line)
        case "set": return try parseSet(line: line)
        case "macro": return try parseMacro(line: line)
        case "call": return try parseCallBlock(line: line)
        case "filter": return try parseFilterBlock(line: line)
        case "with": return try parseWith(line: line)
        case "generation":
            // Hugging Face's AssistantTracker extension: marks assistant text; renders its body.
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .scope(assignments: [], body: body, line: line)
        case "break", "continue":
            guard loopDepth > 0 else { throw JinjaError(.syntax, "'\(name)' outside loop", line: line) }
            try expectBlockEnd()
            return name == "break" ? .breakLoop(line: line) : .continueLoop(line: line)
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endcall", "endfilter", "endwith", "endgeneration":
            throw JinjaError(.syntax, "unexpected '\(name)'", line: line)
        default:
            throw JinjaError(.unsupported, "statement '{% \(name) %}' is not supported", line: line)
        }
    }

    private mutating func parseIf(line: Int) throws(JinjaError) -> Node {
        var branches = [(Expr, [Node])]()
        var condition = try parseExpression()
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end?.name {
            case "elif":
                condition = try parseExpression()
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (elseBody, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifStatement(branches, elseBody: elseBody, line: line)
            default:
                try expectBlockEnd()
                return .ifStatement(branches, elseBody: [], line: line)
            }
        }
    }

    /// `{% with a = 1, b = x %}…{% endwith %}`: the body runs in its own scope.
    private mutating func parseWith(line: Int) throws(JinjaError) -> Node {
        var assignments = [(String, Expr)]()
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let name = try expectName()
            try expectOp("=")
            assignments.append((name, try parseExpression()))
        }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endwith"])
        try expectBlockEnd()
        return .scope(assignments: assignments, body: body, line: line)
    }

    private mutating func parseAssignTarget() throws(JinjaError) -> AssignTarget {
        let first = try expectName()
        if skipOp(".") { return .attribute(first, try expectName()) }
        guard isOp(",") else { return .name(first) }
        var names = [first]
        while skipOp(",") {
            guard case .name = current.kind else { break }
            names.append(try expectName())
        }
        return .tuple(names)
    }

    private mutating func parseFor(line: Int) throws(JinjaError) -> Node {
        let target = try parseAssignTarget()
        if case .attribute = target { throw JinjaError(.syntax, "can't assign to an attribute in a for loop", line: line) }
        guard skipName("in") else { throw unexpected(expected: "'in'") }
        let iterable = try parseTupleExpression(withCondition: false)
        var condition: Expr?
        if skipName("if") { condition = try parseExpression() }
        if isName("recursive") {
            throw JinjaError(.unsupported, "recursive for loops are not supported", line: line)
        }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["else", "endfor"])
        loopDepth -= 1
        var elseBody = [Node]()
        try expectBlockEnd()
        if end?.name == "else" {
            (elseBody, _) = try parseBody(until: ["endfor"])
            try expectBlockEnd()
        }
        return .forLoop(target: target, iterable: iterable, condition: condition, body: body, elseBody: elseBody, line: line)
    }

    private mutating func parseSet(line: Int) throws(JinjaError) -> Node {
        let target = try parseAssignTarget()
        if skipOp("=") {
            let value = try parseTupleExpression()
            try expectBlockEnd()
            return .set(target, value, line: line)
        }
        guard case let .name(name) = target else { throw unexpected(expected: "'='") }
        if isOp("|") { throw JinjaError(.unsupported, "filtered set blocks are not supported", line: line) }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(name, body, line: line)
    }

    private mutating func parseParameters() throws(JinjaError) -> [MacroParameter] {
        var params = [MacroParameter]()
        try expectOp("(")
        while !skipOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if skipOp(")") { break }
            let name = try expectName()
            let def: Expr? = skipOp("=") ? try parseExpression() : nil
            params.append(MacroParameter(name: name, defaultValue: def))
        }
        return params
    }

    private mutating func parseMacro(line: Int) throws(JinjaError) -> Node {
        let name = try expectName()
        let params = try parseParameters()
        try expectBlockEnd()
        let body = try parseMacroBody(until: "endmacro")
        if case .name = current.kind { _ = advance() } // `{% endmacro name %}`
        try expectBlockEnd()
        return .macro(Macro(name: name, parameters: params, body: body), line: line)
    }

    /// A macro or call-block body: loops around the definition do not enclose it.
    private mutating func parseMacroBody(until end: String) throws(JinjaError) -> [Node] {
        let saved = loopDepth
        loopDepth = 0
        defer { loopDepth = saved }
        return try parseBody(until: [end]).0
    }

    private mutating func parseCallBlock(line: Int) throws(JinjaError) -> Node {
        let params = isOp("(") ? try parseParameters() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw JinjaError(.syntax, "expected a macro call after 'call'", line: line) }
        try expectBlockEnd()
        let body = try parseMacroBody(until: "endcall")
        try expectBlockEnd()
        return .callBlock(callerParameters: params, call: call, body: body, line: line)
    }

    private mutating func parseFilterBlock(line: Int) throws(JinjaError) -> Node {
        let name = try expectName()
        let args = isOp("(") ? try parseCallArguments() : Arguments()
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endfilter"])
        try expectBlockEnd()
        return .filterBlock(name: name, args, body, line: line)
    }

    // MARK: - Expressions

    /// An expression, or several separated by commas (an implicit tuple, as in `{% set a = 1, 2 %}`).
    private mutating func parseTupleExpression(withCondition: Bool = true) throws(JinjaError) -> Expr {
        let line = current.line
        let first = try parseExpression(withCondition: withCondition)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .variableEnd || current.kind == .blockEnd || isName("if") { break }
            items.append(try parseExpression(withCondition: withCondition))
        }
        return Expr(kind: .tuple(items), line: line)
    }

    private mutating func parseExpression(withCondition: Bool = true) throws(JinjaError) -> Expr {
        try nested { (p: inout Parser) throws(JinjaError) in try p.parseConditional(withCondition: withCondition) }
    }

    private mutating func parseConditional(withCondition: Bool) throws(JinjaError) -> Expr {
        let line = current.line
        let value = try parseOr()
        guard withCondition, skipName("if") else { return value }
        let condition = try parseOr()
        let otherwise: Expr? = skipName("else") ? try parseExpression() : nil
        return Expr(kind: .conditional(value, condition, otherwise), line: line)
    }

    private mutating func parseOr() throws(JinjaError) -> Expr {
        try parseLogical("or", make: ExprKind.or) { (p: inout Parser) throws(JinjaError) in try p.parseAnd() }
    }

    private mutating func parseAnd() throws(JinjaError) -> Expr {
        try parseLogical("and", make: ExprKind.and) { (p: inout Parser) throws(JinjaError) in try p.parseNot() }
    }

    /// A left-associative chain of `keyword` (`and` / `or`) over operands parsed by `next`.
    private mutating func parseLogical(_ keyword: String, make: (Expr, Expr) -> ExprKind,
                                       next: (inout Parser) throws(JinjaError) -> Expr) throws(JinjaError) -> Expr {
        var e = try next(&self)
        let saved = depth
        defer { depth = saved }
        while isName(keyword) {
            try chainStep()
            let line = advance().line
            e = Expr(kind: make(e, try next(&self)), line: line)
        }
        return e
    }

    private mutating func parseNot() throws(JinjaError) -> Expr {
        if isName("not") {
            let line = advance().line
            return Expr(kind: .not(try nested { (p: inout Parser) throws(JinjaError) in try p.parseNot() }), line: line)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(JinjaError) -> Expr {
        let line = current.line
        var left = try parseMath1()
        var result: Expr?
        let saved = depth
        defer { depth = saved }
        while true {
            var op: String
            if case let .op(o) = current.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                op = o
                _ = advance()
            } else if isName("in") {
                op = "in"
                _ = advance()
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                op = "not in"
                _ = advance()
                _ = advance()
            } else {
                break
            }
            try chainStep()
            let right = try parseMath1()
            // Chained comparisons (`a < b < c`) mean `a < b and b < c`, as in Python.
            let comparison = Expr(kind: .binary(op, left, right), line: line)
            result = result.map { Expr(kind: .and($0, comparison), line: line) } ?? comparison
            left = right
        }
        return result ?? left
    }

    private mutating func parseBinaryLevel(_ ops: [String], next: (inout Parser) throws(JinjaError) -> Expr) throws(JinjaError) -> Expr {
        var e = try next(&self)
        let saved = depth
        defer { depth = saved }
        while case let .op(o) = current.kind, ops.contains(o) {
            try chainStep()
            let line = advance().line
            e = Expr(kind: .binary(o, e, try next(&self)), line: line)
        }
        return e
    }

    private mutating func parseMath1() throws(JinjaError) -> Expr {
        try parseBinaryLevel(["+", "-"]) { (p: inout Parser) throws(JinjaError) in try p.parseConcat() }
    }

    private mutating func parseConcat() throws(JinjaError) -> Expr {
        try parseBinaryLevel(["~"]) { (p: inout Parser) throws(JinjaError) in try p.parseMath2() }
    }

    private mutating func parseMath2() throws(JinjaError) -> Expr {
        try parseBinaryLevel(["*", "/", "//", "%"]) { (p: inout Parser) throws(JinjaError) in try p.parsePow() }
    }

    private mutating func parsePow() throws(JinjaError) -> Expr {
        try parseBinaryLevel(["**"]) { (p: inout Parser) throws(JinjaError) in try p.parseUnary(withFilter: true) }
    }

    private mutating func parseUnary(withFilter: Bool) throws(JinjaError) -> Expr {
        let line = current.line
        var e: Expr
        if isOp("-") || isOp("+") {
            guard case let .op(o) = advance().kind else { throw unexpected(expected: "an operator") }
            e = Expr(kind: .unary(o, try nested { (p: inout Parser) throws(JinjaError) in try p.parseUnary(withFilter: false) }), line: line)
        } else {
            e = try parsePrimary()
        }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpression(e) }
        return e
    }

    private mutating func parsePrimary() throws(JinjaError) -> Expr {
        let t = advance()
        switch t.kind {
        case let .name(n):
            switch n {
            case "true", "True": return Expr(kind: .literal(.bool(true)), line: t.line)
            case "false", "False": return Expr(kind: .literal(.bool(false)), line: t.line)
            case "none", "None": return Expr(kind: .literal(.none), line: t.line)
            default: return Expr(kind: .name(n), line: t.line)
            }
        case var .string(s):
            // Adjacent string literals concatenate, as in Python.
            while case let .string(more) = current.kind {
                s += more
                _ = advance()
            }
            return Expr(kind: .literal(.string(s)), line: t.line)
        case let .int(i): return Expr(kind: .literal(.int(i)), line: t.line)
        case let .float(d): return Expr(kind: .literal(.double(d)), line: t.line)
        case .op("("):
            if skipOp(")") { return Expr(kind: .tuple([]), line: t.line) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return Expr(kind: .tuple(items), line: t.line)
        case .op("["):
            var items = [Expr]()
            while !skipOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if skipOp("]") { break }
                items.append(try parseExpression())
            }
            return Expr(kind: .list(items), line: t.line)
        case .op("{"):
            var pairs = [(Expr, Expr)]()
            while !skipOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if skipOp("}") { break }
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
            }
            return Expr(kind: .dict(pairs), line: t.line)
        default:
            index -= 1
            throw unexpected(expected: "an expression")
        }
    }

    private mutating func parsePostfix(_ base: Expr) throws(JinjaError) -> Expr {
        var e = base
        let saved = depth
        defer { depth = saved }
        while isOp(".") || isOp("[") || isOp("(") {
            try chainStep()
            let line = current.line
            if skipOp(".") {
                switch advance().kind {
                case let .name(n): e = Expr(kind: .attribute(e, n), line: line)
                case let .int(i): e = Expr(kind: .subscriptExpr(e, Expr(kind: .literal(.int(i)), line: line)), line: line)
                default:
                    index -= 1
                    throw unexpected(expected: "an attribute name")
                }
            } else if skipOp("[") {
                e = try parseSubscript(e, line: line)
            } else {
                e = Expr(kind: .call(e, try parseCallArguments()), line: line)
            }
        }
        return e
    }

    private mutating func parseSubscript(_ base: Expr, line: Int) throws(JinjaError) -> Expr {
        var parts: [Expr?] = [nil]
        var isSlice = false
        while !skipOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(nil)
                guard parts.count <= 3 else { throw unexpected(expected: "']'") }
                continue
            }
            guard parts[parts.count - 1] == nil else { throw unexpected(expected: "':' or ']'") }
            parts[parts.count - 1] = try parseExpression()
        }
        if !isSlice {
            guard let index = parts[0] else { throw JinjaError(.syntax, "expected an index expression", line: line) }
            return Expr(kind: .subscriptExpr(base, index), line: line)
        }
        while parts.count < 3 { parts.append(nil) }
        return Expr(kind: .slice(base, parts[0], parts[1], parts[2]), line: line)
    }

    private mutating func parseCallArguments() throws(JinjaError) -> Arguments {
        var args = Arguments()
        try expectOp("(")
        var first = true
        while !skipOp(")") {
            if !first { try expectOp(",") }
            first = false
            if skipOp(")") { break }
            if isOp("*") || isOp("**") {
                throw JinjaError(.unsupported, "*args and **kwargs in calls are not supported", line: current.line)
            }
            if case let .name(n) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                _ = advance()
                _ = advance()
                args.keyword.append((n, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else {
                    throw JinjaError(.syntax, "positional argument follows keyword argument", line: current.line)
                }
                args.positional.append(try parseExpression())
            }
        }
        return args
    }

    private mutating func parseFilterExpression(_ base: Expr) throws(JinjaError) -> Expr {
        var e = base
        let saved = depth
        defer { depth = saved }
        while isOp("|") || isName("is") {
            try chainStep()
            let line = current.line
            if skipOp("|") {
                let name = try expectName()
                let args = isOp("(") ? try parseCallArguments() : Arguments()
                e = Expr(kind: .filter(e, name, args), line: line)
            } else if isName("is") {
                _ = advance()
                let negated = skipName("not")
                let name = try expectName()
                var args = Arguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsTestArgument() {
                    // `x is divisibleby 3`: one argument without parentheses.
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                e = Expr(kind: .test(e, name, args, negated: negated), line: line)
            }
        }
        return e
    }

    private func startsTestArgument() -> Bool {
        switch current.kind {
        case let .name(n): return !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .int, .float, .op("["), .op("{"): return true
        default: return false
        }
    }
}
