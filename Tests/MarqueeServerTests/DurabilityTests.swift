import AsyncHTTPClient
import Foundation
import GRDB
import MarqueeStore
import MarqueeTestSupport
import NIOCore
import Testing

/// A hold the server acknowledged is still there after the process is killed
/// with SIGKILL: runs the real `marquee` binary.
@Suite struct DurabilityTests {
    @Test func anAcknowledgedHoldSurvivesKillNine() async throws {
        let binary = try Self.marqueeBinary()
        let directory = ScratchDirectory.make("kill")
        let location = try await Stores.testCopy(in: directory)
        let port = ScratchPostgres.freePort()
        // The template's shows are dated by the test clock; the real server runs on the real one.
        let show = try await Self.futureShow(in: location)

        let process = Process()
        process.executableURL = binary
        process.arguments =
            ["serve", "--port", "\(port)", "--data-dir", directory.path, "--log-level", "warning"]
            + Self.databaseArguments(location)
        process.environment = ["MARQUEE_BCRYPT_COST": "4", "MARQUEE_TOKEN_SECRET": TestBoxOffice.secret]
        try process.runTiedToTests()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let base = "http://127.0.0.1:\(port)"
        try await Self.waitUntilLive(base)
        let token =
            try await Self.json(
                "POST", base + "/api/v1/auth/register",
                body: #"{"email":"durable@example.com","password":"correct-horse","name":"D"}"#)["token"] as! String
        let hold = try await Self.json(
            "POST", base + "/api/v1/shows/\(show)/holds", token: token, body: #"{"seat_ids":["B5","B6"]}"#)
        let holdId = try #require(hold["hold_id"] as? String)

        kill(process.processIdentifier, SIGKILL)
        await process.ended()
        #expect(process.terminationReason == .uncaughtSignal)

        let stores = try await Stores.open(location)
        let stored = try await stores.strings(
            "SELECT seat_id FROM show_seats WHERE hold_id = ? AND status = 1 ORDER BY seat_id", [holdId])
        await stores.close()
        #expect(stored == ["B5", "B6"])
    }

    static func marqueeBinary() throws -> URL {
        // Tests run from the build directory that also holds the `marquee` executable.
        let candidates = [
            Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            var url = directory
            for _ in 0..<3 {
                let binary = url.appendingPathComponent("marquee")
                if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
                url = url.deletingLastPathComponent()
            }
        }
        throw TestFailure(
            "the marquee executable was not found next to the tests; run `swift build --build-tests` first")
    }

    static func waitUntilLive(_ base: String) async throws {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: base + "/health/ready"), timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("server did not become ready at \(base)")
    }

    static func databaseArguments(_ location: DatabaseLocation) -> [String] {
        if case .postgres(let url, _) = location { return ["--database-url", url, "--database-pool", "8"] }
        return []
    }

    /// A show at least an hour away on the real clock, on a screen of `seats` or more.
    static func futureShow(in location: DatabaseLocation, seats: Int = 0) async throws -> String {
        let stores = try await Stores.open(location)
        defer { Task { await stores.close() } }
        let index = try await stores.catalog.loadCatalog(showsEndingAfter: Date())
        if let show = index.shows.first(where: {
            $0.startsAt > Date().addingTimeInterval(3600)
                && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= seats
        }) {
            return show.id.rawValue
        }
        // The template's week has passed: add one show an hour from now on an existing screen.
        let everything = try await stores.catalog.loadCatalog(showsEndingAfter: .distantPast)
        var show = everything.shows.last(where: {
            (everything.screensById[$0.screenId]?.layout.seats.count ?? 0) >= seats
        })!
        show.id = .init("durability-\(UUID().uuidString.prefix(8))")
        show.startsAt = Date().addingTimeInterval(3600)
        show.endsAt = show.startsAt.addingTimeInterval(7200)
        try await stores.catalog.save(CatalogContent(shows: [show]))
        return show.id.rawValue
    }

    static func json(_ method: String, _ url: String, token: String? = nil, body: String) async throws -> [String: Any]
    {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.body = .bytes(ByteBuffer(string: body))
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw TestFailure("\(method) \(url) answered \(String(buffer: data))")
        }
        return try JSONSerialization.jsonObject(with: Data(buffer: data)) as! [String: Any]
    }
}
