package mongotest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Hostile hello replies: documents a server could send that no MongoDB
// release sends, each with one field of a BSON type (or a value) a client
// does not expect, and the topologies that stretch a client's bookkeeping
// (thousands of members, one member under several spellings, a member
// whose role changes on every hello).

// HelloVariant is a whole hello reply, to be sent as it is
// (Options{Hello: v.Hello(), ExactHello: true}), that differs from a
// healthy one-member replica set primary in one field.
type HelloVariant struct {
	// Name is "field/what", e.g. "hosts/string".
	Name string
	// Field is the field that differs ("" for the healthy base reply).
	Field string
	// Doc is the reply.
	Doc bson.D
	// DriverWorks says whether the Go driver this module links connects
	// through such a server and runs ping: it accepts the reply and the
	// wire range it reads from it. TestHelloVariantsAgainstDriver checks
	// every claim against the real driver. The driver reads wire versions
	// of any numeric type with a cast to int32, so a 64-bit value is cut
	// to its low 32 bits.
	DriverWorks bool
	// Wire holds, for variants of minWireVersion or maxWireVersion, the
	// number as sent (exactly; it may not fit 32 bits).
	Wire int64
}

// Hello returns the function Options.Hello takes.
func (v HelloVariant) Hello() func() bson.D {
	d := append(bson.D(nil), v.Doc...)
	return func() bson.D { return d }
}

// Set names used by the hostile replies.
const (
	// HostileSetName is the replica set name of the hello variants.
	HostileSetName = "rs0"

	// ControlSetName is the set name of ControlCharHello: an ANSI escape
	// that would colour a terminal red, and a bell.
	ControlSetName = "rs\x1b[31m0\x07"

	// ControlTag is the value of ControlCharHello's dc tag: an escape that
	// would set a terminal's title.
	ControlTag = "\x1b]0;owned\x07"
)

// helloBase is a healthy, complete hello reply of the primary of a
// one-member replica set whose member calls itself self: every field the
// driver reads, with the type MongoDB 7.0 gives it.
func helloBase(self string) bson.D {
	now := time.Now()
	opTime := bson.D{
		{Key: "ts", Value: bson.Timestamp{T: uint32(now.Unix()), I: 1}},
		{Key: "t", Value: int64(1)},
	}
	return bson.D{
		{Key: "topologyVersion", Value: bson.D{
			{Key: "processId", Value: bson.NewObjectIDFromTimestamp(now)},
			{Key: "counter", Value: int64(6)},
		}},
		{Key: "hosts", Value: bson.A{self}},
		{Key: "setName", Value: HostileSetName},
		{Key: "setVersion", Value: int32(1)},
		{Key: "isWritablePrimary", Value: true},
		{Key: "secondary", Value: false},
		{Key: "primary", Value: self},
		{Key: "tags", Value: bson.D{{Key: "dc", Value: "east"}}},
		{Key: "me", Value: self},
		{Key: "electionId", Value: electionID(1)},
		{Key: "lastWrite", Value: bson.D{
			{Key: "opTime", Value: opTime},
			{Key: "lastWriteDate", Value: bson.NewDateTimeFromTime(now)},
			{Key: "majorityOpTime", Value: opTime},
			{Key: "majorityWriteDate", Value: bson.NewDateTimeFromTime(now)},
		}},
		{Key: "maxBsonObjectSize", Value: int32(maxBSONSize)},
		{Key: "maxMessageSizeBytes", Value: int32(maxMessageBytes)},
		{Key: "maxWriteBatchSize", Value: int32(maxWriteBatch)},
		{Key: "localTime", Value: bson.NewDateTimeFromTime(now)},
		{Key: "logicalSessionTimeoutMinutes", Value: int32(sessionMinutes)},
		{Key: "connectionId", Value: int32(1)},
		{Key: "minWireVersion", Value: int32(0)},
		{Key: "maxWireVersion", Value: int32(defaultMaxWire)},
		{Key: "readOnly", Value: false},
		{Key: "ok", Value: 1.0},
	}
}

// with returns doc with field set to v: replaced in place when present,
// appended before ok otherwise. A nil v removes the field.
func with(doc bson.D, field string, v any) bson.D {
	out := make(bson.D, 0, len(doc)+1)
	done := false
	for _, e := range doc {
		if e.Key == field {
			if v != nil {
				out = append(out, bson.E{Key: field, Value: v})
			}
			done = true
			continue
		}
		if e.Key == "ok" && !done && v != nil {
			out = append(out, bson.E{Key: field, Value: v})
			done = true
		}
		out = append(out, e)
	}
	return out
}

// HelloVariants returns the healthy base reply (Name "base") and every
// variant of it, for a member that calls itself self (its real address,
// so that the base reply is a working deployment).
func HelloVariants(self string) []HelloVariant {
	oid := electionID(1)
	type change struct {
		field, what string
		value       any
		works       bool
	}
	changes := []change{
		// Wire versions: any numeric type is a number to the driver,
		// which casts it to int32.
		{"maxWireVersion", "string", "21", false},
		{"maxWireVersion", "bool", true, false},
		{"maxWireVersion", "int64", int64(defaultMaxWire), true},
		{"maxWireVersion", "double", float64(defaultMaxWire), true},
		{"maxWireVersion", "int64-beyond-int32", int64(1) << 32, false}, // the driver reads 0
		{"minWireVersion", "string", "0", false},
		{"minWireVersion", "int64-beyond-int32", int64(1)<<32 | 30, false}, // the driver reads 30
		// The role.
		{"isWritablePrimary", "string", "true", false},
		{"secondary", "string", "false", false},
		{"hidden", "string", "false", false},
		{"arbiterOnly", "string", "false", false},
		{"isreplicaset", "string", "false", false},
		{"msg", "int32", int32(1), false},
		// Members.
		{"hosts", "string", self, false},
		{"hosts", "array-of-int32", bson.A{int32(27017)}, false},
		{"passives", "array-of-int32", bson.A{int32(1)}, false},
		{"arbiters", "string", self, false},
		{"setName", "int32", int32(0), false},
		{"me", "int32", int32(1), false},
		{"primary", "bool", true, false},
		// Election and configuration.
		{"electionId", "string", oid.Hex(), false},
		{"setVersion", "string", "1", false},
		{"setVersion", "int64", int64(1), true},
		{"topologyVersion", "int32-counter", bson.D{{Key: "processId", Value: oid}, {Key: "counter", Value: int32(6)}}, false},
		{"tags", "int32-value", bson.D{{Key: "dc", Value: int32(1)}}, false},
		{"lastWrite", "string-date", bson.D{{Key: "lastWriteDate", Value: "2024-01-01T00:00:00Z"}}, false},
		// Limits and the rest.
		{"maxBsonObjectSize", "string", "16777216", false},
		{"logicalSessionTimeoutMinutes", "string", "30", false},
		{"helloOk", "string", "true", false},
		{"compression", "string", "zstd", false},
		{"ok", "string", "1", false},
	}
	base := helloBase(self)
	out := []HelloVariant{{Name: "base", Doc: base, DriverWorks: true}}
	for _, c := range changes {
		v := HelloVariant{
			Name:        c.field + "/" + c.what,
			Field:       c.field,
			Doc:         with(base, c.field, c.value),
			DriverWorks: c.works,
		}
		if strings.HasSuffix(c.field, "WireVersion") {
			if n, ok := c.value.(int64); ok {
				v.Wire = n
			}
		}
		out = append(out, v)
	}
	// The legacy spelling of the role, alone, as a string.
	out = append(out, HelloVariant{
		Name:  "ismaster/string",
		Field: "ismaster",
		Doc:   with(with(base, "isWritablePrimary", nil), "ismaster", "true"),
	})
	return out
}

// ControlCharHello is the healthy base reply (see HelloVariants) with
// terminal control sequences in the set name (ControlSetName) and in a
// tag (ControlTag): a deployment that works, whose strings no output may
// print raw.
func ControlCharHello(self string) bson.D {
	return with(with(helloBase(self), "setName", ControlSetName),
		"tags", bson.D{{Key: "dc", Value: ControlTag}})
}

// FlappingHello returns an Options.Hello for a one-member replica set
// whose member changes its answer on every hello it receives, on any
// connection: primary, then secondary, then an error (ShutdownInProgress,
// which makes a driver mark it Unknown), then primary again. The cycle is
// counted in hellos answered, never in time.
func FlappingHello(self string) func() bson.D {
	primary := bson.D{
		{Key: "hosts", Value: bson.A{self}},
		{Key: "setName", Value: HostileSetName},
		{Key: "setVersion", Value: int32(1)},
		{Key: "isWritablePrimary", Value: true},
		{Key: "secondary", Value: false},
		{Key: "primary", Value: self},
		{Key: "me", Value: self},
		{Key: "electionId", Value: electionID(1)},
	}
	secondary := bson.D{
		{Key: "hosts", Value: bson.A{self}},
		{Key: "setName", Value: HostileSetName},
		{Key: "setVersion", Value: int32(1)},
		{Key: "isWritablePrimary", Value: false},
		{Key: "secondary", Value: true},
		{Key: "me", Value: self},
	}
	unknown := errorReply(91, "ShutdownInProgress", "The server is in quiesce mode and will shut down")
	return HelloSequence(primary, secondary, unknown)
}

// HelloSequence returns an Options.Hello that answers the documents in
// turn, one per hello, and starts again after the last.
func HelloSequence(docs ...bson.D) func() bson.D {
	var n atomic.Int64
	return func() bson.D {
		i := (n.Add(1) - 1) % int64(len(docs))
		return append(bson.D(nil), docs[i]...)
	}
}

// ManyMembersHello is the role part of a hello from the primary of
// replica set HostileSetName whose configuration lists members (in
// hosts), calls itself members[0] and names it primary: with addresses
// where nothing listens, the server that answers is not among the members
// it lists.
func ManyMembersHello(members []string) bson.D {
	hosts := make(bson.A, len(members))
	for i, m := range members {
		hosts[i] = m
	}
	return bson.D{
		{Key: "hosts", Value: hosts},
		{Key: "setName", Value: HostileSetName},
		{Key: "setVersion", Value: int32(1)},
		{Key: "isWritablePrimary", Value: true},
		{Key: "secondary", Value: false},
		{Key: "primary", Value: members[0]},
		{Key: "me", Value: members[0]},
		{Key: "electionId", Value: electionID(1)},
	}
}

// DuplicateMembersHello is the role part of a hello from the primary of a
// one-member replica set HostileSetName that lists itself under every
// spelling that names the same member: canonical (host:27017), upper
// case, with the trailing dot of an absolute DNS name, and without the
// default port. host must be a DNS name served on port 27017.
func DuplicateMembersHello(host string) bson.D {
	canonical := host + ":27017"
	return bson.D{
		{Key: "hosts", Value: bson.A{
			canonical,
			strings.ToUpper(host) + ":27017",
			host + ".:27017",
			host,
		}},
		{Key: "setName", Value: HostileSetName},
		{Key: "setVersion", Value: int32(1)},
		{Key: "isWritablePrimary", Value: true},
		{Key: "secondary", Value: false},
		{Key: "primary", Value: canonical},
		{Key: "me", Value: canonical},
		{Key: "electionId", Value: electionID(1)},
	}
}

// Unused loopback blocks: no fixture of this module listens on them, so
// a connection to any of their addresses is refused at once.
const (
	// BlockMembers holds the members ManyMembersHello lists.
	BlockMembers = 77
	// BlockSeeds holds the refused seeds of a long seed list.
	BlockSeeds = 78
	// blockDefaultPort holds the addresses StartFakeMongodDefaultPort
	// binds.
	blockDefaultPort = 79
)

// UnusedAddrs returns n distinct addresses 127.BLOCK.x.y:port, in order,
// for a block of 127.0.0.0/8 that no fixture listens on (BlockMembers,
// BlockSeeds). n is at most 65 000.
func UnusedAddrs(block, n, port int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("127.%d.%d.%d:%d", block, i/250, i%250+1, port)
	}
	return out
}
