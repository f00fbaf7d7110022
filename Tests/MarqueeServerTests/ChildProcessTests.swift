import Foundation
import MarqueeTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The servers tests start die with the process that started them, so a crashed
/// test run leaves none behind to hold its output open.
@Suite struct ChildProcessTests {
    @Test func aTiedProcessRunsWhileItsParentDoesAndIsKilledOnceItHasGone() async throws {
        // `sleep 120` stands in for the test process, and ends when the test kills
        // it (a parent that ends by itself could end early or late on a busy machine).
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sleep")
        parent.arguments = ["120"]
        try parent.runTiedToTests()
        defer { if parent.isRunning { kill(parent.processIdentifier, SIGKILL) } }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.runTied(to: parent.processIdentifier)
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

        // The watchdog looks once a second; after a few looks the child still runs.
        try await Task.sleep(for: .seconds(3))
        #expect(parent.isRunning && child.isRunning)
        kill(parent.processIdentifier, SIGKILL)
        await parent.ended()
        try await MultiInstanceTests.eventually(seconds: 10) { !child.isRunning }
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
    }
}
