import Foundation

/// Where the Kubernetes API is and what authenticates to it, from `providers.kubernetes` and the
/// in-cluster defaults: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the pod's
/// service-account token and CA under `/var/run/secrets/kubernetes.io/serviceaccount/`.
///
/// About the CA: the API server's certificate is checked against `ca_file`, else the pod's
/// service-account `ca.crt`, for this host only (`TrustingTransport`); nothing needs installing
/// system-wide. A local `kubectl proxy` (`api_url: http://127.0.0.1:8001`) needs no CA and no token.
public struct KubernetesEndpoint: Sendable {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var apiURL: URL
    public var token: Secret?
    /// How errors name the token: `providers.kubernetes.token` or the service-account file.
    public var credentialName: String
    /// The CA bundle the API server's certificate must chain to; nil: the system store.
    public var caFile: String?

    public init(apiURL: URL, token: Secret?, credentialName: String, caFile: String? = nil) {
        self.apiURL = apiURL
        self.token = token
        self.credentialName = credentialName
        self.caFile = caFile
    }

    /// - Parameters:
    ///   - environment: the process environment (`KUBERNETES_SERVICE_HOST`, credentials).
    ///   - serviceAccountDirectory: where the pod's token and CA are (tests point it elsewhere).
    /// - Throws: `KubernetesEndpointError` saying which setting is missing or unusable.
    public static func resolve(
        _ settings: KubernetesSettings, environment: [String: String],
        serviceAccountDirectory: String = serviceAccountDirectory
    ) throws(KubernetesEndpointError) -> KubernetesEndpoint {
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
        var credentialName = "providers.kubernetes.token"
        if let reference = settings.token {
            do {
                token = try reference.resolve(environment: environment)
            } catch {
                throw KubernetesEndpointError(message: "providers.kubernetes.token: \(error)")
            }
        } else {
            // The kubelet decides this file's mode (often 0644), so it is read without the
            // group/others check that `file:` references get.
            let path = serviceAccountDirectory + "/token"
            credentialName = "the service-account token (\(path))"
            if let data = FileManager.default.contents(atPath: path) {
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { token = Secret(text) }
            }
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
        return KubernetesEndpoint(apiURL: apiURL, token: token, credentialName: credentialName, caFile: trustedCAFile)
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
