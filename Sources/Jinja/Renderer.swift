import Foundation

/// Bounds on the work one render may do: a template is untrusted input (it comes with a model file
/// or a request), so loops, recursion and output size are capped rather than left to exhaust the
/// machine. The defaults are far above what real chat templates need.
struct RenderLimits {
    var maxIterations = 10_000_000
    var maxOutputBytes = 64 << 20
    var maxCallDepth = 50
}

/// Walks the parsed nodes for one render. Holds all per-render mutable state (variable scopes,
/// namespace objects, macros), so a `Template` itself stays immutable and shareable.
final class Renderer {
    /// `scopes[0]` holds the context and globals, `scopes[1]` the template's top-level `set`s; each
    /// loop iteration and macro call pushes its own scope, which is why a `set` inside a loop does not
    /// leak out of it (Jinja2's scoping rule that `namespace()` exists to work around).
    var scopes: [[String: JinjaValue]]
    var namespaces: [JinjaDict] = []
    private var macros: [(macro: Macro, caller: Int?)] = []
    private var callers: [(parameters: [MacroParameter], body: [Node])] = []
    private let limits: RenderLimits
    private var callDepth = 0
    private var iterations = 0

    enum Flow { case normal, breakLoop, continueLoop }

    init(context: [String: JinjaValue], limits: RenderLimits) {
        scopes = [context, [:]]
        self.limits = limits
    }

    // MARK: - Statements

    func render(_ nodes: [Node], into out: inout String) throws(JinjaError) -> Flow {
        for node in nodes {
            let flow = try execute(node, into: &out)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: Node, into out: inout String) throws(JinjaError) -> Flow {
        switch node {
        case let .text(s):
            out += s
            try checkOutputSize(out)
        case let .output(e):
            out += try evaluate(e).pythonString
            try checkOutputSize(out)
        case let .ifStatement(branches, elseBody, _):
            for (condition, body) in branches where try evaluate(condition).isTruthy {
                return try render(body, into: &out)
            }
            return try render(elseBody, into: &out)
        case let .forLoop(target, iterable, condition, body, elseBody, line):
            return try executeFor(target: target, iterable: iterable, condition: condition, body: body,
                                  elseBody: elseBody, line: line, into: &out)
        case let .set(target, e, line):
            try assign(target, try evaluate(e), line: line)
        case let .setBlock(name, body, _):
            var captured = ""
            _ = try render(body, into: &captured)
            scopes[scopes.count - 1][name] = .string(captured)
        case let .macro(m, _):
            macros.append((m, nil))
            scopes[scopes.count - 1][m.name] = .callable(JinjaCallable(kind: .macro(macros.count - 1)))
        case let .callBlock(parameters, call, body, line):
            guard case let .call(callee, args) = call.kind else { break }
            let target = try evaluate(callee)
            guard case let .callable(c) = target, case let .macro(index) = c.kind else {
                throw JinjaError(.type, "'call' block needs a macro, got \(target.typeName)", line: line)
            }
            callers.append((parameters, body))
            macros.append((macros[index].macro, callers.count - 1))
            let bound = JinjaCallable(kind: .macro(macros.count - 1))
            out += try callFunction(bound, arguments: try evaluateArguments(args), line: line).pythonString
        case let .filterBlock(name, args, body, line):
            var captured = ""
            _ = try render(body, into: &captured)
            out += try applyFilter(name, to: .string(captured), arguments: try evaluateArguments(args), line: line).pythonString
        case let .scope(assignments, body, _):
            // Assignments are evaluated in the outer scope, then bound in the new one.
            var local = [String: JinjaValue]()
            for (name, e) in assignments { local[name] = try evaluate(e) }
            scopes.append(local)
            defer { scopes.removeLast() }
            return try render(body, into: &out)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func checkOutputSize(_ out: String) throws(JinjaError) {
        guard out.utf8.count <= limits.maxOutputBytes else {
            throw JinjaError(.type, "template output exceeds \(limits.maxOutputBytes) bytes")
        }
    }

    private func countIteration(line: Int) throws(JinjaError) {
        iterations += 1
        guard iterations <= limits.maxIterations else {
            throw JinjaError(.type, "template exceeds \(limits.maxIterations) loop iterations", line: line)
        }
    }

    private func executeFor(target: AssignTarget, iterable: Expr, condition: Expr?, body: [Node], elseBody: [Node],
                            line: Int, into out: inout String) throws(JinjaError) -> Flow {
        var items = try iterate(try evaluate(iterable), line: line)
        if let condition {
            // The loop filter sees only the loop variable; `loop` then counts the kept items.
            var kept = [JinjaValue]()
            for item in items {
                try countIteration(line: line)
                scopes.append([:])
                defer { scopes.removeLast() }
                try assign(target, item, line: line)
                if try evaluate(condition).isTruthy { kept.append(item) }
            }
            items = kept
        }
        // Jinja2 clears its "run the else block" flag at the end of the loop body, so the else block
        // runs unless some iteration got there: also when every iteration ended in break/continue.
        var completedIteration = false
        let n = items.count
        for (i, item) in items.enumerated() {
            try countIteration(line: line)
            var loop = JinjaDict()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(n - i)
            loop["revindex0"] = .int(n - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == n - 1)
            loop["length"] = .int(n)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined(hint: "there is no previous item")
            loop["nextitem"] = i < n - 1 ? items[i + 1] : .undefined(hint: "there is no next item")
            scopes.append(["loop": .dict(loop)])
            defer { scopes.removeLast() }
            try assign(target, item, line: line)
            let flow = try render(body, into: &out)
            if flow == .breakLoop { break }
            if flow == .normal { completedIteration = true }
        }
        return completedIteration ? .normal : try render(elseBody, into: &out)
    }

    private func assign(_ target: AssignTarget, _ value: JinjaValue, line: Int) throws(JinjaError) {
        switch target {
        case let .name(n):
            scopes[scopes.count - 1][n] = value
        case let .attribute(object, attr):
            guard case let .namespace(id) = lookup(object) else {
                throw JinjaError(.type, "cannot assign attribute on non-namespace object '\(object)'", line: line)
            }
            namespaces[id.index][attr] = value
        case let .tuple(names):
            let values = try iterate(value, line: line)
            guard values.count == names.count else {
                // Python's wording: only the "not enough" message says how many there were.
                let message = values.count > names.count ? "too many values to unpack (expected \(names.count))"
                    : "not enough values to unpack (expected \(names.count), got \(values.count))"
                throw JinjaError(.type, message, line: line)
            }
            for (n, v) in zip(names, values) { scopes[scopes.count - 1][n] = v }
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        return .undefined(hint: "'\(name)' is undefined")
    }

    /// Python iteration: list items, dict keys, string characters; Undefined iterates as empty.
    func iterate(_ value: JinjaValue, line: Int?) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case let .array(a), let .tuple(a): return a
        case let .dict(d): return d.keys.map { .string($0) }
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        case let .namespace(id): return namespaces[id.index].keys.map { .string($0) }
        default: throw JinjaError(.type, "'\(value.typeName)' object is not iterable", line: line)
        }
    }

    // MARK: - Expressions

    func evaluate(_ e: Expr) throws(JinjaError) -> JinjaValue {
        do {
            return try evaluateUnlocated(e)
        } catch {
            throw error.at(e.line)
        }
    }

    private func evaluateUnlocated(_ e: Expr) throws(JinjaError) -> JinjaValue {
        switch e.kind {
        case let .literal(v): return v
        case let .name(n): return lookup(n)
        case let .list(items):
            return .array(try items.map { e throws(JinjaError) in try evaluate(e) })
        case let .tuple(items):
            return .tuple(try items.map { e throws(JinjaError) in try evaluate(e) })
        case let .dict(pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let key = try evaluate(k)
                guard case let .string(s) = key else {
                    throw JinjaError(.unsupported, "dict keys other than strings are not supported (got \(key.typeName))")
                }
                d[s] = try evaluate(v)
            }
            return .dict(d)
        case let .attribute(object, name):
            return try attribute(of: try evaluate(object), name)
        case let .subscriptExpr(object, index):
            return try item(of: try evaluate(object), try evaluate(index))
        case let .slice(object, start, stop, step):
            let value = try evaluate(object)
            return try slice(value, start: try start.map { e throws(JinjaError) in try evaluate(e) },
                             stop: try stop.map { e throws(JinjaError) in try evaluate(e) },
                             step: try step.map { e throws(JinjaError) in try evaluate(e) })
        case let .call(callee, args):
            return try evaluateCall(callee, args, line: e.line)
        case let .filter(value, name, args):
            return try applyFilter(name, to: try evaluate(value), arguments: try evaluateArguments(args), line: e.line)
        case let .test(value, name, args, negated):
            let result = try applyTest(name, to: try evaluate(value), arguments: try evaluateArguments(args).positional, line: e.line)
            return .bool(result != negated)
        case let .unary(op, operand):
            let v = try evaluate(operand)
            if case let .undefined(hint) = v { throw JinjaError(.undefined, hint) }
            switch (op, v) {
            case ("-", .int(let i)): return .int(-i)
            case ("-", .bool(let b)): return .int(b ? -1 : 0)
            case ("-", .double(let d)): return .double(-d)
            case ("+", .int), ("+", .double): return v
            case ("+", .bool(let b)): return .int(b ? 1 : 0)
            default: throw JinjaError(.type, "bad operand type for unary \(op): '\(v.typeName)'")
            }
        case let .binary(op, l, r):
            return try binaryOperation(op, try evaluate(l), try evaluate(r))
        case let .and(l, r):
            let left = try evaluate(l)
            return left.isTruthy ? try evaluate(r) : left
        case let .or(l, r):
            let left = try evaluate(l)
            return left.isTruthy ? left : try evaluate(r)
        case let .not(operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case let .conditional(value, condition, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map { e throws(JinjaError) in try evaluate(e) } ?? .undefined(hint: "the inline if-expression on line \(e.line) evaluated to false and no else section was defined")
        }
    }

    struct EvaluatedArguments {
        var positional: [JinjaValue] = []
        var keyword: [(String, JinjaValue)] = []

        /// The argument at `position` or named `name`, if given.
        func value(_ position: Int, _ name: String) -> JinjaValue? {
            if position < positional.count { return positional[position] }
            return keyword.first { $0.0 == name }?.1
        }
    }

    func evaluateArguments(_ args: Arguments) throws(JinjaError) -> EvaluatedArguments {
        var result = EvaluatedArguments()
        for a in args.positional { result.positional.append(try evaluate(a)) }
        for (k, v) in args.keyword { result.keyword.append((k, try evaluate(v))) }
        return result
    }

    /// Jinja2's `getattr(obj, name)`: the attribute, else the item, else Undefined.
    func attribute(of value: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        switch value {
        case let .undefined(hint): throw JinjaError(.undefined, hint)
        case let .dict(d): return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case let .namespace(id): return namespaces[id.index][name] ?? .undefined(hint: "'Namespace object' has no attribute '\(name)'")
        case .none: return .undefined(hint: "'None' has no attribute '\(name)'")
        default: return .undefined(hint: "'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    /// Jinja2's `getitem(obj, key)`: the item, else (for a string key) the attribute, else Undefined.
    func item(of value: JinjaValue, _ key: JinjaValue) throws(JinjaError) -> JinjaValue {
        if case let .undefined(hint) = value { throw JinjaError(.undefined, hint) }
        if case let .string(name) = key { return try attribute(of: value, name) }
        switch (value, key.intValue) {
        case let (.array(a), i?), let (.tuple(a), i?):
            let index = i < 0 ? i + a.count : i
            return a.indices.contains(index) ? a[index] : .undefined(hint: "\(value.typeName) object has no element \(i)")
        case let (.string(s), i?):
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? i + scalars.count : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined(hint: "str object has no element \(i)")
        default:
            return .undefined(hint: "\(value.typeName) object has no element \(key.pythonRepr)")
        }
    }

    private func slice(_ value: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func bound(_ v: JinjaValue?) throws(JinjaError) -> Int? {
            guard let v, !(v.isNone) else { return nil }
            if case let .undefined(hint) = v { throw JinjaError(.undefined, hint) }
            guard let i = v.intValue else { throw JinjaError(.type, "slice indices must be integers or None") }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw JinjaError(.type, "slice step cannot be zero") }
        let start = try bound(start), stop = try bound(stop)
        func indices(count: Int) -> [Int] {
            // Python's slice.indices(): clamp, then walk from start toward stop by step.
            func clamp(_ v: Int?, _ def: Int, low: Int, high: Int) -> Int {
                guard var v else { return def }
                if v < 0 { v += count }
                return min(max(v, low), high)
            }
            let lo = clamp(start, step > 0 ? 0 : count - 1, low: step > 0 ? 0 : -1, high: step > 0 ? count : count - 1)
            let hi = clamp(stop, step > 0 ? count : -1, low: step > 0 ? 0 : -1, high: step > 0 ? count : count - 1)
            return Array(stride(from: lo, to: hi, by: step))
        }
        switch value {
        case let .undefined(hint): throw JinjaError(.undefined, hint)
        case let .array(a): return .array(indices(count: a.count).map { a[$0] })
        case let .tuple(a): return .tuple(indices(count: a.count).map { a[$0] })
        case let .string(s):
            let scalars = Array(s.unicodeScalars)
            return .string(String(String.UnicodeScalarView(indices(count: scalars.count).map { scalars[$0] })))
        default:
            // Jinja2 compiles slices to a plain Python subscript (no Undefined fallback, unlike
            // `x[i]`), so slicing a non-sequence is Python's TypeError.
            throw JinjaError(.type, "'\(value.typeName)' object is not subscriptable")
        }
    }

    private func evaluateCall(_ callee: Expr, _ args: Arguments, line: Int) throws(JinjaError) -> JinjaValue {
        // `obj.method(...)`: Python methods of str/dict/list take precedence over dict items.
        if case let .attribute(objectExpr, name) = callee.kind {
            let object = try evaluate(objectExpr)
            if let result = try callMethod(name, on: object, arguments: try evaluateArguments(args), line: line) {
                return result
            }
            let target = try attribute(of: object, name)
            return try call(target, arguments: try evaluateArguments(args), line: line)
        }
        return try call(try evaluate(callee), arguments: try evaluateArguments(args), line: line)
    }

    private func call(_ target: JinjaValue, arguments: EvaluatedArguments, line: Int) throws(JinjaError) -> JinjaValue {
        switch target {
        case let .undefined(hint): throw JinjaError(.undefined, hint, line: line)
        case let .callable(c): return try callFunction(c, arguments: arguments, line: line)
        default: throw JinjaError(.type, "'\(target.typeName)' object is not callable", line: line)
        }
    }

    private func callFunction(_ c: JinjaCallable, arguments args: EvaluatedArguments, line: Int) throws(JinjaError) -> JinjaValue {
        switch c.kind {
        case .raiseException:
            throw JinjaError(.raised, args.value(0, "message")?.pythonString ?? "", line: line)
        case .namespace:
            var d = JinjaDict()
            for case let .dict(initial) in args.positional {
                for (k, v) in initial.pairs { d[k] = v }
            }
            for (k, v) in args.keyword { d[k] = v }
            namespaces.append(d)
            return .namespace(NamespaceReference(index: namespaces.count - 1))
        case .dict:
            return .dict(JinjaDict(args.keyword))
        case .range:
            let ints = args.positional.compactMap(\.intValue)
            guard ints.count == args.positional.count, (1 ... 3).contains(ints.count) else {
                throw JinjaError(.type, "range() takes 1 to 3 integer arguments", line: line)
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw JinjaError(.type, "range() arg 3 must not be zero", line: line) }
            let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
            // Bound the size: a template must not be able to allocate without limit.
            guard count <= 1_000_000 else { throw JinjaError(.type, "range() too large (\(count) items)", line: line) }
            return .array(stride(from: start, to: stop, by: step).map { .int($0) })
        case let .strftimeNow(seconds):
            guard case let .string(format)? = args.value(0, "format") else {
                throw JinjaError(.type, "strftime_now() needs a format string", line: line)
            }
            return .string(strftime(format, Date(timeIntervalSince1970: seconds)))
        case let .macro(index):
            return try callMacro(index, arguments: args, line: line)
        case let .caller(index):
            let (parameters, body) = callers[index]
            return try invoke(parameters: parameters, body: body, arguments: args, name: "caller", extra: [:], line: line)
        }
    }

    private func callMacro(_ index: Int, arguments: EvaluatedArguments, line: Int) throws(JinjaError) -> JinjaValue {
        let (macro, caller) = macros[index]
        var extra = [String: JinjaValue]()
        if let caller { extra["caller"] = .callable(JinjaCallable(kind: .caller(caller))) }
        return try invoke(parameters: macro.parameters, body: macro.body, arguments: arguments, name: macro.name, extra: extra, line: line)
    }

    /// Renders a macro (or call-block) body in its own scope above the template's top level.
    private func invoke(parameters: [MacroParameter], body: [Node], arguments: EvaluatedArguments, name: String,
                        extra: [String: JinjaValue], line: Int) throws(JinjaError) -> JinjaValue {
        guard arguments.positional.count <= parameters.count else {
            throw JinjaError(.type, "macro '\(name)' takes not more than \(parameters.count) argument(s)", line: line)
        }
        guard callDepth < limits.maxCallDepth else { throw JinjaError(.type, "macro recursion too deep", line: line) }
        var local = extra
        for (i, p) in parameters.enumerated() {
            if let v = arguments.value(i, p.name) {
                local[p.name] = v
            } else if let def = p.defaultValue {
                local[p.name] = try evaluate(def)
            } else {
                local[p.name] = .undefined(hint: "parameter '\(p.name)' was not provided")
            }
        }
        for (k, _) in arguments.keyword where !parameters.contains(where: { $0.name == k }) {
            throw JinjaError(.type, "macro '\(name)' takes no keyword argument '\(k)'", line: line)
        }
        let saved = scopes
        scopes = [scopes[0], scopes[1], local]
        callDepth += 1
        defer {
            scopes = saved
            callDepth -= 1
        }
        var out = ""
        _ = try render(body, into: &out)
        return .string(out)
    }
}
