import Foundation
import Glibc
import MarqueeTestSupport
import Testing

/// A real `marquee serve` stops on SIGTERM even when a request never finishes:
/// once the grace period runs out, what is left is cancelled, and the stop says
/// what it waited for; connections that have asked for nothing yet are closed at
/// once. One that cannot take its port says so and ends.
@Suite struct ShutdownTests {
    @Test func aStopOutlastingItsGracePeriodCancelsWhatIsLeftAndEnds() async throws {
        let directory = ScratchDirectory.make("shutdown")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = ScratchPostgres.freePort()
        let log = directory.appendingPathComponent("instance.log").path
        let instance = try MultiInstanceTests.start(
            try DurabilityTests.marqueeBinary(), ["serve", "--port", "\(port)", "--no-demo"],
            [
                "MARQUEE_DATA_DIR": directory.path, "MARQUEE_SHUTDOWN_GRACE": "2", "MARQUEE_LOG_LEVEL": "info",
                "MARQUEE_BCRYPT_COST": "4",
            ], log: log)
        defer { if instance.isRunning { kill(instance.processIdentifier, SIGKILL) } }
        try await DurabilityTests.waitUntilLive("http://127.0.0.1:\(port)")

        // A client sends the head of a request and one byte of its 100-byte body, then nothing.
        let socket = try Self.connect(port: port)
        defer { close(socket) }
        let head =
            "POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        #expect(head.utf8CString.withUnsafeBufferPointer { send(socket, $0.baseAddress, $0.count - 1, 0) } > 0)
        // Two more have asked for nothing yet: one sent nothing, one half a head.
        // The stop closes them at once instead of waiting for them until it gives up
        // (then it would take 7 s and end with status 70, which the checks below catch).
        let silent = try RawConnection(port: port)
        defer { silent.close() }
        let halfHead = try RawConnection(port: port)
        defer { halfHead.close() }
        halfHead.send("GET /api/v1/cities HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try await Task.sleep(for: .milliseconds(500))

        kill(instance.processIdentifier, SIGTERM)
        let asked = ContinuousClock.now
        try await MultiInstanceTests.eventually(seconds: 15) { !instance.isRunning }
        let took = ContinuousClock.now - asked
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(took < .seconds(8), "stopping took \(took); log:\n\(text.suffix(3000))")
        #expect(instance.terminationStatus == 0, "log:\n\(text.suffix(3000))")
        // It told what it waited for, and the stalled request was cancelled with a 503, not a 500.
        let stopping = text.split(separator: "\n").first { $0.contains("stopping") }
        #expect(stopping?.contains("requests=1") == true, "\(stopping ?? "no 'stopping' line")")
        #expect(text.contains("POST /api/v1/auth/register 503"), "log:\n\(text.suffix(3000))")
        #expect(!text.contains("unhandled error"), "log:\n\(text.suffix(3000))")
        #expect(text.contains("stopped cleanly"))
    }

    @Test func anAddressAlreadyInUseIsSaidPlainlyAndTheProcessEnds() async throws {
        let directory = ScratchDirectory.make("address-in-use")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A free port can be taken by another test between the probe and the listen: try a few.
        var taken: (port: Int, socket: Int32)?
        for _ in 0..<10 where taken == nil {
            let port = ScratchPostgres.freePort()
            if let socket = try? Self.listen(port: port) { taken = (port, socket) }
        }
        let (port, holder) = try #require(taken)
        defer { close(holder) }
        let process = Process()
        process.executableURL = try DurabilityTests.marqueeBinary()
        process.arguments = ["serve", "--port", "\(port)", "--no-demo"]
        process.environment = ["MARQUEE_DATA_DIR": directory.path, "MARQUEE_LOG_LEVEL": "warning"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.runTiedToTests()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await MultiInstanceTests.eventually(seconds: 60) { !process.isRunning }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(text.contains("cannot listen on 127.0.0.1:\(port): the address is in use"), "\(text)")
    }

    @Test func aSecondInstanceOnTheSameSQLiteFileIsRefusedNamingTheFirst() async throws {
        let directory = ScratchDirectory.make("second-instance")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try DurabilityTests.marqueeBinary()
        let environment = ["MARQUEE_DATA_DIR": directory.path, "MARQUEE_LOG_LEVEL": "warning"]
        let port = ScratchPostgres.freePort()
        let first = try MultiInstanceTests.start(binary, ["serve", "--port", "\(port)", "--no-demo"], environment)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await DurabilityTests.waitUntilLive("http://127.0.0.1:\(port)")

        func second() async throws -> (Int32, String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--port", "\(ScratchPostgres.freePort())", "--no-demo"]
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            try process.runTiedToTests()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try await MultiInstanceTests.eventually(seconds: 60) { !process.isRunning }
            return (
                process.terminationStatus,
                String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }
        let (status, text) = try await second()
        #expect(status == 1)
        #expect(text.contains("another marquee serve (pid \(first.processIdentifier)) is using"), "\(text)")
        #expect(first.isRunning)

        // Once the first has gone, however it went, the file is free again.
        kill(first.processIdentifier, SIGKILL)
        await first.ended()
        let next = ScratchPostgres.freePort()
        let third = try MultiInstanceTests.start(binary, ["serve", "--port", "\(next)", "--no-demo"], environment)
        defer { if third.isRunning { kill(third.processIdentifier, SIGKILL) } }
        try await DurabilityTests.waitUntilLive("http://127.0.0.1:\(next)")
    }

    /// A socket listening on `port`, as another process would hold it.
    static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 8) == 0 else {
            if fd >= 0 { Glibc.close(fd) }
            throw TestFailure("cannot listen on \(port)")
        }
        return fd
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, connected == 0 else { throw TestFailure("cannot connect to port \(port)") }
        return fd
    }
}
