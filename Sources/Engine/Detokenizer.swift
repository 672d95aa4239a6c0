/// Turns generated token ids into text as they arrive. The engine asks for one decoder per
/// request and streams the text it returns (stop strings are matched on this text).
public protocol Detokenizer: Sendable {
    func makeDecoder() -> any IncrementalDecoder
}

/// Per-request incremental decoding state (e.g. bytes of an unfinished UTF-8 character).
public protocol IncrementalDecoder {
    /// Feeds one token; returns the text that is now complete (possibly empty).
    mutating func append(_ token: Int32) -> String
    /// Returns whatever text is still held back; called once when the sequence ends.
    mutating func flush() -> String
}

extension IncrementalDecoder {
    /// Text still held back when the sequence ends (e.g. bytes a later token would have completed,
    /// or trailing space cleanup); decoders that hold nothing back need not implement it.
    public mutating func flush() -> String { "" }
}
