package client

import (
	"context"
	"fmt"
	"time"
)

// RecordTime is when the block holding a record was committed: the time of
// header H+1 (BFT time, the median of the validators' precommit times for block
// H), not block H's own header time, which after an idle spell is the time of
// the block before it. With a verifier the header is light-verified.
type RecordTime struct {
	Time     time.Time `json:"time"`
	Verified bool      `json:"verified"`
	// Header is the height whose time this is (the record's height + 1).
	Header int64 `json:"header"`
}

// recordTime returns the commit time of block height, waiting (bounded by ctx
// and the verifier's MaxWait) for header height+1 when it does not exist yet.
func (c *Client) recordTime(ctx context.Context, height int64, v *Verifier) (RecordTime, error) {
	h := height + 1
	if v != nil {
		if err := v.waitForHeight(ctx, h); err != nil {
			return RecordTime{}, err
		}
		lb, err := v.VerifyHeader(ctx, h)
		if err != nil {
			return RecordTime{}, err
		}
		return RecordTime{Time: lb.Time.UTC(), Verified: true, Header: h}, nil
	}
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		rc, err := c.rpc.commit(ctx, h)
		if err == nil && rc.SignedHeader.Header != nil {
			return RecordTime{Time: rc.SignedHeader.Time.UTC(), Header: h}, nil
		}
		select {
		case <-ctx.Done():
			return RecordTime{}, fmt.Errorf("client: waiting for header %d (it carries the commit time of block %d): %w", h, height, ctx.Err())
		case <-tick.C:
		}
	}
}
