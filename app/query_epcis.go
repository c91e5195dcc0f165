package app

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/epcis"
)

// history answers /history/<epc>[?cursor&limit]: the events naming the EPC
// (canonical form, epcis.NormaliseEPC), in ledger order.
func (q *querier) history(rest string) *abci.ResponseQuery {
	epc, rawQuery, _ := strings.Cut(rest, "?")
	if unescaped, err := url.PathUnescape(epc); err == nil {
		epc = unescaped
	}
	if epc == "" {
		return qerr(api.CodeBadQuery, q.height, "history of an empty EPC")
	}
	return q.indexPage(api.EPCPrefix(epcis.NormaliseEPC(epc)), "history", rawQuery)
}

// events answers /events?field=<name>&value=<v>[&cursor&limit].
func (q *querier) events(rawQuery string) *abci.ResponseQuery {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, "query string: "+err.Error())
	}
	f, err := api.ParseField(vals.Get("field"))
	if err != nil {
		return qerr(api.CodeBadQuery, q.height, err.Error())
	}
	value := vals.Get("value")
	if value == "" {
		return qerr(api.CodeBadQuery, q.height, "events: empty value")
	}
	return q.indexPage(api.FieldPrefix(f, api.CanonicalFieldValue(f, value)), "events", rawQuery)
}

// indexPage reads one page of an index (EPC or field) and the records its
// entries point at. With prove: the entries and the page's gaps (complete
// between the cursor bounds, see list), then each entry's event record.
func (q *querier) indexPage(prefix []byte, what, rawQuery string) *abci.ResponseQuery {
	pg, res := q.pageUnder(prefix, what, rawQuery)
	if res != nil {
		return res
	}
	page := api.EventPage{Entries: make([]api.EventEntry, 0, len(pg.items))}
	records := make([][]byte, 0, len(pg.items))
	for _, kv := range pg.items {
		seq, err := api.SeqFromIndexKey(kv.Key)
		if err != nil {
			return qerr(api.CodeInternal, q.height, err.Error())
		}
		logKey := api.EventLogKey(seq)
		rec, err := q.v.Get(logKey)
		if err != nil || rec == nil {
			return qerr(api.CodeInternal, q.height, fmt.Sprintf("index entry %x points at missing seq %d: %v", kv.Key, seq, err))
		}
		page.Entries = append(page.Entries, api.EventEntry{Key: hex.EncodeToString(kv.Key), ID: string(kv.Value), Record: rec})
		records = append(records, logKey)
	}
	page.Next = pg.nextCursor()
	return q.list(pg, page, records...)
}
