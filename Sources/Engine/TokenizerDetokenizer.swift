import Tokenizer

/// A model's own tokenizer streams text to the engine through `StreamingDetokenizer`, which never
/// splits a UTF-8 character.
extension Tokenizer: Detokenizer {
    public func makeDecoder() -> any IncrementalDecoder { StreamingDetokenizer(tokenizer: self) }
}

extension StreamingDetokenizer: IncrementalDecoder {}
