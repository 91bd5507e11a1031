"""Python client for deltastored, DeltaStream's storage and auth daemon.

>>> from deltastore import Client
>>> client = Client()            # $DELTASTORE_SOCKET or /run/deltastore/deltastore.sock
>>> client.products()
['BANKNIFTY', 'NIFTY']
"""
from .client import DEFAULT_SOCKET, Client, default_socket_path
from .errors import (BadFrame, BadRequest, Conflict, ConnectionFailed, DeadlineExceeded, DeltastoreError,
                     InternalError, InvalidArgument, NotFound, PermissionDenied, ProtocolViolation, RateLimited,
                     ResourceExhausted, TokenExpired, TokenInvalid, TokenRevoked, Unauthenticated, Unavailable,
                     UnknownOp, error_from_reply)
from .results import (ChainPage, Health, InsertResult, Limits, OHLCBar, OHLCSeries, OperationInfo, Page, QuotePage,
                      RefreshedTokens, ServerHello, Session, TickPage, User, VerifiedToken)

__version__ = "0.1.0"

__all__ = [
    "Client", "DEFAULT_SOCKET", "default_socket_path",
    "DeltastoreError", "BadFrame", "BadRequest", "UnknownOp", "InvalidArgument", "NotFound", "Conflict",
    "Unauthenticated", "TokenExpired", "TokenInvalid", "TokenRevoked", "PermissionDenied", "RateLimited",
    "Unavailable", "ConnectionFailed", "ProtocolViolation", "DeadlineExceeded", "ResourceExhausted", "InternalError",
    "error_from_reply",
    "ServerHello", "Limits", "InsertResult", "Page", "TickPage", "QuotePage", "ChainPage", "OHLCBar", "OHLCSeries",
    "Health", "User", "Session", "VerifiedToken", "RefreshedTokens", "OperationInfo",
]
