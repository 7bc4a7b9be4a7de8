package netpath

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHConfig names the bastion and how to log in to it.
type SSHConfig struct {
	// Bastion is --ssh: [USER@]HOST[:PORT].
	Bastion string

	// IdentityFile is --ssh-identity, a private key file. Empty: the
	// ssh-agent's keys (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa
	// and id_rsa. A passphrase-protected file is used only through the
	// agent: there is never a prompt.
	IdentityFile string

	// KnownHostsFile is --ssh-known-hosts. Empty: ~/.ssh/known_hosts.
	// The check is strict: an unknown or changed host key is refused.
	KnownHostsFile string

	// User is the login name when Bastion names none. Empty: the name of
	// the user running the tool.
	User string

	// HomeDir is where ~/.ssh is. Empty: the running user's home.
	HomeDir string

	// Getenv reads SSH_AUTH_SOCK. Nil: os.Getenv.
	Getenv func(string) string

	// Dialer opens the TCP connection to the bastion. Nil: Direct.
	Dialer Dialer
}

// SSH is one SSH connection to a bastion. Each DialContext opens a
// direct-tcpip channel in it: the bastion resolves the member's name and
// connects. Close it when done.
type SSH struct {
	bastion Bastion
	user    string
	hostKey HostKey
	client  *ssh.Client

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // DialContext's and the connections' goroutines
	once   sync.Once
	err    error
}

// DialSSH connects and logs in to the bastion of cfg, checking its host
// key against known_hosts first. The context bounds the whole
// handshake. Failures: *BastionError, *ConfigError, *KnownHostsError,
// *SSHIdentityError before any network traffic; then
// *SSHUnreachableError, *SSHHostKeyUnknownError,
// *SSHHostKeyMismatchError, *SSHAuthError.
func DialSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	b, err := ParseBastion(cfg.Bastion)
	if err != nil {
		return nil, err
	}
	login := b.User
	if login == "" {
		login = cfg.User
	}
	if login == "" {
		u, err := user.Current()
		if err != nil {
			return nil, &ConfigError{Option: "--ssh", Reason: "no USER@ and the current user is unknown: " + err.Error()}
		}
		login = u.Username
	}
	home := cfg.HomeDir
	if home == "" && (cfg.KnownHostsFile == "" || cfg.IdentityFile == "") {
		if home, err = os.UserHomeDir(); err != nil {
			return nil, &ConfigError{Option: "--ssh-known-hosts", Reason: "no home directory to find ~/.ssh in: " + err.Error()}
		}
	}
	knownHosts := cfg.KnownHostsFile
	if knownHosts == "" {
		knownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	check, err := newHostKeyCheck(b, knownHosts)
	if err != nil {
		return nil, err
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}

	ctx, cancel := withFallback(ctx)
	defer cancel()
	ids, err := loadIdentities(ctx, cfg.IdentityFile, home, getenv("SSH_AUTH_SOCK"))
	if err != nil {
		return nil, err
	}
	defer ids.close()

	d := cfg.Dialer
	if d == nil {
		d = Direct{}
	}
	raw, err := d.DialContext(ctx, "tcp", b.Addr())
	if err != nil {
		return nil, &SSHUnreachableError{Bastion: b.Addr(), Err: err}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	// A cancelled context ends the handshake at once.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })

	offered := false
	config := &ssh.ClientConfig{
		User: login,
		Auth: []ssh.AuthMethod{ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			offered = true
			return ids.signers, nil
		})},
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms(raw.RemoteAddr()),
	}
	c, chans, reqs, err := ssh.NewClientConn(raw, b.Addr(), config)
	stopped := stop()
	key, checked, refused := check.result()
	if err != nil {
		_ = raw.Close()
		switch {
		case refused != nil:
			return nil, refused
		case !checked || transportFailure(err) || ctx.Err() != nil || !stopped:
			cause := err
			if ctx.Err() != nil {
				cause = ctx.Err()
			}
			return nil, &SSHUnreachableError{Bastion: b.Addr(), Handshake: true, Err: cause}
		}
		return nil, &SSHAuthError{Bastion: b.Addr(), User: login, Tried: append(ids.names, ids.notes...),
			PublickeyAccepted: offered, Err: err}
	}
	if !stopped {
		// The context ended as the handshake did: its deadline is
		// already set in the past.
		_ = c.Close()
		return nil, &SSHUnreachableError{Bastion: b.Addr(), Handshake: true, Err: ctx.Err()}
	}
	_ = raw.SetDeadline(time.Time{})
	return &SSH{bastion: b, user: login, hostKey: key, client: ssh.NewClient(c, chans, reqs)}, nil
}

// Bastion is the bastion connected to, with the login name used.
func (s *SSH) Bastion() Bastion {
	b := s.bastion
	b.User = s.user
	return b
}

// HostKey is the bastion's host key, as checked against known_hosts.
func (s *SSH) HostKey() HostKey { return s.hostKey }

// Via is "via ssh HOST:PORT".
func (s *SSH) Via() string { return "via ssh " + s.bastion.Addr() }

// DialContext opens a direct-tcpip channel to address: the bastion
// resolves the name and connects. The connection returned supports
// deadlines. Failures: *SSHForwardError when the bastion refuses or
// cannot connect, *SSHUnreachableError when the SSH connection is gone,
// a context error when the bastion does not answer in time.
func (s *SSH) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(address); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	ctx, cancel := withFallback(ctx)
	defer cancel()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: pathAddr(address), Err: net.ErrClosed}
	}
	s.wg.Add(1)
	s.mu.Unlock()

	type result struct {
		c   net.Conn
		err error
	}
	results, abandoned := make(chan result), make(chan struct{})
	go func() {
		defer s.wg.Done()
		c, err := s.client.Dial(network, address)
		select {
		case results <- result{c, err}:
		case <-abandoned:
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	var r result
	select {
	case r = <-results:
	case <-ctx.Done():
		close(abandoned)
		return nil, &net.OpError{Op: "dial", Net: network, Addr: pathAddr(address), Err: ctx.Err()}
	}
	var open *ssh.OpenChannelError
	switch {
	case errors.As(r.err, &open):
		return nil, &SSHForwardError{Bastion: s.bastion.Addr(), Target: address,
			Reason: ForwardFailure(open.Reason), Message: open.Message}
	case r.err != nil:
		return nil, &SSHUnreachableError{Bastion: s.bastion.Addr(), Lost: true, Err: r.err}
	}
	return s.pipe(r.c, address)
}

// pipe puts a channel behind one end of a net.Pipe: SSH channels have
// no deadlines, and the driver and the probes need them.
func (s *SSH) pipe(ch net.Conn, address string) (net.Conn, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ch.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: pathAddr(address), Err: net.ErrClosed}
	}
	s.wg.Add(2)
	s.mu.Unlock()
	near, far := net.Pipe()
	done := func() {
		_ = ch.Close()
		_ = far.Close()
		s.wg.Done()
	}
	go func() {
		defer done()
		_, _ = io.Copy(ch, far)
	}()
	go func() {
		defer done()
		_, _ = io.Copy(far, ch)
	}()
	return &channelConn{Conn: near, remote: pathAddr(address)}, nil
}

// Close ends the SSH connection and every connection through it, and
// waits for their goroutines.
func (s *SSH) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.err = s.client.Close()
		_ = s.client.Wait()
		if errors.Is(s.err, net.ErrClosed) {
			s.err = nil
		}
	})
	s.wg.Wait()
	return s.err
}

// channelConn is the caller's end of a channel's pipe.
type channelConn struct {
	net.Conn
	remote net.Addr
}

func (c *channelConn) RemoteAddr() net.Addr { return c.remote }

// pathAddr is a member's address as the far side sees it: a name it
// resolves, not an address of this machine.
type pathAddr string

func (a pathAddr) Network() string { return "tcp" }
func (a pathAddr) String() string  { return string(a) }

// transportFailure reports an error of the connection itself (closed,
// reset, out of time) rather than the bastion's answer: once the host
// key is accepted, any other failure of the handshake is a refused
// login (including OpenSSH's "too many authentication failures").
func transportFailure(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// SSHUnreachableError: the bastion could not be reached, did not
// complete an SSH handshake, or the SSH connection was lost.
type SSHUnreachableError struct {
	Bastion   string // HOST:PORT
	Handshake bool   // TCP connected; the SSH handshake failed
	Lost      bool   // the SSH connection had been up and is gone
	Err       error
}

func (e *SSHUnreachableError) Error() string {
	switch {
	case e.Lost:
		return "ssh bastion " + e.Bastion + ": the connection was lost: " + e.Err.Error()
	case e.Handshake:
		return "ssh bastion " + e.Bastion + " accepted TCP but the SSH handshake failed: " + e.Err.Error()
	}
	return "ssh bastion " + e.Bastion + " is unreachable: " + e.Err.Error()
}

func (e *SSHUnreachableError) Unwrap() error { return e.Err }

// Timeout reports whether the bastion did not answer in time.
func (e *SSHUnreachableError) Timeout() bool { return isTimeout(e.Err) }

// SSHAuthError: the bastion refused to log us in.
type SSHAuthError struct {
	Bastion string // HOST:PORT
	User    string // the login name
	// Tried names each key offered (its origin, type and fingerprint),
	// and the keys that could not be offered; never key material.
	Tried []string
	// PublickeyAccepted is false when the bastion does not accept public
	// key authentication at all.
	PublickeyAccepted bool
	Err               error
}

func (e *SSHAuthError) Error() string {
	s := "ssh bastion " + e.Bastion + " refused to log in " + e.User
	if !e.PublickeyAccepted {
		return s + ": it does not accept public keys"
	}
	return s + " with " + strings.Join(e.Tried, ", ")
}

func (e *SSHAuthError) Unwrap() error { return e.Err }

// ForwardFailure is the reason a bastion gives for refusing a channel
// (RFC 4254, section 5.1).
type ForwardFailure uint32

// The reasons.
const (
	ForwardProhibited         ForwardFailure = ForwardFailure(ssh.Prohibited)
	ForwardConnectFailed      ForwardFailure = ForwardFailure(ssh.ConnectionFailed)
	ForwardUnknownChannelType ForwardFailure = ForwardFailure(ssh.UnknownChannelType)
	ForwardResourceShortage   ForwardFailure = ForwardFailure(ssh.ResourceShortage)
)

func (f ForwardFailure) String() string {
	switch f {
	case ForwardProhibited:
		return "administratively prohibited"
	case ForwardConnectFailed:
		return "connect failed"
	case ForwardUnknownChannelType:
		return "unknown channel type"
	case ForwardResourceShortage:
		return "resource shortage"
	}
	return "reason " + ssh.RejectionReason(f).String()
}

// SSHForwardError: the bastion refused to forward to the member, or
// could not connect to it.
type SSHForwardError struct {
	Bastion string // HOST:PORT
	Target  string // the member's HOST:PORT as sent to the bastion
	Reason  ForwardFailure
	Message string // the bastion's own words
}

func (e *SSHForwardError) Error() string {
	s := "ssh bastion " + e.Bastion + " did not forward to " + e.Target + ": " + e.Reason.String()
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	return s
}
