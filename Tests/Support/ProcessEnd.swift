import Foundation

extension Process {
    /// Waits until the process has ended without holding a thread: the tests run
    /// on a pool of as many threads as cores, and a blocking `waitUntilExit()`
    /// would stall every other test's tasks meanwhile.
    public func ended() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
