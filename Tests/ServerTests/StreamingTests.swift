import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Server

@Suite struct StreamingTests {
    @Test func chatStreamIsFramedLikeOpenAIs() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/chat/completions", [
                "messages": [["role": "user", "content": "q"]], "max_tokens": 4, "stream": true,
                "stream_options": ["include_usage": true],
            ])
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/event-stream")
            let chunks = try sseChunks(r.body)
            let ids = Set(chunks.compactMap { $0["id"] as? String })
            let created = Set(chunks.compactMap { $0["created"] as? Int })
            #expect(ids.count == 1 && created.count == 1)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["id"] != nil })
            // First the role, then content deltas, then the finish reason, then usage alone.
            let first = try #require((chunks.first?["choices"] as? [[String: Any]])?.first)
            #expect((first["delta"] as? [String: Any])?["role"] as? String == "assistant")
            #expect(first["finish_reason"] is NSNull)
            let withChoices = chunks.dropLast()
            let deltas = withChoices.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }
            #expect(deltas.joined() == successorText(after: ":", maxTokens: 4).text)
            let finish = try #require((withChoices.last?["choices"] as? [[String: Any]])?.first)
            #expect(finish["finish_reason"] as? String == "length")
            #expect(withChoices.allSatisfy { $0["usage"] is NSNull })
            let usageChunk = try #require(chunks.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(usageChunk["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 4)
            #expect(usage["prompt_tokens"] as? Int == "u:q|a:".count)
        }
    }

    @Test func streamWithoutIncludeUsageHasNoUsageAndNChoicesAreIndexed() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            let r = try await client.post("/v1/completions", ["prompt": "w", "max_tokens": 8, "stream": true, "n": 2])
            let chunks = try sseChunks(r.body)
            #expect(chunks.allSatisfy { $0["usage"] == nil && $0["object"] as? String == "text_completion" })
            var texts = ["", ""], finishes: [String?] = [nil, nil]
            for chunk in chunks {
                let choices = try #require(chunk["choices"] as? [[String: Any]])
                #expect(choices.count == 1)
                let c = try #require(choices.first)
                let i = try #require(c["index"] as? Int)
                texts[i] += c["text"] as? String ?? ""
                if let f = c["finish_reason"] as? String { finishes[i] = f }
            }
            #expect(texts == ["xyz", "xyz"])
            #expect(finishes == ["stop", "stop"])
        }
    }

    @Test func shutdownDrainsThenAbortsRunningStreams() async throws {
        let server = try TestServer(contextLength: 100_000, stepDelay: 0.002, blocks: 8000)
        try await server.app.test(.router) { client in
            async let response = client.post("/v1/completions", [
                "prompt": "a", "max_tokens": 30_000, "ignore_eos": true, "stream": true,
            ])
            try await waitUntil { server.state.requestsInFlight > 0 }
            let backend = try #require(server.state.beginShutdown())
            await EngineService.drain(backend.engine, timeout: .milliseconds(50))
            let r = try await response
            let chunks = try sseChunks(r.body)
            #expect(((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String == "abort")
            _ = try apiError(try await client.execute(uri: "/health", method: .get), status: .serviceUnavailable)
            let stats = await backend.engine.statistics()
            #expect(stats.freeBlocks == stats.totalBlocks)
        }
    }
}
