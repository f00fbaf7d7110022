import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import NIOCore
import ServiceLifecycle

/// Delivers outbox events: an e-mail per booking event into the mailbox folder
/// (one .eml file per event) and a signed POST to each configured webhook.
/// A failed delivery is retried with backoff; nothing is lost while a receiver is down.
struct OutboxDispatcher: Service {
    let outbox: any OutboxStore
    let bookings: any BookingStore
    let accounts: any AccountStore
    let catalog: CatalogService
    let mailbox: String
    let webhookURLs: [String]
    let webhookSecret: String
    /// Where people open Marquee's pages, for links in e-mails (e.g. http://127.0.0.1:8080).
    var publicURL = "http://127.0.0.1:8080"
    let clock: any TimeSource
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var lastPurge = ContinuousClock.now
        await repeatUntilShutdown(every: interval) {
            await deliverBacklog()
            if ContinuousClock.now - lastPurge >= .seconds(60) {
                lastPurge = ContinuousClock.now
                _ = try? await outbox.purgeDelivered(before: clock.now.addingTimeInterval(-7 * 86400))
            }
        }
    }

    /// Passes until one finds less than a full batch (a hot sale can fill the
    /// outbox faster than one pass per tick), 20 at most; returns how many it made.
    @discardableResult
    func deliverBacklog() async -> Int {
        var passes = 0
        while passes < 20 && !Task.isCancelled {
            passes += 1
            guard await deliverDue() == 500 else { break }
        }
        return passes
    }

    /// One pass; returns how many events were delivered.
    @discardableResult
    func deliverDue() async -> Int {
        let due: [OutboxEvent]
        do {
            due = try await outbox.due(at: clock.now, limit: 500)
        } catch let error where DatabaseFailure.isCancellation(error) {
            return 0  // stopping
        } catch {
            logger.error("reading the outbox failed", metadata: ["error": "\(DatabaseFailure.explain(error))"])
            return 0
        }
        var delivered: [Int64] = []
        for event in due {
            do {
                try await deliver(event)
                delivered.append(event.id)
            } catch {
                let delay = min(300.0, pow(2.0, Double(event.attempts)))
                logger.warning(
                    "outbox delivery failed, will retry",
                    metadata: ["event": "\(event.id)", "error": "\(DatabaseFailure.explain(error))"])
                try? await outbox.failed(event.id, error: "\(error)", retryAt: clock.now.addingTimeInterval(delay))
            }
        }
        do {
            try await outbox.delivered(delivered, at: clock.now)
        } catch {
            // Not recorded as delivered: they go out again, and receivers dedupe by event id.
            logger.error("recording deliveries failed", metadata: ["error": "\(DatabaseFailure.explain(error))"])
            return 0
        }
        return delivered.count
    }

    private func deliver(_ event: OutboxEvent) async throws {
        if let mail = try await mail(for: event) {
            try FileManager.default.createDirectory(atPath: mailbox, withIntermediateDirectories: true)
            // Named by event id: a retry rewrites the same message instead of sending a second.
            let path = (mailbox as NSString).appendingPathComponent(
                "\(String(format: "%08d", event.id))-\(event.event).eml")
            guard FileManager.default.createFile(atPath: path, contents: Data(mail.utf8)) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        for url in webhookURLs { try await post(event, to: url) }
    }

    private func post(_ event: OutboxEvent, to url: String) async throws {
        var object: [String: Any] = ["id": event.id, "event": event.event, "data": event.payload]
        object["created_at"] = Date.ISO8601FormatStyle(timeZone: .gmt).format(event.createdAt)
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let timestamp = Int(clock.now.timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(
            name: "Marquee-Signature", value: Self.signature(body, timestamp: timestamp, secret: webhookSecret))
        request.body = .bytes(ByteBuffer(data: body))
        // Cut short by a graceful shutdown: the event stays due and goes out again.
        let prepared = request
        let response = try await cancelWhenGracefulShutdown {
            try await HTTPClient.shared.execute(prepared, timeout: .seconds(10))
        }
        guard (200..<300).contains(response.status.code) else {
            throw WebhookError(description: "\(url) answered \(response.status.code)")
        }
    }

    /// `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as receivers check it.
    static func signature(_ body: Data, timestamp: Int, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    struct WebhookError: Error, CustomStringConvertible { let description: String }

    // MARK: E-mail

    private func mail(for event: OutboxEvent) async throws -> String? {
        guard let id = event.payload["booking_id"], let booking = try await bookings.booking(Booking.ID(id)),
            let user = try await accounts.user(booking.userId)
        else { return nil }
        let index = catalog.snapshot.index
        let show = index.showsById[booking.showId]
        let title = show.flatMap { index.moviesById[$0.movieId]?.title } ?? "your show"
        let venue = show.flatMap { index.venuesById[$0.venueId] }
        let when = show.map { Self.localTime($0.startsAt, zone: $0.timeZone) } ?? "see your booking"
        let seats = booking.seats.map(\.id.rawValue).joined(separator: ", ")
        let subject: String
        var lines: [String]
        switch event.event {
        case "booking_confirmed":
            subject = "Your tickets for \(title) - booking \(booking.reference)"
            lines = [
                "Hello \(user.name),", "", "Your booking is confirmed.", "",
                "Booking reference: \(booking.reference)", "Show: \(title)",
                "Venue: \(venue.map { "\($0.name), \($0.address)" } ?? "")", "When: \(when)", "Seats: \(seats)",
                "Total paid: \(booking.total)", "",
                "Your tickets with their QR codes (show them at the door): \(publicURL)/bookings/\(booking.id)", "",
            ]
            lines += booking.tickets.map { "  Seat \($0.seatId): ticket \($0.id)" }
        case "booking_cancelled":
            let refund = try await bookings.refund(forBooking: booking.id)
            subject = "Booking \(booking.reference) cancelled"
            lines = [
                "Hello \(user.name),", "", "Your booking \(booking.reference) for \(title) (\(when)) is cancelled.",
                "Refund: \(refund.map { "\($0.amount)" } ?? "none"), on its way to your card.", "",
                "Details: \(publicURL)/bookings/\(booking.id)",
            ]
        case "refund_succeeded":
            let refund = try await bookings.refund(forBooking: booking.id)
            subject = "Refund for booking \(booking.reference)"
            lines = [
                "Hello \(user.name),", "",
                "We have refunded \(refund.map { "\($0.amount)" } ?? "your payment") to your card.",
            ]
        default:
            return nil
        }
        let headers = [
            "From: Marquee <tickets@marquee.test>", "To: \(user.name) <\(user.email)>", "Subject: \(subject)",
            "Date: \(Self.rfc5322(clock.now))", "Message-ID: <outbox-\(event.id)@marquee.test>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        return (headers + [""] + lines + ["", "Marquee"]).joined(separator: "\r\n") + "\r\n"
    }

    /// "Tue 24 Nov 2026, 19:45 (Asia/Kolkata)": the time as the venue's clock shows it.
    static func localTime(_ date: Date, zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = "EEE d MMM yyyy, HH:mm"
        return "\(formatter.string(from: date)) (\(zone))"
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
