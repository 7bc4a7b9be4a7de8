package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/wireprobe"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
)

// Auth stage timeouts.
const (
	// authTimeout caps the auth stage on one member: a hello, then the
	// driver's connection handshake and SCRAM conversation (three or four
	// round trips and a PBKDF2 on each side, tens of milliseconds), so a
	// server that takes longer is not going to answer.
	authTimeout = 5 * time.Second

	// authDisconnectTimeout bounds closing the stage's driver client once
	// the answer is known: a slow close must not delay the verdict.
	authDisconnectTimeout = 200 * time.Millisecond
)

// Server error codes the auth stage tells apart (error_codes.yml of the
// server sources).
const (
	authCodeAuthenticationFailed = 18
	authCodeMechanismUnavailable = 334
)

// SCRAM mechanism names, as drivers and servers spell them.
const (
	mechSCRAMSHA1   = "SCRAM-SHA-1"
	mechSCRAMSHA256 = "SCRAM-SHA-256"
)

// saslMechsMinWire is the first wire version (MongoDB 4.0) whose hello
// answers saslSupportedMechs; older servers never send the field.
const saslMechsMinWire = 7

// authCreds is what the connection string says about authentication.
type authCreds struct {
	user      string
	mechanism string // upper case, "" when the driver negotiates
	source    string // the authSource the driver uses
	origin    string // where source comes from, for people
}

// hasAuth reports whether the connection string asks for authentication.
func (x *run) hasAuth() bool {
	cs := x.t.Conn
	return cs != nil && (cs.Username != "" || cs.AuthMechanism != "")
}

// authCreds resolves the user, mechanism and authSource as a driver does:
// the authSource option, else the SRV TXT record's authSource, else the
// database in the path (SCRAM and PLAIN), else admin ($external for the
// external mechanisms).
func (x *run) authCreds() authCreds {
	cs := x.t.Conn
	c := authCreds{user: cs.Username, mechanism: strings.ToUpper(cs.AuthMechanism), source: cs.AuthSource}
	x.mu.Lock()
	var txt string
	if x.r.SRV != nil {
		txt = x.r.SRV.Options["authSource"]
	}
	x.mu.Unlock()
	switch {
	case cs.AuthSourceSet:
		c.origin = "the authSource option"
	case txt != "":
		c.source, c.origin = txt, "the authSource of the SRV TXT record"
	case cs.Database != "" && c.source == cs.Database:
		c.origin = fmt.Sprintf("the database in the connection string's path, /%s, since authSource is not set", cs.Database)
	default:
		if c.source == "" {
			c.source = "admin"
		}
		c.origin = "the default, since neither authSource nor a database is given"
	}
	return c
}

// scram reports whether the mechanism is SCRAM (or negotiated, which is
// SCRAM with every current server).
func (c authCreds) scram() bool {
	return c.mechanism == "" || c.mechanism == mechSCRAMSHA1 || c.mechanism == mechSCRAMSHA256
}

// saslQuestion is the saslSupportedMechs value that asks about this user,
// "" when the hello should not ask.
func (c authCreds) saslQuestion() string {
	if c.user == "" || !c.scram() {
		return ""
	}
	return c.source + "." + c.user
}

// authStage authenticates against addr, one reachable data-bearing
// member, with the connection string's credentials. It first asks the
// server, with hello's saslSupportedMechs and without sending the
// password, which mechanisms the user has; then it authenticates with the
// driver (direct connection, the engine's Dialer, tlsCfg) and explains a
// failure: auth.failed (wrong password, user not in authSource) or
// auth.mechanism-unsupported. Without credentials it records a skip.
func (x *run) authStage(ctx context.Context, addr string, tlsCfg *tls.Config) {
	if !x.hasAuth() {
		x.addCheck(report.Check{Stage: report.StageAuth, Status: report.StatusSkip, Summary: "no credentials in the connection string: authentication not tested"})
		return
	}
	defer x.waiting(report.StageAuth, addr, "the server to check the credentials")()
	start := x.now()
	ctx, cancel := context.WithTimeout(ctx, min(authTimeout, remaining(ctx)))
	defer cancel()
	c := x.authCreds()
	if strings.EqualFold(c.mechanism, "GSSAPI") {
		// Kerberos needs a driver built with cgo and the gssapi tag, and a
		// ticket on this machine: this build cannot test it, and must not
		// blame the server for that.
		x.addCheck(report.Check{Stage: report.StageAuth, Address: addr, Status: report.StatusSkip,
			Summary: "authMechanism=GSSAPI (Kerberos) is not built into this mongoconn: authentication not tested"})
		return
	}

	if st := x.awsPlan(); st.on && st.blocked {
		x.addCheck(report.Check{Stage: report.StageAuth, Address: addr, Status: report.StatusFail, DurationMs: x.since(start),
			Summary: "MONGODB-AWS: no AWS credentials found here; the driver was not started, as it would ask the EC2 instance metadata service (see auth.aws-no-credentials)"})
		return
	}
	mechs, known := x.userMechanisms(ctx, addr, tlsCfg, c.saslQuestion())
	if known && len(mechs) == 0 {
		if f, summary, ok := x.wrongSource(ctx, addr, tlsCfg, c); ok {
			// The password would only be refused: it is not sent.
			x.addCheck(report.Check{Stage: report.StageAuth, Address: addr, Status: report.StatusFail, DurationMs: x.since(start), Summary: summary})
			x.addFinding(f)
			return
		}
	}
	err := x.driverAuth(ctx, addr, tlsCfg, c)
	check := report.Check{Stage: report.StageAuth, Address: addr, DurationMs: x.since(start)}
	if x.e.Verbose && known {
		check.Detail = []string{fmt.Sprintf("hello saslSupportedMechs %q: %s", c.saslQuestion(), connfind.MechList(mechs))}
	}
	if err == nil {
		check.Status = report.StatusPass
		who := c.user
		if who == "" && c.mechanism == tlsconf.MechX509 {
			if leaf := tlsconf.ClientLeaf(tlsCfg); leaf != nil {
				who = tlsconf.SubjectOf(leaf)
			}
		}
		check.Summary = fmt.Sprintf("authenticated as %q on %s with %s", who, c.source, usedMechanism(c, mechs, known))
		x.addCheck(check)
		return
	}
	if x.interrupted() {
		x.skipInterrupted(report.StageAuth, addr, check.DurationMs)
		return
	}
	check.Status = report.StatusFail
	f, summary := x.authFailure(ctx, addr, tlsCfg, c, mechs, known, err)
	check.Summary = summary
	x.addCheck(check)
	if f.ID != "" {
		x.addFinding(f)
	}
}

// userMechanisms asks addr which mechanisms question ("<db>.<user>") may
// use. known is false when the server could not say (no question, an old
// server, a failed probe).
func (x *run) userMechanisms(ctx context.Context, addr string, tlsCfg *tls.Config, question string) (mechs []string, known bool) {
	if question == "" {
		return nil, false
	}
	res := x.e.ProbeHello(ctx, addr, wireprobe.HelloOptions{TLS: tlsCfg, SASLSupportedMechs: question, Samples: 1})
	if res.Err != nil || res.Server.MaxWireVersion < saslMechsMinWire {
		return nil, false
	}
	return res.SASLSupportedMechs, true
}

// usedMechanism names the mechanism the driver used.
func usedMechanism(c authCreds, mechs []string, known bool) string {
	switch {
	case c.mechanism != "":
		return c.mechanism
	case known && slices.Contains(mechs, mechSCRAMSHA256):
		return mechSCRAMSHA256 + " (negotiated)"
	case known && slices.Contains(mechs, mechSCRAMSHA1):
		return mechSCRAMSHA1 + " (negotiated)"
	}
	return "the mechanism the driver negotiated"
}

// driverAuth connects the driver straight to addr with the credential and
// runs ping, which makes it authenticate.
func (x *run) driverAuth(ctx context.Context, addr string, tlsCfg *tls.Config, c authCreds) error {
	cs := x.t.Conn
	cred := options.Credential{
		AuthMechanism:           cs.AuthMechanism,
		AuthMechanismProperties: cs.AuthMechanismProperties,
		AuthSource:              c.source,
		Username:                cs.Username,
		Password:                cs.Password,
		PasswordSet:             cs.PasswordSet,
	}
	left := remaining(ctx)
	o := options.Client().
		SetHosts([]string{addr}).
		SetDirect(true).
		SetAuth(cred).
		SetDialer(x.e.dialer()).
		SetAppName("mongoconn").
		SetConnectTimeout(left).
		SetServerSelectionTimeout(left).
		SetMaxPoolSize(1)
	if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	if err := x.prepareDriver(o); err != nil {
		return err
	}
	client, err := mongo.Connect(o)
	if err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), authDisconnectTimeout)
		defer cancel()
		_ = client.Disconnect(dctx)
	}()
	return client.Ping(ctx, nil)
}

// authFailure explains a failed authentication. The finding has no ID
// when the failure is not about credentials (the server could not be
// reached); the check's summary still says what happened.
func (x *run) authFailure(ctx context.Context, addr string, tlsCfg *tls.Config, c authCreds, mechs []string, known bool, err error) (report.Finding, string) {
	var (
		ce      mongo.CommandError
		authErr *auth.Error
	)
	isCmd := errors.As(err, &ce)
	// Driver errors may echo what they were given: hide every secret of
	// the connection string, not only those inside a URI.
	secrets := x.t.Secrets()
	serverSaid := connfind.OneLine(redact.RedactSecrets(err.Error(), secrets...))
	if isCmd {
		serverSaid = fmt.Sprintf("%s (%s, code %d)", connfind.OneLine(redact.RedactSecrets(ce.Message, secrets...)), ce.Name, ce.Code)
	}
	used := fmt.Sprintf("%s: authenticating as %q against authSource %q (%s) with %s", addr, c.user, c.source, c.origin, usedMechanism(c, mechs, known))
	if f, ok := x.awsDriverFindings(); ok {
		return f, "MONGODB-AWS: the driver found no AWS credentials"
	}

	// The mechanism the driver tries: the one asked for, else what it
	// negotiates from saslSupportedMechs (SCRAM-SHA-256 when listed,
	// SCRAM-SHA-1 otherwise).
	effective := c.mechanism
	if effective == "" && known && len(mechs) > 0 {
		effective = mechSCRAMSHA1
		if slices.Contains(mechs, mechSCRAMSHA256) {
			effective = mechSCRAMSHA256
		}
	}
	mismatch := known && effective != "" && c.scram() && len(mechs) > 0 && !slices.Contains(mechs, effective)
	switch {
	case mismatch || (isCmd && ce.Code == authCodeMechanismUnavailable):
		f := catalogue.NewFinding(catalogue.IDAuthMechanismUnsupported, used, addr+": the server answered: "+serverSaid)
		switch {
		case mismatch && c.mechanism == "":
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: hello's saslSupportedMechs says user %q in %q has credentials for %s only; the driver negotiates %s", addr, c.user, c.source, connfind.MechList(mechs), effective))
			f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "authMechanism", Value: mechs[0]}}}))
		case mismatch:
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: hello's saslSupportedMechs says user %q in %q has credentials for %s only, not %s", addr, c.user, c.source, connfind.MechList(mechs), c.mechanism))
			f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Drop: []string{"authMechanism"}}))
		case known && len(mechs) == 0:
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: hello's saslSupportedMechs for %q was empty: the server knows no user %q in %q", addr, c.saslQuestion(), c.user, c.source))
		}
		return f, "the user has no credentials for " + effective
	case ((isCmd && ce.Code == authCodeAuthenticationFailed) || errors.As(err, &authErr)) && c.mechanism == tlsconf.MechX509:
		if f, ok := tlsconf.X509AuthFailed(addr, tlsCfg, used, serverSaid, x.appDatabase()); ok {
			return f, "the server refused the client certificate's user: " + serverSaid
		}
		return x.authFailedFinding(ctx, addr, tlsCfg, c, mechs, known, used, serverSaid), "authentication failed: " + serverSaid
	case (isCmd && ce.Code == authCodeAuthenticationFailed) || errors.As(err, &authErr):
		return x.authFailedFinding(ctx, addr, tlsCfg, c, mechs, known, used, serverSaid), "authentication failed: " + serverSaid
	case connfind.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return catalogue.NewFinding(catalogue.IDServerNotResponding, used, fmt.Sprintf("%s: no answer within %s: %s", addr, report.FormatMs(x.since(x.started)), serverSaid)),
			"no answer while authenticating"
	}
	return report.Finding{}, "could not authenticate: " + serverSaid
}

// authFailedFinding builds auth.failed, telling a wrong password from an
// unknown user when hello can say which (a user known in another
// database is auth.wrong-source, found before the password is tried).
func (x *run) authFailedFinding(ctx context.Context, addr string, tlsCfg *tls.Config, c authCreds, mechs []string, known bool, used, serverSaid string) report.Finding {
	f := catalogue.NewFinding(catalogue.IDAuthFailed, used, addr+": the server answered: "+serverSaid)
	// Users of the external mechanisms (MONGODB-AWS, MONGODB-X509,
	// GSSAPI, PLAIN) live in $external, the only authSource they take.
	external := c.source == "$external"
	if c.source != "admin" && !external {
		f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "authSource", Value: "admin"}}}))
	}
	encode := "Percent-encode special characters in the password (@ is %40, : is %3A, / is %2F)"
	reset := fmt.Sprintf("Reset the password if in doubt: db.getSiblingDB(%q).changeUserPassword(%q, passwordPrompt())", c.source, c.user)
	// The catalogue's fixes name example users and databases (explain
	// knows no others); these name this string's.
	switch {
	case external:
		f.Fixes = []string{
			fmt.Sprintf("Check that the $external user %q exists and has roles: db.getSiblingDB(\"$external\").getUsers()", c.user),
			"Check the credentials the mechanism sends (the AWS keys or role, the Kerberos ticket, the LDAP password, the certificate's subject)",
		}
	case known && len(mechs) > 0:
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: user %q exists in %q (saslSupportedMechs: %s), so the password is wrong", addr, c.user, c.source, connfind.MechList(mechs)))
		f.Fixes = []string{
			fmt.Sprintf("Check the password of %q (percent-encode @ : / %% in it) or reset it: db.getSiblingDB(%q).changeUserPassword(%q, passwordPrompt())", c.user, c.source, c.user),
			encode,
		}
	case known:
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: hello's saslSupportedMechs for %q was empty: the server knows no user %q in %q", addr, c.saslQuestion(), c.user, c.source))
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: check the user name, and the database the user was created in (db.getUsers() in each database)", addr))
		f.Fixes = []string{
			fmt.Sprintf("Check the user name, and which database holds %q: db.getSiblingDB(\"admin\").getUsers(), then db.getUsers() in the others, or the Database Access page in Atlas", c.user),
			fmt.Sprintf("If %q was created in another database, name it with authSource=<that database>", c.user),
			fmt.Sprintf("Or create it where the driver looks: db.getSiblingDB(%q).createUser({user: %q, pwd: passwordPrompt(), roles: [\"readWrite\"]})", c.source, c.user),
		}
		if f.SuggestedURI != "" {
			f.Fixes[1] += ", for example admin: " + f.SuggestedURI
		}
	default:
		f.Fixes = []string{
			fmt.Sprintf("Check the password of %q and the database that holds the user (authSource is %q): db.getSiblingDB(%q).getUsers()", c.user, c.source, c.source),
			encode,
			reset,
		}
	}
	return f
}

// wrongSourceCandidates are the other databases a user unknown in
// c.source may live in: admin (where Atlas and most tools create users),
// and the database in the path when authSource points elsewhere.
func (x *run) wrongSourceCandidates(c authCreds) []string {
	var out []string
	if c.source != "admin" {
		out = append(out, "admin")
	}
	if db := x.t.Conn.Database; db != "" && db != c.source && db != "admin" && !strings.HasPrefix(db, "$") {
		out = append(out, db)
	}
	return out
}

// wrongSource asks addr, with hello's saslSupportedMechs and no password,
// whether the user unknown in c.source exists in another database, and
// returns auth.wrong-source naming it, with the corrected authSource.
func (x *run) wrongSource(ctx context.Context, addr string, tlsCfg *tls.Config, c authCreds) (report.Finding, string, bool) {
	others := x.wrongSourceCandidates(c)
	if len(others) == 0 {
		return report.Finding{}, "", false
	}
	qs := make([]string, len(others))
	for i, db := range others {
		qs[i] = db + "." + c.user
	}
	res := x.e.ProbeHello(ctx, addr, wireprobe.HelloOptions{TLS: tlsCfg, SASLSupportedMechs: qs[0], MoreSASLSupportedMechs: qs[1:], Samples: 1})
	if res.Err != nil {
		return report.Finding{}, "", false
	}
	answers := append([]wireprobe.SASLAnswer{{Question: c.saslQuestion()}}, res.SASLAnswers...)
	found, ok := wireprobe.WrongSource(c.source, answers)
	if !ok {
		return report.Finding{}, "", false
	}
	db := found.DB()
	f := catalogue.NewFinding(catalogue.IDAuthWrongSource,
		fmt.Sprintf("%s: the driver authenticates %q against authSource %q (%s), and hello's saslSupportedMechs for %q is absent: no such user there", addr, c.user, c.source, c.origin, c.saslQuestion()),
		fmt.Sprintf("%s: saslSupportedMechs for %q answers %s: the user was created in %q", addr, found.Question, connfind.MechList(found.Mechanisms), db),
		fmt.Sprintf("%s: found without sending the password; with authSource %q the server would answer \"Authentication failed\" whatever the password", addr, c.source))
	uri := tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "authSource", Value: db}}})
	f = report.WithSuggestedURI(f, uri)
	// This user and these databases, not the catalogue's example ones.
	f.Fixes = catalogue.WrongSourceFixes(c.user, db, c.source, x.appDatabase(), uri)
	return f, fmt.Sprintf("user %q does not exist in %q but in %q: the password was not tried", c.user, c.source, db), true
}

// appDatabase is appDatabaseOf the run's string.
func (x *run) appDatabase() string { return appDatabaseOf(x.t) }

// appDatabaseOf is the database the application works in, as the path of
// t names it: "" when it names none, or only admin or a $-database, which
// hold users rather than an application's data.
func appDatabaseOf(t *connstr.Target) string {
	if t == nil || t.Conn == nil {
		return ""
	}
	db := t.Conn.Database
	if db == "admin" || strings.HasPrefix(db, "$") {
		return ""
	}
	return db
}
