import Auth
import BSONCore
import NIOCore
import WireProtocol

extension AuthOperations {
    /// `auth.verify` of a token presented before, as a gateway presents a
    /// user's token with each of its requests, answered from the request's
    /// bytes (`InlineHandler`): `args` exactly `{token: <string of at most
    /// 16 KiB>}` — what `Arguments` would accept — and a token the session
    /// service remembers as verified and not revoked (`verifyCached`). The
    /// result is the handler's, byte for byte; every other case (a new
    /// token, any error) is left to the handler.
    static func verifyInline(_ service: SessionService) -> InlineHandler {
        { args, out in
            guard let args else { return false }
            var token: UnsafeRawBufferPointer?
            var elements = 0
            args.forEachElement { element in
                elements += 1
                if elements == 1, element.keyEquals("token") { token = element.utf8Bytes }
                return elements == 1
            }
            guard elements == 1, let token, token.count <= maximumTokenArgumentBytes,
                  let verified = service.verifyCached(token)
            else { return false }
            typealias Writer = BSONDocumentWriter
            let size = Writer.emptyDocumentSize + Writer.size("valid", bool: true) + Writer.size("user_id", string: verified.userID)
                + Writer.size("email", string: verified.email) + Writer.size("expires_at", datetime: verified.expiresAtMilliseconds)
            // One write of the whole result (the general path's bytes: DispatcherInlineTests).
            return out.writeBSONDocument(byteCount: size) { document in
                document.write("valid", bool: true)
                document.write("user_id", string: verified.userID)
                document.write("email", string: verified.email)
                document.write("expires_at", datetime: verified.expiresAtMilliseconds)
            }
        }
    }
}
