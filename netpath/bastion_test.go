package netpath

import (
	"errors"
	"testing"
)

func TestParseBastion(t *testing.T) {
	good := map[string]Bastion{
		"bastion":                  {Host: "bastion", Port: 22},
		"bastion.example.com:2222": {Host: "bastion.example.com", Port: 2222},
		"ops@bastion":              {User: "ops", Host: "bastion", Port: 22},
		"ops@10.0.0.5:22":          {User: "ops", Host: "10.0.0.5", Port: 22},
		"[::1]:2222":               {Host: "::1", Port: 2222},
		"ops@[fe80::1]":            {User: "ops", Host: "fe80::1", Port: 22},
		"::1":                      {Host: "::1", Port: 22},
		"me@corp@jump:2200":        {User: "me@corp", Host: "jump", Port: 2200},
		"ssh://ops@bastion:2022/":  {User: "ops", Host: "bastion", Port: 2022},
		"jump_host-1.":             {Host: "jump_host-1.", Port: 22},
	}
	for in, want := range good {
		got, err := ParseBastion(in)
		if err != nil || got != want {
			t.Errorf("ParseBastion(%q) = %+v, %v; want %+v", in, got, err, want)
			continue
		}
		again, err := ParseBastion(got.String())
		if err != nil || again != got {
			t.Errorf("%q -> %q -> %+v, %v", in, got.String(), again, err)
		}
	}
	bad := []string{"", "@host", "host:", "host:0", "host:65536", "host:22x", "host:+22", "[::1", "[::1]x",
		"[10.0.0.1]:22", "fe80::1:22:x", "ho st", "host\n", "a..b", "host/path", "ops@", "[::1]:"}
	for _, in := range bad {
		_, err := ParseBastion(in)
		var e *BastionError
		if !errors.As(err, &e) || e.Value != in || e.Reason == "" {
			t.Errorf("ParseBastion(%q): %v, want a *BastionError", in, err)
		}
	}
	if got := (Bastion{Host: "::1", Port: 22}).Addr(); got != "[::1]:22" {
		t.Errorf("Addr = %q", got)
	}
}
