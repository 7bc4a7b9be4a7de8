package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/diagnose/topofind"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/sdam"
)

const (
	// tunnelLocalPort is the local port of the ssh -L string: MongoDB's
	// own, so that the string that works reads as a local deployment.
	tunnelLocalPort = 27017

	// tunnelSOCKSPort is the local port of the ssh -D string: SOCKS5's
	// registered port, and proxyPort's default.
	tunnelSOCKSPort = netpath.DefaultProxyPort

	// tunnelHereTimeout caps the TCP connection to each member from this
	// machine, beside the bastion's view: one round trip, and a member
	// that does not answer in 5 s is no use to an application here.
	tunnelHereTimeout = 5 * time.Second
)

// hereResult is a member dialled from this machine, without the bastion.
type hereResult struct {
	ok  bool
	why string
	// local is local.resources when this machine could not try: out of
	// descriptors, ports or memory for the socket or the lookup.
	local *report.Finding
}

// bastionCompare is tunnel-check --ssh: every member, as seen through the
// bastion (discovery ran through it), is dialled from this machine too.
// One check per member says both; when some are reachable only through
// the bastion, the finding gives the two ways to use it from here, each
// with its ssh command: one member through ssh -L with
// directConnection=true, the whole set through ssh -D with proxyHost.
// It returns the verdict when every member is reachable from both sides,
// and ok false without a bastion.
func (x *run) bastionCompare(ctx context.Context, v *sdam.View) (verdict string, ok bool) {
	s := x.path.ssh
	if s == nil || v == nil || len(v.Members) == 0 {
		return "", false
	}
	here := x.dialFromHere(ctx, v.Members)
	var onlyThere []string
	for i, m := range v.Members {
		there := "no answer"
		switch {
		case m.Reachable:
			there = "answers hello as " + m.Kind
		case m.Error != "":
			there = m.Error
		}
		c := report.Check{Stage: report.StageTCP, Address: m.Address, Status: report.StatusPass,
			Summary: fmt.Sprintf("from here: %s; %s: %s", here[i].why, s.Via(), there)}
		switch {
		case here[i].local != nil:
			// Not tried from here: nothing is known of the path.
			c.Status = report.StatusWarn
			x.addFinding(*here[i].local)
		case m.Reachable && !here[i].ok:
			c.Status = report.StatusWarn
			onlyThere = append(onlyThere, fmt.Sprintf("%s answers through the bastion (%s) as %s, and not from here: %s", m.Address, s.Via(), m.Kind, here[i].why))
		case !m.Reachable:
			c.Status = report.StatusWarn
		}
		x.addCheck(c)
	}
	if len(onlyThere) == 0 {
		what := "every member"
		if v.IsReplicaSet() {
			what = fmt.Sprintf("every member of replica set %q", v.SetName)
		}
		return fmt.Sprintf("%s answers through the bastion and is reachable from here as well (%d of %d, %s)",
			what, topofind.CountReachable(v.Members), len(v.Members), s.Via()), true
	}
	x.addFinding(x.bastionFinding(v, s, onlyThere))
	return "", true
}

// dialFromHere opens a TCP connection to each member from this machine,
// in parallel: directly, or through the connection string's proxy
// reached from here.
func (x *run) dialFromHere(ctx context.Context, members []report.Server) []hereResult {
	ctx, cancel := context.WithTimeout(ctx, min(tunnelHereTimeout, remaining(ctx)))
	defer cancel()
	out := make([]hereResult, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := x.path.here.DialContext(ctx, "tcp", m.Address)
			if err != nil {
				out[i] = hereResult{why: hereReason(err)}
				if f, ok := connfind.LocalFinding(m.Address, err); ok {
					out[i].why, out[i].local = f.Evidence[0], &f
				}
				return
			}
			_ = conn.Close()
			out[i] = hereResult{ok: true, why: "connects"}
		}()
	}
	wg.Wait()
	return out
}

// hereReason says in a few words why a member cannot be reached from
// here.
func hereReason(err error) string {
	if f, _, ok := connfind.PathFinding(err); ok {
		return f.Evidence[0]
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens there"
	case errors.As(err, &dnsErr):
		if _, local := resolve.IsLocal(err); local {
			return "the host name could not be looked up: " + topoDNSReason(err)
		}
		return "the host name does not resolve from this machine (" + topoDNSReason(err) + ")"
	case connfind.IsTimeout(err):
		return "no answer to the TCP connection attempt"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host from this machine"
	}
	return redact.Redact(connfind.UnwrapOp(err).Error())
}

// bastionFinding is topology.advertised-unreachable as tunnel-check --ssh
// sees it: the members answer through the bastion, not from here, and
// the fixes are the two strings that work from here with the ssh
// command of each.
func (x *run) bastionFinding(v *sdam.View, s *netpath.SSH, evidence []string) report.Finding {
	f := catalogue.NewFinding(catalogue.IDTopologyAdvertisedUnreachable, evidence...)
	proxyOpts := []string{"proxyHost", "proxyPort", "proxyUsername", "proxyPassword"}
	var fixes []string
	if m, ok := diagnoseMember(v); ok {
		forward := fmt.Sprintf("-L %d:%s", tunnelLocalPort, m.Address)
		local := net.JoinHostPort("localhost", strconv.Itoa(tunnelLocalPort))
		u, err := connstr.RewriteRedacted(x.t.Raw, connstr.Edit{Hosts: []string{local}, Set: []connstr.Setting{{Key: "directConnection", Value: "true"}},
			Drop: append([]string{"replicaSet"}, proxyOpts...)})
		if err == nil {
			fix := fmt.Sprintf("One member (%s, %s) through a local port forward, with directConnection=true: run `%s` and connect with %s",
				m.Address, sdam.KindPhrase(m.Kind), x.sshCommand(s, forward), u)
			if x.t.TLS {
				fix += " (its certificate names the member, not localhost: the TLS host name check fails unless the certificate also names localhost)"
			}
			fixes = append(fixes, fix)
		}
	}
	forward := fmt.Sprintf("-D %d", tunnelSOCKSPort)
	suggested, err := connstr.RewriteRedacted(x.t.Raw, connstr.Edit{
		Set:  []connstr.Setting{{Key: "proxyHost", Value: "localhost"}, {Key: "proxyPort", Value: strconv.Itoa(tunnelSOCKSPort)}},
		Drop: []string{"proxyUsername", "proxyPassword"},
	})
	if err == nil {
		fixes = append(fixes, fmt.Sprintf("Every member, through ssh's own SOCKS5 proxy, names resolved by the bastion (drivers with proxyHost: Node.js, PyMongo, Java, C#, mongosh, Compass; the Go driver takes a SOCKS5 dialer with SetDialer): run `%s` and connect with %s",
			x.sshCommand(s, forward), suggested))
		f = report.WithSuggestedURI(f, suggested)
	}
	// The catalogue's first fix, a direct connection to a member reachable
	// from here, is what the -L fix does through the bastion: none is.
	f.Fixes = append(fixes, f.Fixes[1:]...)
	return f
}

// sshCommand is the OpenSSH command that opens forward (-L ..., -D ...)
// through the run's bastion, with the login, port, identity and
// known_hosts file this run used.
func (x *run) sshCommand(s *netpath.SSH, forward string) string {
	b := s.Bastion()
	args := []string{"ssh", "-N", forward}
	if b.Port != netpath.DefaultSSHPort {
		args = append(args, "-p", strconv.Itoa(b.Port))
	}
	if id := x.e.SSH.IdentityFile; id != "" {
		args = append(args, "-i", connfind.ShellQuote(id))
	}
	if kh := x.e.SSH.KnownHostsFile; kh != "" {
		args = append(args, "-o", connfind.ShellQuote("UserKnownHostsFile="+kh))
	}
	login := b.Host
	if b.User != "" {
		login = b.User + "@" + b.Host
	}
	return strings.Join(append(args, connfind.ShellQuote(login)), " ")
}
