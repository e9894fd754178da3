/// How the Envshed emulator pages its token list. Envshed documents no pagination (see
/// `docs/envshed-api.md`), so the emulator can speak each shape the client is meant to follow.
public enum EnvshedListPagination: Sendable {
    /// `?cursor=…&limit=…`; the answer carries `nextCursor` (null on the last page) and `total`.
    /// A cursor marks a position in creation order, so tokens created or revoked while a client
    /// walks the list neither shift nor repeat entries.
    case cursor
    /// `?page=N&per_page=M`; a `Link` header with `rel="next"` (absent on the last page).
    case linkHeader
    /// `?page=N`; the answer carries `page`, `totalPages` and `total`.
    case pageNumbers
}
