import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Outermost middleware: turns every error into OpenAI's error JSON (including Hummingbird's own
/// 404s and 413s) and writes the access-log line of requests that do not log their own.
struct ErrorAndAccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(error, path: request.uri.path, logger: logger)
        }
        // Completions log their own line when their last token is out (see `CompletionLog`).
        if response.headers[.generationLogged] == nil {
            let ms = (ContinuousClock.now - start).milliseconds
            logger.info("\(request.method) \(request.uri.path) \(response.status.code) \(ms)ms")
        }
        return response
    }
}

/// The OpenAI-shaped answer to `error`; bugs (500s) are logged.
func errorResponse(_ error: any Error, path: String, logger: Logger) -> Response {
    let apiError = APIError(error)
    if apiError.status == .internalServerError {
        logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
    }
    return apiError.response()
}

extension HTTPField.Name {
    /// Internal marker: the handler writes the access-log line itself.
    static let generationLogged = HTTPField.Name("X-Swiftlet-Request-Id")!
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// Bearer-token check for every route but `/health` (and CORS preflights). Keys are compared in
/// constant time so response timing does not reveal how much of a guess was right.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]

    init(keys: [String]) { self.keys = keys.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if keys.isEmpty || request.uri.path == "/health" || request.method == .options {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError.unauthorized
        }
        let presented = Array(header.utf8.dropFirst("Bearer ".utf8.count))
        // Every key is compared in full, whatever matched before.
        var matched = false
        for key in keys { matched = Self.constantTimeEqual(presented, key) || matched }
        guard matched else { throw APIError.unauthorized }
        return try await next(request, context)
    }

    /// Time depends only on the lengths, not on where the bytes differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
        for i in 0 ..< max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}

extension APIError {
    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSON.encode(body))))
    }
}

/// Compact JSON as OpenAI writes it (no escaped slashes).
enum JSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Encoding our own DTOs fails only for non-finite floats; log-probabilities of −∞ are
        // clamped before they get here, so this is a bug worth a 500, not a crash.
        return (try? Array(encoder.encode(value))) ?? Array(#"{"error":{"message":"response encoding failed","type":"server_error","param":null,"code":null}}"#.utf8)
    }
}
