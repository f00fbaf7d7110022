import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore
import MarqueeStore

/// Events from the payment provider about payments it changed (captured,
/// voided, refunded), accepted only with a valid `Sandbox-Signature`.
struct PaymentWebhookRoutes {
    let bookings: any BookingStore
    let secret: String
    let clock: any TimeSource
    /// Signatures older than this are refused, so a captured request cannot be replayed later.
    var tolerance: TimeInterval = 300

    struct Event: Decodable {
        let id: String
        let type: String
        let paymentId: String
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("payments/webhook", use: receive)
    }

    @Sendable func receive(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if let problem = Self.signatureProblem(
            Data(buffer: body), header: request.headers[.sandboxSignature], secret: secret, now: clock.now,
            tolerance: tolerance)
        {
            throw Problem(.unauthorized, code: "invalid_signature", detail: problem)
        }
        let event = try APIJSON.decode(Event.self, from: body)
        let status: PaymentAuthorization.Status? =
            switch event.type {
            case "payment.captured": .captured
            case "payment.voided": .voided
            case "payment.refunded": .refunded
            default: nil
            }
        if let status {
            try await bookings.updatePayment(PaymentAuthorization.ID(event.paymentId), status: status, at: clock.now)
        }
        return try APIJSON.response(["received": event.id])
    }

    /// `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, compared in constant time.
    /// What is wrong with a webhook's signature, or nil when it is genuine and recent.
    static func signatureProblem(_ body: Data, header: String?, secret: String, now: Date, tolerance: TimeInterval)
        -> String?
    {
        guard let header else { return "the Sandbox-Signature header is missing" }
        var timestamp: Int?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { signature = pair[1] }
        }
        guard let timestamp, let signature else {
            return "the Sandbox-Signature header needs t=<unix time>,v1=<signature>"
        }
        let expected = OutboxDispatcher.signature(body, timestamp: timestamp, secret: secret)
        let given = "t=\(timestamp),v1=\(signature)"
        let matches = Data(expected.utf8).withUnsafeBytes { a in
            Data(given.utf8).withUnsafeBytes { b in
                a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
            }
        }
        guard matches else { return "the Sandbox-Signature header does not match the body" }
        // Checked after the signature, so only a genuine event learns it came too late.
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else {
            return "the signature's time is more than \(Int(tolerance)) s from now: a replay, or a clock that is off"
        }
        return nil
    }
}

extension HTTPField.Name {
    static let sandboxSignature = Self("Sandbox-Signature")!
}
