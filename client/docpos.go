package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// Errors about a document name where the problem is by line and column, as an
// editor shows them, not by byte offset.

// posError is an error whose message was rewritten to say line and column; it
// still wraps the original (errors.Is on epcis.ErrInvalidDocument, ...).
type posError struct {
	msg string
	err error
}

func (e *posError) Error() string { return e.msg }
func (e *posError) Unwrap() error { return e.err }

var atByte = regexp.MustCompile(`at byte (\d+)`)

// lineCol is the 1-based line and column (in characters) of byte offset off of data.
func lineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[start:])
}

// documentError is the error for a document (data, named name) that
// epcis.SplitDocument refused with err. Byte offsets in err ("at byte N") are
// given as line and column; malformed JSON whose error names no offset gets the
// line and column of the error as encoding/json finds it.
func documentError(name string, data []byte, err error) error {
	return locate(name+": ", data, 0, err)
}

// eventError is the error for event i of data (its bytes raw) that epcis.Parse
// refused with err: "event i (line L): ..." with the offsets in err
// (relative to the event) given as line and column of the document.
func eventError(i int, data, raw []byte, err error) error {
	base := bytes.Index(data, raw)
	if base < 0 {
		return fmt.Errorf("event %d: %w", i, err)
	}
	line, _ := lineCol(data, base)
	return locate(fmt.Sprintf("event %d (line %d): ", i, line), data, base, err)
}

// locate prefixes err's message with prefix, turning "at byte N" (relative to
// base) into "at line L, column C" of data.
func locate(prefix string, data []byte, base int, err error) error {
	msg := err.Error()
	rewritten := false
	msg = atByte.ReplaceAllStringFunc(msg, func(m string) string {
		n, convErr := strconv.Atoi(atByte.FindStringSubmatch(m)[1])
		if convErr != nil {
			return m
		}
		rewritten = true
		l, c := lineCol(data, base+n)
		return fmt.Sprintf("at line %d, column %d", l, c)
	})
	if !rewritten && base == 0 {
		var syn *json.SyntaxError
		if jerr := json.Unmarshal(data, new(json.RawMessage)); errors.As(jerr, &syn) {
			off := int(syn.Offset)
			if off > 0 && off < len(data) {
				off-- // Offset is just after the offending byte
			}
			l, c := lineCol(data, off)
			msg += fmt.Sprintf(" at line %d, column %d", l, c)
		}
	}
	return &posError{msg: prefix + msg, err: err}
}
