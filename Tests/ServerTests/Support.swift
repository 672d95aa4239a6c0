import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Server

/// A JSON body as nested dictionaries and arrays, for checking exact response shapes.
func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer))
    return try #require(object as? [String: Any], "not a JSON object: \(String(buffer: buffer))")
}

func body(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

extension TestClientProtocol {
    func post(_ uri: String, _ object: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: headers, body: try body(object))
    }
}

/// The `error` object of an OpenAI error body, after checking that it has exactly the four keys.
func apiError(_ response: TestResponse, status: HTTPResponse.Status,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let error = try #require(try json(response.body)["error"] as? [String: Any], sourceLocation: sourceLocation)
    #expect(Set(error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    #expect(error["message"] is String, sourceLocation: sourceLocation)
    #expect(error["type"] is String, sourceLocation: sourceLocation)
    return error
}

/// The events of an SSE body: each must be `data: <payload>\n\n`; comments (`: …`) are skipped.
func sseEvents(_ buffer: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    let text = String(buffer: buffer)
    #expect(text.hasSuffix("\n\n"), "unterminated SSE body: \(text)", sourceLocation: sourceLocation)
    var events: [String] = []
    for frame in text.components(separatedBy: "\n\n").dropLast() where !frame.hasPrefix(":") {
        #expect(frame.hasPrefix("data: ") && !frame.contains("\n"), "bad SSE frame: \(frame)", sourceLocation: sourceLocation)
        events.append(String(frame.dropFirst("data: ".count)))
    }
    return events
}

/// The JSON chunks of a stream that ends with `[DONE]`.
func sseChunks(_ buffer: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let events = sseEvents(buffer, sourceLocation: sourceLocation)
    #expect(events.last == "[DONE]", sourceLocation: sourceLocation)
    return try events.dropLast().map { try json(ByteBuffer(string: $0)) }
}

/// What `SuccessorModel` generates after `last`, computed directly: the successor chain, ended by
/// end-of-generation (after "z") or by `maxTokens`. Returns the text and whether EOS stopped it.
func successorText(after last: Character, maxTokens: Int) -> (text: String, tokens: Int, stopped: Bool) {
    var t = CharTokenizer.id(last)
    var text = ""
    for n in 1 ... maxTokens {
        t = SuccessorModel.successor(t)
        if t == CharTokenizer.eos { return (text, n, true) }
        text += CharTokenizer().decode([t])
    }
    return (text, maxTokens, false)
}

struct TimedOut: Error {}

/// Polls `condition` until it holds; gives up (throws) after 20 s so a broken server fails the
/// test instead of hanging it.
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0 ..< 4000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut()
}
