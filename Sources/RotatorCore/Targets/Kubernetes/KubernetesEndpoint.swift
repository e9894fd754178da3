import Foundation

/// Where the Kubernetes API is and what authenticates to it, from `providers.kubernetes` and the
/// in-cluster defaults: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the pod's
/// service-account token and CA under `/var/run/secrets/kubernetes.io/serviceaccount/`.
///
/// About the CA: the API server's certificate is checked against `ca_file`, else the pod's
/// service-account `ca.crt`, for this host only (`TrustingTransport`); nothing needs installing
/// system-wide. A local `kubectl proxy` (`api_url: http://127.0.0.1:8001`) needs no CA and no token.
///
/// About the service-account token: the kubelet replaces a projected token before it expires
/// (by default at 80 % of its one-hour life), so it is read again before every request, as
/// client-go does, instead of once per run: a run that waits ten minutes for a rollout must not
/// go on with a token the API server has stopped accepting.
/// https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
public struct KubernetesEndpoint: Sendable {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// Points the in-cluster defaults at another directory holding `token` and `ca.crt`: for the
    /// tests, and for a token mounted elsewhere (a projected volume with its own audience).
    public static let serviceAccountDirectoryVariable = "ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR"

    /// The service-account directory this process uses: `$ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR`,
    /// else the one Kubernetes mounts in every pod.
    public static func serviceAccountDirectory(environment: [String: String]) -> String {
        if let configured = environment[serviceAccountDirectoryVariable], !configured.isEmpty { return configured }
        return serviceAccountDirectory
    }

    public var apiURL: URL
    /// The token as first read: `providers.kubernetes.token`, or the service-account file's content.
    public var token: Secret?
    /// The service-account token file, read again before every request (see above); nil when the
    /// plan configures `providers.kubernetes.token`.
    public var tokenFile: String?
    /// How errors name the token: `providers.kubernetes.token` or the service-account file.
    public var credentialName: String
    /// The CA bundle the API server's certificate must chain to; nil: the system store.
    public var caFile: String?

    public init(apiURL: URL, token: Secret?, credentialName: String, caFile: String? = nil, tokenFile: String? = nil) {
        self.apiURL = apiURL
        self.token = token
        self.credentialName = credentialName
        self.caFile = caFile
        self.tokenFile = tokenFile
    }

    /// The token to send now: the service-account file as it is now, else the token first read (a
    /// file caught mid-replacement or gone stays usable until the API server says otherwise: a 401
    /// then names the file).
    public func currentToken() -> Secret? {
        guard let tokenFile, let fresh = Self.readToken(tokenFile) else { return token }
        return fresh
    }

    /// The kubelet decides this file's mode (often 0644), so it is read without the group/others
    /// check that `file:` references get.
    static func readToken(_ path: String) -> Secret? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : Secret(text)
    }

    /// - Parameters:
    ///   - environment: the process environment (`KUBERNETES_SERVICE_HOST`, credentials).
    ///   - serviceAccountDirectory: where the pod's token and CA are; nil: `serviceAccountDirectory(environment:)`.
    /// - Throws: `KubernetesEndpointError` saying which setting is missing or unusable.
    public static func resolve(
        _ settings: KubernetesSettings, environment: [String: String],
        serviceAccountDirectory: String? = nil
    ) throws(KubernetesEndpointError) -> KubernetesEndpoint {
        let serviceAccountDirectory = serviceAccountDirectory ?? Self.serviceAccountDirectory(environment: environment)
        let apiURL: URL
        if let configured = settings.apiURL {
            apiURL = configured
        } else if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            let port = environment["KUBERNETES_SERVICE_PORT_HTTPS"] ?? environment["KUBERNETES_SERVICE_PORT"] ?? "443"
            let bracketed = host.contains(":") ? "[\(host)]" : host
            guard let url = URL(string: "https://\(bracketed):\(port)") else {
                throw KubernetesEndpointError(message: "providers.kubernetes: KUBERNETES_SERVICE_HOST/PORT do not form a URL")
            }
            apiURL = url
        } else {
            throw KubernetesEndpointError(
                message: "providers.kubernetes.api_url is not set and KUBERNETES_SERVICE_HOST is not either (not running in a pod); set api_url (http://127.0.0.1:8001 for a kubectl proxy)"
            )
        }

        var token: Secret?
        var tokenFile: String?
        var credentialName = "providers.kubernetes.token"
        if let reference = settings.token {
            do {
                token = try reference.resolve(environment: environment)
            } catch {
                throw KubernetesEndpointError(message: "providers.kubernetes.token: \(error)")
            }
        } else {
            let path = serviceAccountDirectory + "/token"
            credentialName = "the service-account token (\(path))"
            tokenFile = path
            token = readToken(path)
        }

        var trustedCAFile: String?
        if apiURL.scheme == "https" {
            let caFile = settings.caFile ?? serviceAccountDirectory + "/ca.crt"
            let explicit = settings.caFile != nil
            if explicit || FileManager.default.fileExists(atPath: caFile) {
                try checkReadable(caFile: caFile, setting: explicit ? "providers.kubernetes.ca_file" : "the service-account CA")
                trustedCAFile = caFile
            }
        }
        return KubernetesEndpoint(apiURL: apiURL, token: token, credentialName: credentialName, caFile: trustedCAFile, tokenFile: tokenFile)
    }

    /// A CA bundle that cannot be read would fail every request with a TLS error; say so at the start.
    static func checkReadable(caFile: String, setting: String) throws(KubernetesEndpointError) {
        guard let data = FileManager.default.contents(atPath: caFile) else {
            throw KubernetesEndpointError(message: "\(setting): cannot read \(caFile)")
        }
        guard !certificates(in: String(decoding: data, as: UTF8.self)).isEmpty else {
            throw KubernetesEndpointError(message: "\(setting): \(caFile) holds no PEM certificate")
        }
    }

    /// The base64 bodies of the PEM certificates in `text`, whitespace removed.
    static func certificates(in text: String) -> Set<String> {
        var result = Set<String>()
        var current: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "-----BEGIN CERTIFICATE-----" {
                current = ""
            } else if trimmed == "-----END CERTIFICATE-----" {
                if let body = current, !body.isEmpty { result.insert(body) }
                current = nil
            } else if current != nil {
                current? += trimmed
            }
        }
        return result
    }
}

/// `providers.kubernetes` cannot be used on this machine.
public struct KubernetesEndpointError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
