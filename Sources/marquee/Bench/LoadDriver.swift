import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The HTTP side of the benchmark: buyers, requests, and timing.
struct LoadDriver: Sendable {
    /// For the watcher's event stream.
    let client: HTTPClient
    /// The instances under test; each request goes to one of them at random, as behind a load balancer.
    let bases: [String]
    /// Every other request goes through these keep-alive connections.
    let connections: BenchClient

    struct SeatInfo: Decodable, Sendable {
        let id: String
        let row: String
        let x: Int
        let y: Int
    }

    /// An error's HTTP status, or nil when no answer came (a timeout or a closed connection).
    enum Outcome { case success, conflict, error(status: Int?) }

    struct Measurement {
        var count = 0
        var successes = 0
        var conflicts = 0
        var errors = 0
        /// How many errors each status was ("no answer" for those that got none).
        var errorKinds: [String: Int] = [:]
        var seconds = 0.0
        var latencies: [Double] = []
        /// The successful requests' own latencies (holds taken), which wait for the database.
        var successLatencies: [Double] = []

        var rate: Double { Double(count) / seconds }

        mutating func failed(_ status: Int?) {
            errors += 1
            errorKinds[status.map(String.init) ?? "no answer", default: 0] += 1
        }

        /// "" without errors, else e.g. " (503: 120, no answer: 3)".
        var errorBreakdown: String {
            guard errors > 0 else { return "" }
            return " ("
                + errorKinds.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }
                .joined(separator: ", ") + ")"
        }

        /// Milliseconds.
        func percentile(_ p: Double, successesOnly: Bool = false) -> Double {
            let values = successesOnly ? successLatencies : latencies
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
        }
    }

    @discardableResult
    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> (
        Int, ByteBuffer
    ) {
        let base = bases.count == 1 ? 0 : Int.random(in: 0..<bases.count)
        return try await connections.request(base: base, method, path, token: token, body: body)
    }

    func seatMap(_ show: String) async throws -> [SeatInfo] {
        struct Body: Decodable { let seats: [SeatInfo] }
        let (status, bytes) = try await request(.GET, "/api/v1/shows/\(show)/seats")
        guard status == 200 else { throw BenchError("GET seats answered \(status)") }
        return try JSONDecoder().decode(Body.self, from: bytes).seats
    }

    /// Registers `count` buyers and returns their tokens.
    func buyers(_ count: Int) async throws -> [String] {
        let run = UUID().uuidString.prefix(8).lowercased()
        struct Session: Decodable { let token: String }
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var tokens = [String](repeating: "", count: count)
            var next = 0
            func add(_ group: inout ThrowingTaskGroup<(Int, String), any Error>) {
                let i = next
                next += 1
                group.addTask {
                    let body =
                        #"{"email":"bench-\#(run)-\#(i)@bench.marquee.test","password":"bench-password","name":"Bench \#(i)"}"#
                    let (status, bytes) = try await request(.POST, "/api/v1/auth/register", body: body)
                    guard status == 201 else { throw BenchError("register answered \(status)") }
                    return (i, try JSONDecoder().decode(Session.self, from: bytes).token)
                }
            }
            for _ in 0..<min(16, count) { add(&group) }
            while let (i, token) = try await group.next() {
                tokens[i] = token
                if next < count { add(&group) }
            }
            return tokens
        }
    }

    /// Holds 1-4 adjacent seats near the centre for one buyer; a successful hold is
    /// released 5-50 ms later in the background while the connection moves on to
    /// the next buyer, as many buyers share few connections.
    func holdAndRelease(show: String, rows: [[SeatInfo]], buyer: Int, token: String, releases: PendingReleases)
        async throws -> (Outcome, Double)
    {
        await releases.wait(for: buyer)
        let pick = Self.pick(rows)
        let body = "{\"seat_ids\":[\(pick.map { "\"\($0)\"" }.joined(separator: ","))]}"
        let start = ContinuousClock.now
        let (status, bytes) = try await request(.POST, "/api/v1/shows/\(show)/holds", token: token, body: body)
        let elapsed = Self.seconds(ContinuousClock.now - start)
        switch status {
        case 201:
            struct Held: Decodable { let hold_id: String }
            let hold = try JSONDecoder().decode(Held.self, from: bytes).hold_id
            releases.start(for: buyer) {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 5...50)))
                _ = try? await request(.DELETE, "/api/v1/holds/\(hold)", token: token)
            }
            return (.success, elapsed)
        case 409: return (.conflict, elapsed)
        default: return (.error(status: status), elapsed)
        }
    }

    /// A seat map's rows, front to back, each left to right; worked out once per show,
    /// so that the load generator spends its time on requests, not on sorting.
    static func rows(_ seats: [SeatInfo]) -> [[SeatInfo]] {
        Dictionary(grouping: seats, by: \.y).sorted { $0.key < $1.key }.map { $0.value.sorted { $0.x < $1.x } }
    }

    /// Seats side by side, with rows and positions drawn towards the middle.
    static func pick(_ rows: [[SeatInfo]]) -> [String] {
        func central(_ count: Int) -> Int {
            let value = (Double.random(in: 0..<1) + Double.random(in: 0..<1) + Double.random(in: 0..<1)) / 3
            return min(count - 1, Int(value * Double(count)))
        }
        let row = rows[central(rows.count)]
        let count = Int.random(in: 1...4)
        let start = max(0, min(row.count - count, central(row.count) - count / 2))
        return row[start..<min(row.count, start + count)].map(\.id)
    }

    /// Runs `connections` workers for `seconds`, each sending requests back to back.
    func measure(
        connections: Int, seconds: Double,
        _ work: @escaping @Sendable (_ worker: Int, _ iteration: Int) async throws -> Any
    ) async throws -> Measurement {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        let total = await withTaskGroup(of: Measurement.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var local = Measurement()
                    var iteration = 0
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        iteration += 1
                        do {
                            let result = try await work(worker, iteration)
                            local.count += 1
                            if let (outcome, latency) = result as? (Outcome, Double) {
                                local.latencies.append(latency)
                                switch outcome {
                                case .success:
                                    local.successes += 1
                                    local.successLatencies.append(latency)
                                case .conflict: local.conflicts += 1
                                case .error(let status): local.failed(status)
                                }
                            } else {
                                local.latencies.append(Self.seconds(ContinuousClock.now - began))
                                if let (status, _) = result as? (Int, ByteBuffer), status >= 400 {
                                    local.failed(status)
                                }
                            }
                        } catch {
                            local.failed(nil)
                        }
                    }
                    return local
                }
            }
            var total = Measurement()
            for await part in group {
                total.count += part.count
                total.successes += part.successes
                total.conflicts += part.conflicts
                total.errors += part.errors
                total.errorKinds.merge(part.errorKinds, uniquingKeysWith: +)
                total.latencies += part.latencies
                total.successLatencies += part.successLatencies
            }
            return total
        }
        var result = total
        result.seconds = Self.seconds(ContinuousClock.now - start)
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Background releases of successful holds, one slot per buyer.
final class PendingReleases: Sendable {
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])

    func start(for buyer: Int, _ release: @escaping @Sendable () async -> Void) {
        tasks.withLock { $0[buyer] = Task { await release() } }
    }

    /// Waits until the buyer's last hold is released (one live hold per buyer and show).
    func wait(for buyer: Int) async {
        if let task = tasks.withLock({ $0.removeValue(forKey: buyer) }) { await task.value }
    }

    func waitForAll() async {
        for task in tasks.withLock({ tasks in
            defer { tasks.removeAll() }; return Array(tasks.values)
        }) {
            await task.value
        }
    }
}
