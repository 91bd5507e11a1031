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
            let start = out.startBSONDocument()
            out.writeBSONElement("valid", bool: true)
            out.writeBSONElement("user_id", string: verified.userID)
            out.writeBSONElement("email", string: verified.email)
            out.writeBSONElement("expires_at", datetime: verified.expiresAtMilliseconds)
            out.finishBSONDocument(startedAt: start)
            return true
        }
    }
}
