import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Server

@Suite struct RouteTests {
    @Test func healthIsOKWhenReadyAnd503OtherwiseWithAnErrorBody() async throws {
        let server = try TestServer()
        let app = server.app
        try await app.test(.router) { client in
            let ok = try await client.execute(uri: "/health", method: .get)
            #expect(ok.status == .ok)
            #expect(try json(ok.body) as NSDictionary == ["status": "ok"] as NSDictionary)
            for phase in [ServerState.Phase.loading, .failed("bad file"), .shuttingDown] {
                server.state.set(phase)
                let r = try await client.execute(uri: "/health", method: .get)
                let e = try apiError(r, status: .serviceUnavailable)
                #expect(e["type"] as? String == "server_error")
                #expect(r.headers[.retryAfter] != nil)
                // Generation is refused the same way.
                let c = try await client.post("/v1/completions", ["prompt": "a"])
                _ = try apiError(c, status: .serviceUnavailable)
            }
        }
    }

    @Test func modelsListsTheServedModel() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/models", method: .get)
            #expect(r.status == .ok)
            let body = try json(r.body)
            #expect(body["object"] as? String == "list")
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.count == 1)
            #expect(data.first?["id"] as? String == TestServer.modelID)
            #expect(data.first?["object"] as? String == "model")
            #expect(data.first?["max_model_len"] as? Int == 64)
        }
    }

    @Test func unknownRoutesAndModelsAre404InOpenAIShape() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            _ = try apiError(try await client.execute(uri: "/v1/nothing", method: .get), status: .notFound)
            let r = try await client.post("/v1/chat/completions", ["model": "gpt-4", "messages": [["role": "user", "content": "a"]]])
            let e = try apiError(r, status: .notFound)
            #expect(e["code"] as? String == "model_not_found")
            #expect(e["param"] as? String == "model")
        }
    }

    @Test func tokenizeAndDetokenizeRoundTrip() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let t = try await client.post("/tokenize", ["prompt": "abc"])
            #expect(t.status == .ok)
            let body = try json(t.body)
            let ids = try #require(body["tokens"] as? [Int])
            #expect(ids == "abc".map { Int(CharTokenizer.id($0)) })
            #expect(body["count"] as? Int == 3)
            #expect(body["max_model_len"] as? Int == 64)
            let chat = try await client.post("/tokenize", ["messages": [["role": "user", "content": "hi"]]])
            #expect(try json(chat.body)["tokens"] as? [Int] == "u:hi|a:".map { Int(CharTokenizer.id($0)) })
            let d = try await client.post("/detokenize", ["tokens": ids])
            #expect(d.status == .ok)
            #expect(try json(d.body)["prompt"] as? String == "abc")
            _ = try apiError(try await client.post("/detokenize", ["tokens": [96]]), status: .badRequest)
            _ = try apiError(try await client.post("/tokenize", ["prompt": "a", "messages": []]), status: .badRequest)
        }
    }
}

@Suite struct CompletionTests {
    @Test func chatCompletionAnswersWithTheModelsTextAndUsage() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/chat/completions", [
                "model": TestServer.modelID, "messages": [["role": "user", "content": "hi"]], "max_tokens": 5,
                "some_future_field": ["ignored": true],
            ])
            #expect(r.status == .ok)
            let body = try json(r.body)
            #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(body["object"] as? String == "chat.completion")
            #expect(body["model"] as? String == TestServer.modelID)
            #expect(body["created"] is Int)
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            let expected = successorText(after: ":", maxTokens: 5)   // the prompt ends "a:"
            #expect(choice["index"] as? Int == 0)
            #expect(choice["message"] as? NSDictionary == ["role": "assistant", "content": expected.text] as NSDictionary)
            #expect(choice["finish_reason"] as? String == "length")
            let usage = try #require(body["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == "u:hi|a:".count)
            #expect(usage["completion_tokens"] as? Int == 5)
            #expect(usage["total_tokens"] as? Int == "u:hi|a:".count + 5)
        }
    }

    @Test func completionStopsAtEndOfGenerationAndAtStopStrings() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/completions", ["prompt": "w", "max_tokens": 10])
            let body = try json(r.body)
            #expect(body["object"] as? String == "text_completion")
            #expect((body["id"] as? String)?.hasPrefix("cmpl-") == true)
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            let expected = successorText(after: "w", maxTokens: 10)
            #expect(expected.stopped && expected.text == "xyz")
            #expect(choice["text"] as? String == expected.text)
            #expect(choice["finish_reason"] as? String == "stop")
            #expect((body["usage"] as? [String: Any])?["completion_tokens"] as? Int == expected.tokens)

            let s = try await client.post("/v1/completions", ["prompt": "a", "max_tokens": 10, "stop": ["e", "zz"]])
            let sc = try #require((try json(s.body)["choices"] as? [[String: Any]])?.first)
            #expect(sc["text"] as? String == "bcd")
            #expect(sc["finish_reason"] as? String == "stop")
        }
    }

    @Test func promptListsTokenIdsAndNGiveIndexedChoices() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let ids = "k".map { Int(CharTokenizer.id($0)) }
            let r = try await client.post("/v1/completions", [
                "prompt": ["a", "p"], "max_tokens": 3, "n": 2, "seed": 7, "temperature": 0.7,
            ])
            let body = try json(r.body)
            let choices = try #require(body["choices"] as? [[String: Any]])
            #expect(choices.map { $0["index"] as? Int } == [0, 1, 2, 3])
            #expect(choices.map { $0["text"] as? String } == ["bcd", "bcd", "qrs", "qrs"])
            let usage = try #require(body["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == 2)      // each prompt once, not once per choice
            #expect(usage["completion_tokens"] as? Int == 12)

            let t = try await client.post("/v1/completions", ["prompt": ids, "max_tokens": 2])
            #expect((try json(t.body)["choices"] as? [[String: Any]])?.first?["text"] as? String == "lm")
            let tt = try await client.post("/v1/completions", ["prompt": [ids, ids], "max_tokens": 1])
            #expect((try json(tt.body)["choices"] as? [[String: Any]])?.map { $0["text"] as? String } == ["l", "l"])
        }
    }

    @Test func chatLogprobsListEveryTokenWithItsAlternatives() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/chat/completions", [
                "messages": [["role": "user", "content": "x"]], "max_tokens": 3, "logprobs": true, "top_logprobs": 2,
            ])
            let choice = try #require((try json(r.body)["choices"] as? [[String: Any]])?.first)
            let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            #expect(content.map { $0["token"] as? String } == [";", "<", "="])
            for entry in content {
                let lp = try #require(entry["logprob"] as? Double)
                #expect(lp <= 0 && lp > -1e-6)       // the successor holds all the probability
                let top = try #require(entry["top_logprobs"] as? [[String: Any]])
                #expect(top.count == 2)
                #expect(top.first?["token"] as? String == entry["token"] as? String)
                #expect((entry["bytes"] as? [Int])?.count == 1)
            }
            let c = try await client.post("/v1/completions", ["prompt": "a", "max_tokens": 2, "logprobs": 1])
            let lp = try #require((try json(c.body)["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])
            #expect(lp["tokens"] as? [String] == ["b", "c"])
            #expect(lp["text_offset"] as? [Int] == [0, 1])
            #expect((lp["top_logprobs"] as? [[String: Double]])?.map { Array($0.keys) } == [["b"], ["c"]])
        }
    }
}
