import CCurl
import Foundation
import Synchronization

/// libcurl's multi interface driven by one I/O thread. Tasks hand transfers over through a locked
/// inbox and wake the thread (`curl_multi_wakeup`); the thread adds them, lets libcurl move every
/// connection forward (`curl_multi_perform`), resumes the continuations of finished transfers and
/// sleeps in `curl_multi_poll` until a socket, a libcurl timer or the inbox needs it. Connections,
/// TLS sessions, the DNS cache and the parsed CA store live in the multi handle and are reused by
/// every request; finished easy handles are kept for the next request.
final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
        var stopping = false
    }

    private let inbox = Mutex(Inbox())
    private let multi: UnsafeMutableRawPointer
    private let proxy: ProxySettings
    /// Owned by the I/O thread from here on.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []

    /// libcurl's process-wide set-up, once, before any handle exists.
    private static let globalInit: CURLcode = ccurl_global_init()

    init(proxy: ProxySettings, maximumConnections: Int) {
        _ = Self.globalInit
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: libcurl could not allocate its multi handle")
        }
        self.multi = multi
        self.proxy = proxy
        // Keep every connection the per-host budgets can open, so none is closed only to be
        // opened again by the next request.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maximumConnections)
        let thread = Thread { [self] in run() }
        thread.name = "curl-io"
        thread.start()
    }

    // The wake-ups are sent under the inbox lock: once the I/O thread has seen `stopping` (under
    // that lock) it frees the multi handle, which a wake-up sent after the lock would then touch.

    func submit(_ transfer: CurlTransfer) {
        inbox.withLock { inbox in
            inbox.submitted.append(transfer)
            curl_multi_wakeup(multi)
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.isCancelled.withLock { $0 = true }
        inbox.withLock { inbox in
            inbox.cancelled.append(transfer)
            curl_multi_wakeup(multi)
        }
    }

    /// Ends the thread: transfers still running fail, the handles are freed.
    func stop() {
        inbox.withLock { inbox in
            inbox.stopping = true
            curl_multi_wakeup(multi)
        }
    }

    // MARK: - The I/O thread

    private func run() {
        var running: Int32 = 0
        while true {
            let (submitted, cancelled, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.submitted.removeAll(keepingCapacity: true)
                    inbox.cancelled.removeAll(keepingCapacity: true)
                }
                return (inbox.submitted, inbox.cancelled, inbox.stopping)
            }
            if stopping { break }
            for transfer in submitted { start(transfer) }
            for transfer in cancelled { abort(transfer, with: CancellationError()) }
            curl_multi_perform(multi, &running)
            collectFinished()
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for transfer in Array(active.values) {
            abort(transfer, with: TransportError.unreachable(request: transfer.request.summary, reason: "the HTTP transport was shut down"))
        }
        for handle in idleHandles { curl_easy_cleanup(handle) }
        curl_multi_cleanup(multi)
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.isCancelled.withLock({ $0 }) {
            transfer.resume(with: .failure(CancellationError()))
            return
        }
        guard let handle = idleHandles.popLast() ?? curl_easy_init() else {
            transfer.resume(with: .failure(TransportError.unreachable(request: transfer.request.summary, reason: "libcurl could not allocate a handle")))
            return
        }
        curl_easy_reset(handle)
        let code = configure(handle, for: transfer)
        guard code == CURLE_OK else {
            idleHandles.append(handle)
            transfer.resume(with: .failure(TransportError.unreachable(request: transfer.request.summary, reason: transfer.failureReason(code))))
            return
        }
        active[handle] = transfer
        guard curl_multi_add_handle(multi, handle) == CURLM_OK else {
            active[handle] = nil
            idleHandles.append(handle)
            transfer.resume(with: .failure(TransportError.unreachable(request: transfer.request.summary, reason: "libcurl could not start the transfer")))
            return
        }
    }

    private func abort(_ transfer: CurlTransfer, with error: any Error) {
        guard let handle = active.first(where: { $0.value === transfer })?.key else { return }
        finish(handle)
        transfer.resume(with: .failure(error))
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = active[handle]
            else { continue }
            let code = ccurl_message_result(message)
            var status = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            finish(handle)
            transfer.resume(with: Self.outcome(of: transfer, code: code, status: status))
        }
    }

    private func finish(_ handle: UnsafeMutableRawPointer) {
        curl_multi_remove_handle(multi, handle)
        active[handle] = nil
        idleHandles.append(handle)
    }

    private static func outcome(of transfer: CurlTransfer, code: CURLcode, status: Int) -> Result<HTTPResponse, any Error> {
        let request = transfer.request
        if code == CURLE_OK {
            guard status >= 100 else { return .failure(TransportError.invalidResponse(request: request.summary)) }
            return .success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body))
        }
        if transfer.bodyTooLarge {
            return .failure(
                TransportError.unreachable(
                    request: request.summary, reason: "the answer's body is larger than \(transfer.maximumBodyBytes) bytes, the most this client reads"
                )
            )
        }
        if code == CURLE_OPERATION_TIMEDOUT {
            return .failure(TransportError.timedOut(request: request.summary, seconds: Int(request.timeout.components.seconds)))
        }
        return .failure(TransportError.unreachable(request: request.summary, reason: transfer.failureReason(code)))
    }

    // MARK: - One request's options

    private func configure(_ handle: UnsafeMutableRawPointer, for transfer: CurlTransfer) -> CURLcode {
        let request = transfer.request
        let userdata = UnsafeRawPointer(Unmanaged.passUnretained(transfer).toOpaque())
        var options: [(CURLoption, Int)] = [
            (CURLOPT_NOSIGNAL, 1),
            // A redirect could carry a credential to another host; no API we call redirects a correct request.
            (CURLOPT_FOLLOWLOCATION, 0),
            // Never turned off, not even by a flag.
            (CURLOPT_SSL_VERIFYPEER, 1),
            (CURLOPT_SSL_VERIFYHOST, 2),
            (CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS),
            (CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)),
            (CURLOPT_SUPPRESS_CONNECT_HEADERS, 1),
        ]
        if !request.isIdempotent {
            // libcurl (before 8.16 and CURLOPT_FORBID_RETRY_ON_REUSE) sends a request again, by
            // itself, when a reused connection dies before any answer: a POST the server applied
            // would be applied twice (two tokens created, a variable created twice). A fresh
            // connection of its own makes such a loss an error the caller sees and settles.
            options.append((CURLOPT_FRESH_CONNECT, 1))
            options.append((CURLOPT_FORBID_REUSE, 1))
        }
        var strings: [(CURLoption, String)] = [
            (CURLOPT_URL, request.url.absoluteString),
            (CURLOPT_PROTOCOLS_STR, "http,https"),
            (CURLOPT_PROXY, proxy.proxy(forScheme: request.url.scheme)),
        ]
        if let noProxy = proxy.noProxy { strings.append((CURLOPT_NOPROXY, noProxy)) }
        if let caFile = request.caFile { strings.append((CURLOPT_CAINFO, caFile)) }

        switch request.method {
        case "GET":
            options.append((CURLOPT_HTTPGET, 1))
        case "HEAD":
            options.append((CURLOPT_NOBODY, 1))
        default:
            if request.method != "POST" { strings.append((CURLOPT_CUSTOMREQUEST, request.method)) }
        }

        for (option, value) in options {
            let code = ccurl_easy_setopt_long(handle, option, value)
            guard code == CURLE_OK else { return code }
        }
        for (option, value) in strings {
            // libcurl copies string options.
            let code = value.withCString { ccurl_easy_setopt_pointer(handle, option, $0) }
            guard code == CURLE_OK else { return code }
        }
        if request.caFile != nil {
            // `ca_file` replaces the system store for this host: Debian's libcurl also trusts the
            // default CA directory (/etc/ssl/certs) unless it is unset.
            let code = ccurl_easy_setopt_pointer(handle, CURLOPT_CAPATH, nil)
            guard code == CURLE_OK else { return code }
        }
        if request.body != nil || ["POST", "PUT", "PATCH"].contains(request.method) {
            let body = request.body ?? Data()
            var code = ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            guard code == CURLE_OK else { return code }
            // libcurl copies the body; an empty one still needs a pointer, or it would read stdin.
            code = body.isEmpty
                ? "".withCString { ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0) }
                : body.withUnsafeBytes { ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            guard code == CURLE_OK else { return code }
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        // No `Expect: 100-continue` wait before a large body, and no form content type that the
        // request did not ask for.
        list = curl_slist_append(list, "Expect:")
        if !request.headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            list = curl_slist_append(list, "Content-Type:")
        }
        transfer.headerList = list

        let callbacks: [(CURLoption, UnsafeRawPointer?)] = [
            (CURLOPT_HTTPHEADER, UnsafeRawPointer(list)),
            (CURLOPT_ERRORBUFFER, UnsafeRawPointer(transfer.errorBuffer)),
            (CURLOPT_WRITEDATA, userdata),
            (CURLOPT_HEADERDATA, userdata),
        ]
        for (option, value) in callbacks {
            let code = ccurl_easy_setopt_pointer(handle, option, value)
            guard code == CURLE_OK else { return code }
        }
        var code = ccurl_easy_setopt_write(handle, CURLOPT_WRITEFUNCTION, Self.writeBody)
        guard code == CURLE_OK else { return code }
        code = ccurl_easy_setopt_write(handle, CURLOPT_HEADERFUNCTION, Self.writeHeader)
        return code
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static let writeBody: curl_write_callback = { bytes, size, count, userdata in
        guard let bytes, let userdata else { return 0 }
        return Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue().receiveBody(bytes, count: size * count)
    }

    private static let writeHeader: curl_write_callback = { bytes, size, count, userdata in
        guard let bytes, let userdata else { return 0 }
        return Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue().receiveHeaderLine(bytes, count: size * count)
    }
}
