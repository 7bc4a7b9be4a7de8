package pathtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NewKey writes a fresh ed25519 key pair made by ssh-keygen into dir as
// name and name.pub, encrypted with passphrase unless it is empty, and
// returns the private key's path.
func NewKey(tb testing.TB, dir, name, passphrase string) string {
	tb.Helper()
	keygen := lookTool(tb, "ssh-keygen")
	path := filepath.Join(dir, name)
	runTool(tb, exec.Command(keygen, "-q", "-t", "ed25519", "-C", name, "-N", passphrase, "-f", path))
	return path
}

// SetPassphrase re-encrypts the private key at path from passphrase old
// to passphrase new (ssh-keygen -p); an empty passphrase means none.
func SetPassphrase(tb testing.TB, path, old, new string) {
	tb.Helper()
	keygen := lookTool(tb, "ssh-keygen")
	runTool(tb, exec.Command(keygen, "-q", "-p", "-P", old, "-N", new, "-f", path))
}

// PublicKeyLine returns the "TYPE BASE64" form of the public key of the
// private key at path, from path.pub, without its comment.
func PublicKeyLine(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		tb.Fatalf("public key: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		tb.Fatalf("public key %s.pub: %q is not TYPE BASE64", path, b)
	}
	return f[0] + " " + f[1]
}

// runTool runs an OpenSSH helper to completion under commandTimeout.
func runTool(tb testing.TB, cmd *exec.Cmd) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env = cmd.Env
	c.Stdin = nil
	if out, err := c.CombinedOutput(); err != nil {
		// The arguments may hold a passphrase: name the program only.
		tb.Fatalf("%s: %v: %s", filepath.Base(cmd.Path), err, out)
	}
}
