import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MarqueeCore
import MarqueeStore
import Mustache
import ServiceLifecycle

/// Builds the HTTP application around an opened box office.
public func buildApplication(_ box: BoxOffice) -> some ApplicationProtocol {
    buildApplication(box, feed: SeatFeed(inventory: box.inventory, clock: box.environment.clock))
}

/// `admission` replaces the gate the configuration describes (tests hold its turns themselves).
func buildApplication(
    _ box: BoxOffice, feed: SeatFeed, activity: Activity = Activity(), admission: AdmissionGate? = nil
) -> some ApplicationProtocol {
    let configuration = box.configuration
    let router = buildRouter(box, feed: feed, activity: activity, admission: admission)
    let expiry = HoldExpiryService(
        inventory: box.inventory, idempotencyKeys: box.idempotencyKeys, interval: configuration.expirySweepInterval,
        logger: box.logger)
    let refunds = RefundWorker(
        bookings: box.bookings, gateway: box.sandboxPayments, clock: box.environment.clock, interval: .seconds(1),
        logger: box.logger)
    let reconciler = PaymentReconciler(
        attempts: box.paymentAttempts, bookings: box.bookings, gateway: box.sandboxPayments,
        clock: box.environment.clock,
        interval: .seconds(30), logger: box.logger)
    let pspWebhooks = SandboxWebhookSender(
        sandbox: box.sandboxPayments, secret: box.paymentWebhookSecret, clock: box.environment.clock,
        interval: .seconds(1), logger: box.logger)
    var services = [
        activity.track(expiry, as: "hold expiry"), activity.track(refunds, as: "refunds"),
        activity.track(buildOutboxDispatcher(box), as: "outbox dispatch"),
        activity.track(reconciler, as: "payment reconciler"), activity.track(pspWebhooks, as: "sandbox webhooks"),
        activity.track(feed, as: "live seat feed"),
    ]
    if case .postgres(let database) = box.stores.backend {
        services.append(
            activity.track(
                SeatChangeListener(database: database, inventory: box.inventory, logger: box.logger),
                as: "seat change listener"))
    }
    return Application(
        router: router,
        // A keep-alive connection left idle is closed (after 75 s, as nginx does); one
        // that sends no complete first request in time too (FirstRequestGuard).
        server: .guardedHTTP1WebSocketUpgrade(
            configuration: .init(http1: .init(idleTimeout: .init(configuration.idleConnectionTimeout))),
            firstRequestTimeout: .init(configuration.firstRequestTimeout),
            shouldUpgrade: LiveSeatRoutes.upgrade(catalog: box.catalog, feed: feed)),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "marquee", backlog: 4096),
        services: services,
        onServerRunning: { channel in
            // The sandbox sends its webhooks to this server, whose port is known only now.
            let port = channel.localAddress?.port ?? configuration.port
            var host = channel.localAddress?.ipAddress ?? "127.0.0.1"
            if host == "0.0.0.0" { host = "127.0.0.1" } else if host == "::" { host = "::1" }
            if host.contains(":") { host = "[\(host)]" }
            pspWebhooks.deliver(to: "http://\(host):\(port)/api/v1/payments/webhook")
        },
        logger: box.logger)
}

/// The worker that turns outbox events into e-mails (under `<data-dir>/mailbox`) and webhooks.
func buildOutboxDispatcher(_ box: BoxOffice) -> OutboxDispatcher {
    OutboxDispatcher(
        outbox: box.outbox, bookings: box.bookings, accounts: box.accounts, catalog: box.catalog,
        mailbox: (box.configuration.dataDirectory as NSString).appendingPathComponent("mailbox"),
        webhookURLs: box.configuration.webhookURLs, webhookSecret: box.webhookSecret,
        publicURL: box.configuration.resolvedPublicURL, clock: box.environment.clock,
        interval: .seconds(1), logger: box.logger)
}

/// The routes: health at the root, the JSON API under /api/v1.
public func buildRouter(_ box: BoxOffice) -> Router<AppRequestContext> {
    buildRouter(box, feed: SeatFeed(inventory: box.inventory, clock: box.environment.clock))
}

func buildRouter(
    _ box: BoxOffice, feed: SeatFeed, activity: Activity = Activity(), admission: AdmissionGate? = nil
) -> Router<AppRequestContext> {
    // HEAD answers what GET would, without the body (uptime checks and load balancers ask this way).
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let metrics = ServerMetrics()
    let gate =
        admission ?? AdmissionGate(capacity: box.configuration.maxInFlight, queueLimit: box.configuration.maxQueued)
    router.add(middleware: activity.counter)
    router.add(middleware: metrics.middleware)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: AdmissionMiddleware(gate: gate))
    let pages = Pages.loadOrReport(logger: box.logger)
    HealthRoutes(stores: box.stores, pagesProblem: pages.problem).register(on: router)
    router.get("metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: metrics.scrape(gate: gate, feed: feed, box: box))))
    }

    let api = router.group("api/v1").add(middleware: AuthMiddleware(tokens: box.tokens))
    let clock = box.environment.clock
    CatalogRoutes(catalog: box.catalog, inventory: box.inventory, clock: clock).register(on: api)
    SeatRoutes(catalog: box.catalog, inventory: box.inventory, cache: SeatMapCache(), clock: clock).register(on: api)
    LiveSeatRoutes(catalog: box.catalog, feed: feed).register(on: api)
    let idempotency = Idempotency(store: box.idempotencyKeys, clock: clock)
    HoldRoutes(catalog: box.catalog, inventory: box.inventory, clock: clock, idempotency: idempotency).register(on: api)
    BookingRoutes(
        checkout: Checkout(
            inventory: box.inventory, bookings: box.bookings, attempts: box.paymentAttempts,
            gateway: box.sandboxPayments,
            signer: box.ticketSigner,
            ids: box.environment.ids, clock: clock, logger: box.logger),
        bookings: box.bookings, idempotency: idempotency, signer: box.ticketSigner, catalog: box.catalog
    ).register(on: api)
    SandboxPaymentRoutes(sandbox: box.sandboxPayments).register(on: router)
    PaymentWebhookRoutes(bookings: box.bookings, secret: box.paymentWebhookSecret, clock: clock).register(on: api)
    CheckInRoutes(
        bookings: box.bookings, accounts: box.accounts,
        verifier: TicketVerifier(publicKey: box.ticketSigner.publicKey)!, catalog: box.catalog, clock: clock
    ).register(on: api)
    AuthRoutes(
        accounts: box.accounts, tokens: box.tokens, clock: clock, ids: box.environment.ids,
        bcryptCost: box.configuration.bcryptCost
    ).register(on: api)
    WebRoutes(
        pages: pages, catalog: box.catalog, inventory: box.inventory,
        bookings: box.bookings,
        accounts: box.accounts, tokens: box.tokens, clock: clock, ids: box.environment.ids,
        bcryptCost: box.configuration.bcryptCost, tokenLifetime: box.configuration.tokenLifetime,
        holdTTL: box.configuration.holdTTL,
        secureCookies: box.configuration.resolvedPublicURL.hasPrefix("https://")
    ).register(on: router)
    router.add(
        middleware: FileMiddleware(
            Pages.resources + "/static", urlBasePath: "/static",
            cacheControl: .init([(MediaType(type: .any), [.noCache])]),
            logger: box.logger))
    return router
}
