package netpath

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// maxKeyFile bounds the size of a private key file read: the largest
// OpenSSH keys (RSA 16384 bits) are far smaller.
const maxKeyFile = 64 << 10

// SSHIdentityError: there is no key to offer the bastion. The tool never
// asks for a passphrase: a passphrase-protected key must be in the
// ssh-agent.
type SSHIdentityError struct {
	// Path is --ssh-identity, "" when none was given.
	Path string
	// Encrypted is true when the key at Path (or, without Path, every
	// key found in ~/.ssh) is passphrase-protected and no ssh-agent
	// holds it.
	Encrypted bool
	// Looked lists what was tried, in order, with why each gave no key.
	Looked []string
	// Err is the reason Path could not be used, when it is not Encrypted.
	Err error
}

func (e *SSHIdentityError) Error() string {
	switch {
	case e.Path != "" && e.Encrypted:
		return "ssh identity " + e.Path + " is passphrase-protected and no ssh-agent holds it: add it with ssh-add (SSH_AUTH_SOCK), or use a key without a passphrase"
	case e.Path != "":
		return "ssh identity " + e.Path + ": " + e.Err.Error()
	}
	s := "no ssh identity to offer: no --ssh-identity, no key in an ssh-agent (SSH_AUTH_SOCK), no usable key in ~/.ssh"
	if len(e.Looked) > 0 {
		s += " (" + strings.Join(e.Looked, "; ") + ")"
	}
	return s
}

func (e *SSHIdentityError) Unwrap() error { return e.Err }

// identities are the keys offered to the bastion, in order, with the
// words that name each in an SSHAuthError.
type identities struct {
	signers []ssh.Signer
	names   []string
	notes   []string // keys that could not be offered, and why
	agent   net.Conn // the ssh-agent's connection, closed after the handshake
}

func (ids *identities) add(s ssh.Signer, name string) {
	pub := s.PublicKey().Marshal()
	for _, have := range ids.signers {
		if bytes.Equal(have.PublicKey().Marshal(), pub) {
			return
		}
	}
	ids.signers = append(ids.signers, s)
	ids.names = append(ids.names, name+" ("+hostKeyOf(s.PublicKey()).String()+")")
}

func (ids *identities) close() {
	if ids.agent != nil {
		_ = ids.agent.Close()
	}
}

// loadIdentities gathers the keys to offer: --ssh-identity first (a
// passphrase-protected one only through the agent), then the agent's
// keys; without --ssh-identity, the agent's keys then ~/.ssh/id_*.
func loadIdentities(ctx context.Context, path, home, agentSock string) (*identities, error) {
	ids := &identities{}
	agentKeys, agentNote := ids.openAgent(ctx, agentSock)
	inAgent := func(pub ssh.PublicKey) bool {
		for _, s := range agentKeys {
			if pub != nil && bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
				return true
			}
		}
		return false
	}
	if path != "" {
		s, pub, err := readIdentity(path)
		var locked *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &locked) && len(agentKeys) > 0:
			// The agent may hold it: offer the agent's copy first.
			for _, a := range agentKeys {
				if pub != nil && bytes.Equal(a.PublicKey().Marshal(), pub.Marshal()) {
					ids.add(a, "identity file "+path+" through the ssh-agent")
				}
			}
			if !inAgent(pub) {
				ids.notes = append(ids.notes, "identity file "+path+": passphrase-protected and not in the ssh-agent")
			}
		case errors.As(err, &locked):
			ids.close()
			return nil, &SSHIdentityError{Path: path, Encrypted: true, Looked: []string{agentNote}}
		case err != nil:
			ids.close()
			return nil, &SSHIdentityError{Path: path, Err: err}
		default:
			ids.add(s, "identity file "+path)
		}
		for _, a := range agentKeys {
			ids.add(a, "ssh-agent key")
		}
		return ids, nil
	}
	for _, a := range agentKeys {
		ids.add(a, "ssh-agent key")
	}
	looked := []string{agentNote}
	encrypted := 0
	// The files of ~/.ssh, in OpenSSH's order.
	for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		p := filepath.Join(home, ".ssh", name)
		s, pub, err := readIdentity(p)
		var locked *ssh.PassphraseMissingError
		switch {
		case errors.Is(err, os.ErrNotExist):
			looked = append(looked, p+": none")
		case errors.As(err, &locked) && inAgent(pub):
			looked = append(looked, p+": passphrase-protected, offered through the ssh-agent")
		case errors.As(err, &locked):
			encrypted++
			looked = append(looked, p+": passphrase-protected and not in the ssh-agent")
		case err != nil:
			looked = append(looked, p+": "+err.Error())
		default:
			ids.add(s, "identity file "+p)
		}
	}
	if len(ids.signers) == 0 {
		ids.close()
		return nil, &SSHIdentityError{Encrypted: encrypted > 0, Looked: looked}
	}
	return ids, nil
}

// openAgent connects to the ssh-agent at sock and lists its keys. The
// connection stays open for signing during the handshake. The note says
// what the agent gave, for SSHIdentityError.Looked.
func (ids *identities) openAgent(ctx context.Context, sock string) ([]ssh.Signer, string) {
	if sock == "" {
		return nil, "ssh-agent: SSH_AUTH_SOCK is not set"
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, "ssh-agent at " + sock + ": " + err.Error()
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	ids.agent = c
	signers, err := agent.NewClient(c).Signers()
	if err != nil {
		return nil, "ssh-agent at " + sock + ": " + err.Error()
	}
	if len(signers) == 0 {
		return nil, "ssh-agent at " + sock + ": no keys"
	}
	return signers, "ssh-agent at " + sock
}

// readIdentity reads a private key file. A passphrase-protected key is
// an *ssh.PassphraseMissingError, with its public key when the file (or
// its .pub beside it) tells it.
func readIdentity(path string) (ssh.Signer, ssh.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxKeyFile {
		return nil, nil, errors.New("larger than any private key")
	}
	s, err := ssh.ParsePrivateKey(b)
	var locked *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &locked):
		pub := locked.PublicKey
		if pub == nil {
			pub = readPublicKey(path + ".pub")
		}
		return nil, pub, err
	case err != nil:
		return nil, nil, errors.New("not a private key that can be read")
	}
	return s, s.PublicKey(), nil
}

// readPublicKey reads an OpenSSH public key file, nil when it cannot.
func readPublicKey(path string) ssh.PublicKey {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return pub
}
