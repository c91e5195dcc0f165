package tx

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// fieldKind is how a field of the schema is encoded and what the canonical
// form of its value is.
type fieldKind int

const (
	kindVarint         fieldKind = iota + 1 // uint64; omitted when zero
	kindBytes                               // singular bytes; omitted when empty
	kindString                              // singular string; omitted when empty; UTF-8
	kindMessage                             // embedded message; present even when empty
	kindRepeatedBytes                       // one record per element, empty elements kept
	kindRepeatedString                      // one record per element, UTF-8
)

func (k fieldKind) wireType() protowire.Type {
	if k == kindVarint {
		return protowire.VarintType
	}
	return protowire.BytesType
}

func (k fieldKind) repeated() bool {
	return k == kindRepeatedBytes || k == kindRepeatedString
}

// schema maps the field numbers of one message to their kinds. It is only
// looked up, never iterated, so decoding does not depend on map order.
type schema map[protowire.Number]fieldKind

// field is one decoded record: u for varints, b for length-delimited values
// (a sub-slice of the input, not a copy).
type field struct {
	num  protowire.Number
	kind fieldKind
	u    uint64
	b    []byte
}

// walk decodes the records of one message strictly and calls fn for each in
// order. It accepts only the canonical encoding that Encode produces:
//   - known field numbers with their declared wire type;
//   - ascending field numbers; a number repeats only for repeated fields,
//     and then in consecutive records;
//   - minimal varints (tags, values and lengths);
//   - no explicit zero varint and no empty singular bytes/string (proto3
//     omits them), valid UTF-8 in strings;
//   - no truncated record and nothing after the last record.
func walk(b []byte, msg string, s schema, fn func(f field) error) error {
	var prev protowire.Number
	for len(b) > 0 {
		tag, n := consumeVarint(b)
		if n < 0 {
			return fmt.Errorf("%w: %s: bad tag: %v", ErrMalformed, msg, protowire.ParseError(n))
		}
		b = b[n:]
		num, typ := protowire.DecodeTag(tag)
		if !num.IsValid() {
			return fmt.Errorf("%w: %s: invalid field number %d", ErrMalformed, msg, num)
		}
		kind, ok := s[num]
		if !ok {
			return fmt.Errorf("%w: %s: unknown field %d", ErrMalformed, msg, num)
		}
		if typ != kind.wireType() {
			return fmt.Errorf("%w: %s: field %d: wire type %d, want %d", ErrMalformed, msg, num, typ, kind.wireType())
		}
		switch {
		case num == prev && !kind.repeated():
			return fmt.Errorf("%w: %s: duplicate field %d", ErrMalformed, msg, num)
		case num < prev:
			return fmt.Errorf("%w: %s: field %d after field %d (not canonical order)", ErrMalformed, msg, num, prev)
		}
		prev = num

		f := field{num: num, kind: kind}
		if typ == protowire.VarintType {
			f.u, n = consumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: %s: field %d: %v", ErrMalformed, msg, num, protowire.ParseError(n))
			}
			if f.u == 0 {
				return fmt.Errorf("%w: %s: field %d: explicit zero (not canonical)", ErrMalformed, msg, num)
			}
		} else {
			l, ln := consumeVarint(b)
			if ln < 0 {
				return fmt.Errorf("%w: %s: field %d: length: %v", ErrMalformed, msg, num, protowire.ParseError(ln))
			}
			if l > uint64(len(b)-ln) {
				return fmt.Errorf("%w: %s: field %d: truncated (length %d, %d bytes left)", ErrMalformed, msg, num, l, len(b)-ln)
			}
			n = ln + int(l)
			f.b = b[ln:n:n]
			if l == 0 && (kind == kindBytes || kind == kindString) {
				return fmt.Errorf("%w: %s: field %d: explicit empty value (not canonical)", ErrMalformed, msg, num)
			}
			if (kind == kindString || kind == kindRepeatedString) && !utf8.Valid(f.b) {
				return fmt.Errorf("%w: %s: field %d: invalid UTF-8", ErrMalformed, msg, num)
			}
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// consumeVarint is protowire.ConsumeVarint that also rejects over-long
// (non-minimal) encodings, which would give one value two encodings.
func consumeVarint(b []byte) (uint64, int) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, n
	}
	if n != protowire.SizeVarint(v) {
		return 0, -1 // ParseError(-1): generic parse error
	}
	return v, n
}

// Encoding helpers: each omits what walk rejects as not canonical.

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendLenField(b, num, v)
}

func appendStringField(b []byte, num protowire.Number, v string) []byte {
	if v == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// appendLenField always writes the record, even for an empty value
// (embedded messages and elements of repeated fields).
func appendLenField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func checkString(what, s string, maxLen int) error {
	if len(s) > maxLen {
		return fmt.Errorf("%w: %s: %d bytes, max %d", ErrTooLarge, what, len(s), maxLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s: invalid UTF-8", ErrMalformed, what)
	}
	return nil
}
