package cmd

import (
	"strings"
	"testing"
)

// A --ssh value that cannot be read, or a bastion flag without --ssh, is
// a usage error before anything is dialled.
func TestSSHFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ssh", "", "--ssh-identity", "/k", "version"}, "--ssh-identity needs --ssh"},
		{[]string{"--ssh-known-hosts", "/kh", "version"}, "--ssh-known-hosts needs --ssh"},
		{[]string{"--ssh", "ops@", "version"}, `--ssh "ops@"`},
		{[]string{"--ssh", "bastion:99999", "version"}, `--ssh "bastion:99999"`},
		{[]string{"--ssh", "ops@bastion:port", "version"}, `--ssh "ops@bastion:port"`},
		{[]string{"--ssh", "two words", "version"}, `--ssh "two words": contains a space`},
		{[]string{"version", "--ssh", "[::1"}, `--ssh "[::1"`},
		{[]string{"--ssh", "ops:Hunter-22@bastion:99999", "version"}, "--ssh: the part before @ holds a ':'"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, nil, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d", code, ExitUsage)
			}
			if strings.Contains(errOut, "Hunter-22") {
				t.Errorf("stderr shows the password: %q", errOut)
			}
			if !strings.Contains(errOut, "mongoconn: error: "+tc.want) || !strings.Contains(errOut, "mongoconn: hint: ") {
				t.Errorf("stderr = %q, want the error %q and a hint", errOut, tc.want)
			}
		})
	}
}

// The bastion flags, before or after the command, reach the engine with
// the environment (SSH_AUTH_SOCK, the proxy variables).
func TestSSHFlagsReachTheEngine(t *testing.T) {
	ios, _, _, _ := Test()
	env := map[string]string{"SSH_AUTH_SOCK": "/run/agent.sock"}
	f := NewFactory(ios, func(k string) string { return env[k] })
	root := NewCmdRoot(f)
	root.SetArgs([]string{"--ssh", "ops@[::1]:2222", "version", "--ssh-identity", "/keys/ops", "--ssh-known-hosts", "/keys/known_hosts"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	e, err := f.newEngine()
	if err != nil {
		t.Fatal(err)
	}
	if e.SSH.Bastion != "ops@[::1]:2222" || e.SSH.IdentityFile != "/keys/ops" || e.SSH.KnownHostsFile != "/keys/known_hosts" {
		t.Errorf("engine SSH = %+v", e.SSH)
	}
	if e.Getenv == nil || e.Getenv("SSH_AUTH_SOCK") != "/run/agent.sock" {
		t.Error("the engine does not read the command's environment")
	}
}

func TestSSHHelp(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--ssh [USER@]HOST[:PORT]", "--ssh-identity FILE", "--ssh-known-hosts FILE", "--ssh ops@bastion.example.net diagnose"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
