package netpath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"golang.org/x/net/proxy"
)

// DefaultProxyPort is proxyPort when the connection string gives none.
const DefaultProxyPort = 1080

// ProxyConfig is the SOCKS5 proxy of a connection string.
type ProxyConfig struct {
	Host     string // proxyHost
	Port     int    // proxyPort; 0 means DefaultProxyPort
	Username string // proxyUsername
	Password string // proxyPassword: a secret, never printed
}

// Addr is the proxy's HOST:PORT.
func (c ProxyConfig) Addr() string {
	port := c.Port
	if port == 0 {
		port = DefaultProxyPort
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// String describes the proxy without its password.
func (c ProxyConfig) String() string {
	s := "socks5 " + c.Addr()
	if c.Username != "" {
		s += " as " + c.Username
	}
	return s
}

// GoString keeps the password out of %#v too.
func (c ProxyConfig) GoString() string {
	pw := ""
	if c.Password != "" {
		pw = "****"
	}
	return fmt.Sprintf("netpath.ProxyConfig{Host:%q, Port:%d, Username:%q, Password:%q}", c.Host, c.Port, c.Username, pw)
}

// validate applies the rules of the connection-string options.
func (c ProxyConfig) validate() error {
	switch {
	case c.Host == "":
		return &ConfigError{Option: "proxyHost", Reason: "is empty"}
	case c.Port < 0 || c.Port > 65535:
		return &ConfigError{Option: "proxyPort", Reason: strconv.Itoa(c.Port) + " is not a port (0-65535)"}
	case c.Username == "" && c.Password != "":
		return &ConfigError{Option: "proxyPassword", Reason: "needs proxyUsername"}
	case c.Username != "" && c.Password == "":
		return &ConfigError{Option: "proxyUsername", Reason: "needs proxyPassword"}
	case len(c.Username) > 255:
		return &ConfigError{Option: "proxyUsername", Reason: "is longer than the 255 bytes SOCKS5 allows"}
	case len(c.Password) > 255:
		return &ConfigError{Option: "proxyPassword", Reason: "is longer than the 255 bytes SOCKS5 allows"}
	}
	return nil
}

// SOCKS5 dials through a SOCKS5 proxy (RFC 1928, with RFC 1929
// username/password authentication), sending the member's name for the
// proxy to resolve, as drivers do.
type SOCKS5 struct {
	cfg *ProxyConfig // behind a pointer: a struct printed with %v shows an address, not the password

	// Forward opens the TCP connection to the proxy itself. Nil: Direct.
	Forward Dialer
}

// NewSOCKS5 checks cfg and returns its dialer. A bad option is a
// *ConfigError.
func NewSOCKS5(cfg ProxyConfig) (*SOCKS5, error) {
	if h := cfg.Host; len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		cfg.Host = h[1 : len(h)-1] // proxyHost=[::1]
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &SOCKS5{cfg: &cfg}, nil
}

// Config returns the proxy's configuration.
func (s *SOCKS5) Config() ProxyConfig { return *s.cfg }

// String is Via: the dialer never prints its password.
func (s *SOCKS5) String() string { return s.Via() }

// GoString is Via too, for %#v.
func (s *SOCKS5) GoString() string { return s.Via() }

// Via is "via socks5 HOST:PORT".
func (s *SOCKS5) Via() string { return "via socks5 " + s.cfg.Addr() }

// DialContext connects to address through the proxy. The context's
// deadline covers the connection to the proxy and the SOCKS5 handshake;
// the connection returned has no deadline. Failures are
// *ProxyUnreachableError, *ProxyAuthError, *ProxyConnectError and
// *ProxyHandshakeError.
func (s *SOCKS5) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	ctx, cancel := withFallback(ctx)
	defer cancel()
	fwd := &socksForward{next: s.Forward}
	if fwd.next == nil {
		fwd.next = Direct{}
	}
	var auth *proxy.Auth
	if s.cfg.Username != "" {
		auth = &proxy.Auth{User: s.cfg.Username, Password: s.cfg.Password}
	}
	d, err := proxy.SOCKS5("tcp", s.cfg.Addr(), auth, fwd)
	if err != nil {
		return nil, &ProxyHandshakeError{Proxy: s.cfg.Addr(), Target: address, Err: err}
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, &ProxyHandshakeError{Proxy: s.cfg.Addr(), Target: address, Err: errors.ErrUnsupported}
	}
	c, err := cd.DialContext(ctx, network, address)
	if err == nil {
		return c, nil
	}
	return nil, s.classify(ctx, err, fwd, address)
}

// classify turns the library's untyped failure into ours, from what we
// saw: whether the proxy could be dialled, and its replies.
func (s *SOCKS5) classify(ctx context.Context, err error, fwd *socksForward, target string) error {
	if fwd.dialErr != nil {
		return &ProxyUnreachableError{Proxy: s.cfg.Addr(), Err: fwd.dialErr}
	}
	cause := err
	switch {
	case ctx.Err() != nil:
		cause = ctx.Err()
	case isTimeout(err):
		// The connection's only deadline in the handshake is the
		// context's, which the connection saw first.
		cause = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	if fwd.tap == nil {
		return &ProxyHandshakeError{Proxy: s.cfg.Addr(), Target: target, Err: cause}
	}
	offered := s.cfg.Username != ""
	r := parseReplies(fwd.tap.seen(), offered)
	auth := func(reason ProxyAuthFailure) error {
		return &ProxyAuthError{Proxy: s.cfg.Addr(), Username: s.cfg.Username, Reason: reason, Method: r.method}
	}
	switch {
	case r.method < 0:
		return &ProxyHandshakeError{Proxy: s.cfg.Addr(), Target: target, Err: cause}
	case r.method == 0xFF || (r.method == 0x02 && !offered):
		if offered {
			return auth(ProxyAuthNoAcceptableMethod)
		}
		return auth(ProxyAuthRequired)
	case r.method != 0x00 && r.method != 0x02:
		return auth(ProxyAuthNoAcceptableMethod)
	case r.auth > 0:
		return auth(ProxyAuthRejected)
	case r.reply > 0:
		return &ProxyConnectError{Proxy: s.cfg.Addr(), Target: target, Reply: ReplyCode(r.reply)}
	case r.reply < 0 && (r.method == 0x00 || r.auth == 0):
		// Let in, the request sent, and no reply: ssh -D closes the
		// connection so when the far side cannot connect.
		return &ProxyConnectError{Proxy: s.cfg.Addr(), Target: target, Err: cause}
	}
	return &ProxyHandshakeError{Proxy: s.cfg.Addr(), Target: target, Err: cause}
}

// socksForward opens the connection to the proxy for the library,
// remembering a failure to reach it and watching the proxy's replies.
// One value serves one DialContext.
type socksForward struct {
	next    Dialer
	dialErr error
	tap     *replyTap
}

func (f *socksForward) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := f.next.DialContext(ctx, network, address)
	if err != nil {
		f.dialErr = err
		return nil, err
	}
	f.tap = &replyTap{Conn: c}
	return f.tap, nil
}

// Dial is never used (the library prefers DialContext) but completes
// the library's Dialer interface.
func (f *socksForward) Dial(network, address string) (net.Conn, error) {
	ctx, cancel := withFallback(context.Background())
	defer cancel()
	return f.DialContext(ctx, network, address)
}

// replyTap keeps the first bytes the proxy sends: enough for its method
// choice, its authentication status and its reply code. Once they are
// kept it only passes bytes through.
type replyTap struct {
	net.Conn
	buf [8]byte
	n   int
}

func (t *replyTap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if t.n < len(t.buf) && n > 0 {
		t.n += copy(t.buf[t.n:], p[:n])
	}
	return n, err
}

func (t *replyTap) seen() []byte { return t.buf[:t.n] }

// replies is what a proxy answered in a handshake; -1 where it did not
// get that far.
type replies struct {
	method int // the authentication method it chose (0xFF: none acceptable)
	auth   int // the username/password status (0: accepted)
	reply  int // the reply code of the CONNECT (0: succeeded)
}

// parseReplies reads b, the bytes a proxy sent from the start of a
// handshake, knowing whether username/password was offered (only then
// does the client authenticate after the proxy picks it).
func parseReplies(b []byte, offeredAuth bool) replies {
	r := replies{method: -1, auth: -1, reply: -1}
	if len(b) < 2 || b[0] != 0x05 {
		return r
	}
	r.method = int(b[1])
	b = b[2:]
	switch {
	case r.method == 0x02 && offeredAuth:
		if len(b) < 2 {
			return r
		}
		r.auth = int(b[1])
		if r.auth != 0 {
			return r
		}
		b = b[2:]
	case r.method != 0x00:
		return r
	}
	if len(b) >= 2 && b[0] == 0x05 {
		r.reply = int(b[1])
	}
	return r
}

// ReplyCode is a SOCKS5 reply code (RFC 1928, section 6).
type ReplyCode byte

// The reply codes a proxy gives when it cannot connect.
const (
	ReplyGeneralFailure      ReplyCode = 0x01
	ReplyNotAllowed          ReplyCode = 0x02
	ReplyNetworkUnreachable  ReplyCode = 0x03
	ReplyHostUnreachable     ReplyCode = 0x04
	ReplyConnectionRefused   ReplyCode = 0x05
	ReplyTTLExpired          ReplyCode = 0x06
	ReplyCommandNotSupported ReplyCode = 0x07
	ReplyAddressNotSupported ReplyCode = 0x08
)

// String is the code's meaning in words.
func (c ReplyCode) String() string {
	switch c {
	case 0x00:
		return "succeeded"
	case ReplyGeneralFailure:
		return "general failure"
	case ReplyNotAllowed:
		return "connection not allowed by ruleset"
	case ReplyNetworkUnreachable:
		return "network unreachable"
	case ReplyHostUnreachable:
		return "host unreachable"
	case ReplyConnectionRefused:
		return "connection refused"
	case ReplyTTLExpired:
		return "TTL expired"
	case ReplyCommandNotSupported:
		return "command not supported"
	case ReplyAddressNotSupported:
		return "address type not supported"
	}
	return fmt.Sprintf("unassigned reply code 0x%02x", byte(c))
}

// ProxyUnreachableError: the SOCKS5 proxy itself could not be reached.
type ProxyUnreachableError struct {
	Proxy string // HOST:PORT
	Err   error  // the dial's error
}

func (e *ProxyUnreachableError) Error() string {
	return "socks5 proxy " + e.Proxy + " is unreachable: " + e.Err.Error()
}

func (e *ProxyUnreachableError) Unwrap() error { return e.Err }

// ProxyAuthFailure says how authentication with a proxy failed.
type ProxyAuthFailure int

const (
	// ProxyAuthRejected: the proxy refused the username and password.
	ProxyAuthRejected ProxyAuthFailure = iota + 1
	// ProxyAuthRequired: the proxy wants authentication and the
	// connection string gives no proxyUsername and proxyPassword.
	ProxyAuthRequired
	// ProxyAuthNoAcceptableMethod: the proxy accepts neither "no
	// authentication" nor username/password.
	ProxyAuthNoAcceptableMethod
)

func (f ProxyAuthFailure) String() string {
	switch f {
	case ProxyAuthRejected:
		return "the proxy refused the username and password"
	case ProxyAuthRequired:
		return "the proxy requires authentication and the connection string gives no proxyUsername and proxyPassword"
	case ProxyAuthNoAcceptableMethod:
		return "the proxy accepts none of the authentication methods offered (none, username/password)"
	}
	return "authentication failed"
}

// ProxyAuthError: the proxy did not let us in.
type ProxyAuthError struct {
	Proxy    string // HOST:PORT
	Username string // proxyUsername, "" when none was given
	Reason   ProxyAuthFailure
	Method   int // the method the proxy chose (0xFF: no acceptable method)
}

func (e *ProxyAuthError) Error() string {
	s := "socks5 proxy " + e.Proxy + ": " + e.Reason.String()
	if e.Username != "" && e.Reason == ProxyAuthRejected {
		s += " (user " + e.Username + ")"
	}
	return s
}

// ProxyConnectError: the proxy let us in, and could not reach the
// member.
type ProxyConnectError struct {
	Proxy  string    // HOST:PORT
	Target string    // the member's HOST:PORT as sent to the proxy
	Reply  ReplyCode // its reply code; 0 when it gave none
	// Err is set when the proxy gave no reply to the request: it closed
	// the connection (what ssh -D does when the far side cannot connect)
	// or ran out of time (Timeout).
	Err error
}

func (e *ProxyConnectError) Error() string {
	if e.Err != nil {
		how := "closed the connection without a reply (ssh -D does so when the far side cannot connect)"
		if e.Timeout() {
			how = "did not reply in time"
		}
		return fmt.Sprintf("socks5 proxy %s could not connect to %s: it %s: %v", e.Proxy, e.Target, how, e.Err)
	}
	return fmt.Sprintf("socks5 proxy %s could not connect to %s: %s (reply 0x%02x)", e.Proxy, e.Target, e.Reply, byte(e.Reply))
}

func (e *ProxyConnectError) Unwrap() error { return e.Err }

// Timeout reports whether the proxy did not reply in time.
func (e *ProxyConnectError) Timeout() bool { return e.Err != nil && isTimeout(e.Err) }

// ProxyHandshakeError: the proxy accepted the TCP connection but the
// SOCKS5 handshake did not complete: it hung up, timed out, or answered
// something that is not SOCKS5.
type ProxyHandshakeError struct {
	Proxy  string // HOST:PORT
	Target string // the member's HOST:PORT
	Err    error
}

func (e *ProxyHandshakeError) Error() string {
	return "socks5 proxy " + e.Proxy + " broke off the handshake for " + e.Target + ": " + e.Err.Error()
}

func (e *ProxyHandshakeError) Unwrap() error { return e.Err }

// Timeout reports whether the handshake ran out of time.
func (e *ProxyHandshakeError) Timeout() bool { return isTimeout(e.Err) }

// isTimeout reports a context deadline or a net.Error timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
