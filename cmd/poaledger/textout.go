package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/poaledger/poaledger/client"
)

// Text output has two shapes, so that every command reads alike:
//
//   - a block of "key: value" lines whose values start in one column (fields), for
//     one thing (an event, a member, a tx);
//   - a table with a header row in capitals (table), for lists.
//
// Every answer read from a node ends with its state height and whether it was
// verified; an answer read without --prove says it is unproven.

// fields is an aligned block of "key: value" lines.
type fields struct {
	rows [][2]string
}

// add appends a row; the value is formatted with fmt.Sprint(args...) when
// format is "", else with fmt.Sprintf.
func (f *fields) add(key, format string, args ...any) *fields {
	v := fmt.Sprint(args...)
	if format != "" {
		v = fmt.Sprintf(format, args...)
	}
	f.rows = append(f.rows, [2]string{key, v})
	return f
}

// addIf appends a row only when the value is not empty.
func (f *fields) addIf(key, value string) *fields {
	if value != "" {
		f.rows = append(f.rows, [2]string{key, value})
	}
	return f
}

// write prints the rows with every value starting in the same column; a value
// with several lines continues under it.
func (f *fields) write(w io.Writer) {
	width := 0
	for _, r := range f.rows {
		width = max(width, len(r[0])+1)
	}
	for _, r := range f.rows {
		lines := strings.Split(r[1], "\n")
		fmt.Fprintf(w, "%-*s %s\n", width, r[0]+":", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%-*s %s\n", width, "", l)
		}
	}
}

// table prints a header row and rows, in columns separated by two spaces.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// stateRows adds the state height of an answer and whether it was verified.
func (f *fields) stateRows(info client.QueryInfo) *fields {
	f.add("state", "height %d", info.Height)
	if info.Verified {
		f.add("verified", "true (proof against header %d)", info.ProofHeight)
	} else {
		f.add("verified", "%s", unprovenText)
	}
	return f
}

// unprovenText is the verified: value of an answer read without --prove.
const unprovenText = "no (unproven: the node's word; --prove verifies it from your genesis)"

// completeRow says whether a list is proven to hold every item of its kind
// (what and whats: the kind, singular and plural).
func (f *fields) completeRow(complete bool, what, whats string) *fields {
	if complete {
		f.add("complete", "true (proven: no other %s exists at this height)", what)
	} else {
		f.add("complete", "NOT PROVEN (without --prove nothing is verified; other %s may exist)", whats)
	}
	return f
}

// indentJSON re-indents JSON text with two spaces per level (the event as
// submitted may be indented in any way, or not at all); text that is not JSON
// is returned trimmed.
func indentJSON(raw []byte) string {
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return strings.TrimSpace(string(raw))
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return strings.TrimSpace(string(raw))
	}
	return out.String()
}

// indentBlock indents every line of s by two spaces.
func indentBlock(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// orDash is s, or "-" when s is empty (an empty table cell).
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural is "n thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
