/// An error from parsing or rendering a template. `message` follows Jinja2's wording where Jinja2 has
/// one (so callers can compare with Jinja2's output); `line` is the 1-based template line, when known.
public struct JinjaError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The template text is malformed (Jinja2's `TemplateSyntaxError`).
        case syntax
        /// A construct this interpreter does not implement (a filter, test, statement or method).
        case unsupported
        /// An undefined value was used in a way that needs a value (Jinja2's `UndefinedError`).
        case undefined
        /// An operation on values of the wrong type (Python's `TypeError`/`ValueError`).
        case type
        /// The template called `raise_exception(message)`; `message` is the template's text verbatim.
        case raised
    }

    public let kind: Kind
    public let message: String
    public let line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        if kind == .raised { return message }
        let prefix: String
        switch kind {
        case .syntax: prefix = "template syntax error"
        case .unsupported: prefix = "unsupported template feature"
        case .undefined: prefix = "undefined value"
        case .type: prefix = "template type error"
        case .raised: prefix = ""
        }
        if let line { return "\(prefix) (line \(line)): \(message)" }
        return "\(prefix): \(message)"
    }

    /// The same error with `line` filled in if it was not known where it was thrown.
    func at(_ line: Int) -> JinjaError {
        self.line == nil ? JinjaError(kind, message, line: line) : self
    }
}
