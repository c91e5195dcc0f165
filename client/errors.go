package client

import (
	"errors"
	"fmt"

	"github.com/poaledger/poaledger/app/api"
)

// ErrVerification is wrapped by every *VerifyError: errors.Is(err, ErrVerification)
// tells a failed proof or header check apart from a transport or query error.
var ErrVerification = errors.New("verification failed")

// TxError is a transaction the node refused (CheckTx) or executed with a non-zero
// result code (FinalizeBlock). Height is 0 for a CheckTx refusal.
type TxError struct {
	Code      uint32
	Codespace string
	Log       string
	Hash      string // upper-case hex
	Height    int64
}

func (e *TxError) Error() string {
	stage := "tx refused"
	if e.Height > 0 {
		stage = fmt.Sprintf("tx failed in block %d", e.Height)
	}
	name := "error"
	if e.Codespace == api.Codespace {
		name = api.CodeName(e.Code)
	}
	s := fmt.Sprintf("%s: %s (code %d, codespace %s)", stage, name, e.Code, e.Codespace)
	if e.Log != "" {
		s += ": " + e.Log
	}
	return s
}

// QueryError is a query the app answered with a non-zero code. For a not-found answer
// to a proven query, Verified reports that the absence itself was proven (the error is
// only returned when verification succeeded; a failed check is a *VerifyError).
type QueryError struct {
	Code      uint32
	Codespace string
	Log       string
	Path      string
	Height    int64
	// Verified and ProofHeight are set when the absence was proven (Prove).
	Verified    bool
	ProofHeight int64

	info QueryInfo // of a not-found answer (see notFound)
}

func (e *QueryError) Error() string {
	name := "error"
	if e.Codespace == api.Codespace {
		name = api.CodeName(e.Code)
	}
	s := fmt.Sprintf("query %s: %s (code %d, codespace %s)", e.Path, name, e.Code, e.Codespace)
	if e.Log != "" {
		s += ": " + e.Log
	}
	switch {
	case e.Verified:
		s += fmt.Sprintf(" [state height %d; absence verified against header %d]", e.Height, e.ProofHeight)
	case e.Height > 0:
		s += fmt.Sprintf(" [state height %d; not verified]", e.Height)
	}
	return s
}

// IsNotFound reports whether err is (or wraps) a *QueryError with code not_found.
func IsNotFound(err error) bool {
	var qe *QueryError
	return errors.As(err, &qe) && qe.Codespace == api.Codespace && qe.Code == api.CodeNotFound
}

// VerifyError says why a response or a header could not be verified. It wraps
// ErrVerification (and the underlying cause, when there is one).
type VerifyError struct {
	// Height is the height the failure concerns (query or header height), 0 if none.
	Height int64
	Reason string
	Err    error
}

func (e *VerifyError) Error() string {
	s := "verification failed: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrVerification and the cause.
func (e *VerifyError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrVerification, e.Err}
	}
	return []error{ErrVerification}
}

func verifyErr(height int64, err error, format string, args ...any) *VerifyError {
	return &VerifyError{Height: height, Reason: fmt.Sprintf(format, args...), Err: err}
}
