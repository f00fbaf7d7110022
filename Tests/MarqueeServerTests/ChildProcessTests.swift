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
        // `sleep 3` stands in for the test process.
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sleep")
        parent.arguments = ["3"]
        try parent.runTiedToTests()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.runTied(to: parent.processIdentifier)
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

        try await Task.sleep(for: .seconds(1))
        #expect(parent.isRunning && child.isRunning)
        await parent.ended()
        try await MultiInstanceTests.eventually(seconds: 10) { !child.isRunning }
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
    }
}
