import Hummingbird

/// Hands every request, whatever its method and path, to one emulator's handler.
///
/// The emulators route by hand instead of through Hummingbird's `Router` because they must see
/// every request first (injected faults, header checks, recording), answer unknown routes in the
/// service's own error format, and keep `%2F` inside a path segment.
struct EmulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let handler: @Sendable (Request) async -> Response

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        await handler(request)
    }
}
