import Foundation
import MarqueeTestSupport
import Testing

/// Out-of-range numbers on the command line are named with their range, even
/// negative ones (which an argument parser reads as another option by default).
@Suite struct CommandLineTests {
    @Test(arguments: [
        (["--hold-ttl", "-5"], "--hold-ttl must be 1...86400 seconds"),
        (["--port", "-1"], "--port must be 0...65535"),
        (["--max-in-flight", "-3"], "--max-in-flight must be 1...100000"),
    ])
    func aNegativeNumberIsNamedWithItsRange(arguments: [String], message: String) async throws {
        let process = Process()
        process.executableURL = try DurabilityTests.marqueeBinary()
        process.arguments = ["serve"] + arguments
        process.environment = ["MARQUEE_DATA_DIR": ScratchDirectory.make("cli").path]
        let errors = Pipe()
        process.standardError = errors
        try process.runTiedToTests()
        await process.ended()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 64)
        #expect(text.contains(message), "\(text)")
    }
}
