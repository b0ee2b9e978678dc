package amp

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces a secret in formatted output. It is the word that
// net/url uses for a password in a redacted URL.
const redacted = "xxxxx"

// securityToken matches a session token that a server quotes, such as the
// header line "x-amz-security-token:<token>" of the canonical request that
// AWS front ends put in a 403 InvalidSignatureException message.
var securityToken = regexp.MustCompile(`(?i)(x-amz-security-token[ \t]*[:=][ \t]*)[^\s'"\\&]+`)

// redactMessage replaces the session tokens in a server's error message
// with "xxxxx", because the message reaches errors, logs and the state a
// host stores.
func redactMessage(message string) string {
	return securityToken.ReplaceAllString(message, "${1}"+redacted)
}

// minSecretLength is the shortest configured secret that redactSecrets
// replaces. Replacing a shorter value, such as a header value "1", would
// garble messages without hiding anything worth hiding.
const minSecretLength = 4

// configSecrets returns the secret values of c that a server could quote
// in an error: the bearer token, the basic and address passwords, and the
// values of Headers and QueryParameters, which String redacts too.
func configSecrets(c Config) []string {
	var secrets []string
	add := func(value string) {
		if len(value) >= minSecretLength && !slices.Contains(secrets, value) {
			secrets = append(secrets, value)
		}
	}
	add(c.BearerToken)
	if c.BasicAuth != nil {
		add(c.BasicAuth.Password)
	}
	if u, err := url.Parse(c.ServerAddress); err == nil && u.User != nil {
		password, _ := u.User.Password()
		add(password)
	}
	for _, value := range c.Headers {
		add(value)
	}
	for _, values := range c.QueryParameters {
		for _, value := range values {
			add(value)
		}
	}
	// Longer values first, so that a secret that contains another is
	// replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return secrets
}

// redactSecrets replaces every secret in message with "xxxxx", for a
// server that echoes a request's credentials in its error.
func redactSecrets(message string, secrets []string) string {
	for _, secret := range secrets {
		message = strings.ReplaceAll(message, secret, redacted)
	}
	return message
}

// field is one non-zero field of a formatted struct. A value is either
// text (a string shown quoted by GoString) or literal (shown as it is).
type field struct {
	name    string
	value   string
	literal bool
	// group contains the fields of a nested struct or map, and groupType
	// names its type for GoString.
	group     []field
	groupType string
}

// text returns a field whose value is a string.
func text(name, value string) field { return field{name: name, value: value} }

// literal returns a field whose value prints as it is, such as a number.
func literal(name string, value any) field {
	return field{name: name, value: fmt.Sprint(value), literal: true}
}

// String returns the fields that are set, with secrets replaced by "xxxxx":
// the password in the address, BearerToken, BasicAuth.Password, TLS.Key and
// the values of Headers and QueryParameters. Credentials shows its type
// only. fmt calls String for %v, %+v and %s, so a Config prints safely.
func (c Config) String() string {
	return formatPlain(c.fields())
}

// GoString returns the fields that are set in Go syntax, redacted as
// String redacts them. fmt calls it for %#v.
func (c Config) GoString() string {
	return formatGo("amp.Config", c.fields())
}

// LogValue returns the fields that are set as a slog group, redacted as
// String redacts them.
func (c Config) LogValue() slog.Value {
	return logValue(c.fields())
}

// String returns the username and "xxxxx" in place of a set password.
func (b BasicAuth) String() string { return formatPlain(b.fields()) }

// GoString returns b in Go syntax with the password redacted.
func (b BasicAuth) GoString() string { return formatGo("amp.BasicAuth", b.fields()) }

// LogValue returns b as a slog group with the password redacted.
func (b BasicAuth) LogValue() slog.Value { return logValue(b.fields()) }

// String returns the sizes of CA and Cert, "xxxxx" in place of a set Key,
// and InsecureSkipVerify when it is set.
func (t TLSConfig) String() string { return formatPlain(t.fields()) }

// GoString returns t in Go syntax with the key redacted and the PEM texts
// shown by size.
func (t TLSConfig) GoString() string { return formatGo("amp.TLSConfig", t.fields()) }

// LogValue returns t as a slog group with the key redacted.
func (t TLSConfig) LogValue() slog.Value { return logValue(t.fields()) }

// fields returns the non-zero fields of c in declaration order, redacted.
func (c Config) fields() []field {
	var out []field
	add := func(set bool, f field) {
		if set {
			out = append(out, f)
		}
	}
	add(c.ServerAddress != "", text("ServerAddress", redactAddress(c.ServerAddress)))
	add(c.SigV4, literal("SigV4", true))
	add(c.Region != "", text("Region", c.Region))
	add(c.Credentials != nil, literal("Credentials", fmt.Sprintf("%T", c.Credentials)))
	add(c.RoleARN != "", text("RoleARN", c.RoleARN))
	add(c.BearerToken != "", text("BearerToken", redacted))
	if c.BasicAuth != nil {
		out = append(out, field{name: "BasicAuth", group: c.BasicAuth.fields(), groupType: "&amp.BasicAuth"})
	}
	add(!c.TLS.isZero(), field{name: "TLS", group: c.TLS.fields(), groupType: "amp.TLSConfig"})
	add(len(c.Headers) > 0, field{name: "Headers", group: redactedMap(c.Headers, nil), groupType: "map[string]string"})
	add(len(c.QueryParameters) > 0, field{name: "QueryParameters", group: redactedMap(nil, c.QueryParameters), groupType: "url.Values"})
	add(c.Method != "", text("Method", c.Method))
	add(c.HTTPClient != nil, literal("HTTPClient", "set"))
	add(c.Timeout != 0, literal("Timeout", c.Timeout))
	add(c.MaxResponseSize != 0, literal("MaxResponseSize", c.MaxResponseSize))
	if retry := c.Retry.fields(); len(retry) > 0 {
		out = append(out, field{name: "Retry", group: retry, groupType: "amp.RetryConfig"})
	}
	add(c.Logger != nil, literal("Logger", "set"))
	return out
}

func (b BasicAuth) fields() []field {
	out := []field{text("Username", b.Username)}
	if b.Password != "" {
		out = append(out, text("Password", redacted))
	}
	return out
}

func (t TLSConfig) fields() []field {
	var out []field
	if t.CA != "" {
		out = append(out, literal("CA", pemSize(t.CA)))
	}
	if t.Cert != "" {
		out = append(out, literal("Cert", pemSize(t.Cert)))
	}
	if t.Key != "" {
		out = append(out, text("Key", redacted))
	}
	if t.InsecureSkipVerify {
		out = append(out, literal("InsecureSkipVerify", true))
	}
	return out
}

func (r RetryConfig) fields() []field {
	var out []field
	if r.MaxAttempts != 0 {
		out = append(out, literal("MaxAttempts", r.MaxAttempts))
	}
	if r.InitialBackoff != 0 {
		out = append(out, literal("InitialBackoff", r.InitialBackoff))
	}
	if r.MaxBackoff != 0 {
		out = append(out, literal("MaxBackoff", r.MaxBackoff))
	}
	if r.Sleep != nil {
		out = append(out, literal("Sleep", "set"))
	}
	if r.Rand != nil {
		out = append(out, literal("Rand", "set"))
	}
	return out
}

// pemSize describes PEM text by its size, such as "(1234 bytes of PEM)".
func pemSize(pem string) string {
	return "(" + strconv.Itoa(len(pem)) + " bytes of PEM)"
}

// redactedMap returns the names of headers or parameters, sorted, each
// with the value "xxxxx", because values such as API keys may be secret.
func redactedMap(headers map[string]string, parameters map[string][]string) []field {
	var names []string
	for name := range headers {
		names = append(names, name)
	}
	for name := range parameters {
		names = append(names, name)
	}
	slices.Sort(names)

	out := make([]field, len(names))
	for i, name := range names {
		out[i] = text(name, redacted)
	}
	return out
}

// formatPlain formats fields as fmt's %+v formats a struct:
// {Name:value Group:{Name:value}}.
func formatPlain(fields []field) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.name + ":")
		if f.group != nil {
			b.WriteString(formatPlain(f.group))
		} else {
			b.WriteString(f.value)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// formatGo formats fields as a Go composite literal of type typeName.
func formatGo(typeName string, fields []field) string {
	var b strings.Builder
	b.WriteString(typeName + "{")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.name + ":")
		switch {
		case f.group != nil:
			b.WriteString(formatGo(f.groupType, f.group))
		case f.literal:
			b.WriteString(f.value)
		default:
			b.WriteString(strconv.Quote(f.value))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// logValue returns fields as a slog group.
func logValue(fields []field) slog.Value {
	attrs := make([]slog.Attr, len(fields))
	for i, f := range fields {
		if f.group != nil {
			attrs[i] = slog.Attr{Key: f.name, Value: logValue(f.group)}
		} else {
			attrs[i] = slog.String(f.name, f.value)
		}
	}
	return slog.GroupValue(attrs...)
}
