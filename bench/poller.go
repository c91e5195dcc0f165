package bench

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// pollInterval is how often the block poller asks for the latest height: the
// resolution of commit times (blocks come every second or so).
const pollInterval = 25 * time.Millisecond

// blockInfo is one committed block as the poller saw it.
type blockInfo struct {
	Height int64
	Seen   time.Time // when the poller first saw the node report this height
	Time   time.Time // header time
	Txs    int
	OK     int // txs with result code 0
}

// txCommit is where a tx was committed.
type txCommit struct {
	Height int64
	Seen   time.Time
	Code   uint32
}

// blockPoller follows one node's chain: every pollInterval it reads the latest
// height; each new height is stamped with the time it was first seen (the commit
// time of its txs) and then read in full (/block for the tx hashes, header time,
// /block_results for the codes). It runs until its context ends.
type blockPoller struct {
	rpc *rpcGet

	mu     sync.Mutex
	blocks []blockInfo
	txs    map[[32]byte]txCommit
	done   int64 // highest height read in full
	err    error // last error (reported if the poller falls behind)
}

func newBlockPoller(rpc string) *blockPoller {
	return &blockPoller{rpc: newRPCGet(rpc), txs: map[[32]byte]txCommit{}}
}

// run polls until ctx ends. Heights seen but not yet read are read in order; a
// failing read is retried at the next tick, with its first-seen time kept.
func (p *blockPoller) run(ctx context.Context) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	seen := map[int64]time.Time{}
	var latest int64
	for {
		if h, err := p.rpc.latestHeight(ctx); err == nil {
			now := time.Now()
			for x := latest + 1; x <= h; x++ {
				seen[x] = now
			}
			if h > latest {
				latest = h
			}
		} else {
			p.setErr(err)
		}
		for p.height() < latest && ctx.Err() == nil {
			h := p.height() + 1
			if err := p.read(ctx, h, seen[h]); err != nil {
				p.setErr(err)
				break
			}
			delete(seen, h)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *blockPoller) setErr(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

func (p *blockPoller) height() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

func (p *blockPoller) read(ctx context.Context, h int64, seen time.Time) error {
	t, txs, err := p.rpc.blockTxs(ctx, h)
	if err != nil {
		return err
	}
	var codes []uint32
	if len(txs) > 0 {
		if codes, err = p.rpc.txCodes(ctx, h); err != nil {
			return err
		}
	}
	b := blockInfo{Height: h, Seen: seen, Time: t, Txs: len(txs)}
	hashes := make([][32]byte, len(txs))
	for i, raw := range txs {
		hashes[i] = sha256.Sum256(raw)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, hash := range hashes {
		code := uint32(0)
		if i < len(codes) {
			code = codes[i]
		}
		if code == 0 {
			b.OK++
		}
		p.txs[hash] = txCommit{Height: h, Seen: seen, Code: code}
	}
	p.blocks = append(p.blocks, b)
	p.done = h
	return nil
}

// commit returns where the tx with hash h was committed, if the poller read it.
func (p *blockPoller) commit(h [32]byte) (txCommit, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.txs[h]
	return c, ok
}

// committedCount counts how many of hashes the poller has read in blocks.
func (p *blockPoller) committedCount(hashes [][32]byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range hashes {
		if _, ok := p.txs[h]; ok {
			n++
		}
	}
	return n
}

// blocksSeen returns the blocks first seen in [from, to].
func (p *blockPoller) blocksSeen(from, to time.Time) []blockInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []blockInfo
	for _, b := range p.blocks {
		if !b.Seen.Before(from) && !b.Seen.After(to) {
			out = append(out, b)
		}
	}
	return out
}

// lastErr is the poller's last error, if any.
func (p *blockPoller) lastErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// forget drops the tx index of blocks up to h (memory stays bounded over many
// rate points; blocks keep their summaries).
func (p *blockPoller) forget(keep func([32]byte) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for h := range p.txs {
		if !keep(h) {
			delete(p.txs, h)
		}
	}
}
