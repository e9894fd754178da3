import Foundation

/// A GitHub App installation access token (`ghs_…`) and when GitHub said it expires (one hour).
struct InstallationToken: Sendable {
    var token: Secret
    var expiresAt: Date
}
