package connfind

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/report"
)

// PathDownReason is what a stage skipped after a failure of the proxy or
// the bastion says.
func PathDownReason(f report.Finding) string {
	what := "the SOCKS5 proxy"
	if strings.HasPrefix(f.ID, "ssh.") {
		what = "the SSH bastion"
	}
	return fmt.Sprintf("%s cannot be used (%s): nothing was sent around it", what, f.ID)
}

// PathFinding maps err, when a netpath error is in its chain, to its
// finding (netpath's package comment has the table). whole is true for a
// failure of the proxy or the bastion itself, which every member shares:
// its evidence names no member, so that it is reported once.
func PathFinding(err error) (f report.Finding, whole, ok bool) {
	if err == nil {
		return report.Finding{}, false, false
	}
	var (
		unreachable *netpath.ProxyUnreachableError
		handshake   *netpath.ProxyHandshakeError
		proxyAuth   *netpath.ProxyAuthError
		connect     *netpath.ProxyConnectError
		unknownKey  *netpath.SSHHostKeyUnknownError
		mismatch    *netpath.SSHHostKeyMismatchError
		knownHosts  *netpath.KnownHostsError
		sshAuth     *netpath.SSHAuthError
		identity    *netpath.SSHIdentityError
		forward     *netpath.SSHForwardError
		sshDown     *netpath.SSHUnreachableError
		bastion     *netpath.BastionError
		config      *netpath.ConfigError
	)
	switch {
	case errors.As(err, &unreachable):
		return catalogue.NewFinding(catalogue.IDProxyUnreachable, unreachable.Error()), true, true
	case errors.As(err, &handshake):
		return catalogue.NewFinding(catalogue.IDProxyUnreachable, fmt.Sprintf(
			"socks5 proxy %s accepted the TCP connection but did not complete a SOCKS5 handshake: %v", handshake.Proxy, handshake.Err)), true, true
	case errors.As(err, &proxyAuth):
		f = catalogue.NewFinding(catalogue.IDProxyAuthFailed, proxyAuth.Error())
		if proxyAuth.Reason == netpath.ProxyAuthRequired {
			f.Fixes = append([]string{"The proxy asks for a user name and password: add proxyUsername=<user>&proxyPassword=<password> (percent-encoded) to the connection string"}, f.Fixes...)
		}
		return f, true, true
	case errors.As(err, &connect):
		return catalogue.NewFinding(catalogue.IDProxyConnectFailed, connect.Error()), false, true
	case errors.As(err, &unknownKey):
		ev := []string{unknownKey.Error(), "fingerprint of the key the bastion presented: " + unknownKey.Presented.String()}
		if unknownKey.Keyscan != "" {
			ev = append(ev, "to list the bastion's keys and their fingerprints from here, and compare with the administrator's: "+unknownKey.Keyscan+" | ssh-keygen -lf -")
		}
		if unknownKey.Line != "" {
			ev = append(ev, "once the fingerprint is verified, add this line to "+unknownKey.KnownHosts+": "+unknownKey.Line)
		}
		return catalogue.NewFinding(catalogue.IDSSHHostKeyUnknown, ev...), true, true
	case errors.As(err, &mismatch):
		return catalogue.NewFinding(catalogue.IDSSHHostKeyMismatch, mismatch.Error()), true, true
	case errors.As(err, &knownHosts):
		return catalogue.NewFinding(catalogue.IDSSHHostKeyUnknown, knownHosts.Error()+": no host key can be checked"), true, true
	case errors.As(err, &sshAuth):
		return catalogue.NewFinding(catalogue.IDSSHAuthFailed, sshAuth.Error()), true, true
	case errors.As(err, &identity):
		return catalogue.NewFinding(catalogue.IDSSHAuthFailed, identity.Error()), true, true
	case errors.As(err, &forward):
		return catalogue.NewFinding(catalogue.IDSSHForwardRefused, forward.Error()), false, true
	case errors.As(err, &sshDown):
		return catalogue.NewFinding(catalogue.IDSSHUnreachable, sshDown.Error()), true, true
	case errors.As(err, &bastion):
		return catalogue.NewFinding(catalogue.IDSSHUnreachable, bastion.Error()), true, true
	case errors.As(err, &config):
		return catalogue.NewFinding(catalogue.IDSSHUnreachable, config.Error()), true, true
	}
	return report.Finding{}, false, false
}
