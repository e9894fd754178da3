/// An error answer, thrown by a route handler so that its checks read top to bottom as guards.
///
/// It is not a failure of the emulator: the caller turns it back into the response it carries.
struct EmulatorRejection: Error {
    let response: JSONResponse
}
