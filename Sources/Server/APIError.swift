import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered in OpenAI's shape: `{"error":{"message","type","param","code"}}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds, for 429 and 503.
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil,
                code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(model)' does not exist", type: "invalid_request_error",
                 param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(
        status: .unauthorized, message: "Incorrect or missing API key; pass it as 'Authorization: Bearer <key>'",
        type: "invalid_request_error", code: "invalid_api_key")

    static let bodyTooLarge = APIError(
        status: .contentTooLarge, message: "The request body is larger than the server's limit",
        type: "invalid_request_error", code: "body_too_large")

    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "server_error",
                 code: "service_unavailable", retryAfter: 5)
    }

    /// JSON body of the error (also the payload of an SSE error event).
    var body: ErrorBody { ErrorBody(error: .init(message: message, type: type, param: param, code: code)) }

    /// Maps Hummingbird's own errors (unknown route, body too large, …) to the OpenAI shape.
    init(_ error: any Error) {
        switch error {
        case let e as APIError:
            self = e
        case is NIOTooManyBytesError:
            self = .bodyTooLarge
        case let e as HTTPError where e.status == .contentTooLarge:
            self = .bodyTooLarge
        case let e as HTTPError where e.status == .notFound:
            self.init(status: .notFound, message: "No such route", type: "invalid_request_error", code: "not_found")
        case let e as HTTPError where e.status == .methodNotAllowed:
            self.init(status: .methodNotAllowed, message: "Method not allowed on this route",
                      type: "invalid_request_error", code: "method_not_allowed")
        case let e as HTTPError where (400 ..< 500).contains(e.status.code):
            self.init(status: e.status, message: e.body ?? e.status.reasonPhrase, type: "invalid_request_error")
        default:
            self.init(status: .internalServerError, message: "Internal server error: \(error)", type: "server_error",
                      code: "internal_error")
        }
    }
}

struct ErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var message: String
        var type: String
        @EncodedAsNull var param: String?
        @EncodedAsNull var code: String?
    }
    var error: Detail
}
