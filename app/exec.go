package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/ledger"
)

// Event types and attribute keys emitted to CometBFT (indexed by its kv indexer).
const (
	EventTypeEvent  = "poaledger.event"
	EventTypeMember = "poaledger.member"
	AttrID          = "id"
	AttrSubmitter   = "submitter"
	AttrEPC         = "epc"
	AttrAddress     = "address"
	AttrAction      = "action"
)

// reader reads state: the committed tree for CheckTx, the working tree for
// FinalizeBlock. Absent keys read as (nil, nil).
type reader func(key []byte) ([]byte, error)

// authed is a decoded, authenticated tx.
type authed struct {
	env    *tx.Envelope
	body   *tx.Body
	addr   []byte
	member Member
	hash   []byte
}

// authenticate runs every check that does not depend on the message's effect:
// size, decoding, chain id, signature, membership, role, nonce and message
// validity. expectNonce gives the signer's next nonce.
func (a *App) authenticate(raw []byte, read reader, expectNonce func(addr []byte) (uint64, error)) (*authed, *txError) {
	if len(raw) > tx.MaxTxBytes {
		return nil, refuse(CodeTooLarge, fmt.Sprintf("tx is %d bytes, limit %d", len(raw), tx.MaxTxBytes))
	}
	env, err := tx.DecodeEnvelope(raw)
	if err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(CodeTooLarge, err.Error())
		}
		return nil, refuse(CodeMalformed, "not a poaledger tx envelope: "+err.Error())
	}
	body, err := tx.DecodeBody(env.Body)
	if err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(CodeTooLarge, err.Error())
		}
		return nil, refuse(CodeMalformed, "tx body: "+err.Error())
	}
	if body.ChainID != a.opts.ChainID {
		return nil, refuse(CodeWrongChainID, fmt.Sprintf("tx is for chain %q, this is %q", body.ChainID, a.opts.ChainID))
	}
	h := tx.Hash(raw)
	if err := a.verifySignature(env, h); err != nil {
		return nil, refuse(CodeBadSignature, err.Error())
	}
	addr := tx.Address(ed25519.PublicKey(env.PubKey))
	addrStr := tx.AddressString(addr)
	mb, err := read(memberKey(addr))
	if err != nil {
		return nil, refuse(CodeInternal, "read member: "+err.Error())
	}
	if mb == nil {
		return nil, refuse(CodeUnknownSigner, fmt.Sprintf("signer %s is not a member", addrStr))
	}
	var m Member
	if err := json.Unmarshal(mb, &m); err != nil {
		panic(fmt.Sprintf("app: stored member %s undecodable: %v", addrStr, err))
	}
	if m.Status != StatusActive {
		return nil, refuse(CodeRevokedSigner, fmt.Sprintf("signer %s is %s since height %d", addrStr, m.Status, m.UpdatedHeight))
	}
	if err := consensus.Authorize(m.Roles, body.Msg.Kind()); err != nil {
		return nil, refuse(CodeRoleNotAllowed, fmt.Sprintf("signer %s: %v", addrStr, err))
	}
	want, err := expectNonce(addr)
	if err != nil {
		return nil, refuse(CodeInternal, "read nonce: "+err.Error())
	}
	if body.Nonce != want {
		return nil, refuse(CodeBadNonce, fmt.Sprintf("signer %s: nonce %d, expected %d", addrStr, body.Nonce, want))
	}
	if err := body.ValidateBasic(); err != nil {
		if errors.Is(err, tx.ErrTooLarge) {
			return nil, refuse(CodeTooLarge, err.Error())
		}
		return nil, refuse(CodeInvalidMessage, err.Error())
	}
	return &authed{env: env, body: body, addr: addr, member: m, hash: h}, nil
}

func (a *App) verifySignature(env *tx.Envelope, hash []byte) error {
	key := string(hash)
	if a.sigCache != nil {
		if _, ok := a.sigCache.Get(key); ok {
			return nil
		}
	}
	if err := env.VerifySignature(); err != nil {
		return err
	}
	if a.sigCache != nil {
		a.sigCache.Add(key, struct{}{})
	}
	return nil
}

// preparedEvent is one validated event of a RecordEvents message.
type preparedEvent struct {
	raw  []byte
	id   string
	epcs []string
}

// prepareEvents validates each event and checks it is new (in state and in the tx).
func (a *App) prepareEvents(m *tx.RecordEvents, read reader) ([]preparedEvent, *txError) {
	if uint64(len(m.Events)) > a.params.MaxEventsPerTx {
		return nil, refuse(CodeTooLarge, fmt.Sprintf("%d events in one tx, limit %d", len(m.Events), a.params.MaxEventsPerTx))
	}
	out := make([]preparedEvent, 0, len(m.Events))
	seen := make(map[string]int, len(m.Events))
	for i, ev := range m.Events {
		if uint64(len(ev)) > a.params.MaxEventBytes {
			return nil, refuse(CodeTooLarge, fmt.Sprintf("event %d is %d bytes, limit %d", i, len(ev), a.params.MaxEventBytes))
		}
		if err := epcis.ValidateEvent(ev); err != nil {
			return nil, refuse(CodeInvalidMessage, fmt.Sprintf("event %d: %v", i, err))
		}
		epcs, err := epcis.EPCs(ev)
		if err != nil {
			return nil, refuse(CodeInvalidMessage, fmt.Sprintf("event %d: %v", i, err))
		}
		for _, e := range epcs {
			if len(epcKey(e, 0)) > ledger.MaxKeyBytes {
				return nil, refuse(CodeTooLarge, fmt.Sprintf("event %d: EPC of %d bytes is too long", i, len(e)))
			}
		}
		id := epcis.EventID(ev)
		if j, dup := seen[id]; dup {
			return nil, refuse(CodeDuplicate, fmt.Sprintf("event %d repeats event %d (id %s)", i, j, id))
		}
		seen[id] = i
		v, err := read(eventIDKey(id))
		if err != nil {
			return nil, refuse(CodeInternal, "read event id: "+err.Error())
		}
		if v != nil {
			return nil, refuse(CodeDuplicate, fmt.Sprintf("event %d (id %s) is already recorded", i, id))
		}
		out = append(out, preparedEvent{raw: ev, id: id, epcs: epcs})
	}
	return out, nil
}

// checkMember validates AddMember/RevokeMember against state.
// version is the committed version read by CheckTx, or 0 for the working tree.
func (a *App) checkMember(msg tx.Msg, read reader, version int64) *txError {
	switch m := msg.(type) {
	case *tx.AddMember:
		v, err := read(memberKey(tx.Address(m.PubKey)))
		if err != nil {
			return refuse(CodeInternal, "read member: "+err.Error())
		}
		if v != nil {
			return refuse(CodeDuplicate, fmt.Sprintf("member %s already exists", tx.AddressString(tx.Address(m.PubKey))))
		}
	case *tx.RevokeMember:
		v, err := read(memberKey(m.Address))
		if err != nil {
			return refuse(CodeInternal, "read member: "+err.Error())
		}
		addr := tx.AddressString(m.Address)
		if v == nil {
			return refuse(CodeInvalidMessage, fmt.Sprintf("member %s does not exist", addr))
		}
		var mb Member
		if err := json.Unmarshal(v, &mb); err != nil {
			panic(fmt.Sprintf("app: stored member %s undecodable: %v", addr, err))
		}
		if mb.Status == StatusRevoked {
			return refuse(CodeDuplicate, fmt.Sprintf("member %s is already revoked", addr))
		}
		if slices.Contains(mb.Roles, consensus.RoleAuthority) {
			if n, err := a.activeAuthorities(version); err != nil {
				return refuse(CodeInternal, err.Error())
			} else if n <= 1 {
				return refuse(CodeInvalidMessage, fmt.Sprintf("member %s is the last active authority; revoking it would leave nobody to govern", addr))
			}
		}
	}
	return nil
}

// activeAuthorities counts active authority members in the working tree. The
// member set is small (a consortium), so a scan is fine.
func (a *App) activeAuthorities(version int64) (int, error) {
	n := 0
	var cursor []byte
	for {
		var items []ledger.KV
		var next []byte
		var err error
		if version == 0 {
			items, next, err = a.store.Iterate([]byte{prefixMember}, cursor, 0)
		} else {
			items, next, err = a.store.IterateAt(version, []byte{prefixMember}, cursor, 0)
		}
		if err != nil {
			return 0, err
		}
		for _, kv := range items {
			var m Member
			if err := json.Unmarshal(kv.Value, &m); err != nil {
				return 0, err
			}
			if m.Status == StatusActive && slices.Contains(m.Roles, consensus.RoleAuthority) {
				n++
			}
		}
		if next == nil {
			return n, nil
		}
		cursor = next
	}
}

// CheckTx is the mempool's weak filter, against committed state plus check nonces.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	code, log := a.checkTx(req.Tx)
	a.metrics.txChecked(code)
	if code != CodeOK {
		return &abci.ResponseCheckTx{Code: code, Codespace: Codespace, Log: log}, nil
	}
	return &abci.ResponseCheckTx{Code: CodeOK}, nil
}

func (a *App) checkTx(raw []byte) (uint32, string) {
	last := a.store.LastCommit()
	read := func(key []byte) ([]byte, error) {
		if last.Version == 0 {
			return a.store.Get(key) // before the first commit only genesis state exists
		}
		return a.store.GetAt(key, last.Version)
	}
	nonce := func(addr []byte) (uint64, error) {
		if n, ok := a.checkNonces[string(addr)]; ok {
			return n, nil
		}
		return readNonce(read, addr)
	}
	t, rerr := a.authenticate(raw, read, nonce)
	if rerr != nil {
		return rerr.Code, rerr.Log
	}
	switch m := t.body.Msg.(type) {
	case *tx.RecordEvents:
		if _, rerr := a.prepareEvents(m, read); rerr != nil {
			return rerr.Code, rerr.Log
		}
	default:
		if rerr := a.checkMember(m, read, last.Version); rerr != nil {
			return rerr.Code, rerr.Log
		}
	}
	a.checkNonces[string(t.addr)] = t.body.Nonce + 1
	return CodeOK, ""
}

func readNonce(read reader, addr []byte) (uint64, error) {
	v, err := read(nonceKey(addr))
	if err != nil || v == nil {
		return 0, err
	}
	n, err := decodeUint64(v)
	if err != nil {
		panic(fmt.Sprintf("app: stored nonce of %X undecodable: %v", addr, err))
	}
	return n, nil
}

// blockCtx is the state of one FinalizeBlock.
type blockCtx struct {
	height  int64
	time    string
	nonces  map[string]uint64 // signer -> next nonce, written once at the end of the block
	nextSeq uint64
}

// FinalizeBlock executes the decided block on the working tree.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if want := a.store.WorkingVersion(); req.Height != want {
		return nil, fmt.Errorf("app: FinalizeBlock height %d, ledger working version %d", req.Height, want)
	}
	if a.pendingHeight != 0 {
		// CometBFT never finalizes a second block before Commit; doing so would mix
		// two blocks' writes in one version.
		panic(fmt.Sprintf("app: FinalizeBlock %d before Commit of %d", req.Height, a.pendingHeight))
	}
	seqRaw, err := a.store.Get(metaNextSeq)
	if err != nil {
		return nil, err
	}
	var nextSeq uint64
	if seqRaw != nil {
		if nextSeq, err = decodeUint64(seqRaw); err != nil {
			panic(fmt.Sprintf("app: stored next_seq undecodable: %v", err))
		}
	}
	bc := &blockCtx{
		height:  req.Height,
		time:    req.Time.UTC().Format(time.RFC3339Nano),
		nonces:  map[string]uint64{},
		nextSeq: nextSeq,
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = a.deliverTx(bc, uint32(i), raw)
		a.metrics.txDelivered(results[i].Code)
	}
	if err := a.finishBlock(bc, req.Misbehavior); err != nil {
		return nil, err
	}
	a.pendingHash = a.store.WorkingHash()
	a.pendingHeight = req.Height
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.pendingHash}, nil
}

func (a *App) deliverTx(bc *blockCtx, index uint32, raw []byte) *abci.ExecTxResult {
	read := a.store.Get
	nonce := func(addr []byte) (uint64, error) {
		if n, ok := bc.nonces[string(addr)]; ok {
			return n, nil
		}
		return readNonce(read, addr)
	}
	t, rerr := a.authenticate(raw, read, nonce)
	if rerr != nil {
		return &abci.ExecTxResult{Code: rerr.Code, Codespace: Codespace, Log: rerr.Log}
	}
	var events []abci.Event
	switch m := t.body.Msg.(type) {
	case *tx.RecordEvents:
		prepared, rerr := a.prepareEvents(m, read)
		if rerr != nil {
			return &abci.ExecTxResult{Code: rerr.Code, Codespace: Codespace, Log: rerr.Log}
		}
		events = a.writeEvents(bc, index, t, prepared)
	case *tx.AddMember:
		if rerr := a.checkMember(m, read, 0); rerr != nil {
			return &abci.ExecTxResult{Code: rerr.Code, Codespace: Codespace, Log: rerr.Log}
		}
		mb := newMember(m.PubKey, m.Name, m.Organisation, m.Roles, bc.height)
		a.must(a.putMember(mb))
		events = []abci.Event{memberEvent(mb.Address, "add")}
	case *tx.RevokeMember:
		if rerr := a.checkMember(m, read, 0); rerr != nil {
			return &abci.ExecTxResult{Code: rerr.Code, Codespace: Codespace, Log: rerr.Log}
		}
		v, err := read(memberKey(m.Address))
		a.must(err)
		var mb Member
		a.must(json.Unmarshal(v, &mb))
		mb.Status, mb.UpdatedHeight = StatusRevoked, bc.height
		a.must(a.putMember(mb))
		events = []abci.Event{memberEvent(mb.Address, "revoke")}
	default:
		return &abci.ExecTxResult{Code: CodeInvalidMessage, Codespace: Codespace, Log: fmt.Sprintf("message kind %q not supported", m.Kind())}
	}
	bc.nonces[string(t.addr)] = t.body.Nonce + 1
	return &abci.ExecTxResult{Code: CodeOK, Events: events, Data: []byte(fmt.Sprintf("%d", len(events)))}
}

// writeEvents stores prepared events. Every check ran before the first write, so a
// failure here is a broken invariant, not a bad tx.
func (a *App) writeEvents(bc *blockCtx, txIndex uint32, t *authed, prepared []preparedEvent) []abci.Event {
	submitter := tx.AddressString(t.addr)
	txHash := fmt.Sprintf("%X", t.hash)
	out := make([]abci.Event, 0, len(prepared))
	for j, p := range prepared {
		seq := bc.nextSeq
		bc.nextSeq++
		rec, err := encodeEventRecord(EventMeta{
			ID: p.id, Seq: seq, Submitter: submitter, Height: bc.height,
			TxHash: txHash, TxIndex: txIndex, EventIndex: uint32(j), BlockTime: bc.time,
		}, p.raw)
		a.must(err)
		a.must(a.store.SetOnce(eventLogKey(seq), rec))
		a.must(a.store.SetOnce(eventIDKey(p.id), encodeUint64(seq)))
		attrs := []abci.EventAttribute{
			{Key: AttrID, Value: p.id, Index: true},
			{Key: AttrSubmitter, Value: submitter, Index: true},
		}
		for _, e := range p.epcs {
			a.must(a.store.SetOnce(epcKey(e, seq), []byte(p.id)))
			attrs = append(attrs, abci.EventAttribute{Key: AttrEPC, Value: e, Index: true})
		}
		out = append(out, abci.Event{Type: EventTypeEvent, Attributes: attrs})
	}
	a.metrics.eventsRecorded(len(prepared))
	return out
}

// finishBlock writes the per-block state: nonces (one write per signer, in address
// order), the event sequence and misbehaviour reports.
func (a *App) finishBlock(bc *blockCtx, mis []abci.Misbehavior) error {
	addrs := make([]string, 0, len(bc.nonces))
	for k := range bc.nonces {
		addrs = append(addrs, k)
	}
	sort.Strings(addrs)
	for _, k := range addrs {
		if err := a.store.Set(nonceKey([]byte(k)), encodeUint64(bc.nonces[k])); err != nil {
			return err
		}
	}
	if len(bc.nonces) > 0 {
		if err := a.store.Set(metaNextSeq, encodeUint64(bc.nextSeq)); err != nil {
			return err
		}
	}
	for i, m := range mis {
		rec, err := json.Marshal(Misbehaviour{
			Type: m.Type.String(), Validator: fmt.Sprintf("%X", m.Validator.Address), Power: m.Validator.Power,
			Height: m.Height, Time: m.Time.UTC().Format(time.RFC3339Nano), TotalVotingPower: m.TotalVotingPower,
			ReportedAt: bc.height,
		})
		if err != nil {
			return err
		}
		if err := a.store.SetOnce(misbehaviourKey(bc.height, uint32(i)), rec); err != nil {
			return err
		}
		a.logger.Info("misbehaviour reported", "type", m.Type.String(), "validator", fmt.Sprintf("%X", m.Validator.Address), "height", m.Height)
	}
	return nil
}

func (a *App) must(err error) {
	if err != nil {
		panic(fmt.Sprintf("app: broken invariant: %v", err))
	}
}

func newMember(pub []byte, name, org string, roles []string, height int64) Member {
	return Member{
		Address: tx.AddressString(tx.Address(pub)), PubKey: pub, Name: name, Organisation: org,
		Roles: slices.Clone(roles), Status: StatusActive, SinceHeight: height, UpdatedHeight: height,
	}
}

func (a *App) putMember(m Member) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	addr, err := tx.ParseAddress(m.Address)
	if err != nil {
		return err
	}
	return a.store.Set(memberKey(addr), b)
}

func memberEvent(addr, action string) abci.Event {
	return abci.Event{Type: EventTypeMember, Attributes: []abci.EventAttribute{
		{Key: AttrAddress, Value: addr, Index: true},
		{Key: AttrAction, Value: action, Index: true},
	}}
}
