package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/client"
	"github.com/poaledger/poaledger/epcis"
	"github.com/poaledger/poaledger/keyring"
)

type txFlags struct {
	from    string
	wait    bool
	timeout time.Duration
	chainID string
	genesis string
}

func (f *txFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "from", "", "name of the signing key in <home>/keys (required)")
	cmd.Flags().BoolVar(&f.wait, "wait", false, "wait until the tx is in a block and print its height and result")
	cmd.Flags().DurationVar(&f.timeout, "timeout", time.Minute, "how long to wait for the node (and with --wait, for the block)")
	cmd.Flags().StringVar(&f.chainID, "chain-id", "", "chain id to sign for (default: the chain id of --genesis, else asked from the node); a node of another chain is refused")
	cmd.Flags().StringVar(&f.genesis, "genesis", "", "genesis.json that anchors verification of the nonce (and of --skip-existing) (default <home>/config/genesis.json, if present)")
	addPassphraseFileFlag(cmd)
}

type txOut struct {
	TxHash   string   `json:"tx_hash"`
	Height   int64    `json:"height,omitempty"`
	Code     uint32   `json:"code"`
	Log      string   `json:"log,omitempty"`
	EventIDs []string `json:"event_ids,omitempty"`
	// Declared lists the recorded events this tx declared erroneous (EPCIS
	// errorDeclaration; --wait only).
	Declared []string `json:"declared,omitempty"`
	Address  string   `json:"address,omitempty"`
	// Skipped lists ids left out by --skip-existing because they are recorded.
	Skipped []string `json:"skipped,omitempty"`
	// Proposal is the governance proposal a propose or vote tx touched, as it
	// stands after the tx's block (with --wait).
	Proposal *proposalOut `json:"proposal,omitempty"`
}

func (g *globals) send(cmd *cobra.Command, f *txFlags, msg tx.Msg, out txOut) error {
	return g.sendThen(cmd, f, msg, out, nil)
}

// sendThen is send with a step run after a --wait broadcast committed, before
// printing (e.g. reading the proposal the tx opened).
func (g *globals) sendThen(cmd *cobra.Command, f *txFlags, msg tx.Msg, out txOut,
	after func(ctx context.Context, c *client.Client, res *client.BroadcastResult, out *txOut) error) error {
	key, c, v, err := g.signer(cmd, f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	line := g.newWaitLine(cmd) // on a terminal: what the command waits for
	res, err := c.Send(ctx, key.PrivKey, msg, client.SendOpts{ChainID: f.chainID, Verifier: v, Wait: f.wait, Progress: line.progress()})
	line.done()
	if err != nil {
		return err
	}
	out.TxHash, out.Height, out.Code, out.Log = res.Hash, res.Height, res.Code, res.Log
	if f.wait {
		if _, ok := msg.(*tx.RecordEvents); ok {
			// What the block did: new records, and error declarations stored
			// beside recorded events.
			out.EventIDs = client.RecordedIDs(res.Events)
			out.Declared = client.DeclaredIDs(res.Events)
		}
		if after != nil {
			if err := after(ctx, c, res, &out); err != nil {
				return err
			}
		}
	}
	return g.print(cmd.OutOrStdout(), out, func(w io.Writer) { txText(w, out, f.wait) })
}

// txText is the text form of a tx command's result (golden: testdata/golden/tx_*.txt).
func txText(w io.Writer, out txOut, waited bool) {
	f := &fields{}
	f.add("tx_hash", "%s", out.TxHash)
	if waited {
		f.add("height", "%d", out.Height)
		f.add("status", "committed in block %d", out.Height)
	} else {
		f.add("status", "%s", "accepted into the mempool (use --wait to wait for the block)")
	}
	f.addIf("member", out.Address)
	for _, id := range out.EventIDs {
		f.add("event", "%s", id)
	}
	for _, id := range out.Declared {
		f.add("declared", "%s (erroneous: declaration stored beside it)", id)
	}
	for _, id := range out.Skipped {
		f.add("skipped", "%s (already recorded, verified)", id)
	}
	if p := out.Proposal; p != nil {
		f.add("proposal", "%d (%s) %s", p.ID, p.Kind, p.Status)
		f.addIf("note", p.Note)
	}
	f.write(w)
}

// txVerifier returns the verifier that proves a tx command's reads (the nonce, and
// --skip-existing's lookups): from --genesis, else from <home>/config/genesis.json
// when the home has one. Without either it returns nil, unless required. A
// --chain-id other than the genesis chain id is an error with --genesis; with the
// home's genesis it means signing for another chain, without a verifier (unless
// required).
func (g *globals) txVerifier(cmd *cobra.Command, c *client.Client, f *txFlags, required bool) (*client.Verifier, error) {
	gen := f.genesis
	if gen == "" {
		gen = filepath.Join(g.home, "config", "genesis.json")
		if _, err := os.Stat(gen); err != nil {
			if required {
				return nil, fmt.Errorf("no genesis to verify against: %w (pass --genesis FILE, the genesis.json of the chain)", err)
			}
			return nil, nil
		}
	}
	v, err := client.NewVerifier(g.home, gen, c)
	if err != nil {
		return nil, err
	}
	if f.chainID != "" && f.chainID != v.ChainID() {
		if f.genesis != "" || required {
			return nil, usagef("--chain-id %q, but genesis %s is for chain %q", f.chainID, gen, v.ChainID())
		}
		return nil, nil
	}
	v.Notes = cmd.ErrOrStderr()
	return v, nil
}

func newTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Sign and submit transactions to --node",
		Example: "  poaledger tx record doc.json --from alice --wait\n  poaledger tx propose add-member PUBKEY --roles recorder --from admin --wait\n  poaledger tx vote 3 yes --from authority --wait"}
	var rf txFlags
	var skipExisting bool
	record := &cobra.Command{
		Use:   "record FILE|-",
		Short: "Record the events of an EPCIS 2.0 document (or a single event)",
		Long: `record reads an EPCISDocument (its epcisBody.eventList), an EPCISQueryDocument or a
single EPCIS event from FILE, or from standard input when FILE is -, checks every event
(every error is listed before anything is sent), and submits them as one RecordEvents tx
signed by --from: all events commit or none. Each event's id is printed; with --wait the
command waits for the block and prints its height.

A document with more events than one tx carries (the chain's max_events_per_tx, or 1 MiB)
is recorded in several txs, one after the other, each waited for and all or nothing; the
output lists each batch's height and ids. If it stops halfway, it says which batches
committed: run it again with --skip-existing to record the rest.`,
		Example: "  poaledger tx record shipment.json --from admin --wait --home ./demo\n  cat event.json | poaledger tx record - --from alice\n  poaledger tx record day1.json --from alice --skip-existing --wait",
		Args:    exactArgs(1, "FILE or -"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = cmd.InOrStdin()
			name := "standard input"
			if args[0] != "-" {
				fh, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer fh.Close()
				r, name = fh, args[0]
			}
			events, err := client.ReadDocument(r, name)
			if err != nil {
				return err
			}
			var skipped []string
			if skipExisting {
				c, err := client.New(g.node)
				if err != nil {
					return err
				}
				// Which events are recorded is proven (presence or absence of
				// each id), from the genesis: a lying node must not make
				// events be left out as "already recorded".
				v, err := g.txVerifier(cmd, c, &rf, true)
				if err != nil {
					return fmt.Errorf("--skip-existing cannot verify which events are already recorded: %w", err)
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), rf.timeout)
				defer cancel()
				var dropped []epcis.Event
				if events, dropped, err = c.DropRecorded(ctx, events, client.QueryOpts{Prove: true, Verifier: v}); err != nil {
					return fmt.Errorf("--skip-existing could not verify which events are already recorded, nothing sent: %w", err)
				}
				skipped = client.EventIDs(dropped)
				if len(events) == 0 {
					out := txOut{Skipped: skipped}
					return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
						fmt.Fprintf(w, "all %d events are already recorded (verified); nothing sent\n", len(skipped))
					})
				}
			}
			batches, err := g.batches(cmd, &rf, events)
			if err != nil {
				return err
			}
			if len(batches) > 1 {
				return g.recordBatches(cmd, &rf, batches, skipped)
			}
			return g.send(cmd, &rf, client.RecordMsg(events), txOut{EventIDs: client.EventIDs(events), Skipped: skipped})
		},
	}
	rf.register(record)
	record.Flags().BoolVar(&skipExisting, "skip-existing", false, "leave out events the ledger already holds (by id, each presence or absence proven from --genesis) instead of refusing the whole document")

	cmd.AddCommand(record, newProposeCmd(g), newVoteCmd(g))
	return cmd
}

// batches cuts events into txs the chain accepts: at most its max_events_per_tx
// (asked from the node; a wrong answer only gets a tx refused) and tx.MaxTxBytes.
func (g *globals) batches(cmd *cobra.Command, f *txFlags, events []epcis.Event) ([][]epcis.Event, error) {
	maxEvents := tx.MaxEventsPerTx
	if len(events) > 1 {
		c, err := client.New(g.node)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
		defer cancel()
		p, err := c.Params(ctx, client.QueryOpts{})
		if err != nil {
			return nil, err
		}
		maxEvents = int(p.Params.MaxEventsPerTx)
	}
	return client.SplitRecord(events, maxEvents, tx.MaxTxBytes)
}

// batchesOut is what tx record prints for a document recorded in several txs.
type batchesOut struct {
	Batches []client.BatchResult `json:"batches"`
	Skipped []string             `json:"skipped,omitempty"`
}

// recordBatches records a large document batch by batch, with a progress bar
// on a terminal, and reports each batch (and, if one fails, what committed).
func (g *globals) recordBatches(cmd *cobra.Command, f *txFlags, batches [][]epcis.Event, skipped []string) error {
	key, c, v, err := g.signer(cmd, f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout*time.Duration(len(batches)))
	defer cancel()
	var bar *progressbar.ProgressBar
	if w := cmd.ErrOrStderr(); g.output != "json" && isTerminal(w) {
		bar = progressbar.NewOptions(len(batches), progressbar.OptionSetWriter(w), progressbar.OptionClearOnFinish(),
			progressbar.OptionSetDescription("recording batches"), progressbar.OptionShowCount())
	}
	results, recErr := c.RecordBatches(ctx, key.PrivKey, batches, client.SendOpts{ChainID: f.chainID, Verifier: v},
		func(done, _ int, _ client.BatchResult) {
			if bar != nil {
				_ = bar.Set(done)
			}
		})
	if bar != nil {
		_ = bar.Finish()
	}
	out := batchesOut{Batches: results, Skipped: skipped}
	if err := g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
		rows := make([][]string, 0, len(results))
		for _, r := range results {
			status := fmt.Sprintf("height %d", r.Height)
			if r.Error != "" {
				status = "FAILED: " + r.Error
			}
			rows = append(rows, []string{strconv.Itoa(r.Batch + 1), strconv.Itoa(len(r.IDs)), status, orDash(r.TxHash)})
		}
		table(w, []string{"BATCH", "EVENTS", "RESULT", "TX"}, rows)
		for _, id := range skipped {
			fmt.Fprintf(w, "skipped: %s (already recorded, verified)\n", id)
		}
	}); err != nil {
		return err
	}
	return recErr
}

// signer loads --from's key and the client and verifier a tx command signs with.
func (g *globals) signer(cmd *cobra.Command, f *txFlags) (keyring.Key, *client.Client, *client.Verifier, error) {
	if f.from == "" {
		return keyring.Key{}, nil, nil, usagef("--from is required (a key name; see `poaledger keys list`)")
	}
	key, err := keyring.New(g.home, keyOptions(cmd)...).Get(f.from)
	if err != nil {
		return keyring.Key{}, nil, nil, err
	}
	c, err := client.New(g.node)
	if err != nil {
		return keyring.Key{}, nil, nil, err
	}
	v, err := g.txVerifier(cmd, c, f, false)
	if err != nil {
		return keyring.Key{}, nil, nil, err
	}
	return key, c, v, nil
}
