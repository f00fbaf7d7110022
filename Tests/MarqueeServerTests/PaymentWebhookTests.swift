import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeStore
import Testing

@testable import MarqueeServer

@Suite struct PaymentWebhookTests {
    @Test func onlyCorrectlySignedRecentProviderEventsAreAccepted() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("hooked")
            let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
            let hold = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["T1"]}"#)
            let holdId = try #require(try hold.object()["hold_id"] as? String)
            #expect(
                try await api.send(
                    .post, "/api/v1/bookings", token: token,
                    json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
                    headers: [.idempotencyKeyTest: "h"]
                ).status == .created)
            let payment = try #require(try await box.sandboxPayments.payments().first?.id)
            func status() async throws -> String? {
                try await box.strings("SELECT status FROM payments WHERE id = ?", payment.rawValue).first
            }
            let body = #"{"id":"evt_1","type":"payment.refunded","payment_id":"\#(payment)"}"#
            let now = Int(box.environment.clock.now.timeIntervalSince1970)
            func send(_ signature: String) async throws -> TestResponse {
                try await api.send(
                    .post, "/api/v1/payments/webhook", json: body,
                    headers: [HTTPField.Name("Sandbox-Signature")!: signature])
            }
            let forged = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now, secret: "not-the-secret"))
            #expect(forged.status == .unauthorized)
            #expect(try forged.object()["code"] as? String == "invalid_signature")
            let stale = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now - 3600, secret: box.paymentWebhookSecret))
            #expect(stale.status == .unauthorized)
            #expect(try await status() == "captured")
            let genuine = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now, secret: box.paymentWebhookSecret))
            #expect(genuine.status == .ok)
            #expect(try await status() == "refunded")
        }
    }

    @Test func theSandboxSignsAndDeliversItsOwnWebhooksToTheRunningServer() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.live) { client in
            let api = APIClient(client: client)
            let token = try await api.register("dashboard")
            let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
            let hold = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["T2"]}"#)
            let holdId = try #require(try hold.object()["hold_id"] as? String)
            #expect(
                try await api.send(
                    .post, "/api/v1/bookings", token: token,
                    json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
                    headers: [.idempotencyKeyTest: "d"]
                ).status == .created)
            let payment = try #require(try await box.sandboxPayments.payments().first?.id)
            // A refund made at the provider (its dashboard), not through Marquee: only the webhook can tell us.
            try await box.sandboxPayments.refund(
                payment, amount: Money(amount: 1, currency: "INR"), idempotencyKey: "dashboard-refund")
            var status: String?
            // The provider marks an event delivered only after our answer, so wait for both sides.
            var undelivered = -1
            for _ in 0..<300 {
                status = try await box.strings("SELECT status FROM payments WHERE id = ?", payment.rawValue).first
                undelivered = try await box.sandboxPayments.undeliveredWebhookCount()
                if status == "refunded" && undelivered == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == "refunded")
            // Nothing is left waiting at the provider: the capture and the refund were both delivered.
            #expect(undelivered == 0)
        }
    }

    @Test func aWebhookTheReceiverRefusedIsRetriedLater() async throws {
        let clock = ManualTimeSource(TestBoxOffice.start)
        let box = try await TestBoxOffice.make(clock: clock)
        let payment = try await box.sandboxPayments.authorize(
            amount: Money(amount: 500, currency: "INR"), token: "tok_visa", idempotencyKey: "a")
        try await box.sandboxPayments.capture(payment.id, idempotencyKey: "c")
        let sender = SandboxWebhookSender(
            sandbox: box.sandboxPayments, secret: box.paymentWebhookSecret, clock: clock, interval: .seconds(1),
            logger: box.logger)
        // Nobody listens on port 9 (discard): the delivery fails and waits for its backoff.
        sender.deliver(to: "http://127.0.0.1:9/api/v1/payments/webhook")
        #expect(await sender.sendDue() == 0)
        #expect(try await box.sandboxPayments.dueWebhookEvents().isEmpty)
        clock.advance(by: 2)
        let again = try await box.sandboxPayments.dueWebhookEvents()
        #expect(again.map(\.type) == ["payment.captured"])
        #expect(again.first?.attempts == 1)
    }
}
