import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// How soon a watcher hears of a hold made through another instance while the
/// load runs: one seat of a quiet show is held through the last instance and
/// seen on the first instance's server-sent events, then released and seen
/// free again, over and over. The lag runs from the hold's 201 to the event.
struct LagProbe: Sendable {
    let client: HTTPClient
    let watchBase: String
    let holdBase: String
    let show: String
    let seat: String
    let token: String

    struct Result {
        var lags: [Double] = []
        /// Holds refused, or not heard of within 10 s.
        var misses = 0

        func percentile(_ p: Double) -> Double {
            guard !lags.isEmpty else { return 0 }
            let sorted = lags.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
        }
    }

    /// Probes until `deadline`.
    func run(until deadline: ContinuousClock.Instant) async throws -> Result {
        let status = SeatStatus()
        let events = Task { try await follow(into: status) }
        defer { events.cancel() }
        guard await Self.wait(seconds: 10, until: { status.current != nil }) else {
            throw BenchError("no snapshot of \(show) on \(watchBase) within 10 s")
        }
        var result = Result()
        while ContinuousClock.now < deadline {
            let (code, body) = try await send(.POST, "/api/v1/shows/\(show)/holds", body: #"{"seat_ids":["\#(seat)"]}"#)
            let answered = ContinuousClock.now
            struct Held: Decodable { let hold_id: String }
            guard code == 201, let hold = try? JSONDecoder().decode(Held.self, from: body).hold_id else {
                result.misses += 1
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            if await Self.wait(seconds: 10, until: { status.current == "held" }) {
                result.lags.append(LoadDriver.seconds(ContinuousClock.now - answered))
            } else {
                result.misses += 1
            }
            _ = try await send(.DELETE, "/api/v1/holds/\(hold)")
            _ = await Self.wait(seconds: 10, until: { status.current == "available" })
            try await Task.sleep(for: .milliseconds(200))
        }
        return result
    }

    private func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> (Int, ByteBuffer) {
        var request = HTTPClientRequest(url: holdBase + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
    }

    /// Reads the show's event stream, keeping the probe seat's latest status.
    private func follow(into status: SeatStatus) async throws {
        let request = HTTPClientRequest(url: watchBase + "/api/v1/shows/\(show)/events")
        let response = try await client.execute(request, timeout: .hours(1))
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let end = pending.range(of: "\n\n") {
                let event = pending[..<end.lowerBound]
                pending.removeSubrange(..<end.upperBound)
                for line in event.split(separator: "\n") where line.hasPrefix("data: ") {
                    if let seen = Self.status(of: seat, in: line.dropFirst(6)) { status.current = seen }
                }
            }
        }
    }

    /// The seat's status in a snapshot (`seats`, `id`) or delta (`changes`, `seat_id`), if it is there.
    static func status(of seat: String, in data: Substring) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
            return nil
        }
        let entries = (object["seats"] ?? object["changes"]) as? [[String: Any]] ?? []
        for entry in entries where (entry["id"] ?? entry["seat_id"]) as? String == seat {
            return entry["status"] as? String
        }
        return nil
    }

    static func wait(seconds: Double, until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition()
    }
}

/// The probe seat's latest status as the event stream tells it.
private final class SeatStatus: Sendable {
    private let value = Mutex<String?>(nil)
    var current: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
