package app

// Codespace is the codespace of every non-zero result code the app returns.
const Codespace = "poaledger"

// Result codes: one per reason a transaction or query is refused. They are part of the
// public interface (listed in the README): never renumber, only append.
const (
	CodeOK             uint32 = 0
	CodeMalformed      uint32 = 1  // not a poaledger envelope, or undecodable body
	CodeBadSignature   uint32 = 2  // signature does not verify over the body
	CodeWrongChainID   uint32 = 3  // body.chain_id is not this chain's
	CodeUnknownSigner  uint32 = 4  // signer is not a member
	CodeRevokedSigner  uint32 = 5  // signer's membership was revoked
	CodeRoleNotAllowed uint32 = 6  // signer lacks the role the message needs
	CodeBadNonce       uint32 = 7  // nonce is not the signer's next nonce
	CodeInvalidMessage uint32 = 8  // message fails validation
	CodeDuplicate      uint32 = 9  // event or member already recorded
	CodeTooLarge       uint32 = 10 // tx or event over a size bound
	CodeNotFound       uint32 = 11 // query: nothing at that key
	CodeBadQuery       uint32 = 12 // query: unknown path, bad argument or height
	CodeInternal       uint32 = 13 // query: the store failed
)

// CodeName returns the stable snake_case name of a code (used as a metrics label).
func CodeName(code uint32) string {
	switch code {
	case CodeOK:
		return "ok"
	case CodeMalformed:
		return "malformed"
	case CodeBadSignature:
		return "bad_signature"
	case CodeWrongChainID:
		return "wrong_chain_id"
	case CodeUnknownSigner:
		return "unknown_signer"
	case CodeRevokedSigner:
		return "revoked_signer"
	case CodeRoleNotAllowed:
		return "role_not_allowed"
	case CodeBadNonce:
		return "bad_nonce"
	case CodeInvalidMessage:
		return "invalid_message"
	case CodeDuplicate:
		return "duplicate"
	case CodeTooLarge:
		return "too_large"
	case CodeNotFound:
		return "not_found"
	case CodeBadQuery:
		return "bad_query"
	case CodeInternal:
		return "internal"
	}
	return "unknown"
}

// txError is a refusal with its code; Log is the human-readable reason.
type txError struct {
	Code uint32
	Log  string
}

func (e *txError) Error() string { return CodeName(e.Code) + ": " + e.Log }

func refuse(code uint32, log string) *txError { return &txError{Code: code, Log: log} }
