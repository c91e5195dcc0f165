package api

// Codespace is the codespace of every non-zero result code the app returns.
const Codespace = "poaledger"

// Result codes: one per reason a transaction or query is refused. They are part of the
// public interface (listed in the README): never renumber, only append.
const (
	CodeOK               uint32 = 0
	CodeMalformed        uint32 = 1  // not a poaledger envelope, or undecodable body
	CodeBadSignature     uint32 = 2  // signature does not verify over the body
	CodeWrongChainID     uint32 = 3  // body.chain_id is not this chain's
	CodeUnknownSigner    uint32 = 4  // signer is not a member
	CodeRevokedSigner    uint32 = 5  // signer's membership was revoked
	CodeRoleNotAllowed   uint32 = 6  // signer lacks the role the message needs
	CodeBadNonce         uint32 = 7  // nonce is not the signer's next nonce
	CodeInvalidMessage   uint32 = 8  // message fails validation
	CodeDuplicate        uint32 = 9  // event or member already recorded
	CodeTooLarge         uint32 = 10 // tx or event over a size bound
	CodeNotFound         uint32 = 11 // query: nothing at that key
	CodeBadQuery         uint32 = 12 // query: unknown path, bad argument or height
	CodeInternal         uint32 = 13 // query: the store failed
	CodeOverQuota        uint32 = 14 // signer over its mempool or per-block share
	CodeUnauthorizedNode uint32 = 15 // peer filter: node not admitted (or revoked)
	CodeMempoolFull      uint32 = 16 // this node's mempool holds as many txs (or bytes) as it may
)

// codeNames are the stable snake_case names of the codes, indexed by code.
var codeNames = [...]string{
	CodeOK:               "ok",
	CodeMalformed:        "malformed",
	CodeBadSignature:     "bad_signature",
	CodeWrongChainID:     "wrong_chain_id",
	CodeUnknownSigner:    "unknown_signer",
	CodeRevokedSigner:    "revoked_signer",
	CodeRoleNotAllowed:   "role_not_allowed",
	CodeBadNonce:         "bad_nonce",
	CodeInvalidMessage:   "invalid_message",
	CodeDuplicate:        "duplicate",
	CodeTooLarge:         "too_large",
	CodeNotFound:         "not_found",
	CodeBadQuery:         "bad_query",
	CodeInternal:         "internal",
	CodeOverQuota:        "over_quota",
	CodeUnauthorizedNode: "unauthorized_node",
	CodeMempoolFull:      "mempool_full",
}

// CodeName returns the stable snake_case name of a code (used as a metrics label),
// "unknown" for a code this version does not define.
func CodeName(code uint32) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return "unknown"
}
