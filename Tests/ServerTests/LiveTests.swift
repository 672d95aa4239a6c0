import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Server
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bare TCP client, so a test can hang up in the middle of a response.
struct RawConnection {
    let fd: Int32

    /// `receiveBuffer`: SO_RCVBUF in bytes, to make a client that does not read fill up early.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(result == 0, "connect failed: errno \(errno)")
    }

    func sendText(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads until `marker` has arrived (or the peer closes); returns what was read.
    func receive(until marker: String) -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += chunk[0 ..< n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    func hangUp() { _ = close(fd) }
}

@Suite struct LiveTests {
    /// Hanging up in the middle of a stream (or while waiting for a non-streamed answer) cancels
    /// the request: the engine ends it with "abort" and every KV block is free again.
    @Test(arguments: [true, false])
    func aClientThatDisconnectsCancelsItsRequest(stream: Bool) async throws {
        let server = try TestServer(contextLength: 100_000, stepDelay: 0.001, blocks: 8000)
        try await server.app.test(.live) { client in
            let port = try #require(client.port)
            let connection = try RawConnection(port: port)
            let body = #"{"prompt":"a","max_tokens":30000,"ignore_eos":true,"stream":\#(stream)}"#
            connection.sendText("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            if stream {
                #expect(connection.receive(until: "\"text\"").contains("data: "))
            } else {
                try await waitUntil { server.state.requestsInFlight > 0 }
            }
            connection.hangUp()
            // The request ends long before its 30,000 tokens (30 s at this model's pace).
            try await waitUntil { server.state.requestsInFlight == 0 }
            let stats = await server.engine.statistics()
            #expect(stats.runningSequences == 0 && stats.waitingSequences == 0)
            #expect(stats.freeBlocks == stats.totalBlocks)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(String(buffer: metrics.body).contains(#"swiftlet_finished_requests_total{reason="abort"} 1"#))
        }
    }
}

extension LiveTests {
    /// A streaming client that hangs up while its request still waits in the queue is noticed
    /// through the heartbeat comments, and its request leaves the queue at once.
    @Test func aClientThatHangsUpWhileQueuedIsDropped() async throws {
        let server = try TestServer(contextLength: 100_000, stepDelay: 0.002, maxRunning: 1, blocks: 8000) {
            $0.heartbeat = .milliseconds(20)
        }
        try await server.app.test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"prompt":"a","max_tokens":30000,"ignore_eos":true,"stream":true}"#
            let request = "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let running = try RawConnection(port: port)
            defer { running.hangUp() }
            running.sendText(request)
            try await waitUntil { server.state.requestsInFlight == 1 }
            let queued = try RawConnection(port: port)
            queued.sendText(request)
            try await waitUntil { server.state.requestsInFlight == 2 }
            queued.hangUp()
            // The running request has ~60 s to go (30,000 tokens at 2 ms); the queued one ends now.
            try await waitUntil { server.state.requestsInFlight == 1 }
            let stats = await server.engine.statistics()
            #expect(stats.runningSequences == 1 && stats.waitingSequences == 0)
        }
    }

    /// A client that stops reading is cut off once `streamBufferLimit` events wait for it: its
    /// request is cancelled while the engine goes on serving others.
    @Test func aClientThatStopsReadingIsCutOff() async throws {
        // 90,000 tokens at ≥ 0.2 ms: the request cannot end by itself before the cut-off (a few
        // thousand tokens in).
        let server = try TestServer(contextLength: 100_000, stepDelay: 0.0002, blocks: 8000) {
            $0.streamBufferLimit = 8
            $0.caps.maxTokens = 90_000
        }
        try await server.app.test(.live) { client in
            let connection = try RawConnection(port: try #require(client.port), receiveBuffer: 4096)
            defer { connection.hangUp() }
            // Top log-probabilities make the events large, so the socket buffers fill within a
            // few thousand tokens, long before the 90,000 asked for.
            let body = #"{"prompt":"a","max_tokens":90000,"ignore_eos":true,"stream":true,"logprobs":20}"#
            connection.sendText("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            // The cut-off can come within milliseconds, so wait for its outcome, not for the request.
            try await waitUntil {
                server.metrics.registry.emitToString().contains(#"swiftlet_finished_requests_total{reason="abort"} 1"#)
            }
            try await waitUntil { server.state.requestsInFlight == 0 }
            let stats = await server.engine.statistics()
            #expect(stats.freeBlocks == stats.totalBlocks)
            // Others are still served.
            let r = try await client.execute(uri: "/v1/completions", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: #"{"prompt":"w"}"#))
            #expect(r.status == .ok)
        }
    }
}

@Suite struct MetricsTests {
    @Test func metricsCountTokensAndFinishReasonsAndShowTheKVPool() async throws {
        let server = try TestServer()
        try await server.app.test(.router) { client in
            _ = try await client.post("/v1/completions", ["prompt": "w", "max_tokens": 10])        // stop, 4 tokens
            _ = try await client.post("/v1/completions", ["prompt": "abc", "max_tokens": 2])       // length, 2 tokens
            _ = try await client.post("/v1/completions", ["prompt": "abc", "max_tokens": 2, "stream": true])
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            let text = String(buffer: r.body)
            let lines = Set(text.split(separator: "\n").map(String.init))
            for expected in [
                #"swiftlet_finished_requests_total{reason="stop"} 1"#,
                #"swiftlet_finished_requests_total{reason="length"} 2"#,
                "swiftlet_prompt_tokens_total 7",
                "swiftlet_generated_tokens_total 8",
                "swiftlet_kv_cache_total_blocks 256.0",
                "swiftlet_kv_cache_free_blocks 256.0",
                "swiftlet_time_to_first_token_seconds_count 3",
                "swiftlet_inter_token_latency_seconds_count 5",
                "swiftlet_e2e_request_latency_seconds_count 3",
            ] {
                #expect(lines.contains(expected), "missing \(expected) in\n\(text)")
            }
        }
    }
}
