package bench

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/epcis"
)

// signer is one load signer: a genesis recorder with its next nonce.
type signer struct {
	priv ed25519.PrivateKey
	addr []byte
}

// newSigners derives n signer keys from seed (deterministic: the same seed gives
// the same keys, so a run is reproducible).
func newSigners(seed string, n int) []*signer {
	out := make([]*signer, n)
	for i := range out {
		s := sha256.Sum256([]byte(fmt.Sprintf("poaledger/bench/%s/%d", seed, i)))
		priv := ed25519.NewKeyFromSeed(s[:])
		out[i] = &signer{priv: priv, addr: tx.Address(priv.Public().(ed25519.PublicKey))}
	}
	return out
}

// genesisMembers makes every signer a recorder.
func genesisMembers(ss []*signer) []app.GenesisMember {
	out := make([]app.GenesisMember, len(ss))
	for i, s := range ss {
		out[i] = app.GenesisMember{PubKey: s.priv.Public().(ed25519.PublicKey), Name: fmt.Sprintf("bench-%02d", i),
			Roles: []string{consensus.RoleRecorder}}
	}
	return out
}

// objectEvent returns a realistic EPCIS 2.0 commissioning ObjectEvent (the shape
// of examples/01-commission.json: six SGTINs, read point, business location,
// ILMD), unique for (run, n): its eventID (a UUID derived from both) and EPC
// serials differ. pad adds an rdfs:comment of that many bytes (0: none; the
// standard comment, which the CBV event hash ignores) to reach a tx size.
func objectEvent(run string, n uint64, pad int) []byte {
	var b strings.Builder
	b.Grow(900 + pad)
	u := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", run, n)))
	fmt.Fprintf(&b, `{"type":"ObjectEvent","eventTime":"2025-03-10T08:15:00.000+01:00","eventTimeZoneOffset":"+01:00",`+
		`"eventID":"urn:uuid:%x-%x-%04x-%04x-%x","action":"ADD","bizStep":"commissioning","disposition":"active","epcList":[`,
		u[0:4], u[4:6], 0x4000|binary.BigEndian.Uint16(u[6:8])&0x0fff, 0x8000|binary.BigEndian.Uint16(u[8:10])&0x3fff, u[10:16])
	for i := range 6 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"urn:epc:id:sgtin:4012345.012000.%s%010d%d"`, run, n%1e10, i)
	}
	b.WriteString(`],"readPoint":{"id":"urn:epc:id:sgln:4012345.00001.1"},"bizLocation":{"id":"urn:epc:id:sgln:4012345.00001.0"},` +
		`"ilmd":{"cbvmda:lotNumber":"GDA250310","cbvmda:bestBeforeDate":"2025-09-10","cbvmda:countryOfOrigin":"DE"}`)
	if pad > 0 {
		b.WriteString(`,"rdfs:comment":"`)
		b.WriteString(strings.Repeat("x", pad))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// recordTx signs a RecordEvents of one event.
func recordTx(s *signer, chainID string, nonce uint64, event []byte) ([]byte, error) {
	_, raw, err := tx.Sign(s.priv, &tx.Body{ChainID: chainID, Nonce: nonce, Msg: &tx.RecordEvents{Events: [][]byte{event}}})
	return raw, err
}

// eventPad returns the padding that makes a RecordEvents tx of one objectEvent
// exactly size bytes (or as close as the encoding allows, never below the
// unpadded event). It fits on a sample event: every event of a run has the same
// length for the same digits of n, so the size varies by a few bytes at most.
func eventPad(run, chainID string, size int) (int, error) {
	probe := newSigners("probe", 1)[0]
	pad := 0
	for range 8 {
		raw, err := recordTx(probe, chainID, 1<<20, objectEvent(run, 1<<20, pad))
		if err != nil {
			return 0, err
		}
		if len(raw) == size {
			return pad, nil
		}
		next := pad + size - len(raw)
		if next < 0 {
			return 0, nil
		}
		if next == pad {
			break
		}
		pad = next
	}
	return pad, nil
}

// checkEvent makes sure the generated event is one the app accepts.
func checkEvent(ev []byte) error {
	if _, err := epcis.Parse(ev); err != nil {
		return fmt.Errorf("bench: generated event does not parse: %w", err)
	}
	return nil
}

// kvTx is a kvstore tx of exactly size bytes: key=value, unique key.
func kvTx(run string, n uint64, size int) []byte {
	key := fmt.Sprintf("bench-%s-%012d", run, n)
	if size <= len(key)+2 {
		return []byte(key + "=v")
	}
	return []byte(key + "=" + strings.Repeat("v", size-len(key)-1))
}

// parallel runs f(i) for i in [0, n) on every CPU.
func parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
