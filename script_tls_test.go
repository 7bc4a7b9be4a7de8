package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// Fixture commands for the tls_* and auth_* transcripts.
func init() {
	scriptCmds["tlsferretdb"] = cmdTLSFerretDB
	scriptCmds["tlsfront"] = cmdTLSFront
	scriptCmds["authmongod"] = cmdAuthMongod
}

// certKinds maps the -cert values of the fixtures to certificate kinds.
var certKinds = map[string]mongotest.CertKind{
	"valid":         mongotest.CertValid,
	"wrong-host":    mongotest.CertWrongHost,
	"expired":       mongotest.CertExpired,
	"not-yet-valid": mongotest.CertNotYetValid,
	"unknown-ca":    mongotest.CertUnknownCA,
}

// scriptCerts issues a test PKI under the script's work directory and
// exports its files: $CERTS_CA (the CA for tlsCAFile), $CERTS_CLIENT (a
// client certificate and key), $CERTS_CLIENT_ENC (the same, key encrypted
// with $CERTS_CLIENT_PASSWORD).
func scriptCerts(ts *testscript.TestScript, name string) *mongotest.Certs {
	certs, err := mongotest.NewCertsIn(ts.MkAbs("certs-" + name))
	ts.Check(err)
	ts.Setenv("CERTS_CA", certs.CAFile)
	ts.Setenv("CERTS_CLIENT", certs.Client.PEMFile)
	ts.Setenv("CERTS_CLIENT_ENC", certs.ClientEncryptedFile)
	ts.Setenv("CERTS_CLIENT_PASSWORD", mongotest.ClientKeyPassword)
	ts.Setenv("CERTS_WRONG_HOST", mongotest.WrongHostName)
	return certs
}

func certFlag(ts *testscript.TestScript, kind string) mongotest.CertKind {
	k, ok := certKinds[kind]
	if !ok {
		ts.Fatalf("unknown -cert %q (valid, wrong-host, expired, not-yet-valid, unknown-ca)", kind)
	}
	return k
}

// tlsferretdb [-cert KIND] [-clientca] NAME: start FerretDB with a TLS
// listener serving a certificate of KIND (valid by default) and set $NAME
// to a URI with tls=true and tlsCAFile=$CERTS_CA, $NAME_ADDR to its
// address and $NAME_PORT to its port. -clientca makes it require client certificates signed by the
// test CA. See scriptCerts for the certificate variables.
func cmdTLSFerretDB(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("tlsferretdb", flag.ContinueOnError)
	kind := fs.String("cert", "valid", "server certificate kind")
	clientCA := fs.Bool("clientca", false, "require client certificates")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 1 {
		ts.Fatalf("usage: tlsferretdb [-cert KIND] [-clientca] NAME")
	}
	name := fs.Arg(0)
	certs := scriptCerts(ts, name)
	p := certs.Server(certFlag(ts, *kind))
	o := ferret.Options{TLSCertFile: p.CertFile, TLSKeyFile: p.KeyFile}
	if *clientCA {
		o.TLSCAFile = certs.CAFile
	}
	f, err := ferret.New(ts.MkAbs("ferretdb-"+name), o)
	ts.Check(err)
	ts.Defer(f.Close)
	ts.Setenv(name, fmt.Sprintf("mongodb://%s/?tls=true&tlsCAFile=%s", f.Addr, url.QueryEscape(certs.CAFile)))
	ts.Setenv(name+"_ADDR", f.Addr)
	_, port, err := net.SplitHostPort(f.Addr)
	ts.Check(err)
	ts.Setenv(name+"_PORT", port)
}

// tlsfront [-cert KIND] [-alert] NAME BACKEND_ADDR: start a TLS listener
// that forwards to BACKEND_ADDR (a plain server) and set $NAME_ADDR to
// its address. -alert answers plain-text clients with a TLS alert.
func cmdTLSFront(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("tlsfront", flag.ContinueOnError)
	kind := fs.String("cert", "valid", "server certificate kind")
	alert := fs.Bool("alert", false, "send a TLS alert to plain clients")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() != 2 {
		ts.Fatalf("usage: tlsfront [-cert KIND] [-alert] NAME BACKEND_ADDR")
	}
	name := fs.Arg(0)
	certs := scriptCerts(ts, name)
	addr, stop, err := mongotest.StartTLSServer(mongotest.TLSServer{
		Cert:         certs.Server(certFlag(ts, *kind)).TLS,
		AlertOnPlain: *alert,
		Backend:      fs.Arg(1),
	})
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv(name+"_ADDR", addr)
}

// apiModes maps the -api values of authmongod to Stable API behaviours.
var apiModes = map[string]mongotest.APIMode{
	"stable":        mongotest.APIStable,
	"reject-strict": mongotest.APIRejectStrict,
	"pre-5.0":       mongotest.APIUnknown,
}

// authmongod [-api MODE] [-version V] NAME [DB.USER:PASSWORD[:MECH,MECH]]...:
// start a fake mongod with SCRAM users (both mechanisms unless listed) and
// set $NAME_ADDR to its address. -api is stable (MongoDB 5.0+, the
// default), reject-strict (refuses apiStrict) or pre-5.0 (knows no Stable
// API).
func cmdAuthMongod(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("authmongod", flag.ContinueOnError)
	api := fs.String("api", "stable", "Stable API behaviour")
	version := fs.String("version", "", "server version")
	if err := fs.Parse(args); err != nil || neg || fs.NArg() < 1 {
		ts.Fatalf("usage: authmongod [-api MODE] [-version V] NAME [DB.USER:PASSWORD[:MECH,MECH]]...")
	}
	mode, ok := apiModes[*api]
	if !ok {
		ts.Fatalf("authmongod: unknown -api %q (stable, reject-strict, pre-5.0)", *api)
	}
	var users []mongotest.User
	for _, spec := range fs.Args()[1:] {
		who, rest, ok := strings.Cut(spec, ":")
		db, user, ok2 := strings.Cut(who, ".")
		if !ok || !ok2 {
			ts.Fatalf("authmongod: bad user %q, want DB.USER:PASSWORD[:MECHS]", spec)
		}
		pass, mechs, _ := strings.Cut(rest, ":")
		u := mongotest.User{DB: db, Name: user, Password: pass}
		if mechs != "" {
			u.Mechanisms = strings.Split(mechs, ",")
		}
		users = append(users, u)
	}
	s, err := mongotest.NewFakeMongod(mongotest.Options{Users: users, API: mode, Version: *version})
	ts.Check(err)
	ts.Defer(s.Close)
	ts.Setenv(fs.Arg(0)+"_ADDR", s.Addr())
}
