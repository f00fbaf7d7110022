import ServiceLifecycle

/// The loop every background worker runs: `tick` now, then every `interval`,
/// until the application shuts down gracefully (a sleep in progress is cut short).
func repeatUntilShutdown(every interval: Duration, _ tick: () async -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        await tick()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}
