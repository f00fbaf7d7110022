import Foundation

/// A payment service provider, as Marquee uses one: authorize first, capture
/// once the seats are confirmed, void when they are not. Every call carries an
/// idempotency key; the same key always gets the same answer.
public protocol PaymentGateway: Sendable {
    func authorize(amount: Money, token: String, idempotencyKey: String) async throws(PaymentError)
        -> PaymentAuthorization
    func capture(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError)
    func void(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError)
    func refund(_ payment: PaymentAuthorization.ID, amount: Money, idempotencyKey: String) async throws(PaymentError)
    /// What became of the call made with this key, for when its answer never came.
    func status(ofCallWithKey idempotencyKey: String) async throws(PaymentError) -> PaymentAuthorization?
}

public struct PaymentAuthorization: Hashable, Sendable, Codable {
    public typealias ID = Identifier<PaymentAuthorization>

    public enum Status: String, Sendable, Codable {
        case authorized, captured, voided, refunded, declined
    }

    public var id: ID
    public var amount: Money
    public var status: Status
    public var declineReason: String?

    public init(id: ID, amount: Money, status: Status, declineReason: String? = nil) {
        self.id = id
        self.amount = amount
        self.status = status
        self.declineReason = declineReason
    }
}

public enum PaymentError: Error, Hashable, Sendable {
    /// The card was refused; the reason is the provider's (e.g. "insufficient_funds").
    case declined(reason: String)
    /// No answer in time: the call may or may not have happened.
    case timedOut
    /// The payment token is not one the provider issued.
    case invalidToken(String)
    /// The provider refused the call itself (e.g. capturing a voided payment).
    case rejected(String)
}
