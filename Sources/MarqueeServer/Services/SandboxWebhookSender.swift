import AsyncHTTPClient
import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import NIOCore
import ServiceLifecycle
import Synchronization

/// The sandbox provider's own webhook sender: it POSTs each payment change in
/// the sandbox's ledger (`payment.captured`, `payment.voided`, `payment.refunded`)
/// to the merchant's receiver, signed with `Sandbox-Signature`, retrying with
/// backoff until the receiver answers 2xx — what a hosted PSP does.
/// The receiver's address is known once the server has bound its port.
final class SandboxWebhookSender: Service, Sendable {
    let sandbox: SandboxPaymentGateway
    let secret: String
    let clock: any TimeSource
    let interval: Duration
    let logger: Logger
    private let endpoint = Mutex<String?>(nil)

    init(sandbox: SandboxPaymentGateway, secret: String, clock: any TimeSource, interval: Duration, logger: Logger) {
        self.sandbox = sandbox
        self.secret = secret
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Where events go: `http://host:port/api/v1/payments/webhook` of the running server.
    func deliver(to url: String) { endpoint.withLock { $0 = url } }

    func run() async throws {
        await repeatUntilShutdown(every: interval) { await sendDue() }
    }

    /// One pass over the due events; returns how many were delivered.
    @discardableResult
    func sendDue() async -> Int {
        guard let url = endpoint.withLock({ $0 }) else { return 0 }
        let due: [SandboxPaymentGateway.WebhookEvent]
        do {
            due = try await sandbox.dueWebhookEvents()
        } catch let error where DatabaseFailure.isCancellation(error) {
            return 0  // stopping
        } catch {
            logger.error(
                "reading the sandbox's webhook events failed",
                metadata: ["error": "\(DatabaseFailure.explain(error))"])
            return 0
        }
        var delivered = 0
        for event in due {
            do {
                try await post(event, to: url)
                try await sandbox.markWebhookDelivered(event.id)
                delivered += 1
            } catch {
                logger.warning(
                    "sandbox webhook failed, will retry",
                    metadata: [
                        "event": "\(event.id)", "attempts": "\(event.attempts + 1)",
                        "error": "\(DatabaseFailure.explain(error))",
                    ])
                try? await sandbox.markWebhookFailed(event.id)
            }
        }
        return delivered
    }

    private func post(_ event: SandboxPaymentGateway.WebhookEvent, to url: String) async throws {
        var json = JSONWriter()
        json.beginObject()
        json.field("id", event.id)
        json.field("payment_id", event.paymentId)
        json.field("type", event.type)
        json.endObject()
        let body = Data(buffer: json.buffer)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(
            name: "Sandbox-Signature",
            value: OutboxDispatcher.signature(body, timestamp: Int(clock.now.timeIntervalSince1970), secret: secret))
        request.body = .bytes(json.buffer)
        // A stopping server may no longer answer: give up at once rather than hold up the shutdown.
        let prepared = request
        let response = try await cancelWhenGracefulShutdown {
            try await HTTPClient.shared.execute(prepared, timeout: .seconds(10))
        }
        guard (200..<300).contains(response.status.code) else {
            throw OutboxDispatcher.WebhookError(description: "\(url) answered \(response.status.code)")
        }
    }
}
