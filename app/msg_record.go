package app

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/ledger"
)

// recordEvents records EPCIS events: each parsed once, new (not in state, not
// twice in the tx), then written to the event log and its indexes.
var recordEvents = handler[*tx.RecordEvents, []epcis.Event]{
	Role: consensus.RoleRecorder,
	Stateless: func(params api.Params, m *tx.RecordEvents) ([]epcis.Event, *txError) {
		if uint64(len(m.Events)) > params.MaxEventsPerTx {
			return nil, refuse(api.CodeTooLarge, fmt.Sprintf("%d events in one tx, limit %d", len(m.Events), params.MaxEventsPerTx))
		}
		out := make([]epcis.Event, 0, len(m.Events))
		seen := make(map[string]int, len(m.Events)) // lookups only
		for i, raw := range m.Events {
			if uint64(len(raw)) > params.MaxEventBytes {
				return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d is %d bytes, limit %d", i, len(raw), params.MaxEventBytes))
			}
			ev, err := epcis.Parse(raw)
			if err != nil {
				return nil, refuse(api.CodeInvalidMessage, fmt.Sprintf("event %d: %v", i, err))
			}
			for _, e := range ev.EPCs {
				if len(api.EPCKey(e, 0)) > ledger.MaxKeyBytes {
					return nil, refuse(api.CodeTooLarge, fmt.Sprintf("event %d: EPC of %d bytes is too long", i, len(e)))
				}
			}
			if j, dup := seen[ev.ID]; dup {
				return nil, refuse(api.CodeDuplicate, fmt.Sprintf("event %d repeats event %d (id %s)", i, j, ev.ID))
			}
			seen[ev.ID] = i
			out = append(out, ev)
		}
		return out, nil
	},
	Check: func(v ledger.View, t *txCtx, events []epcis.Event) *txError {
		if b := t.block; b != nil {
			used, limit := b.signerEvents[string(t.addr)], t.params.MaxEventsPerSignerBlock
			if used+uint64(len(events)) > limit {
				return refuse(api.CodeOverQuota, fmt.Sprintf("signer %s already recorded %d events in block %d; %d more would pass the limit of %d per signer per block",
					tx.AddressString(t.addr), used, b.height, len(events), limit))
			}
		}
		for i, ev := range events {
			ok, err := v.Has(api.EventIDKey(ev.ID))
			if err != nil {
				return refuse(api.CodeInternal, "read event id: "+err.Error())
			}
			if ok {
				return refuse(api.CodeDuplicate, fmt.Sprintf("event %d (id %s) is already recorded", i, ev.ID))
			}
		}
		return nil
	},
	Execute: func(b *block, t *txCtx, events []epcis.Event) ([]abci.Event, error) {
		submitter := tx.AddressString(t.addr)
		txHash := fmt.Sprintf("%X", t.hash)
		out := make([]abci.Event, 0, len(events))
		for j, ev := range events {
			seq := b.nextSeq
			b.nextSeq++
			rec, err := api.EncodeEventRecord(api.EventMeta{
				ID: ev.ID, Seq: seq, Submitter: submitter, Height: b.height,
				TxHash: txHash, TxIndex: t.index, EventIndex: uint32(j), BlockTime: b.time,
			}, ev.Raw)
			if err != nil {
				return nil, err
			}
			if err := b.store.SetOnce(api.EventLogKey(seq), rec); err != nil {
				return nil, err
			}
			if err := b.store.SetOnce(api.EventIDKey(ev.ID), api.EncodeUint64(seq)); err != nil {
				return nil, err
			}
			attrs := []abci.EventAttribute{
				{Key: api.AttrID, Value: ev.ID, Index: true},
				{Key: api.AttrSubmitter, Value: submitter, Index: true},
			}
			for _, e := range ev.EPCs {
				if err := b.store.SetOnce(api.EPCKey(e, seq), []byte(ev.ID)); err != nil {
					return nil, err
				}
				attrs = append(attrs, abci.EventAttribute{Key: api.AttrEPC, Value: e, Index: true})
			}
			out = append(out, abci.Event{Type: api.EventTypeEvent, Attributes: attrs})
		}
		b.events += len(events)
		b.signerEvents[string(t.addr)] += uint64(len(events))
		return out, nil
	},
}
