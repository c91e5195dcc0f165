package testutil

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
)

// noncePath is the app's abci_query path for a member's next nonce. It is spelled
// out, like the value's decoding, so NextNonce checks the wire contract rather than
// reusing the app's or the client's code for it.
const noncePath = "/nonce/"

// ErrNonceValue is wrapped by NextNonce's error for a value that is neither empty
// nor 8 bytes: a malformed answer, not an unavailable node.
var ErrNonceValue = errors.New("testutil: nonce value is neither empty nor 8 bytes")

// NextNonce returns the next nonce of the member address addr (upper-case hex, as
// tx.AddressString), read unproven with one abci_query of /nonce/<addr> at the
// latest committed height. The app answers 8 bytes big-endian, or nothing for 0.
func NextNonce(ctx context.Context, c rpcclient.ABCIClient, addr string) (uint64, error) {
	res, err := c.ABCIQuery(ctx, noncePath+addr, nil)
	if err != nil {
		return 0, fmt.Errorf("testutil: nonce of %s: %w", addr, err)
	}
	r := res.Response
	if r.Code != 0 {
		return 0, fmt.Errorf("testutil: nonce of %s: code %d (%s): %s", addr, r.Code, r.Codespace, r.Log)
	}
	switch len(r.Value) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(r.Value), nil
	}
	return 0, fmt.Errorf("%w: nonce of %s is %d bytes (%X)", ErrNonceValue, addr, len(r.Value), r.Value)
}
