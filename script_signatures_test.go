package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rogpeppe/go-internal/testscript"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// Fixture commands for the signatures_* transcripts.
func init() {
	scriptCmds["tlsreject"] = cmdTLSReject
	scriptCmds["fakemongod"] = cmdFakeMongod
	scriptCmds["x509mongod"] = cmdX509Mongod
	scriptCmds["horizonmongod"] = cmdHorizonMongod
	scriptCmds["atlasreplset"] = cmdAtlasReplSet
}

var tlsRejects = map[string]mongotest.TLSReject{
	"alert80": mongotest.RejectAlertInternalError,
	"reset":   mongotest.RejectReset,
	"close":   mongotest.RejectClose,
}

// tlsreject NAME alert80|reset|close: a listener that accepts TCP and
// ends every TLS handshake that way (alert80 is Atlas's answer to an
// address off its IP access list); sets $NAME and $NAME_PORT.
func cmdTLSReject(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tlsreject NAME alert80|reset|close")
	}
	how, ok := tlsRejects[args[1]]
	if !ok {
		ts.Fatalf("tlsreject: unknown way %q", args[1])
	}
	addr, stop, err := mongotest.StartTLSRejecter(how)
	ts.Check(err)
	ts.Defer(stop)
	setAddr(ts, args[0], addr)
}

func setAddr(ts *testscript.TestScript, name, addr string) {
	_, port, err := net.SplitHostPort(addr)
	ts.Check(err)
	ts.Setenv(name, addr)
	ts.Setenv(name+"_ADDR", addr)
	ts.Setenv(name+"_PORT", port)
}

// fakemongod [-compressors LIST] [-available N] [-aws] NAME [DB.USER:PASSWORD]...:
// a plain fake mongod accepting those compressors (none by default: its
// hello has no compression field), reporting N connections available in
// serverStatus, taking MONGODB-AWS conversations with -aws; sets
// $NAME_ADDR and $NAME_PORT.
func cmdFakeMongod(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("fakemongod", flag.ContinueOnError)
	comp := fs.String("compressors", "", "compressors accepted")
	avail := fs.Int("available", 0, "connections available")
	aws := fs.Bool("aws", false, "take MONGODB-AWS conversations")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() < 1 {
		ts.Fatalf("usage: fakemongod [-compressors LIST] [-available N] [-aws] NAME [DB.USER:PASSWORD]...")
	}
	o := mongotest.Options{ConnectionsAvailable: int32(*avail), AWSAuth: *aws}
	if *comp != "" {
		o.Compressors = strings.Split(*comp, ",")
	}
	for _, spec := range fs.Args()[1:] {
		who, pass, ok := strings.Cut(spec, ":")
		db, user, ok2 := strings.Cut(who, ".")
		if !ok || !ok2 {
			ts.Fatalf("fakemongod: bad user %q, want DB.USER:PASSWORD", spec)
		}
		o.Users = append(o.Users, mongotest.User{DB: db, Name: user, Password: pass})
	}
	s, err := mongotest.NewFakeMongod(o)
	ts.Check(err)
	ts.Defer(s.Close)
	setAddr(ts, fs.Arg(0), s.Addr())
}

// x509mongod NAME: a TLS fake mongod that checks client certificates
// against the test CA and authenticates the test client's subject as an
// $external user; sets $NAME_ADDR, $NAME_PORT and the certificate
// variables: $CERTS_CA, $CERTS_CLIENT, $CERTS_CLIENT_EXPIRED,
// $CERTS_CLIENT_SERVER_ONLY, $CERTS_CLIENT_WRONG_KEY,
// $CERTS_CLIENT_SUBJECT.
func cmdX509Mongod(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: x509mongod NAME")
	}
	certs := scriptCerts(ts, args[0])
	ts.Setenv("CERTS_CLIENT_EXPIRED", certs.ClientExpired.PEMFile)
	ts.Setenv("CERTS_CLIENT_SERVER_ONLY", certs.ClientNoClientAuth.PEMFile)
	ts.Setenv("CERTS_CLIENT_WRONG_KEY", certs.ClientKeyMismatchFile)
	ts.Setenv("CERTS_CLIENT_SUBJECT", certs.ClientSubject)
	s, err := mongotest.NewFakeMongod(mongotest.Options{
		TLS: &tls.Config{Certificates: []tls.Certificate{certs.Server(mongotest.CertValid).TLS}, ClientCAs: certs.Pool(),
			ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12},
		X509Users: []string{certs.ClientSubject},
	})
	ts.Check(err)
	ts.Defer(s.Close)
	setAddr(ts, args[0], s.Addr())
}

// horizonmongod NAME EXTERNAL: a one-member replica set "rs0" over TLS
// whose member answers with EXTERNAL:port when the client's TLS server
// name is EXTERNAL (a horizon) and with mongo-0.internal:27017 otherwise;
// its certificate names EXTERNAL and db0.other.test. Sets $NAME_ADDR,
// $NAME_PORT and $CERTS_CA.
func cmdHorizonMongod(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: horizonmongod NAME EXTERNAL")
	}
	external := args[1]
	certs := scriptCerts(ts, args[0])
	pair, err := certs.IssueServer("horizon", external, "db0.other.test")
	ts.Check(err)
	var port atomic.Value // the member's port, known once it listens
	port.Store("")
	s, err := mongotest.NewFakeMongod(mongotest.Options{
		TLS: &tls.Config{Certificates: []tls.Certificate{pair.TLS}, MinVersion: tls.VersionTLS12},
		HelloSNI: func(name string) bson.D {
			me := "mongo-0.internal:27017"
			if name == external {
				me = net.JoinHostPort(external, port.Load().(string))
			}
			return bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"}, {Key: "setVersion", Value: int32(1)},
				{Key: "hosts", Value: bson.A{me}}, {Key: "me", Value: me}, {Key: "primary", Value: me}}
		},
	})
	ts.Check(err)
	ts.Defer(s.Close)
	_, p, _ := net.SplitHostPort(s.Addr())
	port.Store(p)
	setAddr(ts, args[0], s.Addr())
}

// atlasreplset NAME N: an Atlas-like replica set "atlas-x1-shard-0" of N
// members over TLS, each advertising
// cluster0-shard-00-0i.abcde.mongodb.net:port, with a certificate for
// *.abcde.mongodb.net signed by the test CA; sets $NAME_PORTi and
// $CERTS_CA, for SRV records in a zone file.
func cmdAtlasReplSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: atlasreplset NAME N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		ts.Fatalf("atlasreplset: N must be a positive number, got %q", args[1])
	}
	certs := scriptCerts(ts, args[0])
	pair, err := certs.IssueServer("atlas", "*.abcde.mongodb.net")
	ts.Check(err)
	rs, err := mongotest.NewReplSet(mongotest.ReplSetOptions{
		Name:    "atlas-x1-shard-0",
		Members: n,
		TLS:     &tls.Config{Certificates: []tls.Certificate{pair.TLS}, MinVersion: tls.VersionTLS12},
		HostFor: func(i int, port string) string {
			return net.JoinHostPort(fmt.Sprintf("cluster0-shard-00-%02d.abcde.mongodb.net", i), port)
		},
	})
	ts.Check(err)
	ts.Defer(rs.Close)
	for i, a := range rs.Addrs() {
		_, port, err := net.SplitHostPort(a)
		ts.Check(err)
		ts.Setenv(fmt.Sprintf("%s_PORT%d", args[0], i), port)
	}
}
