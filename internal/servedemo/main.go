// Command servedemo sets up what README's "Monitoring many deployments"
// walks through, without a MongoDB of one's own: it starts a
// MongoDB-compatible server on loopback (an embedded FerretDB), picks a
// loopback port where nothing listens, and writes into one directory
//
//	mongoconn.yml    the targets healthy (FerretDB) and broken (the port)
//	prometheus.yml   a scrape config for them, blackbox-style, every 5 s
//	alerts.yml       docs/prometheus/alerts.yml
//
// It then runs until interrupted, keeping FerretDB up. Run it with
//
//	go run ./internal/servedemo -dir /tmp/mongoconn-demo
//
// Every address is on 127.0.0.1: nothing leaves this machine. Exit status:
// 0 after Ctrl-C, 1 when the setup failed, 2 for a usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// alertsFile is the alert rules the demo copies, relative to the module.
const alertsFile = "docs/prometheus/alerts.yml"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("servedemo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for the files (a new temporary one when empty)")
	serve := fs.String("serve", "127.0.0.1:27917", "where mongoconn serve will listen (for prometheus.yml)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "servedemo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := setup(ctx, *dir, *serve, stdout); err != nil {
		fmt.Fprintf(stderr, "servedemo: %v\n", err)
		return 1
	}
	return 0
}

func setup(ctx context.Context, dir, serve string, stdout io.Writer) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "mongoconn-demo-")
		if err != nil {
			return err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	rules, err := os.ReadFile(alertsFile)
	if err != nil {
		return fmt.Errorf("run me from the module's directory: %w", err)
	}
	f, err := ferret.New(filepath.Join(dir, "ferretdb"), ferret.Options{})
	if err != nil {
		return fmt.Errorf("starting FerretDB: %w", err)
	}
	defer f.Close()
	closed, err := mongotest.NewClosedPort()
	if err != nil {
		return err
	}
	files := map[string]string{
		"mongoconn.yml": fmt.Sprintf(`targets:
  healthy:
    uri: %s
    timeout: 4s
  broken:
    uri: mongodb://%s/
    timeout: 4s
`, f.URI, closed),
		"prometheus.yml": fmt.Sprintf(`global:
  scrape_interval: 5s
  scrape_timeout: 5s
  evaluation_interval: 5s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: mongoconn
    metrics_path: /probe
    static_configs:
      - targets: [healthy, broken]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %s
  - job_name: mongoconn-server
    static_configs:
      - targets: [%q]
`, serve, serve),
		"alerts.yml": string(rules),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "healthy: FerretDB at %s\nbroken:  nothing listens on %s\nwrote %s/{mongoconn.yml,prometheus.yml,alerts.yml}\nrunning until Ctrl-C\n", f.Addr, closed, dir)
	<-ctx.Done()
	return nil
}
