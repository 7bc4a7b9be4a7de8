package diagnose

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
)

// poolStatusTimeout caps the serverStatus of the connection budget: a
// connection, the authentication and one command to a member that has
// just answered the other stages.
const poolStatusTimeout = 3 * time.Second

// poolStage weighs the connection pools of --instances processes using
// the string against the connections member reports available
// (serverStatus, run as the string's user): pool.connection-budget when
// they may not fit. Without the right to run serverStatus it says the
// budget could not be checked.
func (x *run) poolStage(ctx context.Context, v *sdam.View, member report.Server) {
	if x.e.Instances <= 0 {
		return
	}
	start := x.now()
	members := len(v.Members)
	b := connstr.PoolBudgetOf(x.t, x.e.Instances, members)
	c := report.Check{Stage: report.StageTopology, Address: member.Address}
	cfg, err := x.tlsConfig(hostOf(member.Address))
	if err != nil {
		return // the TLS stage said why
	}
	st, err := x.serverStatus(ctx, member.Address, cfg)
	c.DurationMs = x.since(start)
	pool := strconv.FormatUint(b.MaxPoolSize, 10)
	if b.Unbounded {
		pool = "unbounded (maxPoolSize=0)"
	}
	if err != nil {
		c.Status = report.StatusWarn
		c.Summary = fmt.Sprintf("connection budget not checked: serverStatus, which reports the connections available, failed (%s); it needs the clusterMonitor role", x.poolStatusReason(err))
		x.addCheck(c)
		return
	}
	avail := st.Connections.Available
	formula := fmt.Sprintf("--instances %d x (maxPoolSize %s + %d monitoring connections) x %d member(s) = %d connections", x.e.Instances, pool, connstr.MonitorConnections, members, b.Total)
	if !b.Exceeds(avail) {
		c.Status = report.StatusPass
		c.Summary = fmt.Sprintf("connection budget: %s, at most %d per member; %s has %d available", formula, b.PerMember, member.Address, avail)
		x.addCheck(c)
		return
	}
	c.Status = report.StatusWarn
	c.Summary = fmt.Sprintf("connection budget exceeded: up to %d connections per member, %d available", b.PerMember, avail)
	x.addCheck(c)
	ev := []string{
		fmt.Sprintf("%s: %s, that is up to %d to each member", member.Address, formula, b.PerMember),
		fmt.Sprintf("%s: serverStatus reports %d connections available (%d in use), the same limit assumed on every member", member.Address, avail, st.Connections.Current),
	}
	if b.Unbounded {
		ev = append(ev, fmt.Sprintf("%s: maxPoolSize=0 puts no bound on the pools: under load they grow until the server refuses connections", member.Address))
	}
	f := catalogue.NewFinding(catalogue.IDPoolConnectionBudget, ev...)
	fit := b.FittingMaxPoolSize(avail)
	f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "maxPoolSize", Value: strconv.FormatUint(fit, 10)}}}))
	f.Fixes = append([]string{fmt.Sprintf("With %d processes, maxPoolSize=%d keeps every member within its %d available connections", x.e.Instances, fit, avail)}, f.Fixes...)
	x.addFinding(f)
}

// serverStatus runs serverStatus on addr as the connection string's
// user, through the driver (direct connection, the engine's dialer).
func (x *run) serverStatus(ctx context.Context, addr string, tlsCfg *tls.Config) (connfind.ServerStatusConnections, error) {
	var st connfind.ServerStatusConnections
	ctx, cancel := context.WithTimeout(ctx, min(poolStatusTimeout, remaining(ctx)))
	defer cancel()
	left := remaining(ctx)
	o := options.Client().
		SetHosts([]string{addr}).
		SetDirect(true).
		SetDialer(x.e.dialer()).
		SetAppName("mongoconn").
		SetConnectTimeout(left).
		SetServerSelectionTimeout(left).
		SetMaxPoolSize(1)
	if x.hasAuth() {
		c := x.authCreds()
		cs := x.t.Conn
		o.SetAuth(options.Credential{
			AuthMechanism:           cs.AuthMechanism,
			AuthMechanismProperties: cs.AuthMechanismProperties,
			AuthSource:              c.source,
			Username:                cs.Username,
			Password:                cs.Password,
			PasswordSet:             cs.PasswordSet,
		})
	}
	if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	if err := x.prepareDriver(o); err != nil {
		return st, err
	}
	client, err := mongo.Connect(o)
	if err != nil {
		return st, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), authDisconnectTimeout)
		defer cancel()
		_ = client.Disconnect(dctx)
	}()
	cmd := bson.D{{Key: "serverStatus", Value: 1}, {Key: "repl", Value: 0}, {Key: "metrics", Value: 0}, {Key: "locks", Value: 0}}
	err = client.Database("admin").RunCommand(ctx, cmd).Decode(&st)
	if err == nil && st.Connections.Available == 0 && st.Connections.Current == 0 {
		err = connfind.ErrNoConnectionsSection
	}
	return st, err
}

// poolStatusReason says briefly why serverStatus failed.
func (x *run) poolStatusReason(err error) string {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%s, code %d", ce.Name, ce.Code)
	}
	return connfind.FirstLine(redact.RedactSecrets(err.Error(), x.t.Secrets()...))
}
