/// What one page of Envshed's token list says about the rest of the list (see
/// `EnvshedAPIAssumptions.listPage`): where the next page is, and how long the whole list is.
struct EnvshedListPage {
    enum Next {
        /// A URL or path to get as it is (`Link: <…>; rel="next"`, or a `next` URL in the body).
        case link(String)
        /// An opaque cursor, sent back as `?cursor=…`.
        case cursor(String)
        /// A page number, sent as `?page=…`.
        case page(Int)
    }

    var next: Next?
    /// The length of the whole list when the answer states it.
    var total: Int?
    /// The answer says more follows (`hasMore: true`) whether or not it says where.
    var hasMore: Bool
}
