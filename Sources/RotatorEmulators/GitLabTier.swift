/// The GitLab subscription the emulator plays. It matters for group variables only: their
/// `environment_scope` and the `filter[environment_scope]` parameter are Premium and Ultimate
/// features (https://docs.gitlab.com/api/group_level_variables/#the-filter-parameter).
public enum GitLabTier: Sendable {
    /// Scoped group variables honoured.
    case premium
    /// On a group, `environment_scope` in a body is dropped without an error (GitLab's
    /// `filter_variable_parameters`, https://gitlab.com/gitlab-org/gitlab/-/merge_requests/55573)
    /// and `filter[environment_scope]` is ignored: a write meant for one scope lands in `*`, or in
    /// whichever variable has the key.
    case free
}
