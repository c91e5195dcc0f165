package testutil

import (
	"context"
	"errors"
	"fmt"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

const (
	// PollInterval is the pause between two attempts of Poll (and the Wait helpers).
	PollInterval = 100 * time.Millisecond
	// AttemptTimeout bounds one attempt (one RPC call) of Poll within its ctx.
	AttemptTimeout = 2 * time.Second
)

// errNoDeadline is what Poll returns for a ctx that could make it wait forever.
var errNoDeadline = errors.New("ctx has no deadline")

// Poll calls try until it returns nil or ctx ends, PollInterval apart, each call
// with a context bounded by AttemptTimeout. ctx must have a deadline. The error
// names what, the time waited, the attempts, ctx's error and try's last error.
func Poll(ctx context.Context, what string, try func(ctx context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		return fmt.Errorf("testutil: %s: %w", what, errNoDeadline)
	}
	start := time.Now()
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	var last error
	for attempts := 1; ; attempts++ {
		actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
		err := try(actx)
		cancel()
		if err == nil {
			return nil
		}
		// An attempt cut short by the end of ctx says less than the one before it.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testutil: %s: not done after %s (%d attempts): %w; last error: %v",
				what, time.Since(start).Round(time.Millisecond), attempts, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// WaitStatus polls c's /status until ok accepts one and returns it.
func WaitStatus(ctx context.Context, c rpcclient.StatusClient, what string, ok func(*coretypes.ResultStatus) bool) (*coretypes.ResultStatus, error) {
	var got *coretypes.ResultStatus
	err := Poll(ctx, what, func(ctx context.Context) error {
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		if !ok(st) {
			return fmt.Errorf("status: at height %d, catching up %v", st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp)
		}
		got = st
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// WaitHeight waits until c reports a latest block height >= h.
func WaitHeight(ctx context.Context, c rpcclient.StatusClient, h int64) (*coretypes.ResultStatus, error) {
	return WaitStatus(ctx, c, fmt.Sprintf("height %d", h), func(st *coretypes.ResultStatus) bool {
		return st.SyncInfo.LatestBlockHeight >= h
	})
}

// WaitCaughtUp waits until c reports a latest block height >= h and is not
// catching up.
func WaitCaughtUp(ctx context.Context, c rpcclient.StatusClient, h int64) (*coretypes.ResultStatus, error) {
	return WaitStatus(ctx, c, fmt.Sprintf("height %d, caught up", h), func(st *coretypes.ResultStatus) bool {
		return st.SyncInfo.LatestBlockHeight >= h && !st.SyncInfo.CatchingUp
	})
}
