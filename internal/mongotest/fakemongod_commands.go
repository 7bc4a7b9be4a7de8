package mongotest

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/wire"
)

// Wire versions at which server behaviour changed.
const (
	wireOpMsg       = 6  // 3.6: OP_MSG and logical sessions
	wireHello       = 9  // 4.4: the hello command (backported to late 4.2/4.0/3.6 patches)
	wireNoOpQuery   = 14 // 5.1: OP_QUERY only for hello/isMaster
	defaultMaxWire  = 21 // 7.0, the default fake version
	maxBSONSize     = 16 << 20
	maxMessageBytes = wire.MaxMessageSize
	maxWriteBatch   = 100_000
	sessionMinutes  = 30
)

// Server error codes the fake answers with (src/mongo/base/error_codes.yml).
const (
	codeInternalError           = 1
	codeAuthenticationFailed    = 18
	codeProtocolError           = 17
	codeCommandNotFound         = 59
	codeAPIVersionError         = 322
	codeAPIStrictError          = 323
	codeMechanismUnavailable    = 334
	codeUnsupportedOpQueryCmd   = 352
	codeUnknownField            = 40415
	codeAPIStrictWithoutVersion = 4886600
)

// WireVersionFor returns the maxWireVersion of a server version such as
// "3.6.23" (21, the wire version of 7.0, when the release is unknown).
func WireVersionFor(version string) int32 {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return defaultMaxWire
	}
	switch parts[0] + "." + parts[1] {
	case "2.4":
		return 0
	case "2.6":
		return 2
	case "3.0":
		return 3
	case "3.2":
		return 4
	case "3.4":
		return 5
	case "3.6":
		return 6
	case "4.0":
		return 7
	case "4.2":
		return 8
	case "4.4":
		return 9
	case "5.0":
		return 13
	case "5.1":
		return 14
	case "5.2":
		return 15
	case "5.3":
		return 16
	case "6.0":
		return 17
	case "6.1":
		return 18
	case "6.2":
		return 19
	case "6.3":
		return 20
	case "7.0":
		return 21
	case "7.1":
		return 22
	case "7.2":
		return 23
	case "7.3":
		return 24
	case "8.0":
		return 25
	}
	return defaultMaxWire
}

// inAPIV1 reports whether a command is part of Stable API Version 1 (the
// ones the fake might see).
func inAPIV1(name string) bool {
	switch name {
	case "hello", "ping", "saslStart", "saslContinue", "endSessions", "authenticate",
		"abortTransaction", "aggregate", "collMod", "commitTransaction", "count", "create",
		"createIndexes", "delete", "drop", "dropDatabase", "dropIndexes", "find",
		"findAndModify", "getMore", "insert", "killCursors", "listCollections",
		"listDatabases", "listIndexes", "refreshSessions", "update":
		return true
	}
	return false
}

func (s *FakeMongod) dispatch(cc *conn, req request, st fakeSettings) bson.D {
	if strings.HasPrefix(req.name, "OP_QUERY ") {
		return bson.D{
			{Key: "$err", Value: "the fake mongod answers commands only, not queries on " + strings.TrimPrefix(req.name, "OP_QUERY ")},
			{Key: "code", Value: int32(codeUnsupportedOpQueryCmd)},
			{Key: "ok", Value: 0.0},
		}
	}
	if e := checkAPI(req, st.api); e != nil {
		return e
	}
	isHello := req.name == "hello" || req.name == "isMaster" || req.name == "ismaster"
	if req.op == wire.OpQuery && !isHello && s.maxWire >= wireNoOpQuery {
		return errorReply(codeUnsupportedOpQueryCmd, "UnsupportedOpQueryCommand",
			fmt.Sprintf("Unsupported OP_QUERY command: %s. The client driver may require an upgrade. "+
				"For more details see https://dochub.mongodb.org/core/legacy-opcode-removal", req.name))
	}
	switch req.name {
	case "hello":
		if s.maxWire < wireHello {
			break
		}
		return s.helloReply(cc, req, st)
	case "isMaster", "ismaster":
		return s.helloReply(cc, req, st)
	case "buildInfo", "buildinfo":
		return s.buildInfo()
	case "ping", "endSessions":
		return bson.D{{Key: "ok", Value: 1.0}}
	case "serverStatus":
		return s.serverStatus(cc)
	case "saslStart":
		return s.saslStart(cc, req.db, req.body)
	case "authenticate":
		return s.authenticateX509(cc, req.body)
	case "saslContinue":
		return s.saslContinue(cc, req.body)
	}
	return errorReply(codeCommandNotFound, "CommandNotFound", fmt.Sprintf("no such command: '%s'", req.name))
}

// checkAPI applies the Stable API rules of mode to req; nil means the
// command may run.
func checkAPI(req request, mode APIMode) bson.D {
	version, hasVersion := req.body.Lookup("apiVersion").StringValueOK()
	if !hasVersion {
		_, err := req.body.LookupErr("apiVersion")
		hasVersion = err == nil
	}
	strict, _ := req.body.Lookup("apiStrict").BooleanOK()
	_, strictErr := req.body.LookupErr("apiStrict")
	_, deprErr := req.body.LookupErr("apiDeprecationErrors")
	hasStrict, hasDepr := strictErr == nil, deprErr == nil

	switch mode {
	case APIUnknown:
		for _, f := range []struct {
			name string
			has  bool
		}{{"apiVersion", hasVersion}, {"apiStrict", hasStrict}, {"apiDeprecationErrors", hasDepr}} {
			if f.has {
				return errorReply(codeUnknownField, "Location40415",
					fmt.Sprintf("BSON field '%s.%s' is an unknown field.", req.name, f.name))
			}
		}
	case APIRejectStrict:
		if strict {
			return errorReply(codeAPIStrictError, "APIStrictError",
				fmt.Sprintf("Provided apiStrict:true, but the command %s is not in API Version 1", req.name))
		}
	default:
		if (hasStrict || hasDepr) && !hasVersion {
			return errorReply(codeAPIStrictWithoutVersion, "Location4886600",
				"Provided apiStrict without specifying apiVersion")
		}
		if hasVersion && version != "1" {
			return errorReply(codeAPIVersionError, "APIVersionError", `API version must be "1"`)
		}
		if hasVersion && strict && !inAPIV1(req.name) {
			return errorReply(codeAPIStrictError, "APIStrictError",
				fmt.Sprintf("Provided apiStrict:true, but the command %s is not in API Version 1", req.name))
		}
	}
	return nil
}

// helloReply builds the answer to hello or isMaster.
func (s *FakeMongod) helloReply(cc *conn, req request, st fakeSettings) bson.D {
	var role bson.D
	if tc, ok := cc.c.(*tls.Conn); ok && s.helloSNI != nil {
		role = s.helloSNI(tc.ConnectionState().ServerName)
	} else if st.hello != nil {
		role = st.hello()
	} else {
		role = bson.D{{Key: "isWritablePrimary", Value: true}}
	}
	if s.exactHello {
		return role
	}
	legacy := req.name != "hello"
	doc := make(bson.D, 0, len(role)+16)
	var okValue any = 1.0
	for _, e := range role {
		switch {
		case e.Key == "ok":
			okValue = e.Value
			continue
		case e.Key == "isWritablePrimary" && legacy:
			e.Key = "ismaster"
		case e.Key == "ismaster" && !legacy:
			e.Key = "isWritablePrimary"
		}
		doc = append(doc, e)
	}
	add := func(k string, v any) {
		for _, e := range doc {
			if e.Key == k {
				return
			}
		}
		doc = append(doc, bson.E{Key: k, Value: v})
	}
	if ok, _ := req.body.Lookup("helloOk").BooleanOK(); ok && s.maxWire >= wireHello {
		add("helloOk", true)
	}
	add("maxBsonObjectSize", int32(maxBSONSize))
	add("maxMessageSizeBytes", int32(maxMessageBytes))
	add("maxWriteBatchSize", int32(maxWriteBatch))
	add("localTime", bson.NewDateTimeFromTime(time.Now()))
	if s.maxWire >= wireOpMsg {
		add("logicalSessionTimeoutMinutes", int32(sessionMinutes))
	}
	add("connectionId", cc.id)
	add("minWireVersion", s.minWire)
	add("maxWireVersion", s.maxWire)
	add("readOnly", false)
	if offered, ok := req.body.Lookup("compression").ArrayOK(); ok && len(s.compressors) > 0 {
		if vals, err := offered.Values(); err == nil {
			shared := bson.A{}
			for _, v := range vals {
				if name, ok := v.StringValueOK(); ok && slices.Contains(s.compressors, name) {
					shared = append(shared, name)
				}
			}
			add("compression", shared)
		}
	}
	if who, ok := req.body.Lookup("saslSupportedMechs").StringValueOK(); ok {
		if mechs := s.auth.mechanisms(who); mechs != nil {
			add("saslSupportedMechs", mechs)
		}
	}
	if spec, ok := req.body.Lookup("speculativeAuthenticate").DocumentOK(); ok {
		if r := s.speculative(cc, spec); r != nil {
			add("speculativeAuthenticate", r)
		}
	}
	doc = append(doc, bson.E{Key: "ok", Value: okValue})
	return doc
}

func (s *FakeMongod) buildInfo() bson.D {
	return bson.D{
		{Key: "version", Value: s.version},
		{Key: "gitVersion", Value: "0000000000000000000000000000000000000000"},
		{Key: "versionArray", Value: versionArray(s.version)},
		{Key: "bits", Value: int32(64)},
		{Key: "debug", Value: false},
		{Key: "maxBsonObjectSize", Value: int32(maxBSONSize)},
		{Key: "ok", Value: 1.0},
	}
}

// versionArray turns "7.0.12" into [7, 0, 12, 0], as buildInfo reports it.
func versionArray(v string) bson.A {
	out := bson.A{int32(0), int32(0), int32(0), int32(0)}
	for i, p := range strings.SplitN(v, ".", 3) {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		if n, err := strconv.Atoi(p[:end]); err == nil {
			out[i] = int32(n)
		}
	}
	return out
}

// codeUnauthorized is the server's error for a command the connection's
// user (or no user) may not run.
const codeUnauthorized = 13

// serverStatus answers the connections section of serverStatus: to any
// connection when the server has no users, else only to an
// authenticated one, as mongod with authorization enabled.
func (s *FakeMongod) serverStatus(cc *conn) bson.D {
	if !s.auth.empty() && cc.user == "" {
		return errorReply(codeUnauthorized, "Unauthorized", "command serverStatus requires authentication")
	}
	s.mu.Lock()
	current := int32(len(s.conns))
	total := int32(s.accepted)
	s.mu.Unlock()
	return bson.D{
		{Key: "host", Value: "fake-mongod"},
		{Key: "version", Value: s.version},
		{Key: "connections", Value: bson.D{
			{Key: "current", Value: current},
			{Key: "available", Value: s.available},
			{Key: "totalCreated", Value: total},
		}},
		{Key: "ok", Value: 1.0},
	}
}

// authenticateX509 answers the authenticate command of MONGODB-X509: the
// user is the subject of the client certificate of the TLS connection,
// and must be one of the server's X509Users (and equal the user named, if
// one is).
func (s *FakeMongod) authenticateX509(cc *conn, body bson.Raw) bson.D {
	if mech, _ := body.Lookup("mechanism").StringValueOK(); mech != "MONGODB-X509" {
		return errorReply(codeMechanismUnavailable, "MechanismUnavailable", fmt.Sprintf("Received authentication for mechanism %s which is not enabled", mech))
	}
	tc, ok := cc.c.(*tls.Conn)
	if !ok || len(tc.ConnectionState().PeerCertificates) == 0 {
		return errorReply(codeAuthenticationFailed, "AuthenticationFailed", "No verified subject name available from client")
	}
	subject := tc.ConnectionState().PeerCertificates[0].Subject.String()
	if named, ok := body.Lookup("user").StringValueOK(); ok && named != "" && named != subject {
		return errorReply(codeAuthenticationFailed, "AuthenticationFailed",
			fmt.Sprintf("There is no x.509 client certificate matching the user. Username %q does not match the provided client certificate user %q", named, subject))
	}
	if !slices.Contains(s.x509Users, subject) {
		return authFailed()
	}
	s.authenticated(cc, "$external."+subject)
	return bson.D{{Key: "dbname", Value: "$external"}, {Key: "user", Value: subject}, {Key: "ok", Value: 1.0}}
}
