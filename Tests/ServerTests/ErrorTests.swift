import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Server

@Suite struct ValidationTests {
    /// A valid chat request with `changes` applied.
    static func chat(_ changes: [String: Any]) -> [String: Any] {
        ["messages": [["role": "user", "content": "a"]], "max_tokens": 2].merging(changes) { _, new in new }
    }

    @Test func wrongTypesAndRangesAre400NamingTheParameter() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
        let cases: [(field: String, value: Any)] = [
            ("temperature", "hot"), ("temperature", 2.5), ("temperature", -0.1), ("top_p", 0), ("top_p", 1.5),
            ("top_k", -2), ("min_p", 2), ("presence_penalty", 3), ("frequency_penalty", -3),
            ("repetition_penalty", 0), ("n", 0), ("n", 17), ("n", "two"), ("max_tokens", 0), ("max_tokens", 1.5),
            ("max_completion_tokens", -1), ("seed", "x"), ("stop", 5), ("stop", ["a", 1]), ("stop", [""]),
            ("stop", Array(repeating: "s", count: 17)), ("stop", [String(repeating: "s", count: 257)]),
            ("logit_bias", ["x": 1]), ("logit_bias", ["96": 1]), ("logit_bias", ["3": 101]),
            ("logit_bias", ["3": "up"]), ("ignore_eos", "yes"), ("min_tokens", 3), ("user", 5), ("stream", 1),
            ("stream_options", ["include_usage": true]), ("logprobs", 1), ("top_logprobs", 2),
            ("messages", "hi"), ("messages", []), ("messages", [["role": "user", "content": 5]]),
            ("messages", [["role": "user", "content": [["type": "image_url"]]]]), ("model", 3),
        ]
            for (field, value) in cases {
                let r = try await client.post("/v1/chat/completions", Self.chat([field: value]))
                let e = try apiError(r, status: .badRequest)
                #expect(e["type"] as? String == "invalid_request_error")
                let param = try #require(e["param"] as? String, "\(field)=\(value): \(e)")
                #expect(param.hasPrefix(field), "\(field)=\(value) named \(param)")
            }
            // Null is the same as leaving a field out; content parts of type text are joined.
            let ok = try await client.post("/v1/chat/completions", Self.chat([
                "temperature": NSNull(), "stop": NSNull(),
                "messages": [["role": "user", "content": [["type": "text", "text": "a"]]]],
            ]))
            #expect(ok.status == .ok, "\(String(buffer: ok.body))")
        }
    }

    @Test func malformedJSONAndMissingFieldsAre400() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let bad = try await client.execute(uri: "/v1/completions", method: .post, body: ByteBuffer(string: "{\"prompt\": "))
            #expect(try apiError(bad, status: .badRequest)["param"] is NSNull)
            // Generation routes watch the connection for a hang-up, which uses it up: even their
            // error answers close it, so clients do not reuse it.
            #expect(bad.headers[.connection] == "close")
            let missing = try await client.post("/v1/completions", ["max_tokens": 3])
            #expect(try apiError(missing, status: .badRequest)["param"] as? String == "prompt")
            let wrong = try await client.post("/v1/completions", ["prompt": [1.5]])
            #expect(try apiError(wrong, status: .badRequest)["param"] as? String == "prompt")
            let echo = try await client.post("/v1/completions", ["prompt": "a", "echo": true])
            #expect(try apiError(echo, status: .badRequest)["param"] as? String == "echo")
            let outside = try await client.post("/v1/completions", ["prompt": [3, 500]])
            #expect(try apiError(outside, status: .badRequest)["param"] as? String == "prompt")
        }
    }

    @Test func promptsThatDoNotFitTheContextAre400WithTheCounts() async throws {
        let server = try TestServer(contextLength: 64)
        try await server.app.test(.router) { client in
            let long = String(repeating: "a", count: 70)
            let r = try await client.post("/v1/completions", ["prompt": long])
            let e = try apiError(r, status: .badRequest)
            let message = try #require(e["message"] as? String)
            #expect(message.contains("70") && message.contains("64"))
            #expect(e["code"] as? String == "context_length_exceeded")
            let over = try await client.post("/v1/completions", ["prompt": String(repeating: "a", count: 60), "max_tokens": 10])
            let m2 = try #require(try apiError(over, status: .badRequest)["message"] as? String)
            #expect(m2.contains("70") && m2.contains("60") && m2.contains("10") && m2.contains("64"))
            // Without max_tokens the rest of the context is the limit.
            let fits = try await client.post("/v1/completions", ["prompt": String(repeating: "a", count: 60), "ignore_eos": true])
            #expect((try json(fits.body)["usage"] as? [String: Any])?["completion_tokens"] as? Int == 4)
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let server = try TestServer { $0.bodyLimit = 100 }
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/completions", ["prompt": String(repeating: "a", count: 200)])
            _ = try apiError(r, status: .contentTooLarge)
        }
    }
}

@Suite struct AccessTests {
    @Test func apiKeysGuardEveryRouteButHealth() async throws {
        let server = try TestServer { $0.apiKeys = ["key-one", "key-two"] }
        try await server.app.test(.router) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            for headers: HTTPFields in [[:], [.authorization: "Bearer key-three"], [.authorization: "key-one"],
                                        [.authorization: "Bearer key-on"], [.authorization: "Bearer key-one2"]] {
                for uri in ["/v1/models", "/metrics", "/nope"] {
                    let r = try await client.execute(uri: uri, method: .get, headers: headers)
                    #expect(try apiError(r, status: .unauthorized)["code"] as? String == "invalid_api_key")
                }
                _ = try apiError(try await client.post("/v1/completions", ["prompt": "a"], headers: headers),
                                 status: .unauthorized)
            }
            for key in ["key-one", "key-two"] {
                let r = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
                #expect(r.status == .ok)
            }
        }
    }

    @Test func constantTimeComparisonIsExactEquality() {
        typealias M = APIKeyMiddleware<BasicRequestContext>
        #expect(M.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!M.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!M.constantTimeEqual(Array("abc".utf8), Array("ab".utf8)))
        #expect(!M.constantTimeEqual([], Array("a".utf8)))
        #expect(!M.constantTimeEqual(Array(repeating: 0, count: 256), []))   // lengths differing by 256
        #expect(M.constantTimeEqual([], []))
    }

    @Test func corsIsOffByDefaultAndOnWithAnOrigin() async throws {
        let plain = try TestServer()
        try await plain.app.test(.router) { client in
            let r = try await client.execute(uri: "/health", method: .get, headers: [.origin: "http://ui.example"])
            #expect(r.headers[.accessControlAllowOrigin] == nil)
        }
        let cors = try TestServer { $0.corsOrigin = "http://ui.example"; $0.apiKeys = ["k"] }
        try await cors.app.test(.router) { client in
            let r = try await client.execute(uri: "/health", method: .get, headers: [.origin: "http://ui.example"])
            #expect(r.headers[.accessControlAllowOrigin] == "http://ui.example")
            // A preflight needs no API key.
            let pre = try await client.execute(uri: "/v1/chat/completions", method: .options, headers: [
                .origin: "http://ui.example", .accessControlRequestMethod: "POST",
            ])
            #expect(pre.status == .noContent || pre.status == .ok)
            #expect(pre.headers[.accessControlAllowOrigin] == "http://ui.example")
        }
    }

    @Test func aFullQueueIs429WithRetryAfter() async throws {
        let server = try TestServer(contextLength: 100_000, stepDelay: 0.002, maxRunning: 1, blocks: 8000) { $0.maxQueue = 0 }
        try await server.app.test(.router) { client in
            // 30,000 tokens at ≥ 2 ms each: still running whatever the machine's load.
            async let long = client.post("/v1/completions", ["prompt": "a", "max_tokens": 30000, "ignore_eos": true])
            try await waitUntil { server.state.requestsInFlight > 0 }
            let r = try await client.post("/v1/completions", ["prompt": "b", "max_tokens": 1])
            #expect(try apiError(r, status: .tooManyRequests)["code"] as? String == "queue_full")
            #expect(r.headers[.retryAfter] == "1")
            // Ending the first request releases its slot.
            await EngineService.drain(server.engine, timeout: .zero)
            let first = try await long
            #expect((try json(first.body)["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "abort")
            #expect(server.state.requestsInFlight == 0)
            #expect(server.state.admit(1, limit: 1))
        }
    }
}
