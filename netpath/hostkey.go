package netpath

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKey is a public key as people compare them.
type HostKey struct {
	Type        string // ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...
	Fingerprint string // SHA256:... as ssh-keygen -l prints it
}

func hostKeyOf(k ssh.PublicKey) HostKey {
	return HostKey{Type: k.Type(), Fingerprint: ssh.FingerprintSHA256(k)}
}

func (k HostKey) String() string { return k.Type + " " + k.Fingerprint }

// KnownHostKey is a key a known_hosts file holds for the bastion.
type KnownHostKey struct {
	HostKey
	File string
	Line int
}

// SSHHostKeyUnknownError: the known_hosts file has no key for the
// bastion. The key it presented is never accepted on trust.
type SSHHostKeyUnknownError struct {
	Bastion    string  // HOST:PORT
	Presented  HostKey // the key the bastion presented
	KnownHosts string  // the file that was checked
	NoFile     bool    // that file does not exist
	// Keyscan is the command that shows the bastion's keys, to compare
	// with a fingerprint obtained from its administrator:
	// ssh-keyscan -p PORT HOST.
	Keyscan string
	// Line is the known_hosts line to add once the key is verified.
	Line string
	// Err is set when the key could not be checked for another reason
	// (a host certificate from an unknown authority).
	Err error
}

func (e *SSHHostKeyUnknownError) Error() string {
	where := "is not in " + e.KnownHosts
	if e.NoFile {
		where = "cannot be checked: " + e.KnownHosts + " does not exist"
	}
	s := "ssh bastion " + e.Bastion + ": host key " + e.Presented.String() + " " + where
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

func (e *SSHHostKeyUnknownError) Unwrap() error { return e.Err }

// SSHHostKeyMismatchError: the bastion presented a key other than the
// one known_hosts holds for it (or a revoked one). The connection was
// not used.
type SSHHostKeyMismatchError struct {
	Bastion   string         // HOST:PORT
	Presented HostKey        // the key the bastion presented
	Known     []KnownHostKey // what known_hosts holds for it, with file and line
	Revoked   bool           // the presented key is marked @revoked
}

func (e *SSHHostKeyMismatchError) Error() string {
	if e.Revoked && len(e.Known) > 0 {
		return fmt.Sprintf("ssh bastion %s presented host key %s, which %s:%d marks as revoked",
			e.Bastion, e.Presented, e.Known[0].File, e.Known[0].Line)
	}
	known := make([]string, len(e.Known))
	for i, k := range e.Known {
		known[i] = fmt.Sprintf("%s (%s:%d)", k.HostKey, k.File, k.Line)
	}
	return "ssh bastion " + e.Bastion + " presented host key " + e.Presented.String() +
		", not the known one: " + strings.Join(known, ", ")
}

// KnownHostsError: the known_hosts file exists and cannot be read or
// parsed, so no host key can be checked.
type KnownHostsError struct {
	File string
	Err  error
}

func (e *KnownHostsError) Error() string { return "known_hosts " + e.File + ": " + e.Err.Error() }

func (e *KnownHostsError) Unwrap() error { return e.Err }

// hostKeyCheck checks the bastion's key strictly against one
// known_hosts file and keeps what it found.
type hostKeyCheck struct {
	bastion Bastion
	file    string
	noFile  bool
	db      ssh.HostKeyCallback // nil when the file does not exist

	// Filled by callback, which the library calls from its own
	// goroutine; read with result.
	mu      sync.Mutex
	checked bool    // the bastion presented a key
	err     error   // the typed refusal, if any
	key     HostKey // the key presented
}

// result is what callback found: the key presented, whether one was,
// and the refusal if any.
func (h *hostKeyCheck) result() (HostKey, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.key, h.checked, h.err
}

// newHostKeyCheck reads file; a missing file knows no host.
func newHostKeyCheck(b Bastion, file string) (*hostKeyCheck, error) {
	h := &hostKeyCheck{bastion: b, file: file}
	db, err := knownhosts.New(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		h.noFile = true
	case err != nil:
		return nil, &KnownHostsError{File: file, Err: err}
	default:
		h.db = db
	}
	return h, nil
}

// callback is the ssh.HostKeyCallback.
func (h *hostKeyCheck) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checked, h.key = true, hostKeyOf(key)
	var err error
	if h.db == nil {
		err = &knownhosts.KeyError{}
	} else {
		err = h.db(hostname, remote, key)
	}
	if err == nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	switch {
	case errors.As(err, &revoked):
		h.err = &SSHHostKeyMismatchError{Bastion: h.bastion.Addr(), Presented: h.key, Revoked: true,
			Known: []KnownHostKey{knownKey(revoked.Revoked)}}
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		m := &SSHHostKeyMismatchError{Bastion: h.bastion.Addr(), Presented: h.key}
		for _, w := range keyErr.Want {
			m.Known = append(m.Known, knownKey(w))
		}
		h.err = m
	default:
		u := &SSHHostKeyUnknownError{
			Bastion: h.bastion.Addr(), Presented: h.key, KnownHosts: h.file, NoFile: h.noFile,
			Keyscan: "ssh-keyscan -p " + strconv.Itoa(h.bastion.Port) + " " + h.bastion.Host,
			Line:    knownhosts.Line([]string{h.bastion.Addr()}, key),
		}
		if keyErr == nil {
			u.Err = err
		}
		h.err = u
	}
	return h.err
}

func knownKey(k knownhosts.KnownKey) KnownHostKey {
	return KnownHostKey{HostKey: hostKeyOf(k.Key), File: k.Filename, Line: k.Line}
}

// algorithms lists the host key algorithms to ask for: those of the keys
// known_hosts holds for the bastion first, so that a bastion with
// several host keys presents the one we can check, then every other.
// Nil when no key is known (the library's default order).
func (h *hostKeyCheck) algorithms(remote net.Addr) []string {
	if h.db == nil {
		return nil
	}
	// A key nobody holds: the check fails and lists the known keys.
	probe, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if !errors.As(h.db(h.bastion.Addr(), remote, probe), &keyErr) || len(keyErr.Want) == 0 {
		return nil
	}
	var first []string
	for _, w := range keyErr.Want {
		t := w.Key.Type()
		if t == ssh.KeyAlgoRSA {
			first = append(first, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		} else {
			first = append(first, t)
		}
	}
	supported := ssh.SupportedAlgorithms().HostKeys
	var out []string
	for _, a := range append(first, supported...) {
		if slices.Contains(supported, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
