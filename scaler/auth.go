package scaler

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/sigv4"
)

// Parameters that a TriggerAuthentication's secretTargetRef can set for a
// prometheus trigger.
const (
	paramBearerToken        = "bearerToken"
	paramToken              = "token"
	paramUsername           = "username"
	paramPassword           = "password"
	paramCA                 = "ca"
	paramCert               = "cert"
	paramKey                = "key"
	paramAWSRoleARN         = "awsRoleArn"
	paramAWSAccessKeyID     = "awsAccessKeyID"
	paramAWSAccessKeyIDAlt  = "awsAccessKeyId"
	paramAWSSecretAccessKey = "awsSecretAccessKey"
	paramAWSSessionToken    = "awsSessionToken"
)

// resolvedAuth is the pod identity and the secret parameters that a
// trigger's authenticationRef supplies.
type resolvedAuth struct {
	// source names the authentication in messages; empty without one.
	source      string
	podIdentity PodIdentity
	// params are the secret values by parameter name.
	params map[string]string
}

// param returns the first of names that has a value.
func (a resolvedAuth) param(names ...string) string {
	for _, name := range names {
		if v := a.params[name]; v != "" {
			return v
		}
	}
	return ""
}

// resolveAuth finds the authentication that ref names and reads its
// secrets. Problem paths are relative to the trigger, and messages name
// secrets and keys but never their values.
func (so *ScaledObject) resolveAuth(ref *AuthenticationRef, opts BuildOptions) (resolvedAuth, []Problem) {
	if ref == nil {
		return resolvedAuth{}, nil
	}
	ta := so.findAuthentication(ref, opts.TriggerAuthentications)
	if ta == nil {
		kind := authKind(ref.Kind)
		return resolvedAuth{}, []Problem{{Path: "authenticationRef", Message: fmt.Sprintf(
			"%s %q not found in namespace %q; add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications", kind, ref.Name, so.namespace())}}
	}
	if problems := ta.check(); len(problems) > 0 {
		return resolvedAuth{}, problems
	}

	auth := resolvedAuth{source: ta.label(), params: map[string]string{}}
	if ta.Spec.PodIdentity != nil {
		auth.podIdentity = *ta.Spec.PodIdentity
	}
	var problems []Problem
	for _, target := range ta.Spec.SecretTargetRef {
		value, message := lookupSecret(opts.Secrets, target)
		if message != "" {
			problems = append(problems, Problem{Path: "authenticationRef", Message: fmt.Sprintf("%s: %s", auth.source, message)})
			continue
		}
		auth.params[target.Parameter] = value
	}
	return auth, problems
}

// findAuthentication returns the authentication that ref names, searching
// those loaded with the object first, or nil.
func (so *ScaledObject) findAuthentication(ref *AuthenticationRef, extra []*TriggerAuthentication) *TriggerAuthentication {
	for _, ta := range slices.Concat(so.authentications, extra) {
		if so.refersTo(ref, ta) {
			return ta
		}
	}
	return nil
}

// refersTo reports whether ref, of a trigger of the object, names ta.
func (so *ScaledObject) refersTo(ref *AuthenticationRef, ta *TriggerAuthentication) bool {
	kind := authKind(ref.Kind)
	if ta == nil || authKind(ta.Kind) != kind || ta.Metadata.Name != ref.Name {
		return false
	}
	return kind == KindClusterTriggerAuthentication || ta.Metadata.Namespace == "" || ta.Metadata.Namespace == so.namespace()
}

// authKind returns kind, or TriggerAuthentication when it is empty.
func authKind(kind string) string {
	if kind == "" {
		return KindTriggerAuthentication
	}
	return kind
}

// lookupSecret returns the value that target points to, or a message that
// names the secret and key.
func lookupSecret(secrets map[string]map[string]string, target SecretTargetRef) (string, string) {
	secret, ok := secrets[target.Name]
	if !ok {
		return "", fmt.Sprintf("secret %q for parameter %s not found; pass its keys in BuildOptions.Secrets[%q]", target.Name, target.Parameter, target.Name)
	}
	value, ok := secret[target.Key]
	if !ok {
		return "", fmt.Sprintf("secret %q has no key %q for parameter %s; add the key to BuildOptions.Secrets[%q]", target.Name, target.Key, target.Parameter, target.Name)
	}
	return value, ""
}

// clientConfig returns the amp.Config of one trigger. Problem paths are
// relative to the trigger.
func clientConfig(md PrometheusMetadata, auth resolvedAuth, opts BuildOptions) (amp.Config, []Problem) {
	cfg := amp.Config{
		ServerAddress:   md.ServerAddress,
		Headers:         md.CustomHeaders,
		QueryParameters: queryParameters(md),
		Timeout:         md.Timeout,
		HTTPClient:      opts.HTTPClient,
		Logger:          opts.Logger,
	}
	// KEDA applies unsafeSsl and a CA only to https connections, so they
	// are dropped for an http address rather than rejected.
	// NOTE: KEDA reads the CA only when authModes is set, and ignores
	// unsafeSsl when a CA or tls mode is set; here both always apply.
	if strings.HasPrefix(strings.ToLower(md.ServerAddress), "https://") {
		cfg.TLS = amp.TLSConfig{InsecureSkipVerify: md.UnsafeSSL, CA: auth.params[paramCA]}
	}

	problems := applyAuthModes(&cfg, md, auth)
	problems = append(problems, applyAWS(&cfg, md, auth, opts)...)
	signed := cfg.SigV4 || isWorkspaceAddress(md.ServerAddress)
	if signed && (cfg.BearerToken != "" || cfg.BasicAuth != nil) {
		problems = append(problems, Problem{Path: "metadata.authModes", Message: "bearer and basic authentication cannot be combined with SigV4, " +
			"which sets the Authorization header, and requests to this server are signed; remove authModes, or the AWS settings"})
	}
	if cfg.TLS != (amp.TLSConfig{}) && opts.HTTPClient != nil {
		problems = append(problems, Problem{Message: "unsafeSsl, a CA and TLS authentication need a transport of the trigger's own, but BuildOptions.HTTPClient is set; configure TLS on that client's transport, or leave BuildOptions.HTTPClient nil"})
	}
	return cfg, problems
}

// queryParameters returns the queryParameters with the namespace
// parameter that KEDA adds for the namespace key.
func queryParameters(md PrometheusMetadata) url.Values {
	values := toValues(md.QueryParameters)
	if md.Namespace != "" {
		if values == nil {
			values = url.Values{}
		}
		values.Set("namespace", md.Namespace)
	}
	return values
}

// applyAuthModes sets the bearer, basic and tls authentication that the
// trigger's authModes select, from the metadata or else from the
// authentication's parameters, as KEDA reads them.
func applyAuthModes(cfg *amp.Config, md PrometheusMetadata, auth resolvedAuth) []Problem {
	modes := md.AuthModes
	var problems []Problem
	if value := auth.param(keyAuthModes, keyAuthMode); len(modes) == 0 && value != "" {
		var messages []string
		modes, messages = parseAuthModes(value)
		for _, m := range messages {
			problems = append(problems, Problem{Path: "authenticationRef", Message: auth.source + ": authModes: " + m})
		}
	}
	if len(modes) == 0 {
		return problems
	}
	if auth.podIdentity.Provider == podIdentityProviderAWS {
		return append(problems, Problem{Path: "metadata.authModes", Message: fmt.Sprintf(
			"cannot be combined with the pod identity of %s, as in KEDA; remove authModes, or the podIdentity", auth.source)})
	}

	missing := func(mode string, params ...string) {
		problems = append(problems, Problem{Path: "authenticationRef", Message: fmt.Sprintf(
			"authModes %s needs the parameter %s; set it with a secretTargetRef of the TriggerAuthentication", mode, params[0])})
	}
	for _, mode := range modes {
		switch mode {
		case "bearer":
			if cfg.BearerToken = auth.param(paramBearerToken, paramToken); cfg.BearerToken == "" {
				missing(mode, paramBearerToken)
			}
		case "basic":
			if auth.param(paramUsername) == "" {
				missing(mode, paramUsername)
				continue
			}
			cfg.BasicAuth = &amp.BasicAuth{Username: auth.param(paramUsername), Password: auth.param(paramPassword)}
		case "tls":
			cfg.TLS.Cert, cfg.TLS.Key = auth.param(paramCert), auth.param(paramKey)
			if cfg.TLS.Cert == "" {
				missing(mode, paramCert)
			}
			if cfg.TLS.Key == "" {
				missing(mode, paramKey)
			}
		}
	}
	return problems
}

// applyAWS decides whether requests are signed with SigV4, and with what
// credentials, as KEDA's AWS authorization does:
//
//   - podIdentity provider aws signs with the host's AWS identity, which
//     is KEDA's identityOwner keda;
//   - identityOwner operator does too;
//   - a role ARN or static keys from the authentication sign with them,
//     which is KEDA's identityOwner pod.
//
// A role ARN comes from podIdentity.roleArn, the awsRoleArn metadata key or
// the awsRoleArn parameter, in that order. An AMP workspace URL is signed
// in every case, by amp.
func applyAWS(cfg *amp.Config, md PrometheusMetadata, auth resolvedAuth, opts BuildOptions) []Problem {
	role := firstNonEmpty(auth.podIdentity.RoleARN, md.AWSRoleARN, auth.param(paramAWSRoleARN))
	keyID := auth.param(paramAWSAccessKeyID, paramAWSAccessKeyIDAlt)
	secretKey := auth.param(paramAWSSecretAccessKey)
	staticKeys := keyID != "" || secretKey != ""
	region := firstNonEmpty(md.AWSRegion, auth.param(keyAWSRegion))
	workspaceHost := isWorkspaceAddress(md.ServerAddress)

	podIdentity := auth.podIdentity.Provider == podIdentityProviderAWS
	if problem := ignoredAWSCredentials(md, auth, role != "", staticKeys); problem != nil {
		return []Problem{*problem}
	}
	signed := podIdentity || md.IdentityOwner == identityOwnerOperator || role != "" || staticKeys
	if md.IdentityOwner == identityOwnerPod && !podIdentity && role == "" && !staticKeys {
		return []Problem{{Path: "metadata.identityOwner", Message: "pod signs with credentials given for the trigger, but there are none: " +
			"KEDA would use the workload's own role, which an embedded library cannot see; set awsRoleArn to a role to assume, " +
			"give awsAccessKeyID and awsSecretAccessKey through secretTargetRef, or use identityOwner operator to sign with the host's own identity"}}
	}
	if !signed {
		if workspaceHost {
			cfg.Credentials = opts.Credentials
		}
		return nil
	}
	if !workspaceHost && region == "" {
		return []Problem{{Path: "metadata.awsRegion", Message: fmt.Sprintf(
			"missing; requests to %s are signed with SigV4, which needs the region because the host name does not contain one", md.ServerAddress)}}
	}

	cfg.SigV4 = true
	cfg.Region = region
	switch {
	case opts.Credentials != nil && (role != "" || staticKeys):
		return []Problem{{Message: "BuildOptions.Credentials is set, and so is a role ARN or static keys for the trigger; " +
			"pass credentials that already assume the role as BuildOptions.Credentials, or leave it nil"}}
	case opts.Credentials != nil:
		cfg.Credentials = opts.Credentials
	case staticKeys:
		credentials, err := sigv4.NewCredentials(context.Background(), sigv4.CredentialsConfig{
			AccessKeyID:     keyID,
			SecretAccessKey: secretKey,
			SessionToken:    auth.param(paramAWSSessionToken),
			RoleARN:         role,
			Region:          region,
		})
		if err != nil {
			return []Problem{{Path: "authenticationRef", Message: auth.source + ": " + manifestMessage(err.Error())}}
		}
		cfg.Credentials = credentials
	default:
		cfg.RoleARN = role
	}
	return nil
}

// ignoredAWSCredentials reports credentials that KEDA would ignore, so
// that requests are not signed with an identity KEDA would not use. KEDA
// ignores static keys beside podIdentity provider aws, and a role ARN or
// static keys beside identityOwner operator without that pod identity.
func ignoredAWSCredentials(md PrometheusMetadata, auth resolvedAuth, role, staticKeys bool) *Problem {
	switch {
	case auth.podIdentity.Provider == podIdentityProviderAWS && staticKeys:
		return &Problem{Path: "authenticationRef", Message: auth.source + ": podIdentity provider aws signs with the host's own AWS identity, " +
			"and KEDA then ignores awsAccessKeyID and awsSecretAccessKey; remove the podIdentity to sign with the keys, or remove the keys"}
	case auth.podIdentity.Provider != podIdentityProviderAWS && md.IdentityOwner == identityOwnerOperator && (role || staticKeys):
		return &Problem{Path: "metadata.identityOwner", Message: "operator signs with the host's own AWS identity, " +
			"and KEDA then ignores the role ARN and static keys given for the trigger; remove identityOwner to sign with them, or remove them"}
	}
	return nil
}

// isWorkspaceAddress reports whether address is on a host that amp always
// signs: an AMP workspace or VPC endpoint.
func isWorkspaceAddress(address string) bool {
	u, err := url.Parse(address)
	if err != nil {
		return false
	}
	_, ok := sigv4.RegionFromHost(u.Host)
	return ok
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
