import ArgumentParser
import AsyncHTTPClient
import Foundation
import MarqueeCore
import MarqueeStore
import NIOCore
import NIOHTTP1

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a running server.", subcommands: [HoldsBench.self])
}

/// Buyers racing for one hot show over HTTP, against a server started separately.
struct HoldsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holds",
        abstract: "Race C connections of buyers for one 500-seat show and report rates, latency and the invariant.")

    @Option(help: "Base URL of the running server; several, comma separated, share the load at random.")
    var url = "http://127.0.0.1:8080"
    @Option(help: "Spread the holds over this many upcoming shows instead of one hot show.") var shows = 1
    @Option(help: "Concurrent connections, comma separated.") var connections = "64,256,1024"
    @Option(help: "Seconds per measurement.") var duration = 10.0
    @Option(help: "Show to race for (default: the next show with at least 500 seats).") var show: String?
    @Option(help: "Data directory of the server's SQLite file, for the invariant check.") var dataDir = "./data"
    @Option(help: "The servers' PostgreSQL database instead, postgres://… (env MARQUEE_DATABASE_URL).")
    var databaseUrl: String?
    @Option(
        help:
            "Share of each show's seats (0-0.95) that other buyers hold before the race, the middle rows first: a hot show that has nearly sold out."
    )
    var taken = 0.0

    func run() async throws {
        let levels = connections.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 && $0 <= 10_000 }) else {
            throw ValidationError("--connections must list numbers 1...10000")
        }
        guard (0...0.95).contains(taken) else { throw ValidationError("--taken must be 0...0.95") }
        let databaseAddress =
            databaseUrl ?? ProcessInfo.processInfo.environment["MARQUEE_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let database = try await Stores.open(
            databaseAddress.map { .postgres(url: $0, poolSize: 4) }
                ?? .sqlite(path: (dataDir as NSString).appendingPathComponent("marquee.sqlite")))
        defer { Task { await database.close() } }
        let showId: String
        if let show { showId = show } else { showId = try await Self.hotShow(database) }
        // Only the watcher's event stream and its probe holds use this client.
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let bases = url.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }
            let spread = shows > 1 ? try await Self.upcomingShows(database, count: shows) : [showId]
            let connections = try BenchClient(bases: bases, timeout: .seconds(30))
            do {
                try await race(
                    LoadDriver(client: client, bases: bases, connections: connections), shows: spread,
                    levels: levels, database: database)
            } catch {
                await connections.close()
                throw error
            }
            await connections.close()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func race(_ driver: LoadDriver, shows: [String], levels: [Int], database: Stores) async throws {
        let maxConnections = levels.max()!
        let showId = shows[0]
        var seatMaps: [[LoadDriver.SeatInfo]] = []
        for show in shows { seatMaps.append(try await driver.seatMap(show)) }
        let seatMap = seatMaps[0]
        let rows = seatMaps.map(LoadDriver.rows)
        if shows.count == 1 {
            print(
                "show \(showId): \(seatMap.count) seats; \(levels.map(String.init).joined(separator: ", ")) connections, \(duration) s each; \(driver.bases.count) instance(s)"
            )
        } else {
            print(
                "\(shows.count) shows, \(seatMaps.map(\.count).reduce(0, +)) seats; \(levels.map(String.init).joined(separator: ", ")) connections, \(duration) s each; \(driver.bases.count) instance(s)"
            )
        }
        let buyersPerConnection = 4
        print("registering \(maxConnections * buyersPerConnection) buyers…")
        // Into a file or a pipe output is buffered: a long run shows where it is at each step.
        fflush(nil)
        let tokens = try await driver.buyers(maxConnections * buyersPerConnection)
        let probe = try await lagProbe(driver, besides: shows, database: database)
        let taking = try await take(taken, of: rows, shows: shows, driver)

        for level in levels {
            let ceiling = try await driver.measure(connections: level, seconds: duration) { _, _ in
                try await driver.request(.GET, "/health/live")
            }
            let seats = try await driver.measure(connections: level, seconds: duration) { _, _ in
                try await driver.request(.GET, "/api/v1/shows/\(showId)/seats")
            }
            let releases = PendingReleases()
            let before = CPUSample()
            let probing = probe.map { probe in
                Task { try await probe.run(until: ContinuousClock.now + .milliseconds(Int(duration * 1000))) }
            }
            let holds = try await driver.measure(connections: level, seconds: duration) { worker, iteration in
                let buyer = worker * buyersPerConnection + iteration % buyersPerConnection
                let pick = shows.count == 1 ? 0 : Int.random(in: 0..<shows.count)
                return try await driver.holdAndRelease(
                    show: shows[pick], rows: rows[pick], buyer: buyer, token: tokens[buyer], releases: releases)
            }
            let cpu = CPUSample().summary(since: before)
            let lag = try await probing?.value
            await releases.waitForAll()
            let h = ceiling.rate
            print("")
            print("C=\(level)")
            print(
                String(format: "  ceiling H (GET /health/live): %8.0f req/s  p99 %6.2f ms", h, ceiling.percentile(0.99))
            )
            print(
                String(
                    format: "  GET seats:                    %8.0f req/s  p99 %6.2f ms  (%.2f x H)", seats.rate,
                    seats.percentile(0.99), seats.rate / h))
            print(String(format: "  hold attempts:                %8.0f /s     (%.2f x H)", holds.rate, holds.rate / h))
            print(String(format: "  successful holds:             %8.0f /s", Double(holds.successes) / holds.seconds))
            print(
                String(
                    format:
                        "  hold latency p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms; successful holds alone p50 %.2f ms  p99 %.2f ms",
                    holds.percentile(0.5), holds.percentile(0.99), holds.percentile(0.999),
                    holds.percentile(0.5, successesOnly: true), holds.percentile(0.99, successesOnly: true)))
            print(
                String(
                    format: "  conflict rate %.1f %%   errors %d",
                    100 * Double(holds.conflicts) / Double(max(1, holds.count)), holds.errors)
                    + holds.errorBreakdown)
            if let lag, let probe {
                print(
                    String(
                        format: "  watcher lag p50 %.0f ms  p99 %.0f ms  max %.0f ms  (%d probes, %d missed)",
                        lag.percentile(0.5), lag.percentile(0.99), (lag.lags.max() ?? 0) * 1000, lag.lags.count,
                        lag.misses)
                        + " hold via \(probe.holdBase), events from \(probe.watchBase)")
            }
            if !cpu.isEmpty { print("  during holds: \(cpu)") }
            fflush(nil)
        }
        for (hold, token) in taking { try await driver.request(.DELETE, "/api/v1/holds/\(hold)", token: token) }
        let problems = try await database.ledger.invariantViolations(now: Date())
        print("")
        print(
            problems.isEmpty
                ? "invariant: OK (no seat in two live holds, every held seat owned by its live hold)"
                : "invariant BROKEN:\n" + problems.prefix(20).joined(separator: "\n"))
        if !problems.isEmpty { throw ExitCode.failure }
    }

    /// Holds `share` of each show's seats for buyers of their own, in blocks of up to
    /// four along a row, starting from the middle row and moving outwards. Returns the
    /// holds and their buyers' tokens, for releasing them afterwards.
    private func take(_ share: Double, of rows: [[[LoadDriver.SeatInfo]]], shows: [String], _ driver: LoadDriver)
        async throws -> [(hold: String, token: String)]
    {
        guard share > 0 else { return [] }
        var blocks: [(show: String, seats: [String])] = []
        for (show, showRows) in zip(shows, rows) {
            let target = Int(Double(showRows.reduce(0) { $0 + $1.count }) * share)
            let middle = Double(showRows.count - 1) / 2
            var count = 0
            for row in showRows.indices.sorted(by: { abs(Double($0) - middle) < abs(Double($1) - middle) }) {
                for start in stride(from: 0, to: showRows[row].count, by: 4) where count < target {
                    let block = showRows[row][start..<min(showRows[row].count, start + 4, start + target - count)]
                    blocks.append((show, block.map(\.id)))
                    count += block.count
                }
            }
        }
        let tokens = try await driver.buyers(blocks.count)
        var taken: [(hold: String, token: String)] = []
        struct Held: Decodable { let hold_id: String }
        for (block, token) in zip(blocks, tokens) {
            let body = "{\"seat_ids\":[\(block.seats.map { "\"\($0)\"" }.joined(separator: ","))]}"
            let (status, bytes) = try await driver.request(
                .POST, "/api/v1/shows/\(block.show)/holds", token: token, body: body)
            guard status == 201 else {
                throw BenchError("taking \(block.seats) before the race answered \(status): \(String(buffer: bytes))")
            }
            taken.append((try JSONDecoder().decode(Held.self, from: bytes).hold_id, token))
        }
        print(
            "taken before the race: \(blocks.reduce(0) { $0 + $1.seats.count }) seats in \(blocks.count) holds of other buyers (they last the hold time, 10 minutes by default)"
        )
        fflush(nil)
        return taken
    }

    /// A probe of the watcher lag on a show the load leaves alone: holds through
    /// the last instance, events from the first. Nil (and said so) if there is no such show.
    private func lagProbe(_ driver: LoadDriver, besides shows: [String], database: Stores) async throws -> LagProbe? {
        guard let quiet = try await Self.upcomingShows(database, count: nil).first(where: { !shows.contains($0) }),
            let seat = try await driver.seatMap(quiet).first?.id
        else {
            print("no show besides the ones under load: the watcher lag is not probed")
            return nil
        }
        return LagProbe(
            client: driver.client, watchBase: driver.bases[0], holdBase: driver.bases[driver.bases.count - 1],
            show: quiet, seat: seat, token: try await driver.buyers(1)[0])
    }

    /// Upcoming shows (30 minutes or more away), soonest first, for spreading the load.
    /// All of them when `count` is nil.
    static func upcomingShows(_ database: Stores, count: Int?) async throws -> [String] {
        let index = try await database.catalog.loadCatalog(showsEndingAfter: Date())
        let soon = Date().addingTimeInterval(1800)
        let upcoming = index.shows.filter { $0.startsAt > soon }.sorted { $0.startsAt < $1.startsAt }
        guard let count else { return upcoming.map(\.id.rawValue) }
        let shows = upcoming.prefix(count)
        guard shows.count == count else { throw ValidationError("only \(shows.count) upcoming shows; lower --shows") }
        return shows.map(\.id.rawValue)
    }

    /// The next show, 30 minutes or more away, on a screen of 500 seats or more.
    static func hotShow(_ database: Stores) async throws -> String {
        let index = try await database.catalog.loadCatalog(showsEndingAfter: Date())
        let soon = Date().addingTimeInterval(1800)
        guard
            let show = index.shows.first(where: {
                $0.startsAt > soon && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= 500
            })
        else { throw ValidationError("no upcoming show with 500+ seats; pass --show") }
        return show.id.rawValue
    }
}
