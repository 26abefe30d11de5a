package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// testPKI is a throw-away certificate authority with one server and one
// client certificate, written as PEM files.
type testPKI struct {
	dir                       string
	pool                      *x509.CertPool
	server                    tls.Certificate
	caFile, certFile, keyFile string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pizzeria test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	srvDER, srvKey := issue(2, "kafka", x509.ExtKeyUsageServerAuth)
	cliDER, cliKey := issue(3, "pizzeria", x509.ExtKeyUsageClientAuth)
	cliKeyDER, _ := x509.MarshalECPrivateKey(cliKey)
	p := testPKI{dir: dir, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)
	p.certFile = write("client.pem", "CERTIFICATE", cliDER)
	p.keyFile = write("client-key.pem", "EC PRIVATE KEY", cliKeyDER)
	return p
}

// TLS with a private CA and a client certificate the broker requires.
func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	_, base := mustCluster(t, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{pki.server},
		ClientCAs:    pki.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}))
	cfg := base
	cfg.TLS = TLSConfig{Enabled: true, CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile}
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	if err := mustPublisher(t, cfg).Publish(topic, event("tls-1", "o1")); err != nil {
		t.Fatalf("Publish over TLS: %v", err)
	}
	_, ch := mustSubscribe(t, cfg, "tls", topic)
	if got := receive(t, ch, 1, 30*time.Second)[0]; got.UUID != "tls-1" {
		t.Fatalf("received %s, want tls-1", got.UUID)
	}

	for name, bad := range map[string]TLSConfig{
		"no client certificate": {Enabled: true, CAFile: pki.caFile},
		"server not trusted":    {Enabled: true, CertFile: pki.certFile, KeyFile: pki.keyFile},
		"plaintext":             {},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := base
			cfg.TLS = bad
			if err := Ping(testCtx(t, 20*time.Second), cfg); err == nil {
				t.Fatal("connected although the TLS settings are wrong")
			}
		})
	}
}
