package epcis

import (
	"strconv"
	"strings"
)

// Identifiers: EPC URIs (GS1 EPC Tag Data Standard 2.0) and GS1 Digital Link
// URIs (GS1 Digital Link 1.x), validated and converted to the canonical GS1
// Digital Link form the CBV 2.0 event hash uses:
//
//	urn:epc:id:sgtin:4012345.011111.987        -> https://id.gs1.org/01/04012345111118/21/987
//	urn:epc:class:lgtin:4012345.012345.Lot987  -> https://id.gs1.org/01/04012345123456/10/Lot987
//	urn:epc:idpat:sgtin:4012345.066666.*       -> https://id.gs1.org/01/04012345666663
//	https://example.com/gtin/9780345418913/21/x?a=1 -> https://id.gs1.org/01/09780345418913/21/x
//
// The canonical Digital Link URI keeps the primary key (a GTIN padded to 14
// digits) and only the qualifiers that make up the EPC (serial, lot, TPX, GLN
// extension, CPI serial), with the host id.gs1.org and no query or fragment.
// In values, the characters ! ( ) * + , : ; = are percent-encoded, as are
// " % & / < > ? and # (the EPC URI escapes, kept), with upper-case hex; other
// characters of the GS1 character sets, the apostrophe included, are literal
// (this is what the reference implementation's test vectors require).

// idLevel says what an identifier names.
type idLevel uint8

const (
	levelInstance idLevel = iota + 1 // one object: urn:epc:id:..., a DL with a serial
	levelClass                       // a class: urn:epc:class:..., urn:epc:idpat:..., a GTIN, a GTIN and lot
	levelOther                       // any other absolute URI (not an EPC or Digital Link)
)

// identifier is a parsed identifier.
type identifier struct {
	level idLevel
	canon string // canonical Digital Link URI, or the input for other URIs and non-GS1 EPCs
	gs1   string // GS1 primary key AI of an EPC or Digital Link ("01", "414", ...), or ""
}

// parseIdentifier parses s as an EPC URI, a GS1 Digital Link URI or another
// absolute URI. rule is non-empty when s is none of them, or is a malformed EPC
// URI or Digital Link URI.
func parseIdentifier(s string) (identifier, string) {
	if len(s) > MaxIdentifierBytes {
		return identifier{}, "longer than " + strconv.Itoa(MaxIdentifierBytes) + " bytes"
	}
	if hasPrefixFold(s, "urn:epc:") {
		return parseEPCURN(s)
	}
	if !isAbsoluteURI(s) {
		return identifier{}, quote(s) + " is not an absolute URI (an EPC URI, a GS1 Digital Link URI or another URI)"
	}
	if id, rule, isDL := parseDigitalLink(s); isDL {
		return id, rule
	}
	return identifier{level: levelOther, canon: s}, ""
}

// NormaliseEPC returns the canonical GS1 Digital Link form of an EPC URI or
// GS1 Digital Link URI (see the package documentation), and any other string
// unchanged. It is the form the CBV 2.0 event hash uses and the form of the
// identifiers in Event's link fields (Parent, Children, Inputs, Outputs, ...).
func NormaliseEPC(s string) string {
	id, rule := parseIdentifier(s)
	if rule != "" {
		return s
	}
	return id.canon
}

// ---- EPC URIs (TDS 2.0) ----

// schemes of urn:epc:id: that are GS1 keys, with their layout.
type epcScheme struct {
	ai string // Digital Link primary key AI
	// digits is the total of company prefix and the fixed-length reference
	// that follows it (0: the reference is variable length, see maxKey).
	digits int
	maxKey int // for variable-length keys: maximum of prefix + reference
	parts  int // number of '.'-separated components after the scheme
}

var epcSchemes = map[string]epcScheme{
	"sgtin": {ai: "01", digits: 13, parts: 3},
	"sscc":  {ai: "00", digits: 17, parts: 2},
	"sgln":  {ai: "414", digits: 12, parts: 3},
	"grai":  {ai: "8003", digits: 12, parts: 3},
	"giai":  {ai: "8004", maxKey: 30, parts: 2},
	"gsrn":  {ai: "8018", digits: 17, parts: 2},
	"gsrnp": {ai: "8017", digits: 17, parts: 2},
	"gdti":  {ai: "253", digits: 12, parts: 3},
	"cpi":   {ai: "8010", maxKey: 30, parts: 3},
	"sgcn":  {ai: "255", digits: 12, parts: 3},
	"ginc":  {ai: "401", maxKey: 30, parts: 2},
	"gsin":  {ai: "402", digits: 16, parts: 2},
	"itip":  {ai: "8006", digits: 13, parts: 5},
	"upui":  {ai: "01", digits: 13, parts: 3},
	"pgln":  {ai: "417", digits: 12, parts: 2},
}

// nonGS1Schemes are the other urn:epc:id: schemes of TDS 2.0, accepted with a
// character-set check and kept as they are.
var nonGS1Schemes = map[string]bool{"gid": true, "usdod": true, "adi": true, "bic": true, "imovn": true}

func parseEPCURN(s string) (identifier, string) {
	bad := func(why string) (identifier, string) {
		return identifier{}, quote(s) + " is not a valid EPC URI: " + why
	}
	if !strings.HasPrefix(s, "urn:epc:") {
		return bad("the prefix must be lower case \"urn:epc:\"")
	}
	rest := s[len("urn:epc:"):]
	var level string
	switch {
	case strings.HasPrefix(rest, "id:"):
		level, rest = "id", rest[3:]
	case strings.HasPrefix(rest, "class:"):
		level, rest = "class", rest[6:]
	case strings.HasPrefix(rest, "idpat:"):
		level, rest = "idpat", rest[6:]
	default:
		return bad("want urn:epc:id:, urn:epc:class: or urn:epc:idpat:")
	}
	colon := strings.IndexByte(rest, ':')
	if colon < 0 {
		return bad("no scheme")
	}
	scheme, body := rest[:colon], rest[colon+1:]
	switch level {
	case "class":
		if scheme != "lgtin" {
			return bad("unknown EPC class scheme " + quote(scheme))
		}
		var parts [5]string
		f, ok := splitDots(body, 3, &parts)
		if !ok {
			return bad("want CompanyPrefix.ItemReference.Lot")
		}
		gtin, why := gtinFromEPC(f[0], f[1])
		if why != "" {
			return bad(why)
		}
		lot, why := epcValue(f[2], 1, 20, false)
		if why != "" {
			return bad("lot: " + why)
		}
		return identifier{level: levelClass, gs1: "01", canon: dlBase + "01/" + gtin + "/10/" + lot}, ""
	case "idpat":
		return parseEPCPattern(s, scheme, body)
	}
	if nonGS1Schemes[scheme] {
		if body == "" || !isURNChars(body) {
			return bad("invalid characters")
		}
		return identifier{level: levelInstance, canon: s}, ""
	}
	sc, ok := epcSchemes[scheme]
	if !ok {
		return bad("unknown EPC scheme " + quote(scheme))
	}
	var parts [5]string
	f, ok := splitDots(body, sc.parts, &parts)
	if !ok {
		return bad("want " + strconv.Itoa(sc.parts) + " components separated by '.'")
	}
	cp := f[0]
	if !isDigits(cp) || len(cp) < 6 || len(cp) > 12 {
		return bad("the GS1 company prefix must be 6 to 12 digits")
	}
	fixedRef := func(ref string) string {
		if !isDigits(ref) || len(cp)+len(ref) != sc.digits {
			return "the company prefix and the reference after it must be " + strconv.Itoa(sc.digits) + " digits in all"
		}
		return ""
	}
	id := identifier{level: levelInstance, gs1: sc.ai}
	var why string
	switch scheme {
	case "sgtin", "upui", "itip":
		var gtin string
		if gtin, why = gtinFromEPC(cp, f[1]); why != "" {
			break
		}
		switch scheme {
		case "sgtin":
			var ser string
			if ser, why = epcValue(f[2], 1, 20, false); why == "" {
				id.canon = dlBase + "01/" + gtin + "/21/" + ser
			}
		case "upui":
			var tpx string
			if tpx, why = epcValue(f[2], 1, 28, false); why == "" {
				id.canon = dlBase + "01/" + gtin + "/235/" + tpx
			}
		case "itip":
			if len(f[2]) != 2 || !isDigits(f[2]) || len(f[3]) != 2 || !isDigits(f[3]) {
				why = "piece and total must be 2 digits each"
				break
			}
			var ser string
			if ser, why = epcValue(f[4], 1, 20, false); why == "" {
				id.canon = dlBase + "8006/" + gtin + f[2] + f[3] + "/21/" + ser
			}
		}
	case "sscc":
		if why = fixedRef(f[1]); why == "" {
			d := f[1][:1] + cp + f[1][1:]
			id.canon = dlBase + "00/" + d + checkDigit(d)
		}
	case "sgln":
		if why = fixedRef(f[1]); why != "" {
			break
		}
		var ext string
		if ext, why = epcValue(f[2], 1, 20, false); why != "" {
			why = "extension: " + why
			break
		}
		d := cp + f[1]
		id.canon = dlBase + "414/" + d + checkDigit(d)
		if ext != "0" {
			id.canon += "/254/" + ext
		}
	case "pgln", "gsrn", "gsrnp", "gsin":
		if why = fixedRef(f[1]); why == "" {
			d := cp + f[1]
			id.canon = dlBase + sc.ai + "/" + d + checkDigit(d)
		}
	case "grai", "gdti", "sgcn":
		if why = fixedRef(f[1]); why != "" {
			break
		}
		d := cp + f[1]
		if scheme == "grai" {
			d = "0" + d
		}
		var ser string
		switch scheme {
		case "grai":
			ser, why = epcValue(f[2], 1, 16, false)
		case "gdti":
			ser, why = epcValue(f[2], 0, 17, false)
		case "sgcn":
			if len(f[2]) > 12 || len(f[2]) == 0 || !isDigits(f[2]) {
				why = "the serial component must be 1 to 12 digits"
			}
			ser = f[2]
		}
		if why == "" {
			id.canon = dlBase + sc.ai + "/" + d + checkDigit(d) + ser
		}
	case "giai", "ginc":
		var ref string
		if ref, why = epcValue(f[1], 1, sc.maxKey-len(cp), false); why == "" {
			id.canon = dlBase + sc.ai + "/" + cp + ref
		}
	case "cpi":
		var ref string
		if ref, why = epcValue(f[1], 1, sc.maxKey-len(cp), true); why != "" {
			break
		}
		if len(f[2]) == 0 || len(f[2]) > 12 || !isDigits(f[2]) {
			why = "the serial component must be 1 to 12 digits"
			break
		}
		id.canon = dlBase + "8010/" + cp + ref + "/8011/" + f[2]
	}
	if why != "" {
		return bad(why)
	}
	return id, ""
}

// parseEPCPattern parses the EPC patterns EPCIS uses as class-level
// identifiers in quantity elements: the GS1 key fixed and the serial "*".
func parseEPCPattern(s, scheme, body string) (identifier, string) {
	bad := func(why string) (identifier, string) {
		return identifier{}, quote(s) + " is not a supported EPC pattern URI: " + why
	}
	sc, ok := epcSchemes[scheme]
	f := strings.Split(body, ".")
	if !ok || len(f) != sc.parts || f[len(f)-1] != "*" {
		return bad("want a class pattern with the key fixed and the last component \"*\" (sgtin, grai, gdti, sgcn, cpi, itip, upui)")
	}
	cp := f[0]
	if !isDigits(cp) || len(cp) < 6 || len(cp) > 12 {
		return bad("the GS1 company prefix must be 6 to 12 digits")
	}
	id := identifier{level: levelClass, gs1: sc.ai}
	switch scheme {
	case "sgtin", "upui", "itip":
		gtin, why := gtinFromEPC(cp, f[1])
		if why != "" {
			return bad(why)
		}
		if scheme == "itip" {
			if len(f[2]) != 2 || !isDigits(f[2]) || len(f[3]) != 2 || !isDigits(f[3]) {
				return bad("piece and total must be 2 digits each")
			}
			id.canon = dlBase + "8006/" + gtin + f[2] + f[3]
		} else {
			id.canon = dlBase + "01/" + gtin
		}
	case "grai", "gdti", "sgcn":
		if !isDigits(f[1]) || len(cp)+len(f[1]) != sc.digits {
			return bad("the company prefix and the reference after it must be 12 digits in all")
		}
		d := cp + f[1]
		if scheme == "grai" {
			d = "0" + d
		}
		id.canon = dlBase + sc.ai + "/" + d + checkDigit(d)
	case "cpi":
		ref, why := epcValue(f[1], 1, sc.maxKey-len(cp), true)
		if why != "" {
			return bad(why)
		}
		id.canon = dlBase + "8010/" + cp + ref
	default:
		return bad("patterns of " + scheme + " are not class-level identifiers")
	}
	return id, ""
}

// splitDots splits s at its first n-1 dots into parts; ok is false if s
// has fewer.
func splitDots(s string, n int, parts *[5]string) ([]string, bool) {
	for i := 0; i < n-1; i++ {
		j := strings.IndexByte(s, '.')
		if j < 0 {
			return nil, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[n-1] = s
	return parts[:n], true
}

// gtinFromEPC builds the GTIN-14 of a company prefix and an item reference
// whose first digit is the indicator.
func gtinFromEPC(cp, ir string) (string, string) {
	if !isDigits(cp) || len(cp) < 6 || len(cp) > 12 {
		return "", "the GS1 company prefix must be 6 to 12 digits"
	}
	if !isDigits(ir) || len(ir) == 0 || len(cp)+len(ir) != 13 {
		return "", "the company prefix and item reference must be 13 digits in all"
	}
	var b [14]byte
	n := copy(b[:], ir[:1])
	n += copy(b[n:], cp)
	copy(b[n:], ir[1:])
	b[13] = checkDigit(string(b[:13]))[0]
	return string(b[:]), ""
}

// epcValue checks an EPC URI component of the GS1 character set 82 (or 39
// when cs39) in URI form, min..max characters, and returns its Digital Link
// form: the URI escapes kept (upper-case hex), ! ( ) * + , : ; = escaped.
func epcValue(v string, minLen, maxLen int, cs39 bool) (string, string) {
	plain := len(v) >= minLen && len(v) <= maxLen
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		if cs39 {
			plain = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-'
		} else {
			plain = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '.' || c == '_' || c == '\''
		}
	}
	if plain {
		return v, "" // nothing to escape or check further
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) {
				return "", "truncated %-escape"
			}
			x, ok := unhex2(v[i+1], v[i+2])
			if !ok {
				return "", "invalid %-escape"
			}
			if cs39 {
				if x != '#' && x != '/' {
					return "", "invalid %-escape (only %23 and %2F in this component)"
				}
			} else if !strings.ContainsRune(`"%&/<>?`, rune(x)) {
				return "", "invalid %-escape " + v[i:i+3]
			}
			b.WriteByte('%')
			b.WriteString(hexUpper(x))
			i += 2
			n++
			continue
		}
		if cs39 {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-') {
				return "", "invalid character " + quote(string(c))
			}
		} else if !isCS82URI(c) {
			return "", "invalid character " + quote(string(c))
		}
		if strings.IndexByte(dlEscaped, c) >= 0 {
			b.WriteByte('%')
			b.WriteString(hexUpper(c))
		} else {
			b.WriteByte(c)
		}
		n++
	}
	if n < minLen || n > maxLen {
		if minLen == maxLen {
			return "", "must be " + strconv.Itoa(minLen) + " characters"
		}
		return "", "must be " + strconv.Itoa(minLen) + " to " + strconv.Itoa(maxLen) + " characters"
	}
	return b.String(), ""
}

// dlEscaped are the characters of the GS1 character sets that are literal in
// EPC URIs and percent-encoded in canonical Digital Link URIs.
const dlEscaped = "!()*+,:;="

// isCS82URI reports whether c may appear literally in an EPC URI component
// of GS1 character set 82.
func isCS82URI(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte("!'()*+,-.:;=_", c) >= 0
}

func isURNChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isCS82URI(c) && c != '%' && c != '#' && c != '/' {
			return false
		}
	}
	return true
}

// checkDigit is the GS1 mod-10 check digit of the digits d.
func checkDigit(d string) string {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 0 {
			v *= 3
		}
		sum += v
	}
	return string(rune('0' + (10-sum%10)%10))
}

func validCheckDigit(d string) bool {
	return len(d) >= 2 && isDigits(d) && checkDigit(d[:len(d)-1]) == d[len(d)-1:]
}

// ---- GS1 Digital Link URIs ----

const dlBase = "https://id.gs1.org/"

// dlKeyNames are the primary keys of GS1 Digital Link, by AI and by the short
// names of Digital Link 1.x.
var dlKeyNames = map[string]string{
	"01": "01", "gtin": "01",
	"00": "00", "sscc": "00",
	"414": "414", "gln": "414",
	"417": "417", "party": "417",
	"8003": "8003", "grai": "8003",
	"8004": "8004", "giai": "8004",
	"8006": "8006", "itip": "8006",
	"8010": "8010", "cpid": "8010",
	"8017": "8017", "gsrnp": "8017",
	"8018": "8018", "gsrn": "8018",
	"253": "253", "gdti": "253",
	"255": "255", "gcn": "255",
	"401": "401", "ginc": "401",
	"402": "402", "gsin": "402",
}

// dlQualifierNames are the key qualifiers, by AI and short name.
var dlQualifierNames = map[string]string{
	"22": "22", "cpv": "22",
	"10": "10", "lot": "10",
	"21": "21", "ser": "21",
	"235": "235",
	"254": "254", "glnx": "254",
	"7040": "7040",
	"8011": "8011", "cpsn": "8011",
	"8019": "8019", "srin": "8019",
}

// dlQualifiers lists the qualifiers each primary key admits.
var dlQualifiers = map[string][]string{
	"01":   {"22", "10", "21", "235"},
	"8006": {"22", "10", "21"},
	"8010": {"8011"},
	"414":  {"254", "7040"},
	"8017": {"8019"},
	"8018": {"8019"},
}

// parseDigitalLink parses s as a GS1 Digital Link URI on any host: a path
// whose segments, from some point on, are a primary key AI and its value
// followed by qualifier AIs and values, with a valid key (digits, check
// digit, length). isDL is false when s is not one (it is then another URI);
// on the host id.gs1.org, which serves only Digital Link URIs, a URI that is
// not a valid one is an error (rule).
func parseDigitalLink(s string) (id identifier, rule string, isDL bool) {
	var rest string
	switch {
	case hasPrefixFold(s, "https://"):
		rest = s[len("https://"):]
	case hasPrefixFold(s, "http://"):
		rest = s[len("http://"):]
	default:
		return identifier{}, "", false
	}
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return identifier{}, "", false
	}
	host, path := rest[:slash], rest[slash:]
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.TrimSuffix(path[1:], "/"), "/")
	for k := 0; k+1 < len(segs); k++ {
		ai, ok := dlKeyNames[segs[k]]
		if !ok {
			continue
		}
		// The remaining segments must pair up as qualifiers.
		tail := segs[k+2:]
		if len(tail)%2 != 0 {
			continue
		}
		quals := map[string]string{}
		okTail := true
		for j := 0; j < len(tail); j += 2 {
			q, ok := dlQualifierNames[tail[j]]
			if !ok || !contains(dlQualifiers[ai], q) {
				okTail = false
				break
			}
			if _, dup := quals[q]; dup {
				okTail = false
				break
			}
			quals[q] = tail[j+1]
		}
		if !okTail {
			continue
		}
		id, why := dlIdentifier(ai, segs[k+1], quals)
		if why != "" {
			if !strings.EqualFold(host, "id.gs1.org") {
				continue // not a Digital Link URI after all: another URI
			}
			return identifier{}, quote(s) + " is not a valid GS1 Digital Link URI: " + why, true
		}
		return id, "", true
	}
	if strings.EqualFold(host, "id.gs1.org") {
		return identifier{}, quote(s) + " is not a valid GS1 Digital Link URI: no GS1 primary key in the path", true
	}
	return identifier{}, "", false
}

// dlIdentifier validates a Digital Link primary key and its qualifiers and
// builds the canonical form.
func dlIdentifier(ai, keyRaw string, quals map[string]string) (identifier, string) {
	key, why := dlDecode(keyRaw, ai == "8010")
	if why != "" {
		return identifier{}, why
	}
	id := identifier{level: levelInstance, gs1: ai}
	numeric := func(n int) string {
		if len(key) != n || !isDigits(key) {
			return "AI (" + ai + ") must be " + strconv.Itoa(n) + " digits"
		}
		if !validCheckDigit(key) {
			return "AI (" + ai + ") has a wrong check digit"
		}
		return ""
	}
	// numericPlus checks a key of n digits (with check digit) followed by an
	// optional serial of at most maxSer characters (digitsOnly for SGCN).
	numericPlus := func(n, maxSer int, digitsOnly bool) (string, string) {
		if len(key) < n || !isDigits(key[:n]) {
			return "", "AI (" + ai + ") must start with " + strconv.Itoa(n) + " digits"
		}
		if !validCheckDigit(key[:n]) {
			return "", "AI (" + ai + ") has a wrong check digit"
		}
		ser := key[n:]
		if len(ser) > maxSer || digitsOnly && !isDigits(ser) {
			return "", "AI (" + ai + ") serial component is invalid"
		}
		return ser, ""
	}
	switch ai {
	case "01":
		switch len(key) {
		case 8, 12, 13, 14:
			if !isDigits(key) || !validCheckDigit(key) {
				return identifier{}, "AI (01) must be a GTIN with a valid check digit"
			}
		default:
			return identifier{}, "AI (01) must be a GTIN of 8, 12, 13 or 14 digits"
		}
		gtin := strings.Repeat("0", 14-len(key)) + key
		id.canon = dlBase + "01/" + gtin
		switch {
		case quals["21"] != "":
			ser, why := dlQualifier(quals["21"], 20)
			if why != "" {
				return identifier{}, "AI (21): " + why
			}
			id.canon += "/21/" + ser
		case quals["235"] != "":
			tpx, why := dlQualifier(quals["235"], 28)
			if why != "" {
				return identifier{}, "AI (235): " + why
			}
			id.canon += "/235/" + tpx
		case quals["10"] != "":
			lot, why := dlQualifier(quals["10"], 20)
			if why != "" {
				return identifier{}, "AI (10): " + why
			}
			id.canon += "/10/" + lot
			id.level = levelClass
		default:
			id.level = levelClass
		}
		return id, ""
	case "8006":
		if len(key) != 18 || !isDigits(key) || !validCheckDigit(key[:14]) {
			return identifier{}, "AI (8006) must be a GTIN-14 with a valid check digit and 4 digits of piece and total"
		}
		id.canon = dlBase + "8006/" + key
		if ser := quals["21"]; ser != "" {
			s, why := dlQualifier(ser, 20)
			if why != "" {
				return identifier{}, "AI (21): " + why
			}
			id.canon += "/21/" + s
		} else {
			id.level = levelClass
		}
		return id, ""
	case "00":
		if why := numeric(18); why != "" {
			return identifier{}, why
		}
	case "414", "417":
		if why := numeric(13); why != "" {
			return identifier{}, why
		}
		if ext := quals["254"]; ai == "414" && ext != "" {
			e, why := dlQualifier(ext, 20)
			if why != "" {
				return identifier{}, "AI (254): " + why
			}
			if e != "0" {
				id.canon = dlBase + "414/" + key + "/254/" + e
				return id, ""
			}
		}
	case "8017", "8018":
		if why := numeric(18); why != "" {
			return identifier{}, why
		}
	case "402":
		if why := numeric(17); why != "" {
			return identifier{}, why
		}
	case "8003":
		if len(key) == 0 || key[0] != '0' {
			return identifier{}, "AI (8003) must start with 0"
		}
		ser, why := numericPlus(14, 16, false)
		if why != "" {
			return identifier{}, why
		}
		if ser == "" {
			id.level = levelClass
		}
	case "253":
		ser, why := numericPlus(13, 17, false)
		if why != "" {
			return identifier{}, why
		}
		if ser == "" {
			id.level = levelClass
		}
	case "255":
		ser, why := numericPlus(13, 12, true)
		if why != "" {
			return identifier{}, why
		}
		if ser == "" {
			id.level = levelClass
		}
	case "8004", "401":
		if len(key) > 30 || len(key) < 7 || !isDigits(key[:6]) {
			return identifier{}, "AI (" + ai + ") must be a company prefix and a reference, at most 30 characters"
		}
	case "8010":
		if len(key) > 30 || len(key) < 7 || !isDigits(key[:6]) {
			return identifier{}, "AI (8010) must be a company prefix and a reference, at most 30 characters"
		}
		ser := quals["8011"]
		if ser == "" {
			id.level = levelClass
			id.canon = dlBase + "8010/" + dlEncode(key)
			return id, ""
		}
		if len(ser) > 12 || !isDigits(ser) {
			return identifier{}, "AI (8011) must be 1 to 12 digits"
		}
		id.canon = dlBase + "8010/" + dlEncode(key) + "/8011/" + ser
		return id, ""
	}
	id.canon = dlBase + ai + "/" + dlEncode(key)
	return id, ""
}

// dlDecode percent-decodes a Digital Link path segment and checks it is of
// GS1 character set 82 (39 for CPI references).
func dlDecode(seg string, cs39 bool) (string, string) {
	if seg == "" {
		return "", "empty value"
	}
	var b []byte
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' {
			if i+2 >= len(seg) {
				return "", "truncated %-escape"
			}
			x, ok := unhex2(seg[i+1], seg[i+2])
			if !ok {
				return "", "invalid %-escape"
			}
			c = x
			i += 2
		}
		if cs39 {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-' || c == '#' || c == '/') {
				return "", "invalid character " + quote(string(c))
			}
		} else if !isCS82(c) {
			return "", "invalid character " + quote(string(c))
		}
		b = append(b, c)
	}
	return string(b), ""
}

// dlQualifier decodes and re-encodes a qualifier value of at most max characters.
func dlQualifier(seg string, max int) (string, string) {
	v, why := dlDecode(seg, false)
	if why != "" {
		return "", why
	}
	if len(v) > max {
		return "", "longer than " + strconv.Itoa(max) + " characters"
	}
	return dlEncode(v), ""
}

// isCS82 reports whether c is in GS1 AI encodable character set 82.
func isCS82(c byte) bool {
	return isCS82URI(c) || strings.IndexByte(`"%&/<>?`, c) >= 0
}

// dlEncode percent-encodes a decoded value for a canonical Digital Link URI.
func dlEncode(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if strings.IndexByte(`"%&/<>?#`+dlEscaped, c) >= 0 {
			b.WriteByte('%')
			b.WriteString(hexUpper(c))
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ---- small helpers ----

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func unhex2(a, b byte) (byte, bool) {
	h, ok1 := unhex(a)
	l, ok2 := unhex(b)
	return h<<4 | l, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func hexUpper(c byte) string {
	const hexdigits = "0123456789ABCDEF"
	return string([]byte{hexdigits[c>>4], hexdigits[c&15]})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isAbsoluteURI reports whether s is an absolute URI in the sense of RFC 3986
// as far as EPCIS needs: a scheme (a letter, then letters, digits, + - .),
// a colon, and a non-empty rest without whitespace, control characters or
// characters never allowed in URIs.
func isAbsoluteURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon == len(s)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return strconv.Quote(s)
}
