package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// NodeAddressForms says which --node forms NormalizeAddress accepts.
const NodeAddressForms = "host:port, tcp://host:port, http://host:port, https://host:port or unix:///path"

// NormalizeAddress turns a node address as a user types it into the form the
// RPC client dials: host:port becomes tcp://host:port; tcp://, http://, https://
// and unix:// addresses are kept. Anything else is an error naming the forms.
func NormalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty node address; want " + NodeAddressForms)
	}
	for _, scheme := range []string{"tcp://", "http://", "https://", "unix://"} {
		if strings.HasPrefix(strings.ToLower(s), scheme) {
			if len(s) == len(scheme) {
				return "", fmt.Errorf("node address %q has no host; want %s", s, NodeAddressForms)
			}
			return s, nil
		}
	}
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("node address %q: unknown scheme; want %s", s, NodeAddressForms)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return "", fmt.Errorf("node address %q: want %s", s, NodeAddressForms)
	}
	return "tcp://" + net.JoinHostPort(host, port), nil
}

// UnreachableError is returned by every call when the node cannot be reached:
// one message, in the user's words, whatever step of the client failed.
type UnreachableError struct {
	Remote string
	Reason string // "connection refused", "timed out", ...
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach node at %s (%s) — is it running? (--node)", e.Remote, e.Reason)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable classifies a transport error; it returns nil for anything else
// (an RPC error answered by the node, a decoding error...).
func unreachable(remote string, err error) error {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &UnreachableError{Remote: remote, Reason: "connection refused", Err: err}
	case errors.As(err, &dns):
		return &UnreachableError{Remote: remote, Reason: "no such host " + dns.Name, Err: err}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &UnreachableError{Remote: remote, Reason: strings.TrimPrefix(errors.Unwrap(err).Error(), "dial tcp "), Err: err}
	case errors.As(err, &op) && op.Op == "dial":
		reason := "cannot connect"
		if op.Timeout() {
			reason = "timed out connecting"
		}
		return &UnreachableError{Remote: remote, Reason: reason, Err: err}
	}
	return nil
}
