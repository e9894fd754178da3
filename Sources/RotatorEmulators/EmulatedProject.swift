/// An Envshed project: pulls address it by slug, token scopes by id.
struct EmulatedProject: Sendable {
    let slug: String
    let id: String
}
