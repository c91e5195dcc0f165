package epcis

import "strings"

// JSON-LD namespaces: the prefixes an event may use in CURIEs ("ext1:name",
// "gs1:Temperature") and the IRIs they stand for.
//
// An event's namespaces are, in increasing precedence: the prefixes of the
// EPCIS 2.0 JSON-LD context (standardPrefixes, always in force, since every
// EPCIS 2.0 document uses that context), then the object entries of the
// document's "@context", then those of the event's own "@context" (later
// entries override earlier ones, as in JSON-LD). String entries of "@context"
// (remote contexts such as the EPCIS context URL) are accepted and not
// fetched: the package is pure.

// standardPrefixes are the prefixes the EPCIS 2.0 JSON-LD context
// (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld) defines
// and EPCIS events use.
var standardPrefixes = []nsEntry{
	{"epcis", "https://ref.gs1.org/epcis/"},
	{"cbv", "https://ref.gs1.org/cbv/"},
	{"cbvmda", "urn:epcglobal:cbv:mda:"},
	{"gs1", "https://gs1.org/voc/"},
	{"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
	{"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
	{"owl", "http://www.w3.org/2002/07/owl#"},
	{"xsd", "http://www.w3.org/2001/XMLSchema#"},
	{"dcterms", "http://purl.org/dc/terms/"},
}

// rdfsCommentName is rdfs:comment in Clark notation, which the CBV 2.0 event hash
// ignores wherever it appears.
const rdfsCommentName = "{http://www.w3.org/2000/01/rdf-schema#}comment"

type nsEntry struct {
	prefix, iri string
}

// namespaces is a stack of prefix definitions; lookups search from the top.
type namespaces struct {
	entries []nsEntry
}

func (ns *namespaces) lookup(prefix string) (string, bool) {
	for i := len(ns.entries) - 1; i >= 0; i-- {
		if ns.entries[i].prefix == prefix {
			return ns.entries[i].iri, true
		}
	}
	for i := len(standardPrefixes) - 1; i >= 0; i-- {
		if standardPrefixes[i].prefix == prefix {
			return standardPrefixes[i].iri, true
		}
	}
	return "", false
}

// declared reports whether prefix is defined by the entries pushed so far
// (not counting the standard prefixes).
func (ns *namespaces) declared(prefix string) bool {
	for _, e := range ns.entries {
		if e.prefix == prefix {
			return true
		}
	}
	return false
}

// addContext pushes the prefix definitions of a parsed "@context" value at
// node c: a string (remote context, ignored), an object, or an array of
// strings and objects. It returns the path and rule of the first problem.
func (ns *namespaces) addContext(t *tree, c int32, path string) (string, string) {
	switch t.nodes[c].kind {
	case kindString:
		if t.nodes[c].str == "" {
			return path, "must not be empty"
		}
		return "", ""
	case kindObject:
		return ns.addContextObject(t, c, path)
	case kindArray:
		i := 0
		for e := t.nodes[c].first; e >= 0; e, i = t.nodes[e].next, i+1 {
			p := indexPath(path, i)
			switch t.nodes[e].kind {
			case kindString:
				if t.nodes[e].str == "" {
					return p, "must not be empty"
				}
			case kindObject:
				if p, rule := ns.addContextObject(t, e, p); rule != "" {
					return p, rule
				}
			default:
				return p, "must be a context URL (string) or an object of prefix definitions, got " + t.nodes[e].kind.String()
			}
		}
		return "", ""
	}
	return path, "must be a string, an object or an array, got " + t.nodes[c].kind.String()
}

func (ns *namespaces) addContextObject(t *tree, o int32, path string) (string, string) {
	for m := t.nodes[o].first; m >= 0; m = t.nodes[m].next {
		key := t.nodes[m].key
		if strings.HasPrefix(key, "@") { // @vocab, @version, @protected, ...
			continue
		}
		p := memberPath(path, key)
		iri := ""
		switch t.nodes[m].kind {
		case kindString:
			iri = t.nodes[m].str
		case kindObject: // expanded term definition {"@id": "..."}
			if id := t.get(m, "@id"); id >= 0 && t.nodes[id].kind == kindString {
				iri = t.nodes[id].str
			} else {
				continue // a term definition without an IRI defines no prefix
			}
		case kindNull:
			continue
		default:
			return p, "must be an IRI string, got " + t.nodes[m].kind.String()
		}
		if !isAbsoluteURI(iri) {
			return p, "namespace " + quote(iri) + " is not an absolute IRI"
		}
		ns.entries = append(ns.entries, nsEntry{key, iri})
	}
	return "", ""
}

// splitCURIE splits "prefix:local" into its parts; ok is false for strings
// without a colon, with an empty prefix, or whose local part starts with
// "//" (an absolute IRI such as https://..., not a CURIE).
func splitCURIE(s string) (prefix, local string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", "", false
	}
	if strings.HasPrefix(s[i+1:], "//") {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// expandValue expands a CURIE value whose prefix is declared into an IRI;
// other values are returned unchanged.
func (ns *namespaces) expandValue(s string) string {
	p, local, ok := splitCURIE(s)
	if !ok {
		return s
	}
	if iri, ok := ns.lookup(p); ok {
		return iri + local
	}
	return s
}

// keyName is the name of a member key in the event hash: "{IRI}local" for a
// CURIE whose prefix is declared (Clark notation, as the XML binding names
// extension elements), the key itself otherwise.
func (ns *namespaces) keyName(key string) string {
	p, local, ok := splitCURIE(key)
	if !ok {
		return key
	}
	if iri, ok := ns.lookup(p); ok {
		return "{" + iri + "}" + local
	}
	return key
}

// expandKey is the IRI a key stands for: the expanded CURIE, or the key.
func (ns *namespaces) expandKey(key string) string {
	return ns.expandValue(key)
}
