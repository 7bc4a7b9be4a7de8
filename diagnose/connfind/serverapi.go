package connfind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Stable API error codes (error_codes.yml of the server sources).
const (
	APICodeVersionError         = 322   // APIVersionError: unknown apiVersion
	APICodeStrictError          = 323   // APIStrictError: command outside the version
	APICodeUnknownField         = 40415 // a server before 5.0: apiVersion is an unknown field
	APICodeStrictWithoutVersion = 4886600
)

// APIRefusedFinding explains a command refused because of its Stable API
// fields.
func APIRefusedFinding(addr, command, declared string, cerr *wireprobe.CommandError, version string, strict bool) report.Finding {
	ev := fmt.Sprintf("%s: %s with %s was refused: %s", addr, command, declared, cerr.Error())
	var why string
	switch cerr.Code {
	case APICodeUnknownField:
		why = "the server does not know the Stable API at all: it needs MongoDB 5.0 or later"
	case APICodeStrictError:
		why = "the server (or a proxy in front of it) refuses strict mode for this command"
	case APICodeVersionError:
		why = "the server knows no such API version: the only one is \"1\""
	case APICodeStrictWithoutVersion:
		why = "apiStrict was sent without apiVersion"
	default:
		why = "the server refused the Stable API fields"
	}
	if version != "" {
		why += fmt.Sprintf(" (the server reports version %s)", version)
	}
	f := catalogue.NewFinding(catalogue.IDAPIStrictUnsupported, ev, addr+": "+why)
	if !strict {
		// The catalogue entry speaks of strict mode; this server refuses
		// the Stable API itself.
		f.Title = "The server does not accept the Stable API version declared"
		f.Cause = "The connection declares a Stable API version (apiVersion), and the server refuses it: servers before MongoDB 5.0 do not know the Stable API at all, and only version \"1\" exists. A driver configured with a server API sends apiVersion with every command, so every command fails."
	}
	switch {
	case cerr.Code == APICodeUnknownField:
		f.Fixes = append([]string{"Do not declare a Stable API version for this server (drop --server-api, or options.ServerAPI in the application)"}, f.Fixes...)
	case strict:
		f.Fixes = append([]string{"Declare the version without strict mode (drop --server-api-strict, or SetStrict(false) in the application)"}, f.Fixes...)
	}
	return f
}

// APICommand runs {name: 1, <api fields>, $db: "admin"} over OP_MSG on
// conn. It returns the server's refusal as a *CommandError, and an error
// when no valid reply came.
func APICommand(ctx context.Context, conn net.Conn, id int32, name string, api bson.D) (*wireprobe.CommandError, error) {
	d := append(bson.D{{Key: name, Value: int32(1)}}, api...)
	d = append(d, bson.E{Key: "$db", Value: "admin"})
	body, err := bson.Marshal(d)
	if err != nil {
		return nil, err
	}
	m, err := wire.RoundTripLimit(ctx, conn, id, wire.AppendMsg(nil, id, 0, 0, body), APICheckTimeout, apiMaxReply)
	if err != nil {
		return nil, err
	}
	if m.Body == nil {
		return nil, errors.New("the reply holds no document")
	}
	return apiReplyError(name, m.Body), nil
}

// apiReplyError is the refusal in reply, nil when it says ok: 1.
func apiReplyError(command string, reply bson.Raw) *wireprobe.CommandError {
	if ok, isNum := reply.Lookup("ok").AsFloat64OK(); isNum && ok == 1 {
		return nil
	}
	if b, isBool := reply.Lookup("ok").BooleanOK(); isBool && b {
		return nil
	}
	e := &wireprobe.CommandError{Command: command}
	if c, ok := reply.Lookup("code").AsInt64OK(); ok {
		e.Code = int32(c)
	}
	e.CodeName, _ = reply.Lookup("codeName").StringValueOK()
	e.Message, _ = reply.Lookup("errmsg").StringValueOK()
	return e
}

// Stable API check limits.
const (
	// APICheckTimeout caps the Stable API check of one member: a hello,
	// then ping and buildInfo on one connection, to a member that has
	// already answered the hello stage within the same budget.
	APICheckTimeout = 3 * time.Second

	// apiMaxReply bounds the ping and buildInfo replies: a few hundred
	// bytes from any server; more means the peer is not one.
	apiMaxReply = 1 << 20
)

// ServerStatusConnections is the part of serverStatus the budget reads.
type ServerStatusConnections struct {
	Connections struct {
		Current   int64 `bson:"current"`
		Available int64 `bson:"available"`
	} `bson:"connections"`
}

// ErrNoConnectionsSection says serverStatus answered without the
// connections section (some compatible servers).
var ErrNoConnectionsSection = errors.New("the reply has no connections section")
