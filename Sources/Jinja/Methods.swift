import Foundation

// Python methods that templates call on strings, dicts and lists (`s.strip()`, `d.items()`), and the
// Python string algorithms the filters share.

extension Renderer {
    /// Calls Python method `name` on `object`; nil if the type has no such method (the caller then
    /// falls back to an attribute/item lookup, which yields Jinja2's "has no attribute" error).
    func callMethod(_ name: String, on object: JinjaValue, arguments args: EvaluatedArguments, line: Int) throws(JinjaError) -> JinjaValue? {
        do {
            switch object {
            case let .string(s): return try stringMethod(name, s, args)
            case let .dict(d): return try dictMethod(name, d, args)
            case let .array(a): return try listMethod(name, a, args)
            case let .tuple(a): return ["index", "count"].contains(name) ? try listMethod(name, a, args) : nil
            default: return nil
            }
        } catch {
            throw error.at(line)
        }
    }

    private func stringArgument(_ args: EvaluatedArguments, _ i: Int, _ name: String, method: String) throws(JinjaError) -> String {
        guard case let .string(s)? = args.value(i, name) else {
            throw JinjaError(.type, "\(method)() argument \(i + 1) must be str")
        }
        return s
    }

    private func stringMethod(_ name: String, _ s: String, _ args: EvaluatedArguments) throws(JinjaError) -> JinjaValue? {
        switch name {
        case "strip": return .string(pyStrip(s, chars: try optionalString(args.value(0, "chars"))))
        case "lstrip": return .string(pyStrip(s, chars: try optionalString(args.value(0, "chars")), leading: true, trailing: false))
        case "rstrip": return .string(pyStrip(s, chars: try optionalString(args.value(0, "chars")), leading: false, trailing: true))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(pyTitle(s))
        case "capitalize": return .string(pyCapitalize(s))
        case "startswith", "endswith":
            let candidates: [JinjaValue]
            switch args.value(0, "prefix") {
            case let v?: candidates = v.elements ?? [v]
            case nil: throw JinjaError(.type, "\(name)() takes at least 1 argument (0 given)")
            }
            let scalars = Array(s.unicodeScalars)
            for c in candidates {
                guard case let .string(p) = c else { throw JinjaError(.type, "\(name) first arg must be str or a tuple of str") }
                let ps = Array(p.unicodeScalars)
                guard ps.count <= scalars.count else { continue }
                if name == "startswith" ? scalars.prefix(ps.count).elementsEqual(ps) : scalars.suffix(ps.count).elementsEqual(ps) {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "split", "rsplit":
            let sep = try optionalString(args.value(0, "sep"))
            if sep?.isEmpty == true { throw JinjaError(.type, "empty separator") }
            let maxsplit = args.value(1, "maxsplit")?.intValue ?? -1
            return .array(pySplit(s, separator: sep, maxSplit: maxsplit, fromRight: name == "rsplit").map { .string($0) })
        case "splitlines":
            return .array(s.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.map { .string(String($0)) }.dropLast(s.hasSuffix("\n") ? 1 : 0))
        case "replace":
            return .string(pyReplace(s, try stringArgument(args, 0, "old", method: name), try stringArgument(args, 1, "new", method: name),
                                     count: args.value(2, "count")?.intValue ?? -1))
        case "find":
            return .int(scalarRange(of: try stringArgument(args, 0, "sub", method: name), in: s) ?? -1)
        case "count":
            let sub = try stringArgument(args, 0, "sub", method: name)
            if sub.isEmpty { return .int(s.unicodeScalars.count + 1) }
            var n = 0, from = 0
            while let i = scalarRange(of: sub, in: s, from: from) {
                n += 1
                from = i + sub.unicodeScalars.count
            }
            return .int(n)
        case "join":
            guard let items = args.value(0, "iterable") else { throw JinjaError(.type, "join() takes exactly one argument") }
            var parts = [String]()
            for item in try iterate(items, line: nil) {
                guard case let .string(p) = item else { throw JinjaError(.type, "sequence item: expected str instance, \(item.typeName) found") }
                parts.append(p)
            }
            return .string(parts.joined(separator: s))
        case "removeprefix", "removesuffix":
            let affix = try stringArgument(args, 0, "prefix", method: name)
            if name == "removeprefix", s.unicodeScalars.starts(with: affix.unicodeScalars) {
                return .string(String(String.UnicodeScalarView(s.unicodeScalars.dropFirst(affix.unicodeScalars.count))))
            }
            if name == "removesuffix", !affix.isEmpty, s.unicodeScalars.reversed().starts(with: affix.unicodeScalars.reversed()) {
                return .string(String(String.UnicodeScalarView(s.unicodeScalars.dropLast(affix.unicodeScalars.count))))
            }
            return .string(s)
        case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic))
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isPythonSpace))
        case "islower": return .bool(pyIsLower(s))
        case "isupper": return .bool(pyIsUpper(s))
        case "format": return .string(try pyFormat(s, args))
        default: return nil
        }
    }

    private func dictMethod(_ name: String, _ d: JinjaDict, _ args: EvaluatedArguments) throws(JinjaError) -> JinjaValue? {
        switch name {
        case "items": return .array(d.pairs.map { .tuple([.string($0.0), $0.1]) })
        case "keys": return .array(d.keys.map { .string($0) })
        case "values": return .array(d.values)
        case "get":
            guard let key = args.value(0, "key") else { throw JinjaError(.type, "get expected at least 1 argument, got 0") }
            guard case let .string(k) = key else { return args.value(1, "default") ?? JinjaValue.none }
            return d[k] ?? args.value(1, "default") ?? JinjaValue.none
        case "cycle" where d["index0"] != nil:
            // `loop.cycle(a, b, …)`: the loop variable is a dict carrying index0.
            guard !args.positional.isEmpty, let i = d["index0"]?.intValue else { throw JinjaError(.type, "no items for cycling given") }
            return args.positional[i % args.positional.count]
        case "update", "pop", "popitem", "setdefault", "clear":
            throw JinjaError(.type, "access to attribute '\(name)' of 'dict' object is unsafe.")
        default: return nil
        }
    }

    private func listMethod(_ name: String, _ a: [JinjaValue], _ args: EvaluatedArguments) throws(JinjaError) -> JinjaValue? {
        switch name {
        case "index":
            guard let v = args.positional.first, let i = a.firstIndex(where: { $0.pyEquals(v) }) else {
                throw JinjaError(.type, "value is not in list")
            }
            return .int(i)
        case "count":
            guard let v = args.positional.first else { throw JinjaError(.type, "count() takes exactly one argument (0 given)") }
            return .int(a.filter { $0.pyEquals(v) }.count)
        case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse":
            // Hugging Face renders in Jinja2's ImmutableSandboxedEnvironment, which forbids mutation.
            throw JinjaError(.type, "access to attribute '\(name)' of 'list' object is unsafe.")
        default: return nil
        }
    }

    /// `str.format` with `{}`, `{0}` and `{name}` fields (no format specs or conversions).
    private func pyFormat(_ format: String, _ args: EvaluatedArguments) throws(JinjaError) -> String {
        var out = ""
        var auto = 0
        var it = Array(format.unicodeScalars)[...]
        while let c = it.popFirst() {
            if c == "}" {
                guard it.popFirst() == "}" else { throw JinjaError(.type, "Single '}' encountered in format string") }
                out += "}"
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); continue }
            if it.first == "{" { it.removeFirst(); out += "{"; continue }
            var field = ""
            while let f = it.popFirst(), f != "}" { field.unicodeScalars.append(f) }
            if field.contains(":") || field.contains("!") {
                throw JinjaError(.unsupported, "format specs in str.format ('{\(field)}') are not supported")
            }
            let value: JinjaValue?
            if field.isEmpty {
                value = auto < args.positional.count ? args.positional[auto] : nil
                auto += 1
            } else if let i = Int(field) {
                value = i < args.positional.count ? args.positional[i] : nil
            } else {
                value = args.keyword.first { $0.0 == field }?.1
            }
            guard let value else { throw JinjaError(.type, "Replacement index \(field.isEmpty ? String(auto - 1) : field) out of range for format") }
            out += value.pythonString
        }
        return out
    }
}

/// Python's `str.strip([chars])` (whitespace by Python's definition when `chars` is nil).
func pyStrip(_ s: String, chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    let strip: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? isPythonSpace($0) }
    var scalars = s.unicodeScalars[...]
    if leading { while let f = scalars.first, strip(f) { scalars.removeFirst() } }
    if trailing { while let l = scalars.last, strip(l) { scalars.removeLast() } }
    return String(String.UnicodeScalarView(scalars))
}

/// Python's `str.split(sep, maxsplit)` / `rsplit`; with no separator, splits on whitespace runs and
/// drops empty strings.
func pySplit(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) -> [String] {
    let scalars = Array(s.unicodeScalars)
    var parts = [[Unicode.Scalar]]()
    if let separator {
        let sep = Array(separator.unicodeScalars)
        let work = fromRight ? Array(scalars.reversed()) : scalars
        let pattern = fromRight ? Array(sep.reversed()) : sep
        var current = [Unicode.Scalar]()
        var i = 0
        while i < work.count {
            if maxSplit < 0 || parts.count < maxSplit, i + pattern.count <= work.count, work[i ..< i + pattern.count].elementsEqual(pattern) {
                parts.append(current)
                current = []
                i += pattern.count
            } else {
                current.append(work[i])
                i += 1
            }
        }
        parts.append(current)
        if fromRight { parts = parts.reversed().map { $0.reversed() } }
    } else {
        let work = fromRight ? Array(scalars.reversed()) : scalars
        var i = 0
        while i < work.count {
            while i < work.count, isPythonSpace(work[i]) { i += 1 }
            guard i < work.count else { break }
            if maxSplit >= 0, parts.count >= maxSplit {
                var rest = Array(work[i...])
                while let l = rest.last, isPythonSpace(l) { rest.removeLast() }
                parts.append(rest)
                break
            }
            var word = [Unicode.Scalar]()
            while i < work.count, !isPythonSpace(work[i]) { word.append(work[i]); i += 1 }
            parts.append(word)
        }
        if fromRight { parts = parts.reversed().map { $0.reversed() } }
    }
    return parts.map { String(String.UnicodeScalarView($0)) }
}

/// Python's `str.replace(old, new, count)`; an empty `old` inserts `new` between every character.
func pyReplace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
    let scalars = Array(s.unicodeScalars), o = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var done = 0
    var i = 0
    if o.isEmpty {
        for c in scalars {
            if count < 0 || done < count { out.append(contentsOf: new.unicodeScalars); done += 1 }
            out.append(c)
        }
        if count < 0 || done < count { out.append(contentsOf: new.unicodeScalars) }
        return String(out)
    }
    while i < scalars.count {
        if count < 0 || done < count, i + o.count <= scalars.count, scalars[i ..< i + o.count].elementsEqual(o) {
            out.append(contentsOf: new.unicodeScalars)
            i += o.count
            done += 1
        } else {
            out.append(scalars[i])
            i += 1
        }
    }
    return String(out)
}

/// Python's `str.islower()`: some lower-case character and no upper- or title-case one.
func pyIsLower(_ s: String) -> Bool {
    s.unicodeScalars.contains(where: \.properties.isLowercase)
        && !s.unicodeScalars.contains(where: { $0.properties.isUppercase || $0.properties.generalCategory == .titlecaseLetter })
}

/// Python's `str.isupper()`: some upper-case character and no lower- or title-case one.
func pyIsUpper(_ s: String) -> Bool {
    s.unicodeScalars.contains(where: \.properties.isUppercase)
        && !s.unicodeScalars.contains(where: { $0.properties.isLowercase || $0.properties.generalCategory == .titlecaseLetter })
}

/// Python's `str.capitalize()`: first character upper case, the rest lower case.
func pyCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return String(first).uppercased() + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
}

/// Python's `str.title()`: a cased letter after an uncased character starts a word.
func pyTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for c in s.unicodeScalars {
        let cased = c.properties.isCased
        out += previousCased ? String(c).lowercased() : String(c).uppercased()
        previousCased = cased
    }
    return out
}

/// Jinja2's `title` filter: words start after spaces, `-`, and opening brackets.
func jinjaTitle(_ s: String) -> String {
    var out = ""
    var atWordStart = true
    for c in s.unicodeScalars {
        if isPythonSpace(c) || "-({[<".unicodeScalars.contains(c) {
            out.unicodeScalars.append(c)
            atWordStart = true
        } else {
            out += atWordStart ? String(c).uppercased() : String(c).lowercased()
            atWordStart = false
        }
    }
    return out
}

private let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
private let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                          "October", "November", "December"]

/// C/Python `strftime` for the common directives, in the local time zone with English names (the C
/// locale, which is what Python uses unless a program changes it).
func strftime(_ format: String, _ date: Date) -> String {
    let calendar = Calendar(identifier: .gregorian)
    let c = calendar.dateComponents(in: TimeZone.current, from: date)
    func pad(_ v: Int?, _ width: Int = 2) -> String {
        let s = String(v ?? 0)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    let weekday = ((c.weekday ?? 1) - 1) % 7
    let month = max(1, min(12, c.month ?? 1)) - 1
    let hour = c.hour ?? 0
    var out = ""
    var it = format.unicodeScalars.makeIterator()
    while let ch = it.next() {
        guard ch == "%", let d = it.next() else { out.unicodeScalars.append(ch); continue }
        switch d {
        case "a": out += String(weekdayNames[weekday].prefix(3))
        case "A": out += weekdayNames[weekday]
        case "b", "h": out += String(monthNames[month].prefix(3))
        case "B": out += monthNames[month]
        case "d": out += pad(c.day)
        case "e": out += (c.day ?? 0) < 10 ? " " + String(c.day ?? 0) : String(c.day ?? 0)
        case "m": out += pad(month + 1)
        case "y": out += pad((c.year ?? 0) % 100)
        case "Y": out += String(c.year ?? 0)
        case "H": out += pad(hour)
        case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12)
        case "p": out += hour < 12 ? "AM" : "PM"
        case "M": out += pad(c.minute)
        case "S": out += pad(c.second)
        case "j": out += pad(calendar.ordinality(of: .day, in: .year, for: date), 3)
        case "%": out += "%"
        default: out += "%" + String(d)
        }
    }
    return out
}
