package epcis

import "strings"

// CBV 2.0 and GS1 Web Vocabulary values.
//
// A vocabulary field (bizStep, disposition, persistentDisposition set/unset,
// bizTransaction type, source/destination type, errorDeclaration reason,
// sensor report component) takes one of:
//
//   - a bare CBV 2.0 word ("shipping"), which must be a term of the field's
//     CBV vocabulary;
//   - the CBV 2.0 Web URI of a term (https://ref.gs1.org/cbv/BizStep-shipping),
//     or its CBV 1.x URN (urn:epcglobal:cbv:bizstep:shipping), or a CURIE
//     expanding to the Web URI (cbv:BizStep-shipping); the term must exist;
//   - any other absolute URI (or CURIE with a declared prefix): a user-defined
//     value, accepted as it is.
//
// Every form of a CBV term has one canonical form, the Web URI, which is what
// the event hash and Event's fields use.

// vocab is one CBV vocabulary.
type vocab struct {
	name    string            // for messages
	web     string            // prefix of the Web URI after https://ref.gs1.org/cbv/, e.g. "BizStep-"
	urn     string            // CBV 1.x URN prefix, e.g. "urn:epcglobal:cbv:bizstep:"
	terms   map[string]string // term -> canonical URI (filled by newVocab)
	pattern func(string) bool // for open vocabularies: a bare word's shape; nil: terms only
	base    string            // Web URI base for bare words; default cbvBase+web
}

const cbvBase = "https://ref.gs1.org/cbv/"
const gs1VocBase = "https://gs1.org/voc/"

func words(s string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(s) {
		m[w] = ""
	}
	return m
}

// newVocab fills the canonical URI of each term, so that canon does not
// build strings for standard values.
func newVocab(v *vocab) *vocab {
	for w := range v.terms {
		v.terms[w] = v.baseURI() + w
	}
	return v
}

func (v *vocab) baseURI() string {
	if v.base != "" {
		return v.base
	}
	return cbvBase + v.web
}

var (
	bizStepVocab = newVocab(&vocab{name: "CBV 2.0 business step", web: "BizStep-", urn: "urn:epcglobal:cbv:bizstep:", terms: words(`
		accepting arriving assembling collecting commissioning consigning creating_class_instance
		cycle_counting decommissioning departing destroying disassembling dispensing encoding
		entering_exiting holding inspecting installing killing loading other packing picking
		receiving removing repackaging repairing replacing reserving retail_selling sampling
		sensor_reporting shipping staging_outbound stock_taking stocking storing transporting
		unloading unpacking void_shipping`)})
	dispositionVocab = newVocab(&vocab{name: "CBV 2.0 disposition", web: "Disp-", urn: "urn:epcglobal:cbv:disp:", terms: words(`
		active available completeness_inferred completeness_verified conformant container_closed
		container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
		inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement
		no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved
		retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown`)})
	bizTransactionTypeVocab = newVocab(&vocab{name: "CBV 2.0 business transaction type", web: "BTT-", urn: "urn:epcglobal:cbv:btt:", terms: words(`
		bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt`)})
	sourceDestTypeVocab = newVocab(&vocab{name: "CBV 2.0 source/destination type", web: "SDT-", urn: "urn:epcglobal:cbv:sdt:", terms: words(`
		owning_party possessing_party location`)})
	errorReasonVocab = newVocab(&vocab{name: "CBV 2.0 error reason", web: "ER-", urn: "urn:epcglobal:cbv:er:", terms: words(`
		did_not_occur incorrect_data`)})
	componentVocab = newVocab(&vocab{name: "CBV 2.0 component", web: "Comp-", terms: words(`
		x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle
		easting northing latitude longitude altitude`)})
	// Sensor measurement types are GS1 Web Vocabulary terms (gs1:Temperature);
	// the list is long and growing, so a bare word is accepted by its shape.
	measurementTypeVocab = newVocab(&vocab{name: "GS1 measurement type", base: gs1VocBase, pattern: isVocabWord})
	// Sensor alert types (sensorReport exception).
	alertTypeVocab = newVocab(&vocab{name: "GS1 sensor alert type", base: gs1VocBase, terms: words(`ALARM_CONDITION ERROR_CONDITION`)})
)

// isVocabWord: a letter, then letters, digits and underscores.
func isVocabWord(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// canon returns the canonical form of a value of v, or a rule it breaks.
func (v *vocab) canon(s string, ns *namespaces) (string, string) {
	if s == "" {
		return "", "must not be empty"
	}
	if len(s) > MaxIdentifierBytes {
		return "", "longer than " + itoa(MaxIdentifierBytes) + " bytes"
	}
	if !strings.Contains(s, ":") { // bare word
		if c, ok := v.terms[s]; ok {
			return c, ""
		}
		if v.pattern != nil {
			if v.pattern(s) {
				return v.baseURI() + s, ""
			}
			return "", quote(s) + " is not a " + v.name + " (a word or an absolute URI)"
		}
		return "", quote(s) + " is not a " + v.name + " (a bare word must be a term of the standard vocabulary; a custom value must be an absolute URI)"
	}
	x := ns.expandValue(s)
	if v.urn != "" && hasPrefixFold(x, v.urn) {
		term := x[len(v.urn):]
		c, ok := v.terms[term]
		if !ok {
			return "", quote(s) + " is not a " + v.name + ": unknown term " + quote(term)
		}
		return c, ""
	}
	if v.web != "" && strings.HasPrefix(x, cbvBase+v.web) {
		term := x[len(cbvBase+v.web):]
		if _, ok := v.terms[term]; !ok {
			return "", quote(s) + " is not a " + v.name + ": unknown term " + quote(term)
		}
		return x, ""
	}
	if !isAbsoluteURI(x) {
		return "", quote(s) + " is not a " + v.name + " (a bare word or an absolute URI)"
	}
	return x, ""
}
