// Package epcis is the ledger's intake of GS1 EPCIS 2.0 events in JSON /
// JSON-LD: splitting a capture document into events (SplitDocument),
// validating an event against EPCIS 2.0 and CBV 2.0 and extracting what the
// ledger indexes (Parse), and the CBV 2.0 EPCIS Event Hash ID under which the
// ledger knows an event (Event.ID).
//
// The package is pure and deterministic: no I/O, no clock, no randomness, no
// floating point (numbers stay decimal text), no dependence on map iteration
// order. Every function is a function of its input bytes only, so every
// validator computes the same result for the same transaction. Its JSON
// reader (json.go) is strict: one JSON value, valid UTF-8, no unpaired
// surrogates, no duplicate member names at any level, bounded nesting and
// size; the same bytes have one meaning or are refused.
//
// # Documents
//
// SplitDocument accepts an EPCISDocument (events in epcisBody.eventList), an
// EPCISQueryDocument (epcisBody.queryResults.resultsBody.eventList) or a
// single event object. A document needs "@context", "schemaVersion" and a
// valid "creationDate". Events come back as the bytes of the document,
// except that an event which uses a namespace prefix declared only by the
// document's "@context" gets that context merged in (see SplitDocument for
// the exact rule), so that every stored event can be read alone. Remote
// contexts (URLs) are never fetched; the prefixes of the EPCIS 2.0 context
// (cbv, cbvmda, gs1, epcis, rdf, rdfs, owl, xsd, dcterms) are built in.
//
// # Validation (Parse)
//
// Every error is an *InvalidEventError naming the JSON path of the offending
// field within the event (epcList[2], quantityList[0].quantity,
// sensorElementList[0].sensorReport[1].type) and the rule; WithIndex (or
// ParseDocument) adds the event's index. Parse checks:
//
//   - type: one of the five event types; each type admits only its own
//     standard fields (ilmd only on ObjectEvent and TransformationEvent,
//     action on all but TransformationEvent, ...); every other member must be
//     a user extension: a CURIE whose prefix is declared (in the event's
//     "@context" or the EPCIS context), or an absolute IRI.
//   - required: type, eventTime, eventTimeZoneOffset; action (ADD, OBSERVE,
//     DELETE) except on TransformationEvent; ObjectEvent: epcList or
//     quantityList (possibly empty, e.g. sensor data about a place);
//     AggregationEvent: parentID unless the action is OBSERVE;
//     AssociationEvent: parentID; TransactionEvent: a non-empty
//     bizTransactionList; TransformationEvent: at least one input or output.
//   - times (eventTime, recordTime, declarationTime, sensor times): RFC 3339
//     with a time zone, upper-case T and Z, a real date, no leap second,
//     offset within ±14:00. eventTimeZoneOffset: ^[+-]hh:mm$ within
//     -14:00..+14:00.
//   - identifiers: EPC lists and parentID hold instance-level identifiers: a
//     valid EPC URI (TDS 2.0: urn:epc:id:sgtin, sscc, sgln, grai, giai, gsrn,
//     gsrnp, gdti, cpi, sgcn, ginc, gsin, itip, upui, pgln with company prefix
//     and reference lengths and character sets checked; gid, usdod, adi, bic,
//     imovn by character set), a GS1 Digital Link URI with a serialised key
//     (any host; digits and check digit checked), or another absolute URI
//     (urn:uuid:..., a private http URI). Quantity elements: epcClass
//     (required) a class-level identifier (urn:epc:class:lgtin,
//     urn:epc:idpat:<sgtin|grai|gdti|sgcn|cpi|itip|upui>:...<key>.*, a GTIN
//     or GTIN+lot Digital Link, another URI); quantity a JSON number, not
//     negative; uom 1 to 3 upper-case letters or digits (UN/CEFACT Rec. 20),
//     only with a quantity; nothing else. At most MaxEPCsPerEvent
//     identifiers in all.
//   - vocabularies (bizStep, disposition, persistentDisposition set/unset,
//     bizTransaction type, source/destination type, errorDeclaration reason,
//     sensor component): a bare CBV 2.0 word of the right vocabulary, its
//     CBV 2.0 Web URI (https://ref.gs1.org/cbv/BizStep-shipping), its CBV
//     1.x URN (urn:epcglobal:cbv:bizstep:shipping) or a CURIE for it; any
//     other absolute URI is a custom value. Unknown bare words, and unknown
//     terms in the CBV URI forms, are refused.
//   - readPoint, bizLocation: an object with an id (an EPC URI, a Digital
//     Link URI or another URI such as geo:) and user extensions.
//   - bizTransactionList: {bizTransaction (URI, required), type (optional)};
//     sourceList / destinationList: {type (required), source / destination};
//     nothing else in those elements.
//   - sensorElementList: elements with an optional sensorMetadata (time,
//     startTime, endTime, deviceID, deviceMetadata, rawData,
//     dataProcessingMethod, bizRules) and a non-empty sensorReport list
//     (type, exception, deviceID, deviceMetadata, rawData,
//     dataProcessingMethod, time, microorganism, chemicalSubstance, value,
//     component, stringValue, booleanValue, hexBinaryValue, uriValue,
//     minValue, maxValue, meanValue, sDev, percRank, percValue, uom,
//     coordinateReferenceSystem), each typed; plus user extensions.
//   - certificationInfo: a URI or an array of URIs. errorDeclaration:
//     declarationTime (required), reason, correctiveEventIDs (URIs), user
//     extensions. eventID: an absolute URI. ilmd: an object whose members are
//     all namespaced (CURIE or IRI).
//   - limits: MaxEventBytes, MaxDepth, MaxJSONValues, MaxEPCsPerEvent,
//     MaxListElements, MaxIdentifierBytes, MaxStringBytes,
//     MaxExtensionValues; numbers whose decimal form would exceed 64
//     characters are refused.
//
// Leniencies, where EPCIS 2.0 is open or real documents differ from the JSON
// schema in harmless ways (documents written elsewhere must be accepted):
// persistentDisposition is accepted on every event type; a sensorReport may
// lack a type (the UML makes it optional); a bare measurement type is
// accepted by its shape (a word) since the GS1 Web Vocabulary list is long
// and growing, and custom types are URIs; bizRules is accepted in a
// sensorReport as in sensorMetadata; a Digital Link lookalike on a host other
// than id.gs1.org that is not a valid Digital Link URI (e.g. a bad check
// digit) is taken as another URI.
//
// Not implemented, deliberately: fetching or interpreting remote JSON-LD
// contexts; JSON-LD term definitions for extension keys (an extension key
// must be prefix:name or an IRI); checking that GS1 company prefixes are
// allocated; the EPCIS master data and query interfaces.
//
// # Identity
//
// Event.ID is the CBV 2.0 EPCIS Event Hash ID, "ni:///sha-256;<hex>?ver=CBV2.0",
// computed as the reference implementation does (hash.go documents the
// pre-hash string; TestEventHashVectors checks every vector of
// testdata/epcis/eventhash). It ignores member order, whitespace, the form of
// identifiers (EPC URI or Digital Link), of vocabulary values (bare word, URN,
// URI, CURIE) and of times (any zone; millisecond precision), and leaves out
// eventID, recordTime and errorDeclaration: a correction (the same event
// with an errorDeclaration) has the id of the event it corrects. ParseID
// checks and canonicalises an id given by a user.
package epcis
