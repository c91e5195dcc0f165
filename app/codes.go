package app

import "github.com/poaledger/poaledger/app/api"

// txError is a refusal with its code (api.Code*); Log is the human-readable reason.
type txError struct {
	Code uint32
	Log  string
}

func (e *txError) Error() string { return api.CodeName(e.Code) + ": " + e.Log }

func refuse(code uint32, log string) *txError { return &txError{Code: code, Log: log} }
