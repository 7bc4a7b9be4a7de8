package netpath_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mongoconn/mongoconn/netpath"
)

// The engine picks the path once per command, hands it to every probe
// and to the driver (options.Client().SetDialer), and closes it at the
// end.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var d netpath.Dialer = netpath.Direct{}

	// --ssh ops@bastion.example.net: every connection is a channel of one
	// SSH connection; member names resolve on the bastion.
	b, err := netpath.DialSSH(ctx, netpath.SSHConfig{Bastion: "ops@bastion.example.net"})
	if err != nil {
		fmt.Println(err) // *SSHHostKeyUnknownError, *SSHAuthError, ...
		return
	}
	defer b.Close()
	d = b

	// proxyHost=proxy.internal&proxyPort=1080 in the connection string:
	// the SOCKS5 proxy, reached here through the bastion.
	p, err := netpath.NewSOCKS5(netpath.ProxyConfig{Host: "proxy.internal"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Forward = d
	d = p

	conn, err := d.DialContext(ctx, "tcp", "mongo-0.internal:27017")
	if err != nil {
		fmt.Println(err) // *ProxyConnectError with the proxy's reply code, ...
		return
	}
	defer conn.Close()
	fmt.Println("connected", netpath.Via(d)) // connected via socks5 proxy.internal:1080
}

// The tcp.some-addresses-refused case: localhost is ::1 and 127.0.0.1,
// and only one of them listens.
func ExampleDialEvery() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lookup := func(context.Context, string) ([]string, error) { return []string{"::1", "127.0.0.1"}, nil }
	results, err := netpath.DialEvery(ctx, netpath.Direct{}, lookup, "localhost:27017")
	if err != nil {
		fmt.Println(err)
		return
	}
	if netpath.SomeRefused(results) {
		for _, r := range results {
			fmt.Println(r.Address, "refused:", r.Refused())
		}
	}
}

// A proxy variable of the environment, which drivers ignore, and the
// options that would use it.
func ExampleEnvProxies() {
	env := map[string]string{"ALL_PROXY": "socks5h://bob:secret@127.0.0.1:1081"}
	for _, p := range netpath.EnvProxies(func(k string) string { return env[k] }) {
		fmt.Println(p.Name, p.Value, p.Options())
	}
	// Output: ALL_PROXY socks5h://bob:****@127.0.0.1:1081 proxyHost=127.0.0.1&proxyPort=1081&proxyUsername=bob&proxyPassword=****
}
