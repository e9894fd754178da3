import CCurl
import Foundation
import Synchronization

/// One request on its way through `CurlLoop`: what was asked, what has arrived so far, and the
/// continuation of the task awaiting it. Touched by the I/O thread only, except `isCancelled`.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    /// Set by `CurlTransport.send` before the transfer is submitted, resumed once by the I/O thread.
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    let maximumBodyBytes: Int
    var headers: [String: String] = [:]
    var body = Data()
    var bodyTooLarge = false
    /// The request headers as libcurl holds them until the transfer ends.
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// Where libcurl writes the reason of a failure (`CURLOPT_ERRORBUFFER`).
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
    /// Set by the cancelled task, possibly before the transfer reaches the I/O thread.
    let isCancelled = Mutex(false)

    init(request: HTTPRequest, maximumBodyBytes: Int) {
        self.request = request
        self.maximumBodyBytes = maximumBodyBytes
        errorBuffer.initialize(to: 0)
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func resume(with result: Result<HTTPResponse, any Error>) {
        continuation?.resume(with: result)
        continuation = nil
    }

    /// Body bytes as libcurl hands them over; 0 (fewer than offered) makes libcurl abort the transfer.
    func receiveBody(_ bytes: UnsafeRawPointer, count: Int) -> Int {
        guard body.count + count <= maximumBodyBytes else {
            bodyTooLarge = true
            return 0
        }
        body.append(bytes.assumingMemoryBound(to: UInt8.self), count: count)
        return count
    }

    /// One header line, `Name: value\r\n`, or a status line. A status line starts the headers
    /// afresh: a `100 Continue` or a proxy's answer to CONNECT comes before the real one.
    func receiveHeaderLine(_ bytes: UnsafeRawPointer, count: Int) -> Int {
        let line = UnsafeRawBufferPointer(start: bytes, count: count)
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll(keepingCapacity: true)
            return count
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return count }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        var start = colon + 1
        var end = line.count
        while start < end, line[start] == UInt8(ascii: " ") || line[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, [UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(line[end - 1]) { end -= 1 }
        let value = String(decoding: line[start..<end], as: UTF8.self)
        if let earlier = headers[name] {
            headers[name] = earlier + ", " + value
        } else {
            headers[name] = value
        }
        return count
    }

    /// What libcurl said went wrong: its error buffer when it wrote one, else the code's text.
    func failureReason(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}
