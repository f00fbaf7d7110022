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

    @Option(help: "Base URL of the running server.") var url = "http://127.0.0.1:8080"
    @Option(help: "Concurrent connections, comma separated.") var connections = "64,256,1024"
    @Option(help: "Seconds per measurement.") var duration = 10.0
    @Option(help: "Show to race for (default: the next show with at least 500 seats).") var show: String?
    @Option(help: "Data directory of the server's SQLite file, for the invariant check.") var dataDir = "./data"

    func run() async throws {
        let levels = connections.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 && $0 <= 10_000 }) else {
            throw ValidationError("--connections must list numbers 1...10000")
        }
        let database = try MarqueeDatabase(path: (dataDir as NSString).appendingPathComponent("marquee.sqlite"))
        let showId: String
        if let show { showId = show } else { showId = try await Self.hotShow(database) }
        let maxConnections = levels.max()!
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await race(LoadDriver(client: client, base: url), show: showId, levels: levels, database: database)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func race(_ driver: LoadDriver, show showId: String, levels: [Int], database: MarqueeDatabase) async throws
    {
        let maxConnections = levels.max()!

        let seatMap = try await driver.seatMap(showId)
        print(
            "show \(showId): \(seatMap.count) seats; \(levels.map(String.init).joined(separator: ", ")) connections, \(duration) s each"
        )
        let buyersPerConnection = 4
        print("registering \(maxConnections * buyersPerConnection) buyers…")
        let tokens = try await driver.buyers(maxConnections * buyersPerConnection)

        for level in levels {
            let ceiling = try await driver.measure(connections: level, seconds: duration) { _, _ in
                try await driver.request(.GET, "/health/live")
            }
            let seats = try await driver.measure(connections: level, seconds: duration) { _, _ in
                try await driver.request(.GET, "/api/v1/shows/\(showId)/seats")
            }
            let releases = PendingReleases()
            let holds = try await driver.measure(connections: level, seconds: duration) { worker, iteration in
                let buyer = worker * buyersPerConnection + iteration % buyersPerConnection
                return try await driver.holdAndRelease(
                    show: showId, seats: seatMap, buyer: buyer, token: tokens[buyer], releases: releases)
            }
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
                    format: "  hold latency p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms", holds.percentile(0.5),
                    holds.percentile(0.99), holds.percentile(0.999)))
            print(
                String(
                    format: "  conflict rate %.1f %%   errors %d",
                    100 * Double(holds.conflicts) / Double(max(1, holds.count)), holds.errors))
        }
        let problems = try await SQLiteSeatLedger(database: database).invariantViolations(now: Date())
        print("")
        print(
            problems.isEmpty
                ? "invariant: OK (no seat in two live holds, every held seat owned by its live hold)"
                : "invariant BROKEN:\n" + problems.prefix(20).joined(separator: "\n"))
        if !problems.isEmpty { throw ExitCode.failure }
    }

    /// The next show, 30 minutes or more away, on a screen of 500 seats or more.
    static func hotShow(_ database: MarqueeDatabase) async throws -> String {
        let index = try await SQLiteCatalogStore(database: database).loadCatalog(showsEndingAfter: Date())
        let soon = Date().addingTimeInterval(1800)
        guard
            let show = index.shows.first(where: {
                $0.startsAt > soon && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= 500
            })
        else { throw ValidationError("no upcoming show with 500+ seats; pass --show") }
        return show.id.rawValue
    }
}
