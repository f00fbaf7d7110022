import Foundation
import Hummingbird
import MarqueeCore

/// An RFC 9457 problem document with a stable `code`, the one shape of every error.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var extensions: [String: ProblemValue] = [:]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, detail: String, extensions: [String: ProblemValue] = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.extensions = extensions
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try reply().response
    }

    /// The problem document as bytes, ready to send or to store; members in key order.
    func reply() throws -> Reply {
        var members = extensions
        members["type"] = .string("https://marquee.dev/problems/" + String(code.map { $0 == "_" ? "-" : $0 }))
        members["title"] = .string(status.reasonPhrase)
        members["status"] = .int(status.code)
        members["detail"] = .string(detail)
        members["code"] = .string(code)
        var json = JSONWriter()
        json.beginObject()
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text): json.field(name, text)
            case .int(let number): json.field(name, number)
            case .strings(let texts): json.field(name, strings: texts)
            }
        }
        json.endObject()
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"marquee\"" }
        return Reply(status: status, headers: headers, body: json.buffer)
    }
}

/// A response whose body is already bytes, so it can be stored and replayed.
struct Reply: ResponseGenerator, Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }
}

public enum ProblemValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case strings([String])
}

extension BookingError {
    /// The one place where domain errors become HTTP answers.
    var problem: Problem {
        switch self {
        case .invalidField(let field, let reason):
            Problem(
                .badRequest, code: "invalid_field", detail: "\(field): \(reason)", extensions: ["field": .string(field)]
            )
        case .unknownSeats(let seats):
            Problem(
                .badRequest, code: "unknown_seats",
                detail: "no such seats in this show: \(seats.map(\.rawValue).joined(separator: ", "))",
                extensions: ["field": .string("seat_ids"), "unknown_seats": .strings(seats.map(\.rawValue))])
        case .tooManySeats(let requested, let max):
            Problem(
                .badRequest, code: "too_many_seats", detail: "at most \(max) seats per hold, asked for \(requested)",
                extensions: ["field": .string("seat_ids"), "max_seats": .int(max)])
        case .seatsUnavailable(let unavailable, let suggested):
            Problem(
                .conflict, code: "seats_unavailable",
                detail: "seats no longer available: \(unavailable.map(\.rawValue).joined(separator: ", "))",
                extensions: [
                    "unavailable_seats": .strings(unavailable.map(\.rawValue)),
                    "suggested_seats": .strings(suggested.map(\.rawValue)),
                ])
        case .holdExists(let hold):
            Problem(
                .conflict, code: "hold_exists",
                detail: "you already hold seats for this show in hold \(hold); release it or check out first",
                extensions: ["hold_id": .string(hold.rawValue)])
        case .holdLimitReached(let max):
            Problem(
                .conflict, code: "hold_limit_reached",
                detail: "you already hold seats for \(max) shows; check out or release one of them first",
                extensions: ["max_live_holds": .int(max)])
        case .holdExpired(let hold):
            Problem(
                .gone, code: "hold_expired", detail: "hold \(hold) has expired; its seats may be taken, choose again",
                extensions: ["hold_id": .string(hold.rawValue)])
        case .holdNotActive(let hold, let status):
            Problem(
                .conflict, code: "hold_\(status.rawValue)", detail: "hold \(hold) is \(status.rawValue)",
                extensions: ["hold_id": .string(hold.rawValue), "hold_status": .string(status.rawValue)])
        case .showClosed(let show):
            Problem(.conflict, code: "show_closed", detail: "show \(show) has started; its seats can no longer be held")
        case .notFound(let kind, let id):
            Problem(.notFound, code: "\(kind)_not_found", detail: "no \(kind) with id '\(id)'")
        case .emailTaken(let email):
            Problem(
                .conflict, code: "email_taken", detail: "an account with e-mail \(email) exists; sign in instead",
                extensions: ["field": .string("email")])
        case .invalidCredentials:
            Problem(.unauthorized, code: "invalid_credentials", detail: "e-mail or password is wrong")
        case .unauthenticated(let reason):
            Problem(.unauthorized, code: "unauthenticated", detail: reason)
        }
    }
}
