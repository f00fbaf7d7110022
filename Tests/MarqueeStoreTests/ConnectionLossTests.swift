import Foundation
import Logging
import MarqueeTestSupport
import PostgresNIO
import Testing

@testable import MarqueeStore

/// A call whose connection closes under it ends with an error instead of waiting
/// for an answer that will never come.
@Suite(.enabled(if: StoreBackend.postgresInstalled, "PostgreSQL server binaries are not installed"))
struct ConnectionLossTests {
    @Test func aQueryOnAConnectionThatHasClosedFailsInsteadOfWaitingForEver() async throws {
        let stores = try await Stores.open(
            .postgres(url: try await ScratchPostgres.shared.createDatabase(), poolSize: 2),
            logger: Logger(label: "test"))
        guard case .postgres(let database) = stores.backend else {
            Issue.record("the store is not on PostgreSQL")
            return
        }
        let logger = Logger(label: "test")
        // PostgresNIO drops a query written to a closed connection without answering it.
        let outcome = await Self.within(.seconds(20)) {
            try await database.withConnection { connection in
                try await connection.close()
                return try await connection.run("SELECT 1", logger: logger)
            }
        }
        switch outcome {
        case nil: Issue.record("the call was still waiting after 20 s")
        case .success(let rows): Issue.record("a closed connection answered \(rows) rows")
        case .failure(let error):
            #expect(DatabaseFailure.isOutOfReach(error), "\(error)")
            #expect(error is ConnectionLost, "\(error)")
        }
        // Nothing is left waiting, and the pool serves the next call on a fresh connection.
        #expect(database.calls.count == 0)
        #expect(try await database.rows("SELECT 1", as: Int.self, logger: logger) == [1])
        await stores.close()
    }

    @Test func aCallWaitingForAConnectionFailsWithinSecondsWhileTheDatabaseRefusesThem() async throws {
        let url = try await ScratchPostgres.shared.createDatabase()
        let name = try #require(url.split(separator: "/").last.map(String.init))
        let logger = Logger(label: "test")
        let database = try await PostgresBackend(url: url, poolSize: 2, patience: .seconds(1), logger: logger)
        #expect(try await database.rows("SELECT 1", as: Int.self, logger: logger) == [1])
        // The pool's connections end and new ones are refused: the pool retries for a minute.
        try await ScratchPostgres.shared.acceptConnections(to: name, false)
        // The server ends its sessions at once, but the pool may not have read that yet and
        // hand an idle connection to the next call, which then fails on the closed session.
        // That happens at most once per pooled connection; the call after them waits.
        var asked = ContinuousClock.now
        var outcome: Result<[Int], any Error>?
        for _ in 0...2 {
            asked = ContinuousClock.now
            outcome = await Self.within(.seconds(40)) {
                try await database.rows("SELECT 1", as: Int.self, logger: logger)
            }
            guard case .failure(let error) = outcome, !(error is NoConnection) else { break }
            #expect(DatabaseFailure.isOutOfReach(error), "\(String(reflecting: error))")
        }
        let waited = ContinuousClock.now - asked
        switch outcome {
        case nil: Issue.record("the call was still waiting for a connection after 40 s")
        case .success(let rows): Issue.record("a database refusing connections answered \(rows)")
        case .failure(let error):
            #expect(error is NoConnection, "\(error)")
            #expect(DatabaseFailure.isOutOfReach(error), "\(error)")
            #expect("\(error)".contains("not currently accepting connections"), "\(error)")
            #expect(waited < .seconds(10), "failed after \(waited)")
        }
        #expect(database.calls.count == 0)
        // Once the database takes connections again, so does the pool.
        try await ScratchPostgres.shared.acceptConnections(to: name, true)
        let deadline = ContinuousClock.now + .seconds(90)
        var answer: [Int] = []
        while answer.isEmpty && ContinuousClock.now < deadline {
            do { answer = try await database.rows("SELECT 1", as: Int.self, logger: logger) } catch {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        #expect(answer == [1])
        await database.close()
    }

    @Test func aCallWaitingOnABusyPoolWaitsItsTurn() async throws {
        let logger = Logger(label: "test")
        let database = try await PostgresBackend(
            url: try await ScratchPostgres.shared.createDatabase(), poolSize: 2, patience: .seconds(1), logger: logger)
        // Both connections busy for 4 s; the database itself takes connections.
        let sleepers = (0..<2).map { _ in
            Task { try await database.rows("SELECT 1 FROM pg_sleep(4)", as: Int.self, logger: logger) }
        }
        try await Task.sleep(for: .milliseconds(500))
        let asked = ContinuousClock.now
        let answer = try await database.rows("SELECT 2", as: Int.self, logger: logger)
        let waited = ContinuousClock.now - asked
        #expect(answer == [2])
        #expect(waited > .seconds(2), "the call did not wait for a busy connection (\(waited))")
        for sleeper in sleepers { #expect(try await sleeper.value == [1]) }
        await database.close()
    }

    /// What `body` came to, or nil if it had not finished within `limit` (it is left running).
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async
        -> Result<
            T, any Error
        >?
    {
        await withCheckedContinuation { continuation in
            let once = Once()
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                if once.first() { continuation.resume(returning: result) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.first() { continuation.resume(returning: nil) }
            }
        }
    }
}
