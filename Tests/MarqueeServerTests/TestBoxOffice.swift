import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import MarqueeStore
import MarqueeTestSupport
import PostgresNIO

/// Box offices for tests: each gets its own copy of one demo database seeded
/// once per test run (the template), a manual clock and port 0. With
/// MARQUEE_TEST_DATABASE=postgres the copies are PostgreSQL databases made from
/// a template database on a scratch cluster, so the whole API suite runs there.
enum TestBoxOffice {
    static let onPostgres = ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE"] == "postgres"

    /// Monday 2026-11-23 04:00 UTC: morning in Mumbai, night before in New York.
    static let start = Date(timeIntervalSince1970: 1_795_406_400)
    static let secret = String(repeating: "test-secret-", count: 4)

    static func make(
        clock: ManualTimeSource = ManualTimeSource(start), holdTTL: TimeInterval = 600,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> BoxOffice {
        let template = try await Template.shared.path()
        let directory = ScratchDirectory.make("test")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = configuration(directory.path, holdTTL: holdTTL)
        if onPostgres {
            configuration.databaseURL = try await ScratchPostgres.shared.createDatabase(template: template)
        } else {
            try FileManager.default.copyItem(
                atPath: template, toPath: directory.appendingPathComponent("marquee.sqlite").path)
        }
        configure(&configuration)
        return try await BoxOffice.open(configuration, environment: AppEnvironment(clock: clock))
    }

    static func configuration(_ directory: String, holdTTL: TimeInterval = 600) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = directory
        configuration.holdTTL = holdTTL
        configuration.bcryptCost = 4
        configuration.tokenSecret = secret
        configuration.logLevel = .warning
        configuration.databasePoolSize = 8
        return configuration
    }

    actor Template {
        static let shared = Template()
        /// One seeding for every test; callers that arrive while it runs wait for it.
        private var seeding: Task<String, any Error>?

        func path() async throws -> String {
            if seeding == nil { seeding = Task { try await Self.seed() } }
            return try await seeding!.value
        }

        /// The template's SQLite path, or its PostgreSQL database name.
        private static func seed() async throws -> String {
            let directory = ScratchDirectory.make("template")
            var configuration = TestBoxOffice.configuration(directory.path)
            if onPostgres {
                if case .unavailable(let why) = await ScratchPostgres.shared.availability() {
                    throw TestFailure("MARQUEE_TEST_DATABASE=postgres but PostgreSQL is not available: \(why)")
                }
                configuration.databaseURL = try await ScratchPostgres.shared.createDatabase()
            }
            let box = try await BoxOffice.open(
                configuration, environment: AppEnvironment(clock: ManualTimeSource(TestBoxOffice.start)))
            switch box.stores.backend {
            case .sqlite(let database):
                // Fold the WAL into the main file so that copying the file copies everything.
                _ = try await database.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
                return box.configuration.databasePath
            case .postgres:
                // A template database must have no connections while it is copied.
                await box.stores.close()
                let name = String(configuration.databaseURL!.split(separator: "/").last!)
                try await ScratchPostgres.shared.dropConnections(to: name)
                return name
            }
        }
    }
}

/// JSON helpers over Hummingbird's test client.
struct APIClient {
    let client: any TestClientProtocol

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: String? = nil,
        headers: HTTPFields = [:]
    )
        async throws -> TestResponse
    {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Registers a new customer and returns their token.
    func register(_ name: String) async throws -> String {
        let response = try await send(
            .post, "/api/v1/auth/register",
            json: #"{"email":"\#(name)@example.com","password":"correct-horse","name":"\#(name)"}"#)
        guard response.status == .created, let token = try response.object()["token"] as? String else {
            throw TestFailure("register \(name) answered \(response.status): \(String(buffer: response.body))")
        }
        return token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    func object() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(buffer: body))")
        }
        return object
    }
}

extension BoxOffice {
    /// The first column of a query's rows as text, on either backend (`?` placeholders).
    func strings(_ sql: String, _ arguments: String...) async throws -> [String] {
        try await stores.strings(sql, arguments)
    }

    /// Runs a changing statement on either backend; errors come back as the driver threw them.
    func execute(_ sql: String, _ arguments: String...) async throws {
        try await stores.execute(sql, arguments)
    }
}

extension Stores {
    /// A fresh database for a test, copied from the seeded template, and its location.
    static func testCopy(in directory: URL) async throws -> DatabaseLocation {
        let template = try await TestBoxOffice.Template.shared.path()
        if TestBoxOffice.onPostgres {
            return .postgres(url: try await ScratchPostgres.shared.createDatabase(template: template), poolSize: 4)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("marquee.sqlite").path
        try FileManager.default.copyItem(atPath: template, toPath: path)
        return .sqlite(path: path)
    }

    func strings(_ sql: String, _ arguments: [String]) async throws -> [String] {
        switch backend {
        case .sqlite(let database):
            return try await database.pool.read { db in
                try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            }
        case .postgres(let database):
            var query = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql))
            for argument in arguments { query.binds.append(argument) }
            var out: [String] = []
            for try await value in try await database.client.query(query).decode(String.self) { out.append(value) }
            return out
        }
    }

    func execute(_ sql: String, _ arguments: [String]) async throws {
        switch backend {
        case .sqlite(let database):
            try await database.pool.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
        case .postgres(let database):
            var query = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql))
            for argument in arguments { query.binds.append(argument) }
            _ = try await database.client.query(query).collect()
        }
    }

    private static func numberedPlaceholders(_ sql: String) -> String {
        var n = 0
        return sql.map { character -> String in
            guard character == "?" else { return String(character) }
            n += 1
            return "$\(n)"
        }.joined()
    }

}

extension BoxOffice {
    /// A show of the demo data that starts after `date`, on a screen of at least `seats` seats.
    func upcomingShow(after date: Date, seats: Int = 0) -> Show {
        let index = catalog.snapshot.index
        return index.shows.first {
            $0.startsAt > date && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= seats
        }!
    }
}
