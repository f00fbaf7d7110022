import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import MarqueeStore

/// Box offices for tests: each gets its own copy of one demo database seeded
/// once per test run (the template), a manual clock and port 0.
enum TestBoxOffice {
    /// Monday 2026-11-23 04:00 UTC: morning in Mumbai, night before in New York.
    static let start = Date(timeIntervalSince1970: 1_795_406_400)
    static let secret = String(repeating: "test-secret-", count: 4)

    static func make(
        clock: ManualTimeSource = ManualTimeSource(start), holdTTL: TimeInterval = 600,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> BoxOffice {
        let template = try await Template.shared.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "marquee-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: template, toPath: directory.appendingPathComponent("marquee.sqlite").path)
        var configuration = configuration(directory.path, holdTTL: holdTTL)
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

        private static func seed() async throws -> String {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "marquee-template-\(UUID().uuidString)")
            let box = try await BoxOffice.open(
                TestBoxOffice.configuration(directory.path),
                environment: AppEnvironment(clock: ManualTimeSource(TestBoxOffice.start)))
            // Fold the WAL into the main file so that copying the file copies everything.
            try await box.database.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            return box.configuration.databasePath
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
    /// A show of the demo data that starts after `date`, on a screen of at least `seats` seats.
    func upcomingShow(after date: Date, seats: Int = 0) -> Show {
        let index = catalog.snapshot.index
        return index.shows.first {
            $0.startsAt > date && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= seats
        }!
    }
}
