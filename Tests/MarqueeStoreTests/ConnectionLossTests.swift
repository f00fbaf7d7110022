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
