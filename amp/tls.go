package amp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// TLSConfig sets the TLS options of https connections to a plain Prometheus
// server, like the ca, cert and key parameters of a KEDA
// TriggerAuthentication. The zero value verifies the server against the
// system's roots and sends no client certificate.
type TLSConfig struct {
	// CA is a PEM bundle of the certificate authorities that sign the
	// server's certificate. Empty means the system's roots.
	CA string
	// Cert and Key are the PEM client certificate and its private key, for
	// servers that require mutual TLS. Set both or neither.
	Cert string
	Key  string
	// InsecureSkipVerify accepts any server certificate. It makes the
	// connection open to interception, so use it only for tests.
	InsecureSkipVerify bool
}

// isZero reports whether t changes nothing from the default transport.
func (t TLSConfig) isZero() bool {
	return t == TLSConfig{}
}

// validate checks that the settings parse and can apply to the address.
// Messages never quote the PEM text, because Key is a secret.
func (t TLSConfig) validate(u *url.URL, hasHTTPClient bool) error {
	if t.isZero() {
		return nil
	}
	if hasHTTPClient {
		return errors.New("amp: TLS settings apply only to the client's own transport, but Config.HTTPClient is set; set TLSClientConfig on its transport instead")
	}
	if u.Scheme != "https" {
		return errors.New("amp: TLS settings need an https server address; change the scheme or remove Config.TLS")
	}
	if err := t.validatePEMFields(); err != nil {
		return err
	}
	_, err := t.build()
	return err
}

// validatePEMFields rejects a CA, Cert or Key that looks like a file path,
// a common mistake because KEDA and Prometheus configurations take file
// names. The message quotes the CA and Cert paths, but not the Key value.
func (t TLSConfig) validatePEMFields() error {
	for _, field := range []struct{ name, value string }{{"CA", t.CA}, {"Cert", t.Cert}, {"Key", t.Key}} {
		if !looksLikePath(field.value) {
			continue
		}
		quoted := ""
		if field.name != "Key" {
			quoted = " " + strconv.Quote(field.value)
		}
		return fmt.Errorf("amp: invalid TLS %s: TLSConfig.%s%s looks like a file path, but the field takes PEM text; "+
			"read the file with os.ReadFile and set the field to its contents", field.name, field.name, quoted)
	}
	return nil
}

// looksLikePath reports whether s looks like a file path rather than PEM
// text: one line without "-----BEGIN" that starts with / or ./ or ends with
// .pem, .crt or .key.
func looksLikePath(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "-----BEGIN") || strings.ContainsAny(s, "\r\n") {
		return false
	}
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasSuffix(s, ".pem") || strings.HasSuffix(s, ".crt") || strings.HasSuffix(s, ".key")
}

// build returns the crypto/tls configuration of t.
func (t TLSConfig) build() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // An explicit opt-in, documented as unsafe.
	}

	if t.CA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.CA)) {
			return nil, errors.New("amp: invalid TLS CA: no PEM certificate found; set TLSConfig.CA to the PEM text of the CA certificates")
		}
		cfg.RootCAs = pool
	}

	switch {
	case t.Cert == "" && t.Key == "":
	case t.Cert == "" || t.Key == "":
		return nil, errors.New("amp: TLS client certificate and key must be set together; set both TLSConfig.Cert and TLSConfig.Key or neither")
	default:
		pair, err := tls.X509KeyPair([]byte(t.Cert), []byte(t.Key))
		if err != nil {
			return nil, errors.New("amp: invalid TLS client certificate or key: the PEM blocks do not parse or do not match; check TLSConfig.Cert and TLSConfig.Key")
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
