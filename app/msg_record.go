package app

import (
	"encoding/json"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/ledger"
)

// preparedEvent is one event of a RecordEvents message, parsed once, with the
// index entries it will write.
type preparedEvent struct {
	ev     epcis.Event
	epcs   []string         // canonical EPCs, each once (history index)
	fields []api.FieldValue // indexed field values (events index)
	// declares is set in Check to the id of the recorded event that this
	// event's errorDeclaration declares erroneous (found by the submitted
	// eventID, or by the CBV id); only the declaration is written then.
	declares string
}

// recordEvents records EPCIS events: each parsed once (full EPCIS 2.0 / CBV 2.0
// validation, CBV 2.0 hash id), new (not in state, not twice in the tx) or the
// error declaration of a recorded event, then written to the event log and its
// indexes (id, submitted eventID, EPCs, fields).
var recordEvents = handler[*tx.RecordEvents, []*preparedEvent]{
	Role: consensus.RoleRecorder,
	Stateless: func(params api.Params, m *tx.RecordEvents) ([]*preparedEvent, *txError) {
		if uint64(len(m.Events)) > params.MaxEventsPerTx {
			return nil, refuse(api.CodeTooLarge, fmt.Sprintf("%d events in one tx, limit %d", len(m.Events), params.MaxEventsPerTx))
		}
		out := make([]*preparedEvent, 0, len(m.Events))
		seen := make(map[string]int, len(m.Events)) // lookups only
		for i, raw := range m.Events {
			if uint64(len(raw)) > params.MaxEventBytes {
				return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d is %d bytes, limit %d", i, len(raw), params.MaxEventBytes))
			}
			ev, err := epcis.Parse(raw)
			if err != nil {
				return nil, refuse(api.CodeInvalidMessage, epcis.WithIndex(err, i).Error())
			}
			p := &preparedEvent{ev: ev, epcs: canonicalEPCs(ev), fields: indexedFields(ev)}
			for _, e := range p.epcs {
				if strings.IndexByte(e, 0) >= 0 || len(api.EPCKey(e, 0)) > ledger.MaxKeyBytes {
					return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d: EPC of %d bytes is too long (or holds NUL) to index", i, len(e)))
				}
			}
			for _, f := range p.fields {
				if strings.IndexByte(f.Value, 0) >= 0 || len(api.FieldKey(f.Field, f.Value, 0)) > ledger.MaxKeyBytes {
					return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d: %s value of %d bytes is too long (or holds NUL) to index", i, f.Field, len(f.Value)))
				}
			}
			if ev.EventID != "" && len(api.EventAliasKey(ev.EventID)) > ledger.MaxKeyBytes {
				return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d: eventID of %d bytes is too long", i, len(ev.EventID)))
			}
			if j, dup := seen[ev.ID]; dup {
				return nil, refuse(api.CodeDuplicate, fmt.Sprintf("event %d repeats event %d (id %s)", i, j, ev.ID))
			}
			seen[ev.ID] = i
			out = append(out, p)
		}
		return out, nil
	},
	Check: func(v ledger.View, t *txCtx, events []*preparedEvent) *txError {
		if b := t.block; b != nil {
			used, limit := b.signerEvents[string(t.addr)], t.params.MaxEventsPerSignerBlock
			if used+uint64(len(events)) > limit {
				return refuse(api.CodeOverQuota, fmt.Sprintf("signer %s already recorded %d events in block %d; %d more would pass the limit of %d per signer per block",
					tx.AddressString(t.addr), used, b.height, len(events), limit))
			}
		}
		for i, p := range events {
			rerr := checkEvent(v, i, p)
			if rerr != nil {
				return rerr
			}
		}
		return nil
	},
	Execute: func(b *block, t *txCtx, events []*preparedEvent) ([]abci.Event, error) {
		submitter := tx.AddressString(t.addr)
		txHash := fmt.Sprintf("%X", t.hash)
		out := make([]abci.Event, 0, len(events))
		for j, p := range events {
			ev := p.ev
			attrs := []abci.EventAttribute{
				{Key: api.AttrID, Value: ev.ID, Index: true},
				{Key: api.AttrSubmitter, Value: submitter, Index: true},
			}
			if p.declares == "" {
				seq := b.nextSeq
				b.nextSeq++
				if err := writeEvent(b, p, seq, api.EventMeta{
					ID: ev.ID, Seq: seq, Submitter: submitter, Height: b.height,
					TxHash: txHash, TxIndex: t.index, EventIndex: uint32(j), BlockTime: b.time,
				}); err != nil {
					return nil, err
				}
				out = append(out, abci.Event{Type: api.EventTypeEvent, Attributes: attrs})
			}
			if d := ev.ErrorDeclaration; d != nil {
				target := p.declares
				if target == "" {
					target = ev.ID
				}
				attrs[0].Value = target
				rec, err := json.Marshal(api.Declaration{ID: target, DeclarationTime: d.DeclarationTime, Reason: d.Reason,
					CorrectiveEventIDs: d.CorrectiveEventIDs, Submitter: submitter, Height: b.height, TxHash: txHash, Event: ev.Raw})
				if err != nil {
					return nil, err
				}
				if err := b.store.SetOnce(api.DeclarationKey(target), rec); err != nil {
					return nil, err
				}
				out = append(out, abci.Event{Type: api.EventTypeDeclaration, Attributes: attrs})
			}
		}
		b.events += len(events)
		b.signerEvents[string(t.addr)] += uint64(len(events))
		return out, nil
	},
}

// checkEvent decides whether event i may be recorded: a new event whose
// submitted eventID (if any) names no other event, or the error declaration of
// a recorded event not declared before. Per EPCIS, a correction repeats the
// erroneous event (same eventID) with an errorDeclaration added: the recorded
// event it names is found by that eventID, or by the CBV id when the event has
// none; a declaration naming no recorded event is recorded as a new event
// (declared erroneous from the start).
func checkEvent(v ledger.View, i int, p *preparedEvent) *txError {
	ev := p.ev
	p.declares = ""
	var aliased string
	if ev.EventID != "" {
		other, err := v.Get(api.EventAliasKey(ev.EventID))
		if err != nil {
			return refuse(api.CodeInternal, "read eventID: "+err.Error())
		}
		aliased = string(other)
	}
	recorded, err := v.Has(api.EventIDKey(ev.ID))
	if err != nil {
		return refuse(api.CodeInternal, "read event id: "+err.Error())
	}
	if ev.ErrorDeclaration != nil {
		target := aliased
		if target == "" && recorded {
			target = ev.ID
		}
		if target == "" {
			return nil // new, declared erroneous from the start
		}
		declared, err := v.Has(api.DeclarationKey(target))
		if err != nil {
			return refuse(api.CodeInternal, "read declaration: "+err.Error())
		}
		if declared {
			return refuse(api.CodeDuplicate, fmt.Sprintf("event %d: event %s is already declared erroneous", i, target))
		}
		p.declares = target
		return nil
	}
	switch {
	case recorded:
		return refuse(api.CodeDuplicate, fmt.Sprintf("event %d (id %s) is already recorded", i, ev.ID))
	case aliased != "" && aliased != ev.ID:
		return refuse(api.CodeDuplicate, fmt.Sprintf("event %d: eventID %q already names event %s (a different event)", i, ev.EventID, aliased))
	}
	return nil
}

// writeEvent writes a new event's record and its index entries, all write-once.
func writeEvent(b *block, p *preparedEvent, seq uint64, meta api.EventMeta) error {
	rec, err := api.EncodeEventRecord(meta, p.ev.Raw)
	if err != nil {
		return err
	}
	id := []byte(p.ev.ID)
	if err := b.store.SetOnce(api.EventLogKey(seq), rec); err != nil {
		return err
	}
	if err := b.store.SetOnce(api.EventIDKey(p.ev.ID), api.EncodeUint64(seq)); err != nil {
		return err
	}
	if p.ev.EventID != "" {
		ok, err := b.store.Has(api.EventAliasKey(p.ev.EventID))
		if err != nil {
			return err
		}
		if !ok { // a correction recorded as new keeps the alias of its first record
			if err := b.store.SetOnce(api.EventAliasKey(p.ev.EventID), id); err != nil {
				return err
			}
		}
	}
	for _, e := range p.epcs {
		if err := b.store.SetOnce(api.EPCKey(e, seq), id); err != nil {
			return err
		}
	}
	for _, f := range p.fields {
		if err := b.store.SetOnce(api.FieldKey(f.Field, f.Value, seq), id); err != nil {
			return err
		}
	}
	return nil
}

// canonicalEPCs are the event's EPCs in canonical form (epcis.NormaliseEPC),
// each once, in the order epcis reports them, plus the link fields' ids.
func canonicalEPCs(ev epcis.Event) []string {
	var out []string
	seen := map[string]bool{} // lookups only
	add := func(list ...string) {
		for _, e := range list {
			c := epcis.NormaliseEPC(e)
			if c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	add(ev.EPCs...)
	add(ev.Parent)
	add(ev.Children...)
	add(ev.Inputs...)
	add(ev.Outputs...)
	return out
}

// indexedFields are the event's values of the indexed fields, in field order.
func indexedFields(ev epcis.Event) []api.FieldValue {
	out := []api.FieldValue{{Field: api.FieldType, Value: ev.Type}}
	for _, f := range []api.FieldValue{
		{Field: api.FieldBizStep, Value: ev.BizStep},
		{Field: api.FieldDisposition, Value: ev.Disposition},
		{Field: api.FieldReadPoint, Value: ev.ReadPoint},
		{Field: api.FieldBizLocation, Value: ev.BizLocation},
	} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	for _, bt := range ev.BizTransactions {
		out = append(out, api.FieldValue{Field: api.FieldBizTransaction, Value: bt})
	}
	return out
}
