import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import Synchronization
import Testing

@testable import MarqueeServer
@testable import MarqueeStore

/// Booking events reach the buyer's mailbox and signed webhooks, and survive a receiver being down.
@Suite struct OutboxTests {
    @Test func eventsBecomeEmailsAndSignedWebhooksRetriedUntilTheReceiverAnswers() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        // Book and cancel through the API (the app's own workers are not running here).
        let show = box.upcomingShow(after: TestBoxOffice.start.addingTimeInterval(30 * 3600), seats: 500)
        let router = buildRouter(box)
        let bookingId: String = try await Application(router: router).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("mailed")
            let hold = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["R1","R2"]}"#)
            let holdId = try #require(try hold.object()["hold_id"] as? String)
            let booked = try await api.send(
                .post, "/api/v1/bookings", token: token,
                json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
                headers: [.idempotencyKeyTest: "mail"])
            let id = try #require(try booked.object()["booking_id"] as? String)
            #expect(try await api.send(.post, "/api/v1/bookings/\(id)/cancel", token: token).status == .ok)
            return id
        }

        // A webhook receiver that is down at first, then records what it gets.
        let received = Mutex<[(signature: String, body: String)]>([])
        let up = Mutex(false)
        let receiver = Router()
        receiver.post("hook") { request, context -> HTTPResponse.Status in
            guard up.withLock({ $0 }) else { return .serviceUnavailable }
            let body = try await request.body.collect(upTo: 1 << 20)
            received.withLock { $0.append((request.headers[.init("Marquee-Signature")!] ?? "", String(buffer: body))) }
            return .ok
        }
        try await Application(router: receiver).test(.live) { client in
            let port = try #require(client.port)
            let mailbox = FileManager.default.temporaryDirectory.appendingPathComponent("mailbox-\(UUID().uuidString)")
                .path
            let dispatcher = OutboxDispatcher(
                outbox: box.outbox, bookings: box.bookings, accounts: box.accounts, catalog: box.catalog,
                mailbox: mailbox,
                webhookURLs: ["http://127.0.0.1:\(port)/hook"], webhookSecret: box.webhookSecret, clock: clock,
                interval: .seconds(1), logger: box.logger)

            #expect(await dispatcher.deliverDue() == 0)  // the receiver is down: nothing counts as delivered
            up.withLock { $0 = true }
            #expect(await dispatcher.deliverDue() == 0)  // not yet due again: backoff
            clock.advance(by: 2)
            #expect(await dispatcher.deliverDue() == 3)  // hold_created, booking_confirmed, booking_cancelled
            #expect(await dispatcher.deliverDue() == 0)

            let hooks = received.withLock { $0 }
            #expect(hooks.count == 3)
            #expect(hooks.map(\.body).contains { $0.contains("\"event\":\"hold_created\"") && $0.contains("R1,R2") })
            for hook in hooks {
                let timestamp = Int(hook.signature.split(separator: ",")[0].dropFirst(2))!
                #expect(
                    hook.signature
                        == OutboxDispatcher.signature(
                            Data(hook.body.utf8), timestamp: timestamp, secret: box.webhookSecret))
                #expect(
                    hook.signature
                        != OutboxDispatcher.signature(Data(hook.body.utf8), timestamp: timestamp, secret: "wrong"))
            }
            #expect(hooks.map(\.body).contains { $0.contains("booking_confirmed") && $0.contains(bookingId) })

            let files = try FileManager.default.contentsOfDirectory(atPath: mailbox).sorted()
            #expect(files.count == 2)
            let confirmation = try String(contentsOfFile: mailbox + "/" + files[0], encoding: .utf8)
            let reference = try #require(try await box.bookings.booking(Booking.ID(bookingId))?.reference)
            #expect(confirmation.contains("To: mailed <mailed@example.com>"))
            #expect(confirmation.contains("Booking reference: \(reference)"))
            #expect(confirmation.contains("Seats: R1, R2"))
            #expect(confirmation.contains("(\(show.timeZone))"))
            // The link opens the booking's page with the QR codes, not the API.
            #expect(confirmation.contains("http://127.0.0.1:8080/bookings/\(bookingId)"))
            let cancellation = try String(contentsOfFile: mailbox + "/" + files[1], encoding: .utf8)
            #expect(cancellation.contains("cancelled") && cancellation.contains("Refund:"))
        }
    }

    @Test func anIdleOutboxIsReadOncePerTickAndAFullOneUntilItDrains() async throws {
        let box = try await TestBoxOffice.make()
        let outbox = CountingOutbox(box.outbox, full: 0)
        let dispatcher = OutboxDispatcher(
            outbox: outbox, bookings: box.bookings, accounts: box.accounts, catalog: box.catalog,
            mailbox: FileManager.default.temporaryDirectory.appendingPathComponent("mailbox-\(UUID().uuidString)").path,
            webhookURLs: [], webhookSecret: box.webhookSecret, clock: box.environment.clock, interval: .seconds(1),
            logger: box.logger)
        #expect(await dispatcher.deliverBacklog() == 1)
        #expect(outbox.reads == 1)
        // Three full batches, then a short one: four passes in the tick.
        outbox.reset(full: 3)
        #expect(await dispatcher.deliverBacklog() == 4)
        #expect(outbox.reads == 4)
        // A backlog that never drains stops at 20 passes, until the next tick.
        outbox.reset(full: 1000)
        #expect(await dispatcher.deliverBacklog() == 20)
    }
}

/// The real outbox store, counting its reads; the first `full` reads answer a
/// full batch of 500 events that are delivered nowhere (no webhooks, no e-mail events).
final class CountingOutbox: OutboxStore {
    private let store: any OutboxStore
    private let state: Mutex<(reads: Int, full: Int)>

    init(_ store: any OutboxStore, full: Int) {
        self.store = store
        state = Mutex((0, full))
    }

    var reads: Int { state.withLock { $0.reads } }
    func reset(full: Int) { state.withLock { $0 = (0, full) } }

    func due(at now: Date, limit: Int) async throws -> [OutboxEvent] {
        let full = state.withLock { state -> Bool in
            state.reads += 1
            return state.reads <= state.full
        }
        guard full else { return try await store.due(at: now, limit: limit) }
        return (0..<Int64(limit)).map {
            OutboxEvent(id: -1 - $0, event: "hold_released", payload: [:], createdAt: now, attempts: 0)
        }
    }
    func delivered(_ ids: [Int64], at: Date) async throws { try await store.delivered(ids, at: at) }
    func purgeDelivered(before date: Date) async throws -> Int { try await store.purgeDelivered(before: date) }
    func failed(_ id: Int64, error: String, retryAt: Date) async throws {
        try await store.failed(id, error: error, retryAt: retryAt)
    }
}
