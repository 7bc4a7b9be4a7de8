// Package mongotest holds loopback fixtures for mongoconn's tests: a
// scriptable fake mongod, fake replica sets, a DNS server, TLS
// certificates, a TCP forwarder and the odd listeners. Every fixture
// listens on 127.0.0.1 only and stops when the test ends.
//
// FakeMongod is a real TCP server on 127.0.0.1:0 that speaks OP_MSG and
// the legacy OP_QUERY/OP_REPLY (isMaster on admin.$cmd). It answers hello,
// isMaster, buildInfo, ping, saslStart/saslContinue (SCRAM-SHA-1 and
// SCRAM-SHA-256 through github.com/xdg-go/scram) and endSessions; every
// other command gets code 59, "no such command". Its hello document, reply
// delay, Stable API behaviour and hostile Mode can change while it runs,
// and it counts the requests it receives per command.
//
// ReplSet starts several fake members whose hello replies agree, can make
// them advertise names this machine cannot resolve, and scripts elections
// by events (after the Nth hello the members answer), never by the clock.
// HelloVariants, FlappingHello, ManyMembersHello and DuplicateMembersHello
// are hello replies no MongoDB sends; Blackhole, StartTLSStall and
// StartTLSReset are peers that hang or drop a connection mid-way.
// Forwarder plays ssh -L or kubectl port-forward. ClosedPort and
// SilentListener are addresses that refuse or never answer.
//
//	func TestSomething(t *testing.T) {
//		m := mongotest.StartFakeMongod(t, mongotest.Options{Version: "6.0.14"})
//		// ... point the code under test at m.URI() ...
//		if n := m.Count("buildInfo"); n != 1 {
//			t.Errorf("buildInfo sent %d times", n)
//		}
//
//		rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{
//			Name:      "rs0",
//			Members:   3,
//			Advertise: mongotest.InternalHostNames(3), // mongo-0.internal:27017 ...
//		})
//		fwd := mongotest.StartForwarder(t, rs.Addrs()[0]) // the SSH tunnel
//		_ = fwd.Addr()
//		rs.StepDown()
//		rs.On(mongotest.AfterHellos(3), func() { _ = rs.Elect(1) })
//	}
//
// Every fixture registers its Close with t.Cleanup, listens on loopback
// only, and leaves no goroutine behind once closed.
//
// A real wire-protocol server, an embedded FerretDB, is in the subpackage
// ferret, which only the tests that need one import: its dependencies are
// most of what a test binary linking it compiles, and a package with a
// fuzz target must not import it. The paths to a member (a real sshd as
// the bastion, ssh -D, ssh-agent, a scriptable SOCKS5 proxy) are in the
// subpackage pathtest. Neither this package nor pathtest imports FerretDB.
package mongotest
