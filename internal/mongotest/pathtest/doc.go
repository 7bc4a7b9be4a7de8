// Package pathtest holds the loopback fixtures of the paths between a
// client and a member: a real OpenSSH sshd (the bastion), `ssh -D` against
// it (a real SOCKS5 proxy), a real ssh-agent, a Go SOCKS5 server whose
// authentication and reply codes a test scripts, and an echo server to
// stand for a member.
//
// Member names that resolve only on the far side are the point of these
// fixtures: sshd runs in its own mount namespace with its own /etc/hosts
// (SSHDOptions.Hosts), and the Go SOCKS5 server resolves through a map
// (SOCKS5Options.Hosts), so a test that reaches such a name passed
// through the path. Neither ever resolves a name through this machine's
// resolver, and everything listens on 127.0.0.1 only.
//
// The package does not import FerretDB or the rest of mongotest, so
// packages that use it keep their test binaries small and can hold fuzz
// targets. Fixtures that need OpenSSH skip the test when sshd or ssh is
// not installed; every fixture stops, with its processes and goroutines,
// when the test ends.
//
//	func TestThroughTheBastion(t *testing.T) {
//		member := pathtest.StartEcho(t)
//		sshd := pathtest.StartSSHD(t, pathtest.SSHDOptions{
//			Hosts: map[string]string{"member-0.far.test": "127.0.0.1"},
//		})
//		// dial member-0.far.test:<member port> through sshd.Addr() with
//		// sshd.User, sshd.ClientKey and sshd.KnownHosts ...
//		socks := pathtest.StartSSHSOCKS(t, sshd) // ssh -D
//		_ = socks.Addr()
//	}
package pathtest
