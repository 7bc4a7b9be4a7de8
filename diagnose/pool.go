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
	if err != nil {
		c.Status = report.StatusWarn
		c.Summary = fmt.Sprintf("connection budget not checked: serverStatus, which reports the connections available, failed (%s); it needs the clusterMonitor role", x.poolStatusReason(err))
		x.addCheck(c)
		return
	}
	avail := st.Connections.Available
	formula := fmt.Sprintf("--instances %d x (maxPoolSize %d + %d monitoring connections) x %d member(s) = %d connections", x.e.Instances, b.MaxPoolSize, connstr.MonitorConnections, members, b.Total)
	perMember := fmt.Sprintf("up to %d to each member", b.PerMember)
	if b.Unbounded {
		formula = fmt.Sprintf("--instances %d x (maxPoolSize=0: no bound + %d monitoring connections) x %d member(s)", x.e.Instances, connstr.MonitorConnections, members)
		perMember = "no bound on the connections to each member"
	}
	if !b.Exceeds(avail) {
		c.Status = report.StatusPass
		c.Summary = fmt.Sprintf("connection budget: %s, at most %d per member; %s has %d available", formula, b.PerMember, member.Address, avail)
		x.addCheck(c)
		return
	}
	c.Status = report.StatusWarn
	if b.Unbounded {
		c.Summary = fmt.Sprintf("connection budget exceeded: maxPoolSize=0 puts no bound on the connections per member, %d available", avail)
	} else {
		c.Summary = fmt.Sprintf("connection budget exceeded: up to %d connections per member, %d available", b.PerMember, avail)
	}
	x.addCheck(c)
	ev := []string{
		fmt.Sprintf("%s: %s, that is %s", member.Address, formula, perMember),
		fmt.Sprintf("%s: serverStatus reports %d connections available (%d in use), the same limit assumed on every member", member.Address, avail, st.Connections.Current),
	}
	if b.Unbounded {
		ev = append(ev, fmt.Sprintf("%s: maxPoolSize=0 puts no bound on the pools: under load they grow until the server refuses connections", member.Address))
	}
	f := catalogue.NewFinding(catalogue.IDPoolConnectionBudget, ev...)
	var suggested string
	f.Fixes, suggested = x.poolFixes(b, avail)
	if suggested != "" {
		f = report.WithSuggestedURI(f, suggested)
	}
	x.addFinding(f)
}

// poolFixes are pool.connection-budget's fixes for instances processes
// and avail connections per member: the largest maxPoolSize that fits,
// with the string that sets it (suggested; "" when it is the string
// given), or, when not even maxPoolSize=1 does, that no pool size fits
// and what does.
func (x *run) poolFixes(b connstr.PoolBudget, avail int64) (fixes []string, suggested string) {
	n := x.e.Instances
	if fit, ok := b.FittingMaxPoolSize(avail); ok {
		fix := fmt.Sprintf("With %d processes, maxPoolSize=%d keeps every member within its %d available connections (%d x (%d + %d) = %d)",
			n, fit, avail, n, fit, connstr.MonitorConnections, uint64(n)*(fit+connstr.MonitorConnections))
		if u := tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "maxPoolSize", Value: strconv.FormatUint(fit, 10)}}}); u != "" && u != tlsconf.SuggestURI(x.t.Raw, connstr.Edit{}) {
			fix += ": " + u
			suggested = u
		}
		return catalogue.PoolBudgetFixes(fix), suggested
	}
	most := connstr.MaxInstances(avail)
	fewer := fmt.Sprintf("Run fewer processes against this deployment: at most %d with maxPoolSize=1", most)
	if most == 0 {
		fewer = "Run fewer processes against this deployment: with so few connections available, not even one process with maxPoolSize=1 fits"
	}
	return append(catalogue.PoolBudgetFixes(
		fmt.Sprintf("No maxPoolSize fits: even maxPoolSize=1 takes %d x (1 + %d monitoring connections) = %d connections to each member, and %d are available", n, connstr.MonitorConnections, uint64(n)*(1+connstr.MonitorConnections), avail),
		fewer,
	), "Or put a connection proxy between the processes and the deployment, so that they share a few pools instead of keeping one each"), ""
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
