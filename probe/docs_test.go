package probe

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docsDir holds the Prometheus examples users copy.
const docsDir = "../docs/prometheus"

// promtool returns the path of Debian's promtool (package prometheus),
// skipping the test when it is not installed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian: apt-get install prometheus); the alert rules and scrape configs are not checked")
	}
	return p
}

// TestPrometheusDocs: promtool accepts the alert rules and the scrape
// configs of docs/prometheus, and the rules fire as testdata/alerts_test.yml
// says.
func TestPrometheusDocs(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(docsDir, "alerts.yml")},
		{"check", "config", filepath.Join(docsDir, "prometheus.yml")},
		{"check", "config", filepath.Join(docsDir, "kubernetes-prometheus.yml")},
		{"test", "rules", filepath.Join("testdata", "alerts_test.yml")},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestKubernetesExample: the mongoconn config in the Kubernetes example's
// ConfigMap loads, with the Secret's keys as its password files, and the
// manifests are the documents they claim to be.
func TestKubernetesExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(docsDir, "kubernetes.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type manifest struct {
		Kind     string            `yaml:"kind"`
		Data     map[string]string `yaml:"data"`
		Stringed map[string]string `yaml:"stringData"`
	}
	kinds := map[string]manifest{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var m manifest
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubernetes.yml: %v", err)
		}
		kinds[m.Kind] = m
	}
	for _, k := range []string{"Secret", "ConfigMap", "Deployment", "Service"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s in kubernetes.yml", k)
		}
	}
	secrets := t.TempDir()
	for key, pw := range kinds["Secret"].Stringed {
		writeFile(t, secrets, key, pw)
	}
	probeYML := strings.ReplaceAll(kinds["ConfigMap"].Data["probe.yml"], "/run/secrets/mongoconn", secrets)
	cfg, err := (&Loader{}).Parse("kubernetes.yml ConfigMap probe.yml", []byte(probeYML))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"orders", "billing"} {
		tg := cfg.Targets[name]
		if tg == nil || !strings.Contains(tg.Redacted, "monitor:****@") {
			t.Errorf("target %s = %v", name, tg)
		}
	}
}
