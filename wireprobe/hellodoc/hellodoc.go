// Package hellodoc reads a hello (or legacy isMaster) reply the way the Go
// driver this module links reads it (go.mongodb.org/mongo-driver/v2,
// internal/driverutil.NewServerDescription): every field the driver reads
// must have a BSON type the driver accepts, or the driver refuses the whole
// reply, marks the server Unknown and never selects it. Numbers are read
// whatever their numeric type (int32, int64, double), exactly: the wire
// versions keep all 64 bits here, and DriverWire says what the driver,
// which casts them to int32, makes of them. The package imports report
// only, so that its fuzz target builds without the test fixtures.
package hellodoc

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/report"
)

// maxValueText bounds the excerpt of a refused value quoted in an error:
// enough to recognise "21" or "true", never a whole document.
const maxValueText = 48

// What the driver expects of a field, in FieldError.Want.
const (
	WantBoolean    = "a boolean"
	WantString     = "a string"
	WantInteger    = "a number (int32, int64 or double)"
	WantInt64      = "a 64-bit integer"
	WantObjectID   = "an ObjectId"
	WantDocument   = "a document"
	WantStrings    = "an array of strings"
	WantDateTime   = "a UTC datetime"
	WantOKNumber   = "the number 1 (int32, int64 or double)"
	wantWellFormed = "a well-formed BSON document"
)

// FieldError says why the driver refuses a reply: one field (the first in
// the reply's order, as the driver stops there) has a BSON type it does not
// accept. Field names nested values with dots and indexes: "tags.dc",
// "hosts[0]", "topologyVersion.counter", "lastWrite.lastWriteDate".
type FieldError struct {
	Field string
	// Type is the field's BSON type; 0 when the document itself is
	// malformed (Err says how).
	Type bson.Type
	// Want is what the driver expects (one of the Want constants).
	Want string
	// Value is a short excerpt of the refused value, for people.
	Value string
	// Err is the decoding error of a malformed document or array.
	Err error
}

// Error names the field, its type and what the driver expects.
func (e *FieldError) Error() string {
	if e.Type == 0 {
		s := "the reply is not " + wantWellFormed
		if e.Field != "" {
			s = fmt.Sprintf("field %s is not %s", e.Field, wantWellFormed)
		}
		if e.Err != nil {
			s += " (" + e.Err.Error() + ")"
		}
		return s
	}
	s := fmt.Sprintf("field %s is a BSON %s", e.Field, e.Type)
	if e.Value != "" {
		s += " (" + e.Value + ")"
	}
	return s + ", where the Go driver expects " + e.Want
}

// Unwrap returns the decoding error, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// Parse reads a hello reply from the server at addr into a Server with the
// kind the driver's rules give it. It returns a *FieldError, and a Server
// of kind Unknown, when the driver would refuse the reply. A numeric ok
// other than 1 is no field error (the server answered with an error: see
// OKField); the kind is then Unknown.
func Parse(addr string, h bson.Raw) (report.Server, error) {
	s := report.Server{Address: addr, Kind: report.KindUnknown, Reachable: true}
	elems, err := h.Elements()
	if err != nil {
		return s, &FieldError{Err: err}
	}
	var (
		isReplicaSet, primary, hidden, secondary, arbiterOnly bool
		msg                                                   string
		ok                                                    = true
	)
	for _, e := range elems {
		key, v := e.Key(), e.Value()
		var ferr *FieldError
		switch key {
		case "arbiters":
			s.Arbiters, ferr = stringsOf(key, v)
		case "passives":
			s.Passives, ferr = stringsOf(key, v)
		case "hosts":
			s.Hosts, ferr = stringsOf(key, v)
		case "compression":
			s.Compression, ferr = stringsOf(key, v)
		case "arbiterOnly":
			arbiterOnly, ferr = boolOf(key, v)
			s.ArbiterOnly = arbiterOnly
		case "hidden":
			hidden, ferr = boolOf(key, v)
			s.Hidden = hidden
		case "passive":
			s.Passive, ferr = boolOf(key, v)
		case "secondary":
			secondary, ferr = boolOf(key, v)
		case "isreplicaset":
			isReplicaSet, ferr = boolOf(key, v)
		case "isWritablePrimary", "ismaster":
			// The driver reads both spellings into one flag: the later
			// one in the reply wins.
			primary, ferr = boolOf(key, v)
		case "iscryptd", "helloOk", "readOnly":
			_, ferr = boolOf(key, v)
		case "electionId":
			var oid bson.ObjectID
			if oid, ferr = objectIDOf(key, v); ferr == nil {
				s.ElectionID = oid.Hex()
			}
		case "serviceId":
			var oid bson.ObjectID
			if oid, ferr = objectIDOf(key, v); ferr == nil {
				s.ServiceID = oid.Hex()
			}
		case "lastWrite":
			ferr = checkLastWrite(v)
		case "logicalSessionTimeoutMinutes":
			var n int64
			if n, ferr = intOf(key, v); ferr == nil {
				s.SessionTimeout = &n
			}
		case "maxBsonObjectSize", "maxMessageSizeBytes", "maxWriteBatchSize":
			_, ferr = intOf(key, v)
		case "maxWireVersion":
			s.MaxWireVersion, ferr = intOf(key, v)
		case "minWireVersion":
			s.MinWireVersion, ferr = intOf(key, v)
		case "setVersion":
			s.SetVersion, ferr = intOf(key, v)
		case "me":
			s.Me, ferr = stringOf(key, v)
		case "msg":
			msg, ferr = stringOf(key, v)
		case "primary":
			s.Primary, ferr = stringOf(key, v)
		case "setName":
			s.SetName, ferr = stringOf(key, v)
		case "ok":
			var n int64
			if n, ferr = okOf(v); ferr == nil && n != 1 {
				ok = false
			}
		case "tags":
			s.Tags, ferr = tagsOf(v)
		case "topologyVersion":
			ferr = checkTopologyVersion(v)
		}
		if ferr != nil {
			return report.Server{Address: addr, Kind: report.KindUnknown, Reachable: true}, ferr
		}
	}
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	switch {
	case !ok:
		s.Kind = report.KindUnknown
	case s.ServiceID != "":
		// A load balancer's reply: the driver gives it this kind from the
		// connection mode (loadBalanced=true), which asks for serviceId.
		s.Kind = report.KindLoadBalancer
	case isReplicaSet:
		s.Kind = report.KindRSGhost
	case s.SetName != "":
		switch {
		case primary:
			s.Kind = report.KindRSPrimary
		case hidden:
			s.Kind = report.KindRSOther
		case secondary:
			s.Kind = report.KindRSSecondary
		case arbiterOnly:
			s.Kind = report.KindRSArbiter
		default:
			s.Kind = report.KindRSOther
		}
	case msg == "isdbgrid":
		s.Kind = report.KindMongos
	default:
		s.Kind = report.KindStandalone
	}
	return s, nil
}

// OKField checks the type of a reply's ok field before anything else reads
// it: a number (of any numeric type) is the server's verdict on the
// command; any other type, a boolean included, makes the reply one the
// driver cannot use as a hello. A reply without ok is a failed command,
// not a malformed one.
func OKField(h bson.Raw) *FieldError {
	v, err := h.LookupErr("ok")
	if err != nil {
		return nil
	}
	_, ferr := okOf(v)
	return ferr
}

// AsFieldError returns the *FieldError in err's chain.
func AsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	return fe, errors.As(err, &fe)
}

func refused(field string, v bson.RawValue, want string) *FieldError {
	return &FieldError{Field: field, Type: v.Type, Want: want, Value: excerpt(v)}
}

// excerpt is a short text of v for people.
func excerpt(v bson.RawValue) string {
	s := v.String()
	if len(s) <= maxValueText {
		return s
	}
	cut := maxValueText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func boolOf(field string, v bson.RawValue) (bool, *FieldError) {
	b, ok := v.BooleanOK()
	if !ok {
		return false, refused(field, v, WantBoolean)
	}
	return b, nil
}

func stringOf(field string, v bson.RawValue) (string, *FieldError) {
	s, ok := v.StringValueOK()
	if !ok {
		return "", refused(field, v, WantString)
	}
	return s, nil
}

// intOf reads a number the way the driver does (AsInt64OK): int32, int64
// or double (truncated toward zero), nothing else.
func intOf(field string, v bson.RawValue) (int64, *FieldError) {
	n, ok := v.AsInt64OK()
	if !ok {
		return 0, refused(field, v, WantInteger)
	}
	return n, nil
}

func okOf(v bson.RawValue) (int64, *FieldError) {
	n, ok := v.AsInt64OK()
	if !ok {
		return 0, refused("ok", v, WantOKNumber)
	}
	return n, nil
}

func objectIDOf(field string, v bson.RawValue) (bson.ObjectID, *FieldError) {
	oid, ok := v.ObjectIDOK()
	if !ok {
		return bson.ObjectID{}, refused(field, v, WantObjectID)
	}
	return oid, nil
}

func stringsOf(field string, v bson.RawValue) ([]string, *FieldError) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, refused(field, v, WantStrings)
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, &FieldError{Field: field, Err: err}
	}
	var out []string
	for i, e := range vals {
		s, ok := e.StringValueOK()
		if !ok {
			return nil, refused(fmt.Sprintf("%s[%d]", field, i), e, WantString)
		}
		out = append(out, s)
	}
	return out, nil
}

func tagsOf(v bson.RawValue) (map[string]string, *FieldError) {
	doc, ok := v.DocumentOK()
	if !ok {
		return nil, refused("tags", v, WantDocument)
	}
	elems, err := doc.Elements()
	if err != nil {
		return nil, &FieldError{Field: "tags", Err: err}
	}
	out := make(map[string]string, len(elems))
	for _, e := range elems {
		s, ok := e.Value().StringValueOK()
		if !ok {
			return nil, refused("tags."+e.Key(), e.Value(), WantString)
		}
		out[e.Key()] = s
	}
	return out, nil
}

func checkLastWrite(v bson.RawValue) *FieldError {
	doc, ok := v.DocumentOK()
	if !ok {
		return refused("lastWrite", v, WantDocument)
	}
	dt, err := doc.LookupErr("lastWriteDate")
	if err != nil {
		return nil
	}
	if _, ok := dt.DateTimeOK(); !ok {
		return refused("lastWrite.lastWriteDate", dt, WantDateTime)
	}
	return nil
}

func checkTopologyVersion(v bson.RawValue) *FieldError {
	doc, ok := v.DocumentOK()
	if !ok {
		return refused("topologyVersion", v, WantDocument)
	}
	elems, err := doc.Elements()
	if err != nil {
		return &FieldError{Field: "topologyVersion", Err: err}
	}
	for _, e := range elems {
		switch e.Key() {
		case "processId":
			if _, ok := e.Value().ObjectIDOK(); !ok {
				return refused("topologyVersion.processId", e.Value(), WantObjectID)
			}
		case "counter":
			if _, ok := e.Value().Int64OK(); !ok {
				return refused("topologyVersion.counter", e.Value(), WantInt64)
			}
		}
	}
	return nil
}

// WireRange is a wire-version range as the driver holds it: 32 bits each.
type WireRange struct {
	Min, Max int32
}

// DriverWire is the wire range the driver reads from a server's exact
// minWireVersion and maxWireVersion: it casts each to int32, keeping the
// low 32 bits, so 2^32 reads as 0 and 2^32+30 as 30.
func DriverWire(minWire, maxWire int64) WireRange {
	return WireRange{Min: int32(minWire), Max: int32(maxWire)}
}

// Truncated reports whether the driver reads n as another number.
func Truncated(n int64) bool { return int64(int32(n)) != n }
