/// Why a request's body is not the JSON object an emulated service expects. Each service words
/// the refusal its own way, so each maps these to its own error answer.
enum RequestBodyProblem: Error {
    /// Over `Request.maximumBodySize`.
    case tooLarge
    case notJSON
    /// JSON, but not an object.
    case notObject
}
