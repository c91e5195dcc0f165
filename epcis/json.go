package epcis

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the package's JSON reader: a strict RFC 8259 parser written for
// the ledger's needs, in one pass and without reflection.
//
//   - It accepts exactly one JSON value with optional surrounding JSON
//     whitespace; no byte-order mark, no comments, no trailing commas.
//   - Strings must be valid UTF-8, escapes valid, and \u escapes must pair
//     surrogates correctly: a string has one meaning or it is refused.
//   - Objects with duplicate member names (after unescaping) are refused at
//     every level, since JSON parsers disagree about which duplicate wins.
//   - Numbers are kept as their literal text (never float64); numberCanon
//     gives their canonical decimal form.
//   - Nesting is bounded (maxDepth) and so is the node count, so a hostile input
//     is refused after reading it once, with memory proportional to its size.
//
// The result is a flat slice of nodes (children linked by index), which costs
// a handful of allocations per event instead of one per value. String values
// without escapes are substrings of one string copy of the input.

type kind uint8

const (
	kindNull kind = iota + 1
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	}
	return "nothing"
}

// node is one JSON value. For a member of an object, key is its (unescaped)
// name.
type node struct {
	kind  kind
	key   string
	str   string // string value (unescaped), number literal, "true"/"false"
	start int32  // first byte of the value
	end   int32  // one past the last byte of the value
	first int32  // first child, or -1
	next  int32  // next sibling, or -1
	count int32  // number of children
}

// tree is a parsed JSON text.
type tree struct {
	src   []byte
	nodes []node
}

// jsonError is a syntax or structure error, with the JSON path where it was
// found when there is one.
type jsonError struct {
	path    string
	msg     string
	tooMany bool // more than maxNodes values
}

func (e *jsonError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

type pathElem struct {
	key   string
	index int // -1 for object members
}

type parser struct {
	src       []byte
	s         string // string(src), so that escape-free strings are substrings
	pos       int
	nodes     []node
	maxDepth  int // nesting deeper than this is an error
	treeDepth int // values nested deeper than this are checked but not kept
	maxNodes  int
	path      []pathElem
	buf       []byte
}

// parseJSON parses src. Values at nesting depth greater than treeDepth (the
// root is depth 0) are checked but get no nodes of their own; their
// parent's node still has kind and byte span. maxNodes bounds the nodes kept.
func parseJSON(src []byte, maxDepth, treeDepth, maxNodes int) (*tree, error) {
	p := parser{src: src, s: string(src), maxDepth: maxDepth, treeDepth: treeDepth, maxNodes: maxNodes}
	// One node per ~16 input bytes is typical of EPCIS events.
	p.nodes = make([]node, 0, min(len(src)/16+8, maxNodes))
	p.skipSpace()
	if _, err := p.value(0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(src) {
		return nil, p.errorf("unexpected data after the JSON value at byte %d", p.pos)
	}
	return &tree{src: src, nodes: p.nodes}, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return &jsonError{path: p.pathString(), msg: fmt.Sprintf(format, args...)}
}

func (p *parser) pathString() string {
	var b strings.Builder
	for _, e := range p.path {
		if e.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.key)
	}
	return b.String()
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses the value at p.pos; it returns its node index, or -1 when the
// value is deeper than treeDepth (checked only).
func (p *parser) value(depth int) (int32, error) {
	if p.pos >= len(p.src) {
		return -1, p.errorf("unexpected end of JSON input")
	}
	keep := depth <= p.treeDepth
	idx := int32(-1)
	if keep {
		if len(p.nodes) >= p.maxNodes {
			err := p.errorf("more than %d JSON values", p.maxNodes)
			err.(*jsonError).tooMany = true
			return -1, err
		}
		idx = int32(len(p.nodes))
		p.nodes = append(p.nodes, node{start: int32(p.pos), first: -1, next: -1})
	}
	var k kind
	var str string
	var err error
	switch c := p.src[p.pos]; {
	case c == '{':
		k = kindObject
		err = p.object(idx, depth)
	case c == '[':
		k = kindArray
		err = p.array(idx, depth)
	case c == '"':
		k = kindString
		str, err = p.string(keep)
	case c == 't':
		k, str, err = kindBool, "true", p.literal("true")
	case c == 'f':
		k, str, err = kindBool, "false", p.literal("false")
	case c == 'n':
		k, err = kindNull, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		k = kindNumber
		str, err = p.number()
	default:
		err = p.errorf("invalid character %q at byte %d", c, p.pos)
	}
	if err != nil {
		return -1, err
	}
	if keep {
		n := &p.nodes[idx]
		n.kind, n.str, n.end = k, str, int32(p.pos)
	}
	return idx, nil
}

func (p *parser) literal(lit string) error {
	if !strings.HasPrefix(p.s[p.pos:], lit) {
		return p.errorf("invalid literal at byte %d", p.pos)
	}
	p.pos += len(lit)
	return nil
}

func (p *parser) number() (string, error) {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return "", p.errorf("invalid number at byte %d", start)
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return "", p.errorf("invalid number at byte %d", start)
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", p.errorf("invalid number at byte %d", start)
		}
	}
	p.pos = i
	return p.s[start:i], nil
}

// string parses a JSON string at p.pos (the opening quote). If keep is false
// the string is checked but not decoded.
func (p *parser) string(keep bool) (string, error) {
	start := p.pos
	p.pos++
	s := p.src
	i := p.pos
	// Fast path: ASCII without escapes.
	for i < len(s) {
		c := s[i]
		if c == '"' {
			p.pos = i + 1
			return p.s[start+1 : i], nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
		i++
	}
	// Slow path: escapes, control characters, UTF-8.
	p.buf = append(p.buf[:0], s[start+1:i]...)
	for {
		if i >= len(s) {
			return "", p.errorf("unterminated string starting at byte %d", start)
		}
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			if !keep {
				return "", nil
			}
			return string(p.buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string at byte %d", i)
		case c == '\\':
			if i+1 >= len(s) {
				return "", p.errorf("unterminated string starting at byte %d", start)
			}
			e := s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				p.buf = append(p.buf, e)
			case 'b':
				p.buf = append(p.buf, '\b')
			case 'f':
				p.buf = append(p.buf, '\f')
			case 'n':
				p.buf = append(p.buf, '\n')
			case 'r':
				p.buf = append(p.buf, '\r')
			case 't':
				p.buf = append(p.buf, '\t')
			case 'u':
				r, ok := hex4(s, i)
				if !ok {
					return "", p.errorf("invalid \\u escape at byte %d", i-2)
				}
				i += 4
				if r >= 0xD800 && r < 0xDC00 { // high surrogate: a low one must follow
					if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
						return "", p.errorf("unpaired surrogate in string at byte %d", i-6)
					}
					lo, ok := hex4(s, i+2)
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return "", p.errorf("unpaired surrogate in string at byte %d", i-6)
					}
					i += 6
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				} else if r >= 0xDC00 && r <= 0xDFFF {
					return "", p.errorf("unpaired surrogate in string at byte %d", i-6)
				}
				p.buf = utf8.AppendRune(p.buf, r)
			default:
				return "", p.errorf("invalid escape \\%c at byte %d", e, i-2)
			}
		case c < 0x80:
			p.buf = append(p.buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return "", p.errorf("invalid UTF-8 in string at byte %d", i)
			}
			p.buf = append(p.buf, s[i:i+size]...)
			i += size
		}
	}
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

func (p *parser) object(idx int32, depth int) error {
	if depth >= p.maxDepth {
		return p.errorf("JSON nested deeper than %d levels", p.maxDepth)
	}
	p.pos++ // '{'
	p.skipSpace()
	keepChildren := depth+1 <= p.treeDepth
	var seen dupSet
	last, count := int32(-1), int32(0)
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return p.errorf("expected a member name at byte %d", p.pos)
		}
		name, err := p.string(true)
		if err != nil {
			return err
		}
		if !seen.add(name) {
			p.path = append(p.path, pathElem{key: name, index: -1})
			return p.errorf("duplicate member name")
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return p.errorf("expected ':' at byte %d", p.pos)
		}
		p.pos++
		p.skipSpace()
		p.path = append(p.path, pathElem{key: name, index: -1})
		child, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		if keepChildren {
			p.nodes[child].key = name
			if last < 0 {
				p.nodes[idx].first = child
			} else {
				p.nodes[last].next = child
			}
			last = child
		}
		count++
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.errorf("unexpected end of JSON input in an object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			if idx >= 0 {
				p.nodes[idx].count = count
			}
			return nil
		default:
			return p.errorf("expected ',' or '}' at byte %d", p.pos)
		}
	}
}

func (p *parser) array(idx int32, depth int) error {
	if depth >= p.maxDepth {
		return p.errorf("JSON nested deeper than %d levels", p.maxDepth)
	}
	p.pos++ // '['
	p.skipSpace()
	last, count := int32(-1), int32(0)
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		p.path = append(p.path, pathElem{index: int(count)})
		child, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		if child >= 0 {
			if last < 0 {
				p.nodes[idx].first = child
			} else {
				p.nodes[last].next = child
			}
			last = child
		}
		count++
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.errorf("unexpected end of JSON input in an array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case ']':
			p.pos++
			if idx >= 0 {
				p.nodes[idx].count = count
			}
			return nil
		default:
			return p.errorf("expected ',' or ']' at byte %d", p.pos)
		}
	}
}

// dupSet detects repeated member names: a linear scan for small objects, a
// map (used for lookups only) past dupSetSmall names.
type dupSet struct {
	small [dupSetSmall]string
	n     int
	large map[string]struct{}
}

const dupSetSmall = 16

func (d *dupSet) add(name string) bool {
	if d.large != nil {
		if _, dup := d.large[name]; dup {
			return false
		}
		d.large[name] = struct{}{}
		return true
	}
	for _, n := range d.small[:d.n] {
		if n == name {
			return false
		}
	}
	if d.n < dupSetSmall {
		d.small[d.n] = name
		d.n++
		return true
	}
	d.large = make(map[string]struct{}, 2*dupSetSmall)
	for _, n := range d.small {
		d.large[n] = struct{}{}
	}
	d.large[name] = struct{}{}
	return true
}

// get returns the member name of object o, or -1.
func (t *tree) get(o int32, name string) int32 {
	for c := t.nodes[o].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].key == name {
			return c
		}
	}
	return -1
}

// raw returns the bytes of node i as in the input.
func (t *tree) raw(i int32) []byte {
	n := &t.nodes[i]
	return t.src[n.start:n.end]
}

// numberCanon returns the canonical decimal form of a JSON number literal:
// no exponent, no leading zeros, no trailing fractional zeros, no trailing
// decimal point, "0" for zero (never "-0"). ok is false when the canonical
// form would be longer than maxNumberDigits characters (e.g. 1e999999), so a
// short literal cannot expand into a huge string.
func numberCanon(lit string) (string, bool) {
	neg := strings.HasPrefix(lit, "-")
	if neg {
		lit = lit[1:]
	}
	mant, exp := lit, 0
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mant = lit[:i]
		e, err := strconv.Atoi(lit[i+1:])
		if err != nil || e > maxNumberDigits || e < -maxNumberDigits {
			return "", false
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	// Trim leading zeros (keeping point consistent) and trailing zeros.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return "0", true
	}
	var length int
	switch {
	case point <= 0:
		length = 2 - point + len(digits)
	case point >= len(digits):
		length = point
	default:
		length = len(digits) + 1
	}
	if length > maxNumberDigits {
		return "", false
	}
	var b strings.Builder
	b.Grow(length + 1)
	if neg {
		b.WriteByte('-')
	}
	switch {
	case point <= 0:
		b.WriteString("0.")
		for range -point {
			b.WriteByte('0')
		}
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		for range point - len(digits) {
			b.WriteByte('0')
		}
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String(), true
}
