package epcis

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// member is one name/value pair of a JSON object; value is the raw JSON of
// the value exactly as in the input (a copy, not re-encoded).
type member struct {
	name  string
	value json.RawMessage
}

// object is a JSON object's members in document order, with an index by name
// for lookups. Names are unique: duplicate names are rejected, because
// parsers disagree on which duplicate wins and the ledger must not be
// ambiguous about what an event says.
type object struct {
	members []member
	index   map[string]int // lookups only, never iterated
}

// get returns the raw value of name, or nil if absent.
func (o *object) get(name string) json.RawMessage {
	if i, ok := o.index[name]; ok {
		return o.members[i].value
	}
	return nil
}

// parseObject parses raw, which must be exactly one JSON object (surrounding
// whitespace allowed), into its top-level members. Nested values are
// checked for JSON syntax but not parsed.
func parseObject(raw []byte) (*object, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("not valid JSON")
	}
	if kind := jsonKind(raw); kind != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", kindName(kind))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	o := &object{index: make(map[string]int)}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is %T", tok) // unreachable for valid JSON
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := o.index[name]; dup {
			return nil, fmt.Errorf("duplicate key %q", name)
		}
		o.index[name] = len(o.members)
		o.members = append(o.members, member{name: name, value: v})
	}
	return o, nil
}

// jsonKind returns the first byte of a JSON value after leading whitespace:
// '{', '[', '"', 't', 'f', 'n', or a number's first byte; 0 if empty.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func kindName(k byte) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	default:
		return "a number"
	}
}

// asString decodes raw as a JSON string; ok is false for any other kind
// (including null, which json.Unmarshal would silently accept).
func asString(raw json.RawMessage) (s string, ok bool) {
	if jsonKind(raw) != '"' {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// asArray splits raw as a JSON array into its raw elements; ok is false for
// any other kind (including null).
func asArray(raw json.RawMessage) (elems []json.RawMessage, ok bool) {
	if jsonKind(raw) != '[' {
		return nil, false
	}
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, false
	}
	return elems, true
}
