package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/cmd"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// The interrupt suite (issue 9): SIGINT while a command waits in each
// stage (a DNS server that never answers, a SYN nobody answers, a TLS
// handshake cut off mid-way, a silent hello, a silent authentication, the
// failover stage's second look, a silent ping, the pause between two
// ping --wait attempts). The command must exit 130 within
// interruptMargin, print a report that says it was interrupted and is not
// ok, and name nothing it did not observe: an interrupt is no verdict on
// the peer.

const (
	// interruptTimeout is the --timeout of the interrupted commands: long
	// enough that only the signal can end them.
	interruptTimeout = 60 * time.Second

	// stagePoll is how often the test looks at a fixture's counters to
	// learn that the command reached its stage: short, so that the
	// signal comes while the command is still there.
	stagePoll = 2 * time.Millisecond
)

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// liveChild is a mongoconn process the test steers while it runs.
type liveChild struct {
	p           *exec.Cmd
	out, errOut syncBuffer
	started     time.Time
	done        chan error
}

// start runs the command with args without waiting for it.
func (c *mongoconnChild) start(args []string) (*liveChild, error) {
	l := &liveChild{done: make(chan error, 1)}
	l.p = exec.Command(c.bin, args...)
	l.p.Env = append(append(os.Environ(), "MONGODB_URI=", "NO_COLOR=1"), c.env...)
	l.p.Stdout, l.p.Stderr = &l.out, &l.errOut
	l.started = time.Now()
	if err := l.p.Start(); err != nil {
		return nil, err
	}
	go func() { l.done <- l.p.Wait() }()
	return l, nil
}

// kill ends the process for good (cleanup of a failed case).
func (l *liveChild) kill() {
	_ = l.p.Process.Kill()
	<-l.done
}

// waitFor polls ready until it holds or guard passes; false when the
// process ended or guard passed first.
func (l *liveChild) waitFor(ready func() bool, guard time.Duration) bool {
	for deadline := time.Now().Add(guard); !ready(); time.Sleep(stagePoll) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case err := <-l.done:
			l.done <- err
			return false
		default:
		}
	}
	return true
}

// interrupt sends SIGINT and waits for the exit; it returns the run and
// how long the process took after the signal.
func (l *liveChild) interrupt(guard time.Duration) (childResult, time.Duration, error) {
	sent := time.Now()
	if err := l.p.Process.Signal(syscall.SIGINT); err != nil {
		return childResult{}, 0, err
	}
	select {
	case err := <-l.done:
		took := time.Since(sent)
		res := childResult{stdout: l.out.Bytes(), stderr: l.errOut.Bytes(), elapsed: time.Since(l.started)}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			res.code = ee.ExitCode()
		default:
			return res, took, err
		}
		return res, took, nil
	case <-time.After(guard):
		_ = l.p.Process.Signal(syscall.SIGQUIT)
		select {
		case <-l.done:
		case <-time.After(stackDumpWait):
			l.kill()
		}
		return childResult{stdout: l.out.Bytes(), stderr: l.errOut.Bytes()}, guard,
			fmt.Errorf("still running %s after SIGINT: hung; blocked in:\n%s", guard, stackSummary(l.errOut.Bytes()))
	}
}

// stageCase is a stage to interrupt and how to tell a command is in it.
type stageCase struct {
	stage  string
	uri    string
	global []string
	lines  []commandLine
	// mark reads the fixture's count of what a command does in the stage
	// (questions asked, handshakes begun, requests sent), or says it is
	// there (for a count that is not cumulative, such as SYNs in flight).
	mark func() int
	// inStage says, from the count before the start and now, whether the
	// command is in the stage (nil: the count grew).
	inStage func(before, now int) bool
	// stderr, when set, says the command is in the stage instead of mark.
	stderr string
	// forbidden are finding ids the interrupt may not produce.
	forbidden []string
}

// interruptStages starts the fixture of every stage.
func interruptStages(t *testing.T) []stageCase {
	lines := networkCommandLines(interruptTimeout)
	pick := func(names ...string) []commandLine {
		var out []commandLine
		for _, l := range lines {
			for _, n := range names {
				if l.name == n {
					out = append(out, l)
				}
			}
		}
		return out
	}
	dnsOK := mongotest.StartDNS(t)
	dnsFlag := []string{"--dns-server", dnsOK.Addr}
	var cases []stageCase

	deaf := mongotest.StartDNS(t)
	deaf.SetUnresponsive(true)
	cases = append(cases, stageCase{
		stage: "dns", uri: "mongodb+srv://cluster0.quiet.test/", global: []string{"--dns-server", deaf.Addr}, lines: lines,
		mark:      func() int { return len(deaf.Queries()) },
		forbidden: []string{catalogue.IDDNSNoSuchHost, catalogue.IDSRVNoRecords},
	})

	bh := mongotest.StartBlackhole(t)
	cases = append(cases, stageCase{
		stage: "tcp", uri: "mongodb://" + bh.Addr() + "/", global: dnsFlag, lines: lines,
		mark:      bh.Dialing,
		inStage:   func(_, now int) bool { return now > 0 },
		forbidden: []string{catalogue.IDTCPTimeout, catalogue.IDServerNotResponding},
	})

	certs := mongotest.NewCerts(t)
	stall := mongotest.StartTLSStall(t)
	cases = append(cases, stageCase{
		stage: "tls", uri: "mongodb://" + stall.Addr() + "/?tls=true&tlsCAFile=" + certs.CAFile, global: dnsFlag, lines: lines,
		mark: stall.ClientHellos,
		forbidden: []string{catalogue.IDTLSUnknownAuthority, catalogue.IDTLSHostnameMismatch, catalogue.IDTLSExpired,
			catalogue.IDTLSServerNotTLS, catalogue.IDTLSServerRequiresTLS, catalogue.IDServerNotResponding},
	})

	silent := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeSilent})
	cases = append(cases, stageCase{
		stage: "hello", uri: silent.URI(), global: dnsFlag, lines: lines,
		mark:      func() int { return silent.Count("hello", "isMaster", "ismaster") },
		forbidden: []string{catalogue.IDServerNotResponding, catalogue.IDServerNotMongoDB},
	})

	const user, password = "alice", "interrupt-test-password"
	hangAuth := mongotest.StartFakeMongod(t, mongotest.Options{
		Users:          []mongotest.User{{Name: user, Password: password}},
		SilentCommands: []string{"saslStart", "saslContinue"},
	})
	cases = append(cases, stageCase{
		stage: "auth", uri: "mongodb://" + user + ":" + password + "@" + hangAuth.Addr() + "/", global: dnsFlag,
		lines:     pick("ping", "ping--primary", "diagnose"),
		mark:      func() int { return hangAuth.Count("saslStart", "saslContinue") },
		forbidden: []string{catalogue.IDAuthFailed, catalogue.IDServerNotResponding},
	})

	rs := mongotest.StartReplSet(t, mongotest.ReplSetOptions{NoPrimary: true})
	cases = append(cases, stageCase{
		stage: "topology", uri: rs.URI(), global: dnsFlag,
		lines: pick("diagnose"),
		// Discovery has asked every member hello and buildInfo: diagnose
		// is in the failover stage's pause before its second look. That
		// the set has no primary was observed; only the look was cut.
		mark:    func() int { return rs.Answered("buildInfo") },
		inStage: func(before, now int) bool { return now-before >= rs.Len() },
	})

	hangPing := mongotest.StartFakeMongod(t, mongotest.Options{SilentCommands: []string{"ping"}})
	cases = append(cases, stageCase{
		stage: "ping", uri: hangPing.URI(), global: dnsFlag,
		lines:     pick("ping", "ping--primary", "diagnose"),
		mark:      func() int { return hangPing.Count("ping") },
		forbidden: []string{catalogue.IDSelectTimeout, catalogue.IDServerNotResponding},
	})

	// The crowded topologies of issue 9, whose Ctrl-C took over a minute:
	// interrupted once the primary listing 5,000 members has answered a
	// hello, and once a silent seed among 1,000 has been connected to.
	members := mongotest.UnusedAddrs(mongotest.BlockMembers, manyMembers, 27017)
	crowded := mongotest.StartFakeMongod(t, mongotest.Options{Hello: func() bson.D { return mongotest.ManyMembersHello(members) }})
	cases = append(cases, stageCase{
		stage: "5000-members", uri: crowded.URI() + "?replicaSet=" + mongotest.HostileSetName, global: dnsFlag, lines: lines,
		mark: func() int { return crowded.Count("hello", "isMaster", "ismaster") },
	})
	seeds := mongotest.UnusedAddrs(mongotest.BlockSeeds, manySeeds, 27017)
	var quiet []*mongotest.Silent
	for i := 0; i < manySeeds; i += silentSeedEvery {
		l, err := mongotest.NewSilentListener()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		quiet = append(quiet, l)
		seeds[i+silentSeedEvery/2] = l.Addr()
	}
	cases = append(cases, stageCase{
		stage: "1000-seeds", uri: "mongodb://" + strings.Join(seeds, ",") + "/", global: dnsFlag, lines: lines,
		mark: func() int {
			n := 0
			for _, l := range quiet {
				n += l.Connections()
			}
			return n
		},
	})

	cases = append(cases, stageCase{
		stage: "wait-backoff", uri: "mongodb://" + mongotest.ClosedPort(t) + "/", global: dnsFlag,
		lines:  pick("ping--wait"),
		stderr: "attempt 1 ",
	})
	return cases
}

// TestInterruptEveryStage sends SIGINT to each command in each stage, one
// case at a time (each case learns from the fixture's counts that its own
// process reached the stage), and judges how it ended.
func TestInterruptEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs some forty processes one after the other")
	}
	child := newPlainChild(t, false)
	stages := interruptStages(t)
	var versions []childRun
	for range overheadSamples {
		res, err := child.exec(versionSpec(), t.TempDir())
		versions = append(versions, childRun{childResult: res, err: err})
	}
	overhead := processOverhead(t, versions)
	t.Logf("process overhead on this machine now: %s", overhead.Round(time.Millisecond))
	for _, sc := range stages {
		for _, cl := range sc.lines {
			t.Run(sc.stage+"/"+cl.name, func(t *testing.T) {
				before := 0
				if sc.mark != nil {
					before = settledMark(sc.mark)
				}
				l, err := child.start(cl.args("json", interruptTimeout, sc.global, sc.uri))
				if err != nil {
					t.Fatal(err)
				}
				ready := func() bool {
					if sc.stderr != "" {
						return strings.Contains(string(l.errOut.Bytes()), sc.stderr)
					}
					now := sc.mark()
					if sc.inStage != nil {
						return sc.inStage(before, now)
					}
					return now > before
				}
				if !l.waitFor(ready, hangGuard) {
					l.kill()
					t.Fatalf("the command never reached the %s stage\nstdout:\n%s\nstderr:\n%s", sc.stage, clip(l.out.Bytes()), clip(l.errOut.Bytes()))
				}
				res, took, err := l.interrupt(hangGuard)
				if err != nil {
					t.Fatalf("SLOW INTERRUPT: %v\nstdout:\n%s\nstderr:\n%s", err, clip(res.stdout), clip(res.stderr))
				}
				res.checkNoCrash(t)
				checkNoControlBytes(t, res)
				if limit := interruptMargin + overheadFactor*overhead; took > limit {
					t.Errorf("SLOW INTERRUPT: exited %s after SIGINT, past %s + %d x %s process overhead", took.Round(time.Millisecond), interruptMargin, overheadFactor, overhead.Round(time.Millisecond))
				}
				if res.code != cmd.ExitInterrupted {
					t.Errorf("exit code %d after SIGINT, want %d", res.code, cmd.ExitInterrupted)
				}
				var r report.Report
				if err := json.Unmarshal(res.stdout, &r); err != nil {
					t.Fatalf("stdout is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, clip(res.stdout), clip(res.stderr))
				}
				assertReportProperty(t, ranAs{Command: cl.command, Primary: cl.primary, Interrupted: true, ExitCode: res.code}, &r)
				for _, id := range sc.forbidden {
					if r.HasFinding(id) {
						t.Errorf("WRONG FINDING: the interrupt in the %s stage is reported as %s (verdict %q)", sc.stage, id, r.Verdict)
					}
				}
			})
		}
	}
}

// markSettle is how long a fixture's mark must stay the same before a
// case counts from it: a request the previous case's process sent just
// before its interrupt may reach the server after that process ended,
// and would otherwise look like the next process reaching the stage
// before it has even set up its signal handling.
const markSettle = 50 * time.Millisecond

// settledMark is mark once it has not moved for markSettle (or after
// hangGuard, whatever it is then).
func settledMark(mark func() int) int {
	n := mark()
	for deadline := time.Now().Add(hangGuard); time.Now().Before(deadline); {
		time.Sleep(markSettle)
		m := mark()
		if m == n {
			return m
		}
		n = m
	}
	return n
}
