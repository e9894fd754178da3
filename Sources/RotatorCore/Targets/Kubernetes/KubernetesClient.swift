import Foundation
import Logging

/// The Kubernetes API as the Secret targets use it: bearer auth (when there is a token), JSON
/// answers, `Status` errors turned into `TargetError` naming the RBAC verbs that are missing.
public struct KubernetesClient: Sendable {
    /// The field manager of the Deployment restarts (Secrets are applied under the per-key
    /// `KubernetesFieldManager`): `kubectl get deployment -o yaml --show-managed-fields` shows it.
    static let fieldManager = "envshed-rotator"

    private let transport: any HTTPTransport
    private let endpoint: KubernetesEndpoint

    public init(transport: any HTTPTransport, endpoint: KubernetesEndpoint) {
        self.transport = transport
        self.endpoint = endpoint
    }

    /// - Parameter path: already percent-encoded, query included.
    func send(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, target: Target, operation: String, logger: Logger
    ) async throws(TargetError) -> HTTPResponse {
        guard let url = URLJoin.join(endpoint.apiURL, path) else {
            throw TargetError(provider: .kubernetes, target: target.label, operation: operation, message: "cannot build a URL from \(endpoint.apiURL)")
        }
        var headers = ["Accept": "application/json", "User-Agent": UserAgent.value]
        endpoint.currentToken()?.withRevealed { headers["Authorization"] = "Bearer \($0)" }
        if let contentType { headers["Content-Type"] = contentType }
        // The only PATCHes sent are a server-side apply of the whole intended state of one key and
        // a merge patch setting one annotation to a value fixed before the first attempt: sending
        // either again leaves the object as one send would, so they are retried like PUT.
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body, isIdempotent: method == "PATCH" ? true : nil)
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            let hint = url.scheme == "https"
                ? "if this is a certificate error: set providers.kubernetes.ca_file to the cluster's CA (in a pod, its service account's ca.crt is used), or reach the API through kubectl proxy on loopback"
                : nil
            throw TargetError(
                provider: .kubernetes, target: target.label, operation: operation, message: "\(error)", hint: hint, mayHaveWritten: request.isWrite
            )
        }
        logger.debug("http", metadata: [
            "http.request": "\(request.summary)",
            "http.status": "\(response.status)",
            LogKeys.durationMS: "\(started.duration(to: .now).milliseconds)",
        ])
        return response
    }

    /// Turns a non-success answer into an error that says what failed and what to do.
    /// - Parameters:
    ///   - resource: `secrets` or `deployments`, for the RBAC hint.
    func failure(_ response: HTTPResponse, target: Target, namespace: String, resource: String, operation: String) -> TargetError {
        let status = response.jsonObject()
        let message = (status?["message"] as? String).map(HTTPResponse.quote) ?? response.bodySnippet
        let reason = (status?["reason"] as? String).map(HTTPResponse.quote)
        var hint: String?
        switch response.status {
        case 401:
            hint = "\(endpoint.credentialName) was rejected: it is missing, expired or not a token of this cluster"
        case 403:
            // `envshed-rotator plan --rbac` prints the whole Role.
            let verbs = resource == "secrets"
                ? "get and patch on secrets (and create while the Secret does not exist: server-side apply creates it)"
                : "get and patch on deployments.apps (to restart and to wait for the rollout)"
            hint = "\(endpoint.credentialName) lacks RBAC permission: the bot needs \(verbs) in namespace \(namespace); envshed-rotator plan --rbac prints the Roles the plan needs"
        case 404:
            hint = resource == "secrets" ? "the namespace \(namespace) does not exist" : "no such deployment in namespace \(namespace)"
        case 409:
            hint = "conflicting writes kept happening (retried)"
        case 422 where message.lowercased().contains("immutable"):
            hint = "the Secret is immutable: Kubernetes cannot change it; create a new Secret and point the workload at it"
        case 429:
            hint = "the API server is throttling (API Priority and Fairness); retry after \(response.header("retry-after").map { "\($0)s" } ?? "a while")"
        default:
            break
        }
        return TargetError(
            provider: .kubernetes, target: target.label, operation: operation, status: response.status,
            message: reason.map { "\($0): \(message)" } ?? message, hint: hint, mayHaveWritten: response.status >= 500 || response.followsUncertainAttempt
        )
    }
}
